-- Background jobs (an uploaded recording to transcribe and check) and live rooms with their
-- events. A job belongs to the API key that made it; an Idempotency-Key header makes a retried
-- upload return the same job.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'media' CHECK (kind IN ('media')),
    owner_key_id INTEGER NOT NULL REFERENCES api_keys(id),
    idempotency_key TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    file_path TEXT NOT NULL,                  -- the stored upload
    file_name TEXT NOT NULL DEFAULT '',       -- the name the client gave it
    size_bytes INTEGER NOT NULL,
    duration_s REAL,                          -- from the probe, when the container says
    anchor_id TEXT REFERENCES anchors(id),
    stream_id TEXT,
    product_id TEXT REFERENCES products(id),
    profile TEXT,
    product_class TEXT,
    progress REAL NOT NULL DEFAULT 0,         -- fraction of the recording transcribed, 0..1
    eta_s REAL,
    attempts INTEGER NOT NULL DEFAULT 0,      -- times a worker took it (more than 1 after a restart)
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT,
    result TEXT,                              -- the timed report and the flag ids, as JSON
    UNIQUE (owner_key_id, idempotency_key)
);
CREATE INDEX jobs_status ON jobs(status, id);
CREATE INDEX jobs_owner ON jobs(owner_key_id, id);

CREATE TABLE live_rooms (
    id INTEGER PRIMARY KEY,
    owner_key_id INTEGER NOT NULL REFERENCES api_keys(id),
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    stream_id TEXT NOT NULL,
    product_id TEXT REFERENCES products(id),
    profile TEXT,
    source_url TEXT,                          -- NULL: pushed captions or audio
    state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'stopped', 'ended', 'failed', 'interrupted')),
    started_at TEXT NOT NULL,
    stopped_at TEXT,
    error TEXT,
    audio_s REAL NOT NULL DEFAULT 0,
    segments INTEGER NOT NULL DEFAULT 0,
    flags INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX live_rooms_state ON live_rooms(state);

CREATE TABLE live_events (
    room_id INTEGER NOT NULL REFERENCES live_rooms(id),
    seq INTEGER NOT NULL,                     -- 1, 2, … per room: `events?after=SEQ` pages on it
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,                    -- JSON
    PRIMARY KEY (room_id, seq)
);
