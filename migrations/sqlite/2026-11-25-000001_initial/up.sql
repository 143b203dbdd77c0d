-- The data model of SPEC §4 on SQLite: UUIDs, UTC timestamps (RFC 3339, fixed width) and
-- money (exact decimal strings) are TEXT.
-- Keep migrations/postgres in step: a test compares the logical schemas of both.

CREATE TABLE pricing_tiers (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    quota_phone_numbers INTEGER NOT NULL CHECK (quota_phone_numbers >= 0),
    created_at TEXT NOT NULL
);

CREATE TABLE tenants (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE subscriptions (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    pricing_tier_id TEXT NOT NULL REFERENCES pricing_tiers (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'trialing', 'past_due', 'canceled')),
    current_period_end TEXT NOT NULL,
    canceled_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX subscriptions_tenant_idx ON subscriptions (tenant_id);
CREATE INDEX subscriptions_canceled_idx ON subscriptions (canceled_at) WHERE status = 'canceled';

CREATE TABLE channels (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    agent_stream_url TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX channels_tenant_idx ON channels (tenant_id);

CREATE TABLE twilio_accounts (
    sid TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (id),
    kind TEXT NOT NULL CHECK (kind IN ('master', 'subaccount', 'tenant')),
    sealed_auth_token TEXT,
    key_id TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE phone_numbers (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    channel_id TEXT REFERENCES channels (id),
    phone_number TEXT NOT NULL,
    twilio_sid TEXT,
    account_sid TEXT NOT NULL,
    iso_country TEXT NOT NULL,
    number_type TEXT NOT NULL CHECK (number_type IN ('local', 'toll_free', 'mobile')),
    friendly_name TEXT,
    voice_capable BOOLEAN NOT NULL,
    sms_capable BOOLEAN NOT NULL,
    mms_capable BOOLEAN NOT NULL,
    fax_capable BOOLEAN NOT NULL,
    monthly_price_usd TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'releasing', 'released', 'failed')),
    failure_code INTEGER,
    voice_url TEXT,
    status_callback_url TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    purchased_at TEXT,
    released_at TEXT,
    release_reason TEXT
);
-- SPEC §4: at most one row per phone number in a non-final status, enforced here.
CREATE UNIQUE INDEX phone_numbers_one_live_row
    ON phone_numbers (phone_number) WHERE status IN ('pending', 'active', 'releasing');
CREATE UNIQUE INDEX phone_numbers_twilio_sid_key
    ON phone_numbers (twilio_sid) WHERE twilio_sid IS NOT NULL;
CREATE INDEX phone_numbers_tenant_status_idx ON phone_numbers (tenant_id, status);
CREATE INDEX phone_numbers_live_status_idx
    ON phone_numbers (status, created_at) WHERE status IN ('pending', 'active', 'releasing');

CREATE TABLE regulatory_requirements (
    iso_country TEXT NOT NULL,
    number_type TEXT NOT NULL CHECK (number_type IN ('local', 'toll_free', 'mobile')),
    bundle_sid TEXT,
    address_sid TEXT,
    PRIMARY KEY (iso_country, number_type)
);

CREATE TABLE shared_pool_numbers (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (id),
    phone_number TEXT NOT NULL UNIQUE,
    friendly_name TEXT,
    iso_country TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX shared_pool_numbers_tenant_idx ON shared_pool_numbers (tenant_id);

CREATE TABLE call_events (
    call_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    channel_id TEXT REFERENCES channels (id),
    account_sid TEXT,
    direction TEXT,
    from_number TEXT,
    to_number TEXT,
    duration_seconds INTEGER,
    received_at TEXT NOT NULL,
    PRIMARY KEY (call_sid, status)
);

CREATE TABLE audit_events (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    phone_number_id TEXT REFERENCES phone_numbers (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('api', 'drift_sync', 'cancellation')),
    from_status TEXT,
    to_status TEXT,
    detail TEXT,
    request_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX audit_events_tenant_idx ON audit_events (tenant_id, created_at);
CREATE INDEX audit_events_number_idx ON audit_events (phone_number_id);

CREATE TABLE drift_runs (
    id TEXT NOT NULL PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    tenants_checked INTEGER NOT NULL,
    tenants_failed INTEGER NOT NULL,
    drift_released INTEGER NOT NULL,
    bulk_released INTEGER NOT NULL,
    adopted INTEGER NOT NULL,
    failed_pending INTEGER NOT NULL,
    orphans INTEGER NOT NULL,
    webhook_drift INTEGER NOT NULL,
    brake_tripped BOOLEAN NOT NULL,
    duration_ms BIGINT NOT NULL,
    exit_code INTEGER NOT NULL
);
