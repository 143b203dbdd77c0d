-- Idempotency-Key answers of POST /v1/phone-numbers/purchase (SPEC §4), shared by every api
-- process on this database. A row without a response is a request still in flight. Rows
-- older than 24 hours are expired: a claim replaces them and drift-sync deletes them.
-- Keep migrations/sqlite in step.
CREATE TABLE idempotency_keys (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
