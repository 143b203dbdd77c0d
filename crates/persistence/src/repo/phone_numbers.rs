//! Phone numbers: the quota-checked reservation, lifecycle transitions and lookups.
//!
//! Every change of status goes through [`PhoneNumbers::transition`], which checks the
//! lifecycle of [`NumberStatus`], applies the change only if nobody changed the row in the
//! meantime, and writes the audit event in the same transaction.

use chrono::{DateTime, Utc};
use diesel::{
    BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _, QueryDsl as _,
    SelectableHelper as _,
};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use numbers_domain::{
    AuditAction, Capabilities, ChannelId, ChannelKind, E164, IsoCountry, Money, NumberStatus,
    NumberType, PhoneNumberId, QuotaDecision, ReleaseReason, TenantId, TransitionError,
    check_quota,
};

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::models::{
    Actor, AuditDetail, AuditEvent, Channel, PhoneNumberRecord, PhoneNumberSummary,
    RegulatoryRequirement, capability_values,
};
use crate::repo::subscriptions::BUYING_STATUSES;
use crate::schema::{
    audit_events, channels, phone_numbers, pricing_tiers, regulatory_requirements, subscriptions,
    tenants,
};
use crate::sql_types::Bind;
use crate::store::{PgObject, Pools, SqliteObject, pool_error, with_conn, write_tx};

/// How a transition's commit reaches the disk on PostgreSQL.
///
/// A purchase's `pending` row is always [`Durability::Flushed`]: it must exist before
/// Twilio is asked, so that no number is bought without a row (SPEC §6). The transitions
/// that only record what Twilio already did *after* such a row exists — the purchase's
/// `pending → active` and a release's `→ released` — are [`Durability::Relaxed`]: their
/// commit does not wait for the WAL flush (`synchronous_commit = off` for that transaction
/// only). A server crash in the fraction of a second before the WAL writer flushes can lose
/// such a commit (never corrupt anything: PostgreSQL replays to a consistent earlier
/// point), which leaves the row as it was before — `pending` with no sid, or `releasing` —
/// and both are states drift-sync settles by asking Twilio: a `pending` row whose number
/// Twilio has is adopted (made `active` with Twilio's sid), a `releasing` row whose number
/// Twilio no longer has is marked `released`. The caller may meanwhile have been told the
/// number was bought (or released); the row says `pending` (or `releasing`) until then.
/// Nothing is lost on Twilio's side and no number is left without a row. On SQLite
/// (WAL, `synchronous = NORMAL`) commits never wait for a flush, so this changes nothing there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// The commit returns once the WAL is flushed (the server's default).
    Flushed,
    /// The commit returns before the WAL is flushed (see the type's documentation).
    Relaxed,
}

/// Turns off the wait for the WAL flush for the current PostgreSQL transaction only.
const RELAXED_COMMIT: &str = "SET LOCAL synchronous_commit = off";

/// Runs `body` in a `BEGIN IMMEDIATE` transaction on a pooled SQLite connection, the whole
/// transaction on one blocking thread. Through the async wrapper every statement (and the
/// `BEGIN` and the `COMMIT`) is a hand-over to a blocking thread and back, with the write
/// lock held across all of them; here it is one hand-over, and the lock is held only while
/// the statements run. Any error rolls back.
async fn sqlite_transaction<T: Send + 'static>(
    pool: &diesel_async::pooled_connection::deadpool::Pool<crate::store::SqliteConn>,
    body: impl FnOnce(&mut diesel::SqliteConnection) -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    let mut object: SqliteObject = pool.get().await.map_err(pool_error)?;
    object
        .spawn_blocking(move |conn| Ok(conn.immediate_transaction(body)))
        .await?
}

/// Whether the tenant exists, the quota of its newest buying (`active`/`trialing`)
/// subscription, and how many live numbers it holds, as one statement of either backend.
/// The statuses are spelled out (`=` … `OR` …) rather than `IN (…)`: diesel never caches
/// the prepared statement of an `IN` list on SQLite, and this one runs on every purchase.
macro_rules! quota_and_used {
    ($tenant_id:expr) => {
        diesel::select((
            diesel::dsl::exists(tenants::table.find(Bind($tenant_id))),
            subscriptions::table
                .inner_join(pricing_tiers::table)
                .filter(subscriptions::tenant_id.eq(Bind($tenant_id)))
                .filter(
                    subscriptions::status
                        .eq(Bind(BUYING_STATUSES[0]))
                        .or(subscriptions::status.eq(Bind(BUYING_STATUSES[1]))),
                )
                .select(pricing_tiers::quota_phone_numbers)
                .order((subscriptions::created_at.desc(), subscriptions::id))
                .single_value(),
            phone_numbers::table
                .filter(phone_numbers::tenant_id.eq(Bind($tenant_id)))
                .filter(
                    phone_numbers::status
                        .eq(Bind(NumberStatus::LIVE[0]))
                        .or(phone_numbers::status.eq(Bind(NumberStatus::LIVE[1])))
                        .or(phone_numbers::status.eq(Bind(NumberStatus::LIVE[2]))),
                )
                .count()
                .single_value(),
        ))
    };
}

