//! Rows as stored, and the domain records the repositories hand out.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use numbers_domain::{
    AuditSource, Capabilities, ChannelId, ChannelKind, E164, IsoCountry, Money, NumberStatus,
    NumberType, PhoneNumberId, PlanId, ReleaseReason, SubscriptionId, SubscriptionStatus, TenantId,
};

use crate::error::{StoreError, StoreResult};
use crate::schema::{audit_events, channels, phone_numbers, pricing_tiers, subscriptions, tenants};
use crate::sql_types::{DbMoney, DbParsed, DbTime, DbUuid};

/// Reads a stored name into a domain type, or reports the row as corrupt.
pub(crate) fn parse_stored<T: std::str::FromStr>(column: &str, value: &str) -> StoreResult<T> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} holds {value:?}")))
}

/// A stored price as money, or the row reported as corrupt.
fn stored_price(stored: Option<DbMoney>) -> StoreResult<Option<Money>> {
    stored
        .map(|m| Money::new(m.0))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("monthly_price_usd: {e}")))
}

/// A tenant: one customer organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub(crate) struct TenantRow {
    pub id: DbUuid,
    pub name: String,
    pub created_at: DbTime,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Self {
        Self {
            id: TenantId::from_uuid(row.id.0),
            name: row.name,
            created_at: row.created_at.0,
        }
    }
}

/// A plan (pricing tier) and its quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Its id.
    pub id: PlanId,
    /// Unique name, e.g. `starter`.
    pub name: String,
    /// How many live phone numbers a tenant on this plan may hold.
    pub quota_phone_numbers: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = pricing_tiers)]
pub(crate) struct PlanRow {
    pub id: DbUuid,
    pub name: String,
    pub quota_phone_numbers: i32,
    pub created_at: DbTime,
}

impl TryFrom<PlanRow> for Plan {
    type Error = StoreError;

    fn try_from(row: PlanRow) -> StoreResult<Self> {
        Ok(Self {
            id: PlanId::from_uuid(row.id.0),
            name: row.name,
            quota_phone_numbers: u32::try_from(row.quota_phone_numbers).map_err(|_| {
                StoreError::Corrupt(format!(
                    "quota_phone_numbers is {}",
                    row.quota_phone_numbers
                ))
            })?,
            created_at: row.created_at.0,
        })
    }
}

/// A tenant's subscription to a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The subscribing tenant.
    pub tenant_id: TenantId,
    /// The plan subscribed to.
    pub plan_id: PlanId,
    /// Current status.
    pub status: SubscriptionStatus,
    /// End of the paid period.
    pub current_period_end: DateTime<Utc>,
    /// When the cancellation takes (or took) effect, if canceled.
    pub canceled_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = subscriptions)]
pub(crate) struct SubscriptionRow {
    pub id: DbUuid,
    pub tenant_id: DbUuid,
    pub pricing_tier_id: DbUuid,
    pub status: String,
    pub current_period_end: DbTime,
    pub canceled_at: Option<DbTime>,
    pub created_at: DbTime,
}

impl TryFrom<SubscriptionRow> for Subscription {
    type Error = StoreError;

    fn try_from(row: SubscriptionRow) -> StoreResult<Self> {
        Ok(Self {
            id: SubscriptionId::from_uuid(row.id.0),
            tenant_id: TenantId::from_uuid(row.tenant_id.0),
            plan_id: PlanId::from_uuid(row.pricing_tier_id.0),
            status: parse_stored("subscriptions.status", &row.status)?,
            current_period_end: row.current_period_end.0,
            canceled_at: row.canceled_at.map(|t| t.0),
            created_at: row.created_at.0,
        })
    }
}

/// A channel of a tenant; voice channels can have numbers attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Its id.
    pub id: ChannelId,
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// Voice or another kind.
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Where inbound calls are connected (a WebSocket URL), if set.
    pub agent_stream_url: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = channels)]
