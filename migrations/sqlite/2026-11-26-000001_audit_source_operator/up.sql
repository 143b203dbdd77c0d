-- Audit events may come from an operator's command (`api` subcommands, adopting an orphan),
-- not only from the API, drift-sync and the cancellation release. SQLite cannot alter a
-- CHECK constraint, so the table is rebuilt (nothing references it). Keep
-- migrations/postgres in step.
CREATE TABLE audit_events_rebuilt (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    phone_number_id TEXT REFERENCES phone_numbers (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('api', 'drift_sync', 'cancellation', 'operator')),
    from_status TEXT,
    to_status TEXT,
    detail TEXT,
    request_id TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO audit_events_rebuilt SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_tenant_idx ON audit_events (tenant_id, created_at);
CREATE INDEX audit_events_number_idx ON audit_events (phone_number_id);
