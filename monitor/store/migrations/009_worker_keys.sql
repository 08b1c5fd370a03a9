-- A fourth key role, `worker` (issue 15): a `qinglang worker` process on another machine that
-- takes live rooms and media jobs from the broker and may only fetch the inputs of, and post the
-- results for, the work it holds. SQLite cannot change a CHECK in place, so api_keys is rebuilt:
-- its rows are kept aside, the table dropped and made again, and the rows put back with their ids.
-- Foreign keys are checked at COMMIT, when every key that jobs, live rooms, webhook subscriptions
-- and UI sessions refer to is back (none of them cascades on delete).
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE api_keys_kept AS SELECT * FROM api_keys;
DROP TABLE api_keys;

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,             -- sha256 of the key; the key itself is shown once
    prefix TEXT NOT NULL,                      -- first characters, to tell keys apart in lists
    role TEXT NOT NULL CHECK (role IN ('regulator', 'platform', 'anchor', 'worker')),
    anchor_id TEXT REFERENCES anchors(id),
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK ((role = 'anchor') = (anchor_id IS NOT NULL))
);

INSERT INTO api_keys (id, key_hash, prefix, role, anchor_id, label, created_at, revoked_at)
SELECT id, key_hash, prefix, role, anchor_id, label, created_at, revoked_at FROM api_keys_kept;
DROP TABLE api_keys_kept;
