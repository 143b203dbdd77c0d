DROP TABLE calls;
DROP TABLE call_events;
CREATE TABLE call_events (
    call_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    channel_id UUID REFERENCES channels (id),
    account_sid TEXT,
    direction TEXT,
    from_number TEXT,
    to_number TEXT,
    duration_seconds INTEGER,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (call_sid, status)
);