// `quota_and_used!` names each status of these lists.
const _: () = assert!(BUYING_STATUSES.len() == 2 && NumberStatus::LIVE.len() == 3);

/// What `quota_and_used!` reads: whether the tenant exists, its quota, its live numbers.
type Standing = (bool, Option<i32>, Option<i64>);

/// Why a reservation cannot be made, from the quota (none without a buying subscription)
/// and the live numbers held; `None` when there is room.
fn refusal(quota: Option<i32>, used: Option<i64>) -> Option<Reservation> {
    let Some(quota) = quota else {
        return Some(Reservation::NoActiveSubscription);
    };
    let used = u32::try_from(used.unwrap_or(0)).unwrap_or(u32::MAX);
    let quota = u32::try_from(quota).unwrap_or(0);
    match check_quota(used, quota) {
        QuotaDecision::Exceeded { used, quota } => Some(Reservation::QuotaExceeded { used, quota }),
        QuotaDecision::Allowed => None,
    }
}

/// Phone number repository.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNumbers<'a> {
    pub(crate) store: &'a Store,
}

/// What is known about a number when a tenant asks to buy it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Insertable)]
#[diesel(table_name = phone_numbers, treat_none_as_default_value = false)]
pub struct NewReservation {
    /// The buying tenant.
    #[diesel(serialize_as = Bind<TenantId>)]
    pub tenant_id: TenantId,
    /// The number to buy.
    #[diesel(serialize_as = Bind<E164>)]
    pub phone_number: E164,
    /// The Twilio account it will be bought on.
    pub account_sid: String,
    /// Its country.
    #[diesel(serialize_as = Bind<IsoCountry>)]
    pub iso_country: IsoCountry,
    /// Its type.
    #[diesel(serialize_as = Bind<NumberType>)]
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

/// A change of the channel a number is attached to (see [`PhoneNumbers::set_channel`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelChange {
    /// The new channel; `None` detaches.
    pub channel_id: Option<ChannelId>,
    /// The voice URL now written on Twilio.
    pub voice_url: String,
    /// The status callback URL now written on Twilio.
    pub status_callback_url: String,
    /// The voice URL the caller read before changing Twilio.
    pub expected_voice_url: Option<String>,
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

/// The fields a transition may set besides the status; `None` leaves a field unchanged.
/// [`PhoneNumbers::mark_active`] takes what Twilio returned for a purchase in one of these.
#[derive(Debug, Clone, Default, PartialEq, Eq, diesel::AsChangeset)]
#[diesel(table_name = phone_numbers)]
pub struct Changes {
    /// Twilio's `PN…` sid.
    pub twilio_sid: Option<String>,
    /// Twilio's friendly name.
    pub friendly_name: Option<String>,
    /// What the number can do (four columns, set by [`PhoneNumbers::transition`]).
    #[diesel(skip_update)]
    pub capabilities: Option<Capabilities>,
    /// The monthly price.
    #[diesel(serialize_as = Bind<Money>)]
    pub monthly_price_usd: Option<Money>,
    /// The voice URL written on Twilio.
    pub voice_url: Option<String>,
    /// The status callback URL written on Twilio.
    pub status_callback_url: Option<String>,
    /// When Twilio confirmed the purchase.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub purchased_at: Option<DateTime<Utc>>,
    /// When it was released.
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub released_at: Option<DateTime<Utc>>,
    /// Why it was released.
    #[diesel(serialize_as = Bind<ReleaseReason>)]
    pub release_reason: Option<ReleaseReason>,
    /// Twilio's error code for a refused purchase.
    pub failure_code: Option<i32>,
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
        Ok(self.reserve_with(new, actor, false).await?.0)
    }

