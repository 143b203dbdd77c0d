//! The diesel schema shared by both backends (see [`crate::sql_types`] for the column types
//! that differ underneath, and for `Name`: a `TEXT` column holding a domain type's stable
//! name). Mirrors `migrations/postgres` and `migrations/sqlite`.

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    pricing_tiers (id) {
        id -> Uuid,
        name -> Text,
        quota_phone_numbers -> Integer,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    tenants (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant, Name};

    subscriptions (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        pricing_tier_id -> Uuid,
        status -> Name,
        current_period_end -> Instant,
        canceled_at -> Nullable<Instant>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant, Name};

    channels (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        kind -> Name,
        name -> Text,
        agent_stream_url -> Nullable<Text>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    twilio_accounts (sid) {
        sid -> Text,
        tenant_id -> Nullable<Uuid>,
        kind -> Text,
        sealed_auth_token -> Nullable<Text>,
        key_id -> Nullable<Text>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant, Amount, Name};

    phone_numbers (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        channel_id -> Nullable<Uuid>,
        phone_number -> Name,
        twilio_sid -> Nullable<Text>,
        account_sid -> Text,
        iso_country -> Name,
        number_type -> Name,
        friendly_name -> Nullable<Text>,
        voice_capable -> Bool,
        sms_capable -> Bool,
        mms_capable -> Bool,
        fax_capable -> Bool,
        monthly_price_usd -> Nullable<Amount>,
        status -> Name,
        failure_code -> Nullable<Integer>,
        voice_url -> Nullable<Text>,
        status_callback_url -> Nullable<Text>,
        created_at -> Instant,
        updated_at -> Instant,
        purchased_at -> Nullable<Instant>,
        released_at -> Nullable<Instant>,
        release_reason -> Nullable<Name>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Name;

    regulatory_requirements (iso_country, number_type) {
        iso_country -> Name,
        number_type -> Name,
        bundle_sid -> Nullable<Text>,
        address_sid -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant, Name};

    shared_pool_numbers (id) {
        id -> Uuid,
        tenant_id -> Nullable<Uuid>,
        phone_number -> Name,
        friendly_name -> Nullable<Text>,
        iso_country -> Name,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    call_events (call_sid, status, sequence_number) {
        call_sid -> Text,
        status -> Text,
        sequence_number -> Integer,
        phone_number_id -> Uuid,
        channel_id -> Nullable<Uuid>,
        account_sid -> Text,
        direction -> Nullable<Text>,
        from_number -> Nullable<Text>,
        to_number -> Nullable<Text>,
        duration_seconds -> Nullable<Integer>,
        received_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    calls (call_sid) {
        call_sid -> Text,
        tenant_id -> Uuid,
        phone_number_id -> Uuid,
        channel_id -> Nullable<Uuid>,
        account_sid -> Text,
        direction -> Nullable<Text>,
        from_number -> Nullable<Text>,
        to_number -> Nullable<Text>,
        status -> Text,
        status_rank -> Integer,
        sequence_number -> Integer,
        duration_seconds -> Nullable<Integer>,
        first_seen_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant, Name};

    audit_events (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        phone_number_id -> Nullable<Uuid>,
        actor -> Text,
        action -> Name,
        source -> Name,
        from_status -> Nullable<Name>,
        to_status -> Nullable<Name>,
        detail -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    drift_runs (id) {
        id -> Uuid,
        started_at -> Instant,
        finished_at -> Instant,
        dry_run -> Bool,
        tenants_checked -> Integer,
        tenants_failed -> Integer,
        drift_released -> Integer,
        bulk_released -> Integer,
        adopted -> Integer,
        failed_pending -> Integer,
        orphans -> Integer,
        webhook_drift -> Integer,
        brake_tripped -> Bool,
        duration_ms -> BigInt,
        exit_code -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    idempotency_keys (tenant_id, key) {
        tenant_id -> Uuid,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Instant,
        completed_at -> Nullable<Instant>,
    }
}

diesel::joinable!(subscriptions -> tenants (tenant_id));
diesel::joinable!(subscriptions -> pricing_tiers (pricing_tier_id));
diesel::joinable!(channels -> tenants (tenant_id));
diesel::joinable!(phone_numbers -> tenants (tenant_id));
diesel::joinable!(phone_numbers -> channels (channel_id));
diesel::joinable!(audit_events -> tenants (tenant_id));
diesel::joinable!(calls -> phone_numbers (phone_number_id));

diesel::allow_tables_to_appear_in_same_query!(
    pricing_tiers,
    tenants,
    subscriptions,
    channels,
    twilio_accounts,
    phone_numbers,
    regulatory_requirements,
    shared_pool_numbers,
    call_events,
    calls,
    audit_events,
    drift_runs,
    idempotency_keys,
);
