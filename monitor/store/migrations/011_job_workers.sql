-- Media jobs on workers (issue 15): the broker consumer (`w<key id>.<host>.<pid>.<4 hex>`) that
-- holds a running job, so that a job taken over by another worker counts one more attempt, and
-- `/v1/jobs/{id}` can say which worker transcribes it. NULL: queued, or run in-process.
ALTER TABLE jobs ADD COLUMN worker TEXT;