    /// [`PhoneNumbers::reserve`] for a purchase (SPEC §6 steps 1 and 2): in the same
    /// transaction, and without a round trip more, the channel the number is to be attached
    /// to is checked (it must be one of the tenant's voice channels; this is checked first)
    /// and the regulatory requirement of the number's country and type is read (what the
    /// purchase attaches on Twilio).
    ///
    /// # Errors
    /// As [`PhoneNumbers::reserve`], and [`StoreError::NotFound`] `("voice channel")` when
    /// `new.channel_id` names no voice channel of the tenant.
    pub async fn reserve_purchase(
        &self,
        new: NewReservation,
        actor: &Actor,
    ) -> StoreResult<(Reservation, Option<RegulatoryRequirement>)> {
        self.reserve_with(new, actor, true).await
    }

    async fn reserve_with(
        &self,
        new: NewReservation,
        actor: &Actor,
        purchase: bool,
    ) -> StoreResult<(Reservation, Option<RegulatoryRequirement>)> {
        let now = super::now();
        let id = PhoneNumberId::new();
        let tenant_id = new.tenant_id;
        let channel_id = new.channel_id.filter(|_| purchase);
        let pair = (new.iso_country, new.number_type);
        let audit = AuditEvent {
            to_status: Some(NumberStatus::Pending),
            ..AuditEvent::new(actor, AuditAction::PurchaseReserved, tenant_id, Some(id))
        };
        let row = move |new: NewReservation| {
            (
                phone_numbers::id.eq(Bind(id)),
                new,
                phone_numbers::status.eq(Bind(NumberStatus::Pending)),
                capability_values(Capabilities::default()),
                phone_numbers::created_at.eq(Bind(now)),
                phone_numbers::updated_at.eq(Bind(now)),
            )
        };
        // Macros rather than closures: each backend needs its own query type.
        macro_rules! channel_of {
            ($id:expr) => {
                channels::table.find(Bind($id)).select(Channel::as_select())
            };
        }
        macro_rules! requirement_of {
            ($pair:expr) => {
                regulatory_requirements::table
                    .find((Bind($pair.0), Bind($pair.1)))
                    .select(RegulatoryRequirement::as_select())
            };
        }
        // A channel that is not one of the tenant's voice channels is not found.
        let check_channel = move |channel: Option<Channel>| match channel {
            Some(channel)
                if channel.tenant_id == tenant_id && channel.kind == ChannelKind::Voice =>
            {
                Ok(())
            }
            _ => Err(StoreError::NotFound("voice channel")),
        };
        self.store
            .detached(move |store| async move {
                match &store.pools {
                    // The statements are pipelined (sent without waiting for the answer of
                    // the one before): the server still runs them one after another, so the
                    // count reads what committed before the tenant's lock was granted, but
                    // the transaction costs four round trips (`BEGIN`, the reads, the two
                    // inserts, `COMMIT`) instead of eight before it also read the channel
                    // and the regulatory requirement.
                    Pools::Pg(pool) => {
                        let mut object: PgObject = pool.get().await.map_err(pool_error)?;
                        object
                            .transaction(async |conn| {
                                let mut pipe: &AsyncPgConnection = conn;
                                let channel = async move {
                                    let mut pipe = pipe;
                                    match channel_id {
                                        Some(id) => channel_of!(id)
                                            .first(&mut pipe)
                                            .await
                                            .optional()
                                            .map(Some),
                                        None => Ok(None),
                                    }
                                };
                                let lock = tenants::table
                                    .find(Bind(tenant_id))
                                    .select(tenants::id)
                                    .for_update()
                                    .first::<TenantId>(&mut pipe);
                                let standing =
                                    quota_and_used!(tenant_id).get_result::<Standing>(&mut pipe);
                                let requirement = async move {
                                    let mut pipe = pipe;
                                    if purchase {
                                        requirement_of!(pair).first(&mut pipe).await.optional()
                                    } else {
                                        Ok(None)
                                    }
                                };
                                let (channel, locked, standing, requirement) =
                                    futures::join!(channel, lock, standing, requirement);
                                // Errors in the order the statements ran, then the refusals
                                // in the order a purchase checks them.
                                let channel = channel?;
                                let locked = locked.optional()?;
                                let (_, quota, used) = standing?;
                                let requirement = requirement?;
                                if channel_id.is_some() {
                                    check_channel(channel.flatten())?;
                                }
                                locked.ok_or(StoreError::NotFound("tenant"))?;
                                if let Some(refusal) = refusal(quota, used) {
                                    return Ok((refusal, requirement));
                                }
                                let insert = diesel::insert_into(phone_numbers::table)
                                    .values(row(new))
                                    .returning(PhoneNumberRecord::as_returning())
                                    .get_result(&mut pipe);
                                let audit = diesel::insert_into(audit_events::table)
                                    .values(audit)
                                    .execute(&mut pipe);
                                let (record, audited) = futures::join!(insert, audit);
                                let record = record?;
                                audited?;
                                Ok((Reservation::Reserved(Box::new(record)), requirement))
                            })
                            .await
                    }
                    // SQLite: `BEGIN IMMEDIATE` serialises the writers; whether the tenant
                    // exists, its quota and its count are one statement. The transaction
                    // runs whole on one blocking thread (see `sqlite_transaction`).
                    Pools::Sqlite(pool) => {
                        sqlite_transaction(pool, move |conn| {
                            if let Some(id) = channel_id {
                                check_channel(
                                    diesel::RunQueryDsl::first(channel_of!(id), conn).optional()?,
                                )?;
                            }
                            let (exists, quota, used): Standing =
                                diesel::RunQueryDsl::get_result(quota_and_used!(tenant_id), conn)?;
                            if !exists {
                                return Err(StoreError::NotFound("tenant"));
                            }
                            let requirement = if purchase {
                                diesel::RunQueryDsl::first(requirement_of!(pair), conn)
                                    .optional()?
                            } else {
                                None
                            };
                            if let Some(refusal) = refusal(quota, used) {
                                return Ok((refusal, requirement));
                            }
                            let record = diesel::RunQueryDsl::get_result(
                                diesel::insert_into(phone_numbers::table)
                                    .values(row(new))
                                    .returning(PhoneNumberRecord::as_returning()),
                                conn,
                            )?;
                            diesel::RunQueryDsl::execute(
                                diesel::insert_into(audit_events::table).values(audit),
                                conn,
                            )?;
                            Ok((Reservation::Reserved(Box::new(record)), requirement))
                        })
                        .await
                    }
                }
            })
            .await
    }

