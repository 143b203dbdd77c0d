//! Phone numbers: the quota-checked reservation, lifecycle transitions and lookups.
//!
//! Every change of status goes through [`PhoneNumbers::transition`], which checks the
//! lifecycle of [`NumberStatus`], applies the change only if nobody changed the row in the
//! meantime, and writes the audit event in the same transaction.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{
    Capabilities, ChannelId, E164, IsoCountry, Money, NumberStatus, NumberType, PhoneNumberId,
    QuotaDecision, ReleaseReason, TenantId, check_quota,
};

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::models::{
    Actor, AuditEventRow, PhoneNumberRecord, PhoneNumberRow, PhoneNumberSummary,
    PhoneNumberSummaryRow,
};
use crate::schema::{audit_events, phone_numbers, pricing_tiers, subscriptions, tenants};
use crate::sql_types::{DbMoney, DbTime, DbUuid};
use crate::store::{with_conn, write_tx};

/// Phone number repository.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNumbers<'a> {
    pub(crate) store: &'a Store,
}

/// What is known about a number when a tenant asks to buy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReservation {
    /// The buying tenant.
    pub tenant_id: TenantId,
    /// The number to buy.
    pub phone_number: E164,
    /// The Twilio account it will be bought on.
    pub account_sid: String,
    /// Its country.
    pub iso_country: IsoCountry,
    /// Its type.
    pub number_type: NumberType,
    /// The voice channel to attach it to, if any.
    pub channel_id: Option<ChannelId>,
    /// The monthly price the tenant agreed to, if known.
    pub monthly_price_usd: Option<Money>,
}

/// The outcome of [`PhoneNumbers::reserve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A `pending` row now holds one slot of the tenant's quota.
    Reserved(Box<PhoneNumberRecord>),
    /// The plan is full; nothing was written.
    QuotaExceeded {
        /// Live numbers the tenant holds.
        used: u32,
        /// Numbers its plan allows.
        quota: u32,
    },
    /// The tenant has no `active` or `trialing` subscription; nothing was written.
    NoActiveSubscription,
}

/// Which rows [`PhoneNumbers::list_for_tenant`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Everything but `released` (the API's default).
    #[default]
    NotReleased,
    /// Only rows in this status.
    Only(NumberStatus),
    /// Every row.
    All,
}

/// The fields a transition may set besides the status. `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Twilio's `PN…` sid.
    pub twilio_sid: Option<String>,
    /// Twilio's friendly name.
    pub friendly_name: Option<String>,
    /// What the number can do.
    pub capabilities: Option<Capabilities>,
    /// The monthly price.
    pub monthly_price_usd: Option<Money>,
    /// The voice URL written on Twilio.
    pub voice_url: Option<String>,
    /// The status callback URL written on Twilio.
    pub status_callback_url: Option<String>,
    /// When Twilio confirmed the purchase.
    pub purchased_at: Option<DateTime<Utc>>,
    /// When it was released.
    pub released_at: Option<DateTime<Utc>>,
    /// Why it was released.
    pub release_reason: Option<ReleaseReason>,
    /// Twilio's error code for a refused purchase.
    pub failure_code: Option<i32>,
}

/// What Twilio told us about a completed purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchased {
    /// Twilio's `PN…` sid.
    pub twilio_sid: String,
    /// Twilio's friendly name.
    pub friendly_name: Option<String>,
    /// What the number can do.
    pub capabilities: Capabilities,
    /// The monthly price.
    pub monthly_price_usd: Option<Money>,
    /// The voice URL written on the number.
    pub voice_url: String,
    /// The status callback URL written on the number.
    pub status_callback_url: String,
    /// When Twilio created it.
    pub purchased_at: DateTime<Utc>,
}

#[derive(diesel::AsChangeset)]
#[diesel(table_name = phone_numbers)]
struct RowChanges {
    status: String,
    updated_at: DbTime,
    twilio_sid: Option<String>,
    friendly_name: Option<String>,
    voice_capable: Option<bool>,
    sms_capable: Option<bool>,
    mms_capable: Option<bool>,
    fax_capable: Option<bool>,
    monthly_price_usd: Option<DbMoney>,
    voice_url: Option<String>,
    status_callback_url: Option<String>,
    purchased_at: Option<DbTime>,
    released_at: Option<DbTime>,
    release_reason: Option<String>,
    failure_code: Option<i32>,
}

