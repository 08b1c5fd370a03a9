-- Webhooks for platforms: subscriptions, and the outbox of deliveries with every attempt.
-- A delivery row is written in the same transaction as the change that caused it, so an event
-- is recorded exactly when that change commits; the delivery worker sends what is due.

CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,                     -- JSON list of event types
    platform TEXT,                            -- only anchors with an account on this platform
    secret TEXT NOT NULL,                     -- kept as is: it signs every delivery
    owner_key_id INTEGER REFERENCES api_keys(id),
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    deactivated_at TEXT
);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions(owner_key_id);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions(id),
    event_id TEXT NOT NULL,                   -- the same for every subscription the event reached
    event_type TEXT NOT NULL,
    anchor_id TEXT,
    body TEXT NOT NULL,                       -- the exact JSON sent (and signed) on every attempt
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,                     -- ISO-8601 with milliseconds; while 'sending': lease end
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries(subscription_id, id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id),
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    http_status INTEGER,                      -- NULL when no response came (timeout, refused)
    error TEXT,                               -- NULL when the receiver answered 2xx
    duration_ms REAL NOT NULL,
    UNIQUE (delivery_id, attempt)
);
