-- qinglang store, version 1. Times are ISO-8601 UTC text ("2026-11-23T08:00:00Z"); JSON columns
-- hold lists/objects as text. Ids given by people (workshops, anchors, products, streams) are
-- text; ids the system gives are integers.

CREATE TABLE workshops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE anchors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    workshop_id TEXT REFERENCES workshops(id),
    created_at TEXT NOT NULL
);
CREATE INDEX anchors_workshop ON anchors(workshop_id);

CREATE TABLE platform_accounts (
    platform TEXT NOT NULL,
    account TEXT NOT NULL,
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    PRIMARY KEY (platform, account)
);
CREATE INDEX platform_accounts_anchor ON platform_accounts(anchor_id);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    workshop_id TEXT REFERENCES workshops(id),
    product_class TEXT NOT NULL DEFAULT 'food',
    origin TEXT NOT NULL DEFAULT '',          -- registered place of origin, e.g. 浙江省宁波市余姚市
    producer TEXT NOT NULL DEFAULT '',
    certifications TEXT NOT NULL DEFAULT '[]', -- [{"type": "organic|geographical_indication|green_food|...", "number": "...", "valid_until": "..."}]
    registration_numbers TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);

CREATE TABLE streams (
    id TEXT PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    product_id TEXT REFERENCES products(id),
    source TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX streams_anchor ON streams(anchor_id);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    stream_id TEXT NOT NULL REFERENCES streams(id),
    seq INTEGER NOT NULL,                     -- order in the stream; (stream, seq) makes ingestion idempotent
    start_s REAL NOT NULL,
    end_s REAL NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (stream_id, seq)
);

CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    stream_id TEXT REFERENCES streams(id),
    anchor_id TEXT REFERENCES anchors(id),
    segment_id INTEGER REFERENCES segments(id),
    created_at TEXT NOT NULL,
    context TEXT NOT NULL,                    -- the text the offsets refer to (segment(s) around the hit)
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    time_start REAL,
    time_end REAL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    source TEXT NOT NULL,
    rule TEXT NOT NULL,
    score REAL NOT NULL,
    basis TEXT NOT NULL DEFAULT '[]',
    explanation TEXT NOT NULL DEFAULT '',
    suggestion TEXT NOT NULL DEFAULT '',
    hit TEXT NOT NULL DEFAULT '{}',           -- the whole hit of the check report, as JSON
    in_approved_script INTEGER,               -- 1/0 when the stream had an approved script, else NULL
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    dedupe_key TEXT NOT NULL UNIQUE           -- the same hit stored twice is one flag
);
CREATE INDEX flags_status ON flags(status, score);
CREATE INDEX flags_anchor ON flags(anchor_id);
CREATE INDEX flags_stream ON flags(stream_id);

CREATE TABLE review_decisions (
    id INTEGER PRIMARY KEY,
    flag_id INTEGER NOT NULL UNIQUE REFERENCES flags(id),
    decision TEXT NOT NULL CHECK (decision IN ('confirm', 'dismiss')),
    category TEXT,
    severity TEXT,
    note TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

CREATE TABLE violations (
    id INTEGER PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    category TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('flag', 'complaint', 'inspection', 'other')),
    flag_id INTEGER UNIQUE REFERENCES flags(id),
    decision_id INTEGER REFERENCES review_decisions(id),
    evidence TEXT NOT NULL
);
CREATE INDEX violations_anchor ON violations(anchor_id, occurred_at);

CREATE TABLE appeals (
    id INTEGER PRIMARY KEY,
    violation_id INTEGER NOT NULL REFERENCES violations(id),
    reason TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'upheld', 'rejected')),
    decided_at TEXT,
    decided_by TEXT,
    decision_reason TEXT
);
CREATE INDEX appeals_violation ON appeals(violation_id);

CREATE TABLE credit_repairs (
    id INTEGER PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    kind TEXT NOT NULL CHECK (kind IN ('repair', 'early_removal')),
    reason TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    filed_by TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'granted', 'refused')),
    decided_at TEXT,
    decided_by TEXT,
    decision_reason TEXT
);
CREATE INDEX credit_repairs_anchor ON credit_repairs(anchor_id);

-- Derived and recomputable from the tables above and the policy: the current credit of each
-- anchor, kept so that lists, disclosure and the gate need not recompute.
CREATE TABLE credit_state (
    anchor_id TEXT PRIMARY KEY REFERENCES anchors(id),
    score REAL NOT NULL,
    grade TEXT NOT NULL,
    blacklisted_until TEXT,
    computed_at TEXT NOT NULL,
    policy_version TEXT NOT NULL
);

-- Blacklist periods as the credit rules decided them (mirrored when an anchor's credit is
-- recomputed; the audit log has every change).
CREATE TABLE blacklist_entries (
    id INTEGER PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    listed_at TEXT NOT NULL,
    until TEXT NOT NULL,
    reason TEXT NOT NULL,
    removed_at TEXT,
    removal_reason TEXT,
    UNIQUE (anchor_id, listed_at)
);

-- Public disclosure (公示): what was published, from when, until when.
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('anchor_grade', 'blacklist', 'violation', 'product')),
    subject_id TEXT NOT NULL,
    content TEXT NOT NULL,
    published_at TEXT NOT NULL,
    until TEXT,
    withdrawn_at TEXT
);
CREATE INDEX disclosures_kind ON disclosures(kind, subject_id);

CREATE TABLE scripts (
    id INTEGER PRIMARY KEY,
    anchor_id TEXT NOT NULL REFERENCES anchors(id),
    product_id TEXT REFERENCES products(id),
    text TEXT NOT NULL,
    report TEXT NOT NULL,                      -- the check report, as JSON
    submitted_at TEXT NOT NULL,
    for_stream_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('checked', 'pending', 'approved', 'returned')),
    reviewer TEXT,
    comments TEXT,
    decided_at TEXT
);
CREATE INDEX scripts_anchor ON scripts(anchor_id, status);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,             -- sha256 of the key; the key itself is shown once
    prefix TEXT NOT NULL,                      -- first characters, to tell keys apart in lists
    role TEXT NOT NULL CHECK (role IN ('regulator', 'platform', 'anchor')),
    anchor_id TEXT REFERENCES anchors(id),
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK ((role = 'anchor') = (anchor_id IS NOT NULL))
);

-- Append-only, hash-chained: each row's hash covers its content and the previous row's hash.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
