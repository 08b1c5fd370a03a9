"""`qinglang worker`: a process on any machine that takes live rooms and media jobs from the
broker (monitor.broker), turns their audio into timed text (the speech half of a live stream, or
a whole recording) and posts it to the API node over HTTP with its worker key. The API node
checks the text and records the flags: a worker never opens the store (SQLite stays the truth)
and never checks. Only the command line (monitor.cli.worker) imports this package.

- api_client: the API node's /v1/worker routes, with retries on connection errors and 5xx.
- outbox: a room's results, kept in order until the API node acknowledges them.
- room_position: how far a room's stream is covered by posted results (its resume point).
- room_runner: one held room: watch its URL and/or read its pushed input, post results.
- job_runner: one held media job: fetch the upload, transcribe it, post progress and result.
- lease_loop: claiming, heartbeating, taking over and giving back rooms and jobs.
"""
