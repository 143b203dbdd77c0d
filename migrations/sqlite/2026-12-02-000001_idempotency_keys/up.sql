-- Idempotency-Key answers of POST /v1/phone-numbers/purchase (SPEC §4), shared by every api
-- process on this database. A row without a response is a request still in flight. Rows
-- older than 24 hours are expired: a claim replaces them and drift-sync deletes them.
-- Keep migrations/postgres in step.
CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
