-- Web UI sessions (issue 13): the browser's cookie holds a random session id, never the API key.
-- The store keeps the id's SHA-256 (a stolen database gives no usable session), the key it
-- stands for, its own CSRF token, and when it expires or was revoked (logout).
CREATE TABLE ui_sessions (
    id INTEGER PRIMARY KEY,
    id_hash TEXT NOT NULL UNIQUE,
    key_id INTEGER NOT NULL REFERENCES api_keys(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX ui_sessions_key ON ui_sessions(key_id);