pub(crate) struct ChannelRow {
    pub id: DbUuid,
    pub tenant_id: DbUuid,
    pub kind: String,
    pub name: String,
    pub agent_stream_url: Option<String>,
    pub created_at: DbTime,
}

impl From<ChannelRow> for Channel {
    fn from(row: ChannelRow) -> Self {
        Self {
            id: ChannelId::from_uuid(row.id.0),
            tenant_id: TenantId::from_uuid(row.tenant_id.0),
            kind: ChannelKind::from_name(&row.kind),
            name: row.name,
            agent_stream_url: row.agent_stream_url,
            created_at: row.created_at.0,
        }
    }
}

/// One phone number row: one purchase of a number by a tenant, from reservation to release.
#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = phone_numbers)]
pub(crate) struct PhoneNumberRow {
    pub id: DbUuid,
    pub tenant_id: DbUuid,
    pub channel_id: Option<DbUuid>,
    pub phone_number: String,
    pub twilio_sid: Option<String>,
    pub account_sid: String,
    pub iso_country: String,
    pub number_type: String,
    pub friendly_name: Option<String>,
    pub voice_capable: bool,
    pub sms_capable: bool,
    pub mms_capable: bool,
    pub fax_capable: bool,
    pub monthly_price_usd: Option<DbMoney>,
    pub status: String,
    pub failure_code: Option<i32>,
    pub voice_url: Option<String>,
    pub status_callback_url: Option<String>,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub purchased_at: Option<DbTime>,
    pub released_at: Option<DbTime>,
    pub release_reason: Option<String>,
}

impl TryFrom<PhoneNumberRow> for PhoneNumberRecord {
    type Error = StoreError;

    fn try_from(row: PhoneNumberRow) -> StoreResult<Self> {
        Ok(Self {
            id: PhoneNumberId::from_uuid(row.id.0),
            tenant_id: TenantId::from_uuid(row.tenant_id.0),
            channel_id: row.channel_id.map(|c| ChannelId::from_uuid(c.0)),
            phone_number: parse_stored("phone_numbers.phone_number", &row.phone_number)?,
            twilio_sid: row.twilio_sid,
            account_sid: row.account_sid,
            iso_country: parse_stored("phone_numbers.iso_country", &row.iso_country)?,
            number_type: parse_stored("phone_numbers.number_type", &row.number_type)?,
            friendly_name: row.friendly_name,
            capabilities: Capabilities {
                voice: row.voice_capable,
                sms: row.sms_capable,
                mms: row.mms_capable,
                fax: row.fax_capable,
            },
            monthly_price_usd: stored_price(row.monthly_price_usd)?,
            status: parse_stored("phone_numbers.status", &row.status)?,
            failure_code: row.failure_code,
            voice_url: row.voice_url,
            status_callback_url: row.status_callback_url,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
            purchased_at: row.purchased_at.map(|t| t.0),
            released_at: row.released_at.map(|t| t.0),
            release_reason: row.release_reason.as_deref().map(ReleaseReason::from_name),
        })
    }
}

/// What a tenant's list shows of a number: the record without the owner, Twilio's sids,
/// the webhook URLs and `updated_at`. [`crate::repo::phone_numbers::PhoneNumbers::list_for_tenant`]
/// reads only these columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumberSummary {
    /// Its id.
    pub id: PhoneNumberId,
    /// The voice channel it is attached to, if any.
    pub channel_id: Option<ChannelId>,
    /// The number.
    pub phone_number: E164,
    /// Its country.
    pub iso_country: IsoCountry,
    /// Local, toll-free or mobile.
    pub number_type: NumberType,
    /// Twilio's friendly name.
    pub friendly_name: Option<String>,
    /// What it can do.
    pub capabilities: Capabilities,
    /// The monthly price paid, in USD.
    pub monthly_price_usd: Option<Money>,
    /// Where it is in its lifecycle.
    pub status: NumberStatus,
    /// Twilio's error code when the purchase was refused.
    pub failure_code: Option<i32>,
    /// When the row was created (the reservation).
    pub created_at: DateTime<Utc>,
    /// When Twilio confirmed the purchase.
    pub purchased_at: Option<DateTime<Utc>>,
    /// When it was released.
    pub released_at: Option<DateTime<Utc>>,
    /// Why it was released.
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

