-- Audit events may come from an operator's command (`api` subcommands, adopting an orphan),
-- not only from the API, drift-sync and the cancellation release.
-- Keep migrations/sqlite in step.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_source_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_source_check
    CHECK (source IN ('api', 'drift_sync', 'cancellation', 'operator'));
