-- Fails while operator events exist: they are history, not to be dropped silently.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_source_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_source_check
    CHECK (source IN ('api', 'drift_sync', 'cancellation'));
