//! The records the repositories hand out. Each is also its table's diesel row: its fields are
//! domain types, read and written through the column types of [`crate::sql_types`] (written
//! through [`Bind`], see there why).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use numbers_domain::{
    AuditAction, AuditSource, Capabilities, ChannelId, ChannelKind, E164, IsoCountry, Money,
    NumberStatus, NumberType, PhoneNumberId, PlanId, ReleaseReason, SubscriptionId,
    SubscriptionStatus, TenantId,
};

use crate::schema::{
    audit_events, calls, channels, phone_numbers, pricing_tiers, regulatory_requirements,
    shared_pool_numbers, subscriptions, tenants, twilio_accounts,
};
use crate::sql_types::Bind;

/// A tenant: one customer organisation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Tenant {
    /// Its id.
    #[diesel(serialize_as = Bind<TenantId>)]
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// When it was created.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub created_at: DateTime<Utc>,
}

/// A plan (pricing tier) and its quota.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pricing_tiers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Plan {
    /// Its id.
    pub id: PlanId,
    /// Unique name, e.g. `starter`.
    pub name: String,
    /// How many live phone numbers a tenant on this plan may hold.
    #[diesel(deserialize_as = i32)]
    pub quota_phone_numbers: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A tenant's subscription to a plan.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = subscriptions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Subscription {
    /// Its id.
    #[diesel(serialize_as = Bind<SubscriptionId>)]
    pub id: SubscriptionId,
    /// The subscribing tenant.
    #[diesel(serialize_as = Bind<TenantId>)]
    pub tenant_id: TenantId,
    /// The plan subscribed to.
    #[diesel(column_name = pricing_tier_id)]
    #[diesel(serialize_as = Bind<PlanId>)]
    pub plan_id: PlanId,
    /// Current status.
    #[diesel(serialize_as = Bind<SubscriptionStatus>)]
    pub status: SubscriptionStatus,
    /// End of the paid period.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub current_period_end: DateTime<Utc>,
    /// When the cancellation takes (or took) effect, if canceled.
    pub canceled_at: Option<DateTime<Utc>>,
    /// When it was created.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub created_at: DateTime<Utc>,
}

/// A channel of a tenant; voice channels can have numbers attached.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = channels, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct Channel {
    /// Its id.
    #[diesel(serialize_as = Bind<ChannelId>)]
    pub id: ChannelId,
    /// The owning tenant.
    #[diesel(serialize_as = Bind<TenantId>)]
    pub tenant_id: TenantId,
    /// Voice or another kind.
    #[diesel(serialize_as = Bind<ChannelKind>)]
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Where inbound calls are connected (a WebSocket URL), if set.
    pub agent_stream_url: Option<String>,
    /// When it was created.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub created_at: DateTime<Utc>,
}

/// The four capability columns of `phone_numbers`, read together into [`Capabilities`].
#[derive(Debug, Queryable)]
pub struct CapabilityColumns {
    voice: bool,
    sms: bool,
    mms: bool,
    fax: bool,
}

impl From<CapabilityColumns> for Capabilities {
    fn from(c: CapabilityColumns) -> Self {
        Self {
            voice: c.voice,
            sms: c.sms,
            mms: c.mms,
            fax: c.fax,
        }
    }
}

/// The selection of [`CapabilityColumns`].
pub(crate) type SelectCapabilities = (
    phone_numbers::voice_capable,
    phone_numbers::sms_capable,
    phone_numbers::mms_capable,
    phone_numbers::fax_capable,
);

/// The capability columns set to given values.
pub(crate) type SetCapabilities = (
    diesel::dsl::Eq<phone_numbers::voice_capable, bool>,
    diesel::dsl::Eq<phone_numbers::sms_capable, bool>,
    diesel::dsl::Eq<phone_numbers::mms_capable, bool>,
    diesel::dsl::Eq<phone_numbers::fax_capable, bool>,
);

/// The capability columns set to `capabilities`, for an insert or an update.
pub(crate) fn capability_values(capabilities: Capabilities) -> SetCapabilities {
    (
        phone_numbers::voice_capable.eq(capabilities.voice),
        phone_numbers::sms_capable.eq(capabilities.sms),
        phone_numbers::mms_capable.eq(capabilities.mms),
        phone_numbers::fax_capable.eq(capabilities.fax),
    )
}