/// The columns of [`PhoneNumberSummary`], parsed as they are read.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = phone_numbers)]
pub(crate) struct PhoneNumberSummaryRow {
    pub id: DbUuid,
    pub channel_id: Option<DbUuid>,
    pub phone_number: DbParsed<E164>,
    pub iso_country: DbParsed<IsoCountry>,
    pub number_type: DbParsed<NumberType>,
    pub friendly_name: Option<String>,
    pub voice_capable: bool,
    pub sms_capable: bool,
    pub mms_capable: bool,
    pub fax_capable: bool,
    pub monthly_price_usd: Option<DbMoney>,
    pub status: DbParsed<NumberStatus>,
    pub failure_code: Option<i32>,
    pub created_at: DbTime,
    pub purchased_at: Option<DbTime>,
    pub released_at: Option<DbTime>,
    pub release_reason: Option<String>,
}

impl TryFrom<PhoneNumberSummaryRow> for PhoneNumberSummary {
    type Error = StoreError;

    fn try_from(row: PhoneNumberSummaryRow) -> StoreResult<Self> {
        Ok(Self {
            id: PhoneNumberId::from_uuid(row.id.0),
            channel_id: row.channel_id.map(|c| ChannelId::from_uuid(c.0)),
            phone_number: row.phone_number.0,
            iso_country: row.iso_country.0,
            number_type: row.number_type.0,
            friendly_name: row.friendly_name,
            capabilities: Capabilities {
                voice: row.voice_capable,
                sms: row.sms_capable,
                mms: row.mms_capable,
                fax: row.fax_capable,
            },
            monthly_price_usd: stored_price(row.monthly_price_usd)?,
            status: row.status.0,
            failure_code: row.failure_code,
            created_at: row.created_at.0,
            purchased_at: row.purchased_at.map(|t| t.0),
            released_at: row.released_at.map(|t| t.0),
            release_reason: row.release_reason.as_deref().map(ReleaseReason::from_name),
        })
    }
}

/// One audit event: who did what to which number, when, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its id.
    pub id: uuid::Uuid,
    /// The tenant concerned.
    pub tenant_id: TenantId,
    /// The number concerned, if any.
    pub phone_number_id: Option<PhoneNumberId>,
    /// Who did it: a user id (the token's `sub`) or a system name.
    pub actor: String,
    /// What was done, e.g. `purchase.reserved`.
    pub action: String,
    /// Which part of the system did it.
    pub source: AuditSource,
    /// Status before, for transitions.
    pub from_status: Option<NumberStatus>,
    /// Status after, for transitions.
    pub to_status: Option<NumberStatus>,
    /// Free-form detail (JSON text), never secrets.
    pub detail: Option<String>,
    /// The HTTP request id, when it came from the API.
    pub request_id: Option<String>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub(crate) struct AuditEventRow {
    pub id: DbUuid,
    pub tenant_id: DbUuid,
    pub phone_number_id: Option<DbUuid>,
    pub actor: String,
    pub action: String,
    pub source: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DbTime,
}

impl TryFrom<AuditEventRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(row: AuditEventRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.0,
            tenant_id: TenantId::from_uuid(row.tenant_id.0),
            phone_number_id: row.phone_number_id.map(|p| PhoneNumberId::from_uuid(p.0)),
            actor: row.actor,
            action: row.action,
            source: AuditSource::parse(&row.source).ok_or_else(|| {
                StoreError::Corrupt(format!("audit_events.source holds {:?}", row.source))
            })?,
            from_status: row
                .from_status
                .as_deref()
                .map(|s| parse_stored("audit_events.from_status", s))
                .transpose()?,
            to_status: row
                .to_status
                .as_deref()
                .map(|s| parse_stored("audit_events.to_status", s))
                .transpose()?,
            detail: row.detail,
            request_id: row.request_id,
            created_at: row.created_at.0,
        })
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
}