impl RowChanges {
    fn new(to: NumberStatus, changes: Changes, now: DateTime<Utc>) -> Self {
        let capabilities = changes.capabilities;
        Self {
            status: to.as_str().to_owned(),
            updated_at: DbTime(now),
            twilio_sid: changes.twilio_sid,
            friendly_name: changes.friendly_name,
            voice_capable: capabilities.map(|c| c.voice),
            sms_capable: capabilities.map(|c| c.sms),
            mms_capable: capabilities.map(|c| c.mms),
            fax_capable: capabilities.map(|c| c.fax),
            monthly_price_usd: changes.monthly_price_usd.map(|m| DbMoney(m.amount())),
            voice_url: changes.voice_url,
            status_callback_url: changes.status_callback_url,
            purchased_at: changes.purchased_at.map(|t| DbTime(super::stored(t))),
            released_at: changes.released_at.map(|t| DbTime(super::stored(t))),
            release_reason: changes.release_reason.map(|r| r.as_str().to_owned()),
            failure_code: changes.failure_code,
        }
    }
}

/// Stored names of the live statuses.
fn live_names() -> [&'static str; 3] {
    NumberStatus::LIVE.map(NumberStatus::as_str)
}

impl PhoneNumbers<'_> {
    /// Reserves one slot of the tenant's quota by inserting a `pending` row (SPEC §6 step
    /// 2). Purchases of one tenant are serialised — a row lock on the tenant on PostgreSQL,
    /// an immediate transaction on SQLite — so parallel reservations never exceed the quota.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown tenant; [`StoreError::Conflict`] with
    /// [`crate::Conflict::NumberAlreadyLive`] when the number is held by any tenant.
    pub async fn reserve(&self, new: NewReservation, actor: &Actor) -> StoreResult<Reservation> {
        let now = super::now();
        let id = PhoneNumberId::new();
        let tenant_id = new.tenant_id;
        let row = PhoneNumberRow {
            id: DbUuid(id.as_uuid()),
            tenant_id: DbUuid(tenant_id.as_uuid()),
            channel_id: new.channel_id.map(|c| DbUuid(c.as_uuid())),
            phone_number: new.phone_number.as_str().to_owned(),
            twilio_sid: None,
            account_sid: new.account_sid,
            iso_country: new.iso_country.as_str().to_owned(),
            number_type: new.number_type.as_str().to_owned(),
            friendly_name: None,
            voice_capable: false,
            sms_capable: false,
            mms_capable: false,
            fax_capable: false,
            monthly_price_usd: new.monthly_price_usd.map(|m| DbMoney(m.amount())),
            status: NumberStatus::Pending.as_str().to_owned(),
            failure_code: None,
            voice_url: None,
            status_callback_url: None,
            created_at: DbTime(now),
            updated_at: DbTime(now),
            purchased_at: None,
            released_at: None,
            release_reason: None,
        };
        let audit = AuditEventRow::new(
            tenant_id,
            Some(id),
            actor,
            "purchase.reserved",
            Some((None, NumberStatus::Pending)),
            None,
        );
        let tenant_key = DbUuid(tenant_id.as_uuid());
        self.store
            .detached(move |store| async move {
                write_tx!(store, |conn| pg_lock: {
                    let locked: Option<DbUuid> = tenants::table
                        .find(tenant_key)
                        .select(tenants::id)
                        .for_update()
                        .first(conn)
                        .await
                        .optional()?;
                    if locked.is_none() {
                        return Err(StoreError::NotFound("tenant"));
                    }
                }, {
                    let exists: Option<DbUuid> = tenants::table
                        .find(tenant_key)
                        .select(tenants::id)
                        .first(conn)
                        .await
                        .optional()?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound("tenant"));
                    }
                    let quota: Option<i32> = subscriptions::table
                        .inner_join(pricing_tiers::table)
                        .filter(subscriptions::tenant_id.eq(tenant_key))
                        .filter(subscriptions::status.eq_any(["active", "trialing"]))
                        .select(pricing_tiers::quota_phone_numbers)
                        .order((subscriptions::created_at.desc(), subscriptions::id))
                        .first(conn)
                        .await
                        .optional()?;
                    let Some(quota) = quota else {
                        return Ok(Reservation::NoActiveSubscription);
                    };
                    let used: i64 = phone_numbers::table
                        .filter(phone_numbers::tenant_id.eq(tenant_key))
                        .filter(phone_numbers::status.eq_any(live_names()))
                        .count()
                        .get_result(conn)
                        .await?;
                    let used = u32::try_from(used).unwrap_or(u32::MAX);
                    let quota = u32::try_from(quota).unwrap_or(0);
                    if let QuotaDecision::Exceeded { used, quota } = check_quota(used, quota) {
                        return Ok(Reservation::QuotaExceeded { used, quota });
                    }
                    diesel::insert_into(phone_numbers::table).values(&row).execute(conn).await?;
                    diesel::insert_into(audit_events::table).values(&audit).execute(conn).await?;
                    Ok(Reservation::Reserved(Box::new(PhoneNumberRecord::try_from(row)?)))
                })
            })
            .await
    }

    /// Moves a number to `to`, setting the given fields, and records `action` in the audit
    /// log, all in one transaction.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the row does not exist;
    /// [`StoreError::InvalidTransition`] when the lifecycle forbids it (including when
    /// another writer changed the status first).
    pub async fn transition(
        &self,
        id: PhoneNumberId,
        to: NumberStatus,
        changes: Changes,
        actor: &Actor,
        action: &str,
    ) -> StoreResult<PhoneNumberRecord> {
        let actor = actor.clone();
        let action = action.to_owned();
        let key = DbUuid(id.as_uuid());
        self.store
            .detached(move |store| async move {
                write_tx!(store, |conn| pg_lock: {
                    phone_numbers::table
                        .find(key)
                        .select(phone_numbers::id)
                        .for_update()
                        .first::<DbUuid>(conn)
                        .await
                        .optional()?;
                }, {
                    let current: Option<PhoneNumberRow> = phone_numbers::table
                        .find(key)
                        .select(PhoneNumberRow::as_select())
                        .first(conn)
                        .await
                        .optional()?;
                    let current = PhoneNumberRecord::try_from(
                        current.ok_or(StoreError::NotFound("phone number"))?,
                    )?;
                    current.status.transition(to).map_err(StoreError::InvalidTransition)?;
                    let changed = diesel::update(
                        phone_numbers::table
                            .filter(phone_numbers::id.eq(key))
                            .filter(phone_numbers::status.eq(current.status.as_str())),
                    )
                    .set(RowChanges::new(to, changes, super::now()))
                    .execute(conn)
                    .await?;
                    if changed != 1 {
                        return Err(StoreError::InvalidTransition(numbers_domain::TransitionError {
                            from: current.status,
                            to,
                        }));
                    }
                    let audit = AuditEventRow::new(
                        current.tenant_id,
                        Some(id),
                        &actor,
                        &action,
                        Some((Some(current.status), to)),
                        None,
                    );
                    diesel::insert_into(audit_events::table).values(&audit).execute(conn).await?;
                    let row: PhoneNumberRow = phone_numbers::table
                        .find(key)
                        .select(PhoneNumberRow::as_select())
                        .first(conn)
                        .await?;
                    PhoneNumberRecord::try_from(row)
                })
            })
            .await
    }

    /// `pending` → `active` with what Twilio returned.
    ///
    /// # Errors
    /// As [`PhoneNumbers::transition`].
    pub async fn mark_active(
        &self,
        id: PhoneNumberId,
        purchased: Purchased,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        let changes = Changes {
            twilio_sid: Some(purchased.twilio_sid),
            friendly_name: purchased.friendly_name,
            capabilities: Some(purchased.capabilities),
            monthly_price_usd: purchased.monthly_price_usd,
            voice_url: Some(purchased.voice_url),
            status_callback_url: Some(purchased.status_callback_url),
            purchased_at: Some(purchased.purchased_at),
            ..Changes::default()
        };
        self.transition(
            id,
            NumberStatus::Active,
            changes,
            actor,
            "purchase.completed",
        )
        .await
    }

    /// `pending` → `failed` with Twilio's error code.
    ///
    /// # Errors
    /// As [`PhoneNumbers::transition`].
    pub async fn mark_failed(
        &self,
        id: PhoneNumberId,
        failure_code: Option<i32>,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        let changes = Changes {
            failure_code,
            ..Changes::default()
        };
        self.transition(id, NumberStatus::Failed, changes, actor, "purchase.failed")
            .await
    }

    /// `active` → `releasing` (or `releasing` again, for a retry).
    ///
    /// # Errors
    /// As [`PhoneNumbers::transition`].
    pub async fn mark_releasing(
        &self,
        id: PhoneNumberId,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        self.transition(
            id,
            NumberStatus::Releasing,
            Changes::default(),
            actor,
            "release.started",
        )
        .await
    }

    /// `releasing` (or an unsettled `pending`) → `released`.
    ///
    /// # Errors
    /// As [`PhoneNumbers::transition`].
    pub async fn mark_released(
        &self,
        id: PhoneNumberId,
        reason: ReleaseReason,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        let changes = Changes {
            released_at: Some(super::now()),
            release_reason: Some(reason),
            ..Changes::default()
        };
        self.transition(
            id,
            NumberStatus::Released,
            changes,
            actor,
            "release.completed",
        )
        .await
    }

    /// Attaches an `active` number to a channel (or detaches it with `None`) and records the
    /// webhook URLs now written on Twilio.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such number;
    /// [`StoreError::InvalidTransition`] when it is not `active`;
    /// [`StoreError::MissingReference`] when the channel does not exist.
    pub async fn set_channel(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
        channel_id: Option<ChannelId>,
        voice_url: String,
        status_callback_url: String,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        let actor = actor.clone();
        let key = DbUuid(id.as_uuid());
        let tenant_key = DbUuid(tenant_id.as_uuid());
        let channel_key = channel_id.map(|c| DbUuid(c.as_uuid()));
        self.store
            .detached(move |store| async move {
                write_tx!(store, |conn| {
                    let changed = diesel::update(
                        phone_numbers::table
                            .filter(phone_numbers::id.eq(key))
                            .filter(phone_numbers::tenant_id.eq(tenant_key))
                            .filter(phone_numbers::status.eq(NumberStatus::Active.as_str())),
                    )
                    .set((
                        phone_numbers::channel_id.eq(channel_key),
                        phone_numbers::voice_url.eq(Some(&voice_url)),
                        phone_numbers::status_callback_url.eq(Some(&status_callback_url)),
                        phone_numbers::updated_at.eq(DbTime(super::now())),
                    ))
                    .execute(conn)
                    .await?;
                    let row: Option<PhoneNumberRow> = phone_numbers::table
                        .filter(phone_numbers::id.eq(key))
                        .filter(phone_numbers::tenant_id.eq(tenant_key))
                        .select(PhoneNumberRow::as_select())
                        .first(conn)
                        .await
                        .optional()?;
                    let record = PhoneNumberRecord::try_from(
                        row.ok_or(StoreError::NotFound("phone number"))?,
                    )?;
                    if changed != 1 {
                        return Err(StoreError::InvalidTransition(
                            numbers_domain::TransitionError {
                                from: record.status,
                                to: NumberStatus::Active,
                            },
                        ));
                    }
                    let action = if channel_id.is_some() {
                        "channel.attached"
                    } else {
                        "channel.detached"
                    };
                    let detail = channel_id.map(|c| format!("{{\"channel_id\":\"{c}\"}}"));
                    let audit =
                        AuditEventRow::new(tenant_id, Some(id), &actor, action, None, detail);
                    diesel::insert_into(audit_events::table)
                        .values(&audit)
                        .execute(conn)
                        .await?;
                    Ok(record)
                })
            })
            .await
    }

    /// The tenant's number with this id; `None` when absent or another tenant's.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn get(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        Ok(self.get_any(id).await?.filter(|r| r.tenant_id == tenant_id))
    }

    /// The row with this id whoever owns it (jobs, operators).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn get_any(&self, id: PhoneNumberId) -> StoreResult<Option<PhoneNumberRecord>> {
        self.store
            .detached(move |store| async move {
                let row: Option<PhoneNumberRow> = with_conn!(store, |conn| {
                    phone_numbers::table
                        .find(DbUuid(id.as_uuid()))
                        .select(PhoneNumberRow::as_select())
                        .first(conn)
                        .await
                        .optional()?
                });
                row.map(PhoneNumberRecord::try_from).transpose()
            })
            .await
    }

    /// The live (`pending`/`active`/`releasing`) row holding this number, if any.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn find_live(&self, phone_number: &E164) -> StoreResult<Option<PhoneNumberRecord>> {
        let number = phone_number.as_str().to_owned();
        self.store
            .detached(move |store| async move {
                let row: Option<PhoneNumberRow> = with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::phone_number.eq(&number))
                        .filter(phone_numbers::status.eq_any(live_names()))
                        .select(PhoneNumberRow::as_select())
                        .first(conn)
                        .await
                        .optional()?
                });
                row.map(PhoneNumberRecord::try_from).transpose()
            })
            .await
    }

    /// The tenant's numbers, oldest first, as its list shows them (only the columns of
    /// [`PhoneNumberSummary`] are read).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn list_for_tenant(
        &self,
        tenant_id: TenantId,
        filter: StatusFilter,
    ) -> StoreResult<Vec<PhoneNumberSummary>> {
        self.store
            .detached(move |store| async move {
                let tenant = DbUuid(tenant_id.as_uuid());
                let order = (phone_numbers::created_at, phone_numbers::id);
                // One static query per filter (not a boxed one): diesel caches their prepared
                // statements by type, without rebuilding the SQL text per call.
                let rows: Vec<PhoneNumberSummaryRow> = with_conn!(store, |conn| {
                    let of_tenant =
                        phone_numbers::table.filter(phone_numbers::tenant_id.eq(tenant));
                    match filter {
                        StatusFilter::NotReleased => {
                            of_tenant
                                .filter(phone_numbers::status.ne(NumberStatus::Released.as_str()))
                                .select(PhoneNumberSummaryRow::as_select())
                                .order(order)
                                .load(conn)
                                .await?
                        }
                        StatusFilter::Only(status) => {
                            of_tenant
                                .filter(phone_numbers::status.eq(status.as_str()))
                                .select(PhoneNumberSummaryRow::as_select())
                                .order(order)
                                .load(conn)
                                .await?
                        }
                        StatusFilter::All => {
                            of_tenant
                                .select(PhoneNumberSummaryRow::as_select())
                                .order(order)
                                .load(conn)
                                .await?
                        }
                    }
                });
                rows.into_iter().map(PhoneNumberSummary::try_from).collect()
            })
            .await
    }

    /// Every live row of every tenant (drift-sync's view of what we hold), by number.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn list_live(&self) -> StoreResult<Vec<PhoneNumberRecord>> {
        self.store
            .detached(move |store| async move {
                let rows: Vec<PhoneNumberRow> = with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::status.eq_any(live_names()))
                        .select(PhoneNumberRow::as_select())
                        .order((phone_numbers::phone_number, phone_numbers::id))
                        .load(conn)
                        .await?
                });
                rows.into_iter().map(PhoneNumberRecord::try_from).collect()
            })
            .await
    }

    /// How many live numbers the tenant holds (what counts against its quota).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn count_live(&self, tenant_id: TenantId) -> StoreResult<u32> {
        self.store
            .detached(move |store| async move {
                let count: i64 = with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::tenant_id.eq(DbUuid(tenant_id.as_uuid())))
                        .filter(phone_numbers::status.eq_any(live_names()))
                        .count()
                        .get_result(conn)
                        .await?
                });
                Ok(u32::try_from(count).unwrap_or(u32::MAX))
            })
            .await
    }
}
