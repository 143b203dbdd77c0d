//! Calls reaching the status webhook: every verified event once ([`Calls::record`]), and per call
//! its latest status, listed per number ([`Calls::list_for_number`]).

use chrono::{DateTime, Utc};
use diesel::{BoolExpressionMethods as _, ExpressionMethods as _, QueryDsl as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{ChannelId, PhoneNumberId, TenantId};

use crate::Store;
use crate::error::StoreResult;
use crate::models::CallRecord;
use crate::schema::{call_events, calls};
use crate::sql_types::Bind;
use crate::store::write_tx;

/// Call repository.
#[derive(Debug, Clone, Copy)]
pub struct Calls<'a> {
    pub(crate) store: &'a Store,
}

/// One verified webhook of a call, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallEvent {
    /// Twilio's `CallSid`.
    pub call_sid: String,
    /// Twilio's `CallStatus` (`ringing`, `completed`, …).
    pub status: String,
    /// Where the status stands in a call's progress (see `numbers_domain::call_status_rank`).
    pub status_rank: i32,
    /// Twilio's `SequenceNumber` (0 when absent).
    pub sequence_number: i32,
    /// The tenant owning the called number.
    pub tenant_id: TenantId,
    /// The called number's row.
    pub phone_number_id: PhoneNumberId,
    /// The channel the number is attached to, if any.
    pub channel_id: Option<ChannelId>,
    /// The account owning the number (`AccountSid`).
    pub account_sid: String,
    /// `inbound`, `outbound-api`, …
    pub direction: Option<String>,
    /// Caller, as Twilio sent it.
    pub from_number: Option<String>,
    /// Called number, as Twilio sent it.
    pub to_number: Option<String>,
    /// `CallDuration`, when given.
    pub duration_seconds: Option<i32>,
}

/// The columns a later event changes on its call (a `None` duration leaves it as it is).
#[derive(diesel::AsChangeset)]
#[diesel(table_name = calls)]
struct LatestStatus<'a> {
    status: &'a str,
    status_rank: i32,
    sequence_number: i32,
    duration_seconds: Option<i32>,
    updated_at: Bind<DateTime<Utc>>,
}

/// What [`Calls::record`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The event was new.
    Stored,
    /// The same event (call, status, sequence number) was stored before: nothing changed.
    Repeated,
}

