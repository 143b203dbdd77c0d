-- Calls reaching the webhooks (SPEC §4, §7). The first table was never written to, and its
-- key lacked Twilio's SequenceNumber; it is replaced. Keep migrations/postgres in step.
DROP TABLE call_events;

-- Every verified status callback of a call, once: a repeated callback (same call, status
-- and SequenceNumber) stores nothing new, while later statuses of the call are all kept.
CREATE TABLE call_events (
    call_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    phone_number_id TEXT NOT NULL REFERENCES phone_numbers (id),
    channel_id TEXT REFERENCES channels (id),
    account_sid TEXT NOT NULL,
    direction TEXT,
    from_number TEXT,
    to_number TEXT,
    duration_seconds INTEGER,
    received_at TEXT NOT NULL,
    PRIMARY KEY (call_sid, status, sequence_number)
);

-- One row per call with its latest status: an event replaces it only when it is later
-- (status_rank, then sequence_number), so callbacks arriving out of order never move a
-- call backwards. What GET /v1/phone-numbers/{id}/calls lists.
CREATE TABLE calls (
    call_sid TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    phone_number_id TEXT NOT NULL REFERENCES phone_numbers (id),
    channel_id TEXT REFERENCES channels (id),
    account_sid TEXT NOT NULL,
    direction TEXT,
    from_number TEXT,
    to_number TEXT,
    status TEXT NOT NULL,
    status_rank INTEGER NOT NULL,
    sequence_number INTEGER NOT NULL,
    duration_seconds INTEGER,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX calls_phone_number_idx ON calls (phone_number_id, first_seen_at, call_sid);