/// What the platform attaches when buying a regulated (country, type) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegulatoryRequirement {
    /// The country.
    pub iso_country: IsoCountry,
    /// The number type.
    pub number_type: NumberType,
    /// The approved regulatory bundle (`BU…`), if any.
    pub bundle_sid: Option<String>,
    /// The address on file (`AD…`), if any.
    pub address_sid: Option<String>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::regulatory_requirements)]
pub(crate) struct RegulatoryRow {
    pub iso_country: String,
    pub number_type: String,
    pub bundle_sid: Option<String>,
    pub address_sid: Option<String>,
}

impl From<&RegulatoryRequirement> for RegulatoryRow {
    fn from(r: &RegulatoryRequirement) -> Self {
        Self {
            iso_country: r.iso_country.as_str().to_owned(),
            number_type: r.number_type.as_str().to_owned(),
            bundle_sid: r.bundle_sid.clone(),
            address_sid: r.address_sid.clone(),
        }
    }
}

impl TryFrom<RegulatoryRow> for RegulatoryRequirement {
    type Error = StoreError;

    fn try_from(row: RegulatoryRow) -> StoreResult<Self> {
        Ok(Self {
            iso_country: parse_stored("regulatory_requirements.iso_country", &row.iso_country)?,
            number_type: parse_stored("regulatory_requirements.number_type", &row.number_type)?,
            bundle_sid: row.bundle_sid,
            address_sid: row.address_sid,
        })
    }
}

/// A number of the legacy shared pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPoolNumber {
    /// Its id.
    pub id: uuid::Uuid,
    /// The tenant it is assigned to, if any.
    pub tenant_id: Option<TenantId>,
    /// The number.
    pub phone_number: E164,
    /// Display name.
    pub friendly_name: Option<String>,
    /// Its country.
    pub iso_country: IsoCountry,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::shared_pool_numbers)]
pub(crate) struct SharedPoolRow {
    pub id: DbUuid,
    pub tenant_id: Option<DbUuid>,
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub iso_country: String,
    pub created_at: DbTime,
}

impl TryFrom<SharedPoolRow> for SharedPoolNumber {
    type Error = StoreError;

    fn try_from(row: SharedPoolRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id.0,
            tenant_id: row.tenant_id.map(|t| TenantId::from_uuid(t.0)),
            phone_number: parse_stored("shared_pool_numbers.phone_number", &row.phone_number)?,
            friendly_name: row.friendly_name,
            iso_country: parse_stored("shared_pool_numbers.iso_country", &row.iso_country)?,
            created_at: row.created_at.0,
        })
    }
}

/// A Twilio account known to the database, with its auth token sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::twilio_accounts)]
pub(crate) struct TwilioAccountRow {
    pub sid: String,
    pub tenant_id: Option<DbUuid>,
    pub kind: String,
    pub sealed_auth_token: Option<String>,
    pub key_id: Option<String>,
    pub created_at: DbTime,
}

impl From<&TwilioAccount> for TwilioAccountRow {
    fn from(a: &TwilioAccount) -> Self {
        Self {
            sid: a.sid.clone(),
            tenant_id: a.tenant_id.map(|t| DbUuid(t.as_uuid())),
            kind: a.kind.clone(),
            sealed_auth_token: a.sealed_auth_token.clone(),
            key_id: a.key_id.clone(),
            created_at: DbTime(crate::repo::stored(a.created_at)),
        }
    }
}

impl TryFrom<TwilioAccountRow> for TwilioAccount {
    type Error = StoreError;

    fn try_from(row: TwilioAccountRow) -> StoreResult<Self> {
        Ok(Self {
            sid: row.sid,
            tenant_id: row.tenant_id.map(|t| TenantId::from_uuid(t.0)),
            kind: row.kind,
            sealed_auth_token: row.sealed_auth_token,
            key_id: row.key_id,
            created_at: row.created_at.0,
        })
    }
}