impl Calls<'_> {
    /// Stores an event once, and makes it the call's latest status unless the call already
    /// has a later one (higher rank, or the same rank and a higher sequence number).
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn record(&self, event: NewCallEvent) -> StoreResult<Recorded> {
        let now = super::now();
        self.store
            .detached(move |store| async move {
                write_tx!(store, |conn| {
                    let inserted = diesel::insert_into(call_events::table)
                        .values((
                            call_events::call_sid.eq(&event.call_sid),
                            call_events::status.eq(&event.status),
                            call_events::sequence_number.eq(event.sequence_number),
                            call_events::phone_number_id.eq(Bind(event.phone_number_id)),
                            call_events::channel_id.eq(event.channel_id),
                            call_events::account_sid.eq(&event.account_sid),
                            call_events::direction.eq(&event.direction),
                            call_events::from_number.eq(&event.from_number),
                            call_events::to_number.eq(&event.to_number),
                            call_events::duration_seconds.eq(event.duration_seconds),
                            call_events::received_at.eq(Bind(now)),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)
                        .await?;
                    if inserted == 0 {
                        return Ok(Recorded::Repeated);
                    }
                    let created = diesel::insert_into(calls::table)
                        .values((
                            calls::call_sid.eq(&event.call_sid),
                            calls::tenant_id.eq(Bind(event.tenant_id)),
                            calls::phone_number_id.eq(Bind(event.phone_number_id)),
                            calls::channel_id.eq(event.channel_id),
                            calls::account_sid.eq(&event.account_sid),
                            calls::direction.eq(&event.direction),
                            calls::from_number.eq(&event.from_number),
                            calls::to_number.eq(&event.to_number),
                            calls::status.eq(&event.status),
                            calls::status_rank.eq(event.status_rank),
                            calls::sequence_number.eq(event.sequence_number),
                            calls::duration_seconds.eq(event.duration_seconds),
                            calls::first_seen_at.eq(Bind(now)),
                            calls::updated_at.eq(Bind(now)),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)
                        .await?;
                    if created == 0 {
                        // Only a later event moves the call: one atomic conditional update,
                        // so concurrent callbacks settle on the latest whatever their order.
                        let earlier =
                            calls::status_rank
                                .lt(event.status_rank)
                                .or(calls::status_rank
                                    .eq(event.status_rank)
                                    .and(calls::sequence_number.lt(event.sequence_number)));
                        diesel::update(
                            calls::table
                                .filter(calls::call_sid.eq(&event.call_sid))
                                .filter(earlier),
                        )
                        .set(LatestStatus {
                            status: &event.status,
                            status_rank: event.status_rank,
                            sequence_number: event.sequence_number,
                            duration_seconds: event.duration_seconds,
                            updated_at: Bind(now),
                        })
                        .execute(conn)
                        .await?;
                    }
                    Ok(Recorded::Stored)
                })
            })
            .await
    }

    /// The number's calls, newest first, at most `limit`, starting after the call
    /// `before` (a call sid from a previous page) when given. The tenant is checked by the
    /// caller (the number is the tenant's).
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list_for_number(
        &self,
        tenant_id: TenantId,
        phone_number_id: PhoneNumberId,
        before: Option<(DateTime<Utc>, String)>,
        limit: u32,
    ) -> StoreResult<Vec<CallRecord>> {
        let limit = i64::from(limit);
        self.store
            .detached(move |store| async move {
                Ok(crate::store::with_conn!(store, |conn| {
                    let of_number = calls::table
                        .filter(calls::tenant_id.eq(Bind(tenant_id)))
                        .filter(calls::phone_number_id.eq(Bind(phone_number_id)));
                    let order = (calls::first_seen_at.desc(), calls::call_sid.desc());
                    match &before {
                        None => {
                            of_number
                                .select(<CallRecord as diesel::SelectableHelper<_>>::as_select())
                                .order(order)
                                .limit(limit)
                                .load(conn)
                                .await?
                        }
                        Some((at, sid)) => {
                            let older = calls::first_seen_at.lt(Bind(*at)).or(calls::first_seen_at
                                .eq(Bind(*at))
                                .and(calls::call_sid.lt(sid)));
                            of_number
                                .filter(older)
                                .select(<CallRecord as diesel::SelectableHelper<_>>::as_select())
                                .order(order)
                                .limit(limit)
                                .load(conn)
                                .await?
                        }
                    }
                }))
            })
            .await
    }

    /// The call with this sid on this number of the tenant (a page cursor), if any.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn get(
        &self,
        tenant_id: TenantId,
        phone_number_id: PhoneNumberId,
        call_sid: &str,
    ) -> StoreResult<Option<CallRecord>> {
        use diesel::OptionalExtension as _;
        let sid = call_sid.to_owned();
        self.store
            .detached(move |store| async move {
                Ok(crate::store::with_conn!(store, |conn| {
                    calls::table
                        .filter(calls::tenant_id.eq(Bind(tenant_id)))
                        .filter(calls::phone_number_id.eq(Bind(phone_number_id)))
                        .filter(calls::call_sid.eq(&sid))
                        .select(<CallRecord as diesel::SelectableHelper<_>>::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }
}

impl Calls<'_> {
    /// The stored events of a call as (status, sequence number), in arrival order.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn events(&self, call_sid: &str) -> StoreResult<Vec<(String, i32)>> {
        let sid = call_sid.to_owned();
        self.store
            .detached(move |store| async move {
                Ok(crate::store::with_conn!(store, |conn| {
                    call_events::table
                        .filter(call_events::call_sid.eq(&sid))
                        .select((call_events::status, call_events::sequence_number))
                        .order((call_events::received_at, call_events::sequence_number))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