/// One phone number row: one purchase of a number by a tenant, from reservation to release.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = phone_numbers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct PhoneNumberRecord {
    /// Its id.
    pub id: PhoneNumberId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// The voice channel it is attached to, if any.
    pub channel_id: Option<ChannelId>,
    /// The number.
    pub phone_number: E164,
    /// Twilio's `PN…` sid, once bought.
    pub twilio_sid: Option<String>,
    /// The Twilio account that owns it.
    pub account_sid: String,
    /// Its country.
    pub iso_country: IsoCountry,
    /// Local, toll-free or mobile.
    pub number_type: NumberType,
    /// Twilio's friendly name.
    pub friendly_name: Option<String>,
    /// What it can do.
    #[diesel(
        select_expression = (phone_numbers::voice_capable, phone_numbers::sms_capable, phone_numbers::mms_capable, phone_numbers::fax_capable),
        select_expression_type = SelectCapabilities,
        deserialize_as = CapabilityColumns
    )]
    pub capabilities: Capabilities,
    /// The monthly price paid, in USD.
    pub monthly_price_usd: Option<Money>,
    /// Where it is in its lifecycle.
    pub status: NumberStatus,
    /// Twilio's error code when the purchase was refused.
    pub failure_code: Option<i32>,
    /// The voice webhook URL we last wrote on Twilio.
    pub voice_url: Option<String>,
    /// The status callback URL we last wrote on Twilio.
    pub status_callback_url: Option<String>,
    /// When the row was created (the reservation).
    pub created_at: DateTime<Utc>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
    /// When Twilio confirmed the purchase.
    pub purchased_at: Option<DateTime<Utc>>,
    /// When it was released.
    pub released_at: Option<DateTime<Utc>>,
    /// Why it was released.
    pub release_reason: Option<ReleaseReason>,
}

// The list endpoint reads this rather than the record: leaving out the owner, Twilio's sids,
// the webhook URLs and `updated_at` (six columns, four of them strings to allocate per row)
// was a measured part of bringing the list to its benchmark goal (docs/benchmarks.md).
/// What a tenant's list shows of a number: the [`PhoneNumberRecord`] fields of the same names.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = phone_numbers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[expect(
    missing_docs,
    reason = "each field is the PhoneNumberRecord field of the same name"
)]
pub struct PhoneNumberSummary {
    pub id: PhoneNumberId,
    pub channel_id: Option<ChannelId>,
    pub phone_number: E164,
    pub iso_country: IsoCountry,
    pub number_type: NumberType,
    pub friendly_name: Option<String>,
    #[diesel(
        select_expression = (phone_numbers::voice_capable, phone_numbers::sms_capable, phone_numbers::mms_capable, phone_numbers::fax_capable),
        select_expression_type = SelectCapabilities,
        deserialize_as = CapabilityColumns
    )]
    pub capabilities: Capabilities,
    pub monthly_price_usd: Option<Money>,
    pub status: NumberStatus,
    pub failure_code: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub purchased_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    pub release_reason: Option<ReleaseReason>,
}

impl From<PhoneNumberRecord> for PhoneNumberSummary {
    fn from(r: PhoneNumberRecord) -> Self {
        Self {
            id: r.id,
            channel_id: r.channel_id,
            phone_number: r.phone_number,
            iso_country: r.iso_country,
            number_type: r.number_type,
            friendly_name: r.friendly_name,
            capabilities: r.capabilities,
            monthly_price_usd: r.monthly_price_usd,
            status: r.status,
            failure_code: r.failure_code,
            created_at: r.created_at,
            purchased_at: r.purchased_at,
            released_at: r.released_at,
            release_reason: r.release_reason,
        }
    }
}

/// One audit event: who did what to which number, when, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditEvent {
    /// Its id.
    #[diesel(serialize_as = Bind<uuid::Uuid>)]
    pub id: uuid::Uuid,
    /// The tenant concerned.
    #[diesel(serialize_as = Bind<TenantId>)]
    pub tenant_id: TenantId,
    /// The number concerned, if any.
    pub phone_number_id: Option<PhoneNumberId>,
    /// Who did it: a user id (the token's `sub`) or a system name.
    pub actor: String,
    /// What was done.
    #[diesel(serialize_as = Bind<AuditAction>)]
    pub action: AuditAction,
    /// Which part of the system did it.
    #[diesel(serialize_as = Bind<AuditSource>)]
    pub source: AuditSource,
    /// Status before, for transitions.
    pub from_status: Option<NumberStatus>,
    /// Status after, for transitions.
    pub to_status: Option<NumberStatus>,
    /// What else there is to say, stored as JSON; never secrets or full phone numbers.
    pub detail: Option<AuditDetail>,
    /// The HTTP request id, when it came from the API.
    pub request_id: Option<String>,
    /// When it happened.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub created_at: DateTime<Utc>,
}