    /// Moves a number to `to`, setting the given fields, and records `action` in the audit
    /// log (with the statuses before and after, and Twilio's code when `changes` carries a
    /// failure code), all in one transaction.
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
        action: AuditAction,
    ) -> StoreResult<PhoneNumberRecord> {
        self.transition_with(id, to, changes, actor, action, Durability::Flushed)
            .await
    }

    /// [`PhoneNumbers::transition`], committed as `durability` says.
    async fn transition_with(
        &self,
        id: PhoneNumberId,
        to: NumberStatus,
        changes: Changes,
        actor: &Actor,
        action: AuditAction,
        durability: Durability,
    ) -> StoreResult<PhoneNumberRecord> {
        let actor = actor.clone();
        let detail = AuditDetail {
            twilio_code: changes.failure_code,
            ..AuditDetail::default()
        };
        let audit = move |from: NumberStatus, tenant_id: TenantId| AuditEvent {
            from_status: Some(from),
            to_status: Some(to),
            detail: detail.or_none(),
            ..AuditEvent::new(&actor, action, tenant_id, Some(id))
        };
        // A macro rather than a closure: each backend needs its own query type.
        macro_rules! update {
            ($from:expr, $changes:expr) => {{
                let changes: Changes = $changes;
                let capabilities = changes.capabilities.map(capability_values);
                diesel::update(
                    phone_numbers::table
                        .filter(phone_numbers::id.eq(Bind(id)))
                        .filter(phone_numbers::status.eq(Bind($from))),
                )
                .set((
                    phone_numbers::status.eq(Bind(to)),
                    phone_numbers::updated_at.eq(Bind(super::now())),
                    capabilities,
                    changes,
                ))
                .returning(PhoneNumberRecord::as_returning())
            }};
        }
        let check = move |current: Option<PhoneNumberRecord>| {
            let current = current.ok_or(StoreError::NotFound("phone number"))?;
            current
                .status
                .transition(to)
                .map_err(StoreError::InvalidTransition)?;
            Ok::<_, StoreError>((current.status, current.tenant_id))
        };
        // An update that matched no row: another writer changed the status first.
        let changed = move |from: NumberStatus, record: Option<PhoneNumberRecord>| {
            record.ok_or(StoreError::InvalidTransition(TransitionError { from, to }))
        };
        self.store
            .detached(move |store| async move {
                match &store.pools {
                    // PostgreSQL: the row is read under its lock, then the update and the
                    // audit event are pipelined (see `reserve`).
                    Pools::Pg(pool) => {
                        let mut object: PgObject = pool.get().await.map_err(pool_error)?;
                        object
                            .transaction(async |conn| {
                                let mut pipe: &AsyncPgConnection = conn;
                                let relax = async move {
                                    if durability == Durability::Relaxed {
                                        diesel::sql_query(RELAXED_COMMIT)
                                            .execute(&mut pipe)
                                            .await?;
                                    }
                                    Ok::<_, diesel::result::Error>(())
                                };
                                let read = phone_numbers::table
                                    .find(Bind(id))
                                    .select(PhoneNumberRecord::as_select())
                                    .for_update()
                                    .first(&mut pipe);
                                let (relaxed, current) = futures::join!(relax, read);
                                relaxed?;
                                let (from, tenant_id) = check(current.optional()?)?;
                                let updated = update!(from, changes).get_result(&mut pipe);
                                let audited = diesel::insert_into(audit_events::table)
                                    .values(audit(from, tenant_id))
                                    .execute(&mut pipe);
                                let (record, audited) = futures::join!(updated, audited);
                                let record = changed(from, record.optional()?)?;
                                audited?;
                                Ok(record)
                            })
                            .await
                    }
                    // SQLite: `BEGIN IMMEDIATE` serialises the writers; one blocking thread.
                    Pools::Sqlite(pool) => {
                        sqlite_transaction(pool, move |conn| {
                            let current = diesel::RunQueryDsl::first(
                                phone_numbers::table
                                    .find(Bind(id))
                                    .select(PhoneNumberRecord::as_select()),
                                conn,
                            )
                            .optional()?;
                            let (from, tenant_id) = check(current)?;
                            let record =
                                diesel::RunQueryDsl::get_result(update!(from, changes), conn)
                                    .optional()?;
                            let record = changed(from, record)?;
                            diesel::RunQueryDsl::execute(
                                diesel::insert_into(audit_events::table)
                                    .values(audit(from, tenant_id)),
                                conn,
                            )?;
                            Ok(record)
                        })
                        .await
                    }
                }
            })
            .await
    }

    /// `pending` → `active` with what Twilio returned for the purchase (its sid, friendly
    /// name, capabilities, price, the webhook URLs written and `purchased_at`).
    ///
    /// # Errors
    /// As [`PhoneNumbers::transition`].
    pub async fn mark_active(
        &self,
        id: PhoneNumberId,
        purchased: Changes,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        self.transition_with(
            id,
            NumberStatus::Active,
            purchased,
            actor,
            AuditAction::PurchaseCompleted,
            Durability::Relaxed,
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
        self.transition(
            id,
            NumberStatus::Failed,
            changes,
            actor,
            AuditAction::PurchaseFailed,
        )
        .await
    }

    /// `active` → `releasing` (or `releasing` again, for a retry), recording why, so a
    /// release finished later (by drift-sync) keeps its reason.
    ///
    /// # Errors
    /// As [`PhoneNumbers::transition`].
    pub async fn mark_releasing(
        &self,
        id: PhoneNumberId,
        reason: ReleaseReason,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        let changes = Changes {
            release_reason: Some(reason),
            ..Changes::default()
        };
        self.transition(
            id,
            NumberStatus::Releasing,
            changes,
            actor,
            AuditAction::ReleaseStarted,
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
        self.transition_with(
            id,
            NumberStatus::Released,
            changes,
            actor,
            AuditAction::ReleaseCompleted,
            Durability::Relaxed,
        )
        .await
    }

    /// Attaches an `active` number to a channel (or detaches it) and records the webhook
    /// URLs now written on Twilio, provided the stored voice URL is still the one the caller
    /// read (`change.expected_voice_url`), so two concurrent changes cannot leave the row
    /// disagreeing with what the later one wrote on Twilio.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such number;
    /// [`StoreError::InvalidTransition`] when it is not `active`;
    /// [`StoreError::Conflict`] with [`crate::Conflict::ChangedConcurrently`] when the voice
    /// URL changed meanwhile; [`StoreError::MissingReference`] when the channel does not
    /// exist.
    pub async fn set_channel(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
        change: ChannelChange,
        actor: &Actor,
    ) -> StoreResult<PhoneNumberRecord> {
        let action = if change.channel_id.is_some() {
            AuditAction::ChannelAttached
        } else {
            AuditAction::ChannelDetached
        };
        let audit = AuditEvent {
            detail: AuditDetail {
                channel_id: change.channel_id,
                ..AuditDetail::default()
            }
            .or_none(),
            ..AuditEvent::new(actor, action, tenant_id, Some(id))
        };
        self.store
            .detached(move |store| async move {
                write_tx!(store, |conn| pg_lock: {
                    phone_numbers::table
                        .find(Bind(id))
                        .select(phone_numbers::id)
                        .for_update()
                        .first::<PhoneNumberId>(conn)
                        .await
                        .optional()?;
                }, {
                    let of_tenant = phone_numbers::table
                        .filter(phone_numbers::id.eq(Bind(id)))
                        .filter(phone_numbers::tenant_id.eq(Bind(tenant_id)));
                    let current: PhoneNumberRecord = of_tenant
                        .select(PhoneNumberRecord::as_select())
                        .first(conn)
                        .await
                        .optional()?
                        .ok_or(StoreError::NotFound("phone number"))?;
                    if current.status != NumberStatus::Active {
                        return Err(StoreError::InvalidTransition(TransitionError {
                            from: current.status,
                            to: NumberStatus::Active,
                        }));
                    }
                    if current.voice_url != change.expected_voice_url {
                        return Err(StoreError::Conflict(crate::Conflict::ChangedConcurrently));
                    }
                    let record = diesel::update(of_tenant)
                        .set((
                            phone_numbers::channel_id.eq(change.channel_id),
                            phone_numbers::voice_url.eq(Some(&change.voice_url)),
                            phone_numbers::status_callback_url
                                .eq(Some(&change.status_callback_url)),
                            phone_numbers::updated_at.eq(Bind(super::now())),
                        ))
                        .returning(PhoneNumberRecord::as_returning())
                        .get_result(conn)
                        .await?;
                    diesel::insert_into(audit_events::table)
                        .values(audit.clone())
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
                Ok(with_conn!(store, |conn| {
                    phone_numbers::table
                        .find(Bind(id))
                        .select(PhoneNumberRecord::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// The live (`pending`/`active`/`releasing`) row holding this number, if any.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn find_live(&self, phone_number: &E164) -> StoreResult<Option<PhoneNumberRecord>> {
        let number = phone_number.clone();
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::phone_number.eq(Bind(&number)))
                        .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                        .select(PhoneNumberRecord::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// The live row holding this number and the channel it is attached to, in one read
    /// (what an inbound call needs to be routed).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn find_live_with_channel(
        &self,
        phone_number: &E164,
    ) -> StoreResult<Option<(PhoneNumberRecord, Option<crate::Channel>)>> {
        use crate::schema::channels;
        let number = phone_number.clone();
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    phone_numbers::table
                        .left_join(channels::table)
                        .filter(phone_numbers::phone_number.eq(Bind(&number)))
                        .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                        .select((
                            PhoneNumberRecord::as_select(),
                            Option::<crate::Channel>::as_select(),
                        ))
                        .first(conn)
                        .await
                        .optional()?
                }))
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
                let order = (phone_numbers::created_at, phone_numbers::id);
                // One static query per filter (not a boxed one): diesel caches their prepared
                // statements by type, without rebuilding the SQL text per call.
                Ok(with_conn!(store, |conn| {
                    let of_tenant =
                        phone_numbers::table.filter(phone_numbers::tenant_id.eq(Bind(tenant_id)));
                    match filter {
                        StatusFilter::NotReleased => {
                            of_tenant
                                .filter(phone_numbers::status.ne(Bind(NumberStatus::Released)))
                                .select(PhoneNumberSummary::as_select())
                                .order(order)
                                .load(conn)
                                .await?
                        }
                        StatusFilter::Only(status) => {
                            of_tenant
                                .filter(phone_numbers::status.eq(Bind(status)))
                                .select(PhoneNumberSummary::as_select())
                                .order(order)
                                .load(conn)
                                .await?
                        }
                        StatusFilter::All => {
                            of_tenant
                                .select(PhoneNumberSummary::as_select())
                                .order(order)
                                .load(conn)
                                .await?
                        }
                    }
                }))
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
                Ok(with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                        .select(PhoneNumberRecord::as_select())
                        .order((phone_numbers::phone_number, phone_numbers::id))
                        .load(conn)
                        .await?
                }))
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
                        .filter(phone_numbers::tenant_id.eq(Bind(tenant_id)))
                        .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                        .count()
                        .get_result(conn)
                        .await?
                });
                Ok(u32::try_from(count).unwrap_or(u32::MAX))
            })
            .await
    }
}