/// The detail of an audit event, stored as a JSON object with the fields that are set. New
/// fields may be added; readers ignore fields they do not know.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct AuditDetail {
    /// The channel a number was attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// Twilio's error code, when Twilio refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_code: Option<i32>,
    /// For a subscription cancellation: whether it took effect at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immediate: Option<bool>,
}

impl AuditDetail {
    /// `None` when nothing is set, so an event without detail stores `NULL`.
    #[must_use]
    pub fn or_none(self) -> Option<Self> {
        (self != Self::default()).then_some(self)
    }
}

/// Who is making a change, recorded in the audit event it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A user id (the token's `sub`) or a system name such as `drift-sync`.
    pub name: String,
    /// Which part of the system acts.
    pub source: AuditSource,
    /// The HTTP request id, when there is one.
    pub request_id: Option<String>,
}

impl Actor {
    /// A user acting through the API.
    #[must_use]
    pub fn api(user: impl Into<String>, request_id: Option<String>) -> Self {
        Self {
            name: user.into(),
            source: AuditSource::Api,
            request_id,
        }
    }

    /// The drift-sync job.
    #[must_use]
    pub fn drift_sync() -> Self {
        Self {
            name: "drift-sync".into(),
            source: AuditSource::DriftSync,
            request_id: None,
        }
    }

    /// The release that follows a subscription cancellation.
    #[must_use]
    pub fn cancellation() -> Self {
        Self {
            name: "cancellation".into(),
            source: AuditSource::Cancellation,
            request_id: None,
        }
    }

    /// An operator running a command, named by `who` (e.g. the system user).
    #[must_use]
    pub fn operator(who: impl Into<String>) -> Self {
        Self {
            name: who.into(),
            source: AuditSource::Operator,
            request_id: None,
        }
    }
}

/// What the platform attaches when buying a regulated (country, type) pair.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = regulatory_requirements, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct RegulatoryRequirement {
    /// The country.
    #[diesel(serialize_as = Bind<IsoCountry>)]
    pub iso_country: IsoCountry,
    /// The number type.
    #[diesel(serialize_as = Bind<NumberType>)]
    pub number_type: NumberType,
    /// The approved regulatory bundle (`BU…`), if any.
    pub bundle_sid: Option<String>,
    /// The address on file (`AD…`), if any.
    pub address_sid: Option<String>,
}

/// A number of the legacy shared pool.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = shared_pool_numbers, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct SharedPoolNumber {
    /// Its id.
    #[diesel(serialize_as = Bind<uuid::Uuid>)]
    pub id: uuid::Uuid,
    /// The tenant it is assigned to, if any.
    pub tenant_id: Option<TenantId>,
    /// The number.
    #[diesel(serialize_as = Bind<E164>)]
    pub phone_number: E164,
    /// Display name.
    pub friendly_name: Option<String>,
    /// Its country.
    #[diesel(serialize_as = Bind<IsoCountry>)]
    pub iso_country: IsoCountry,
    /// When it was added.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub created_at: DateTime<Utc>,
}

/// A Twilio account known to the database, with its auth token sealed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = twilio_accounts, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_default_value = false)]
pub struct TwilioAccount {
    /// The `AC…` sid.
    pub sid: String,
    /// The tenant it belongs to, if any.
    pub tenant_id: Option<TenantId>,
    /// `master`, `subaccount` or `tenant`.
    pub kind: String,
    /// The sealed auth token (base64 of the sealed blob), if stored.
    pub sealed_auth_token: Option<String>,
    /// Id of the key that sealed it.
    pub key_id: Option<String>,
    /// When it was recorded.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub created_at: DateTime<Utc>,
}

/// One call to a number, with its latest status (`calls`).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = calls, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct CallRecord {
    /// Twilio's `CallSid`.
    pub call_sid: String,
    /// The tenant owning the called number.
    pub tenant_id: TenantId,
    /// The called number's row.
    pub phone_number_id: PhoneNumberId,
    /// The channel the number was attached to when the call came.
    pub channel_id: Option<ChannelId>,
    /// The account owning the number.
    pub account_sid: String,
    /// `inbound`, `outbound-api`, …
    pub direction: Option<String>,
    /// Caller.
    pub from_number: Option<String>,
    /// Called number.
    pub to_number: Option<String>,
    /// The latest status (`ringing`, `in-progress`, `completed`, …).
    pub status: String,
    /// Its rank in a call's progress.
    pub status_rank: i32,
    /// Its `SequenceNumber`.
    pub sequence_number: i32,
    /// Duration in seconds, once Twilio reported it.
    pub duration_seconds: Option<i32>,
    /// When the first event of the call arrived.
    pub first_seen_at: DateTime<Utc>,
    /// When its latest status arrived.
    pub updated_at: DateTime<Utc>,
}
