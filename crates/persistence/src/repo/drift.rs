//! What drift-sync and the cancellation of a subscription need from the database: a compact
//! snapshot of the live rows read page by page, batched and re-checked changes, the release
//! of a canceled tenant's numbers, the `drift_runs` record and the single-run lock.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::{BoolExpressionMethods as _, ExpressionMethods as _, QueryDsl as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::reconcile::LocalNumber;
use numbers_domain::{
    AuditAction, Capabilities, E164, NumberStatus, PhoneNumberId, ReleaseReason,
    SubscriptionStatus, TenantId,
};

use crate::Store;
use crate::error::StoreResult;
use crate::models::{Actor, AuditEvent, PhoneNumberRecord, capability_values};
use crate::repo::audit_events::InsertAudits as _;
use crate::repo::subscriptions::BUYING_STATUSES;
use crate::schema::{drift_runs, phone_numbers, subscriptions};
use crate::sql_types::Bind;
use crate::store::{with_conn, write_tx};

/// Most rows changed by one statement (SQLite allows 32,766 bound values; PostgreSQL 65,535).
pub const BATCH: usize = 500;

/// Drift-sync's repository.
#[derive(Debug, Clone, Copy)]
pub struct Drift<'a> {
    pub(crate) store: &'a Store,
}

type SnapshotTuple = (
    PhoneNumberId,
    TenantId,
    E164,
    NumberStatus,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<ReleaseReason>,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// Runs `op` on `ids` [`BATCH`] at a time, one after another, and gathers what each
/// returns; the first failure stops it (earlier batches stay written).
async fn in_batches<T, F, Fut>(ids: Vec<PhoneNumberId>, mut op: F) -> StoreResult<Vec<T>>
where
    F: FnMut(Vec<PhoneNumberId>) -> Fut,
    Fut: Future<Output = StoreResult<Vec<T>>>,
{
    let mut all = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH) {
        all.extend(op(chunk.to_vec()).await?);
    }
    Ok(all)
}

/// The audit events of the same transition of several rows.
fn transition_audits(
    rows: &[PhoneNumberRecord],
    actor: &Actor,
    action: AuditAction,
    (from, to): (NumberStatus, NumberStatus),
) -> Vec<AuditEvent> {
    rows.iter()
        .map(|r| AuditEvent {
            from_status: Some(from),
            to_status: Some(to),
            ..AuditEvent::new(actor, action, r.tenant_id, Some(r.id))
        })
        .collect()
}

/// Rows per page of [`Drift::live_rows`] on SQLite.
const SNAPSHOT_PAGE: usize = 10_000;

fn local_number(row: SnapshotTuple) -> LocalNumber {
    let (
        id,
        tenant_id,
        phone_number,
        status,
        twilio_sid,
        account_sid,
        voice_url,
        status_callback_url,
        release_reason,
        created_at,
        updated_at,
    ) = row;
    LocalNumber {
        id,
        tenant_id,
        phone_number,
        status,
        twilio_sid,
        account_sid,
        voice_url,
        status_callback_url,
        release_reason,
        created_at,
        updated_at,
    }
}

/// A change drift-sync wants to make to one row, applied only if the row still has the
/// status and `updated_at` it was planned from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    /// The row.
    pub id: PhoneNumberId,
    /// Its status when read.
    pub seen_status: NumberStatus,
    /// Its `updated_at` when read.
    pub seen_updated_at: DateTime<Utc>,
    /// What to do.
    pub change: RowChange,
}

/// What [`Drift::apply`] does to a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowChange {
    /// → `released` with this reason (through `releasing` for an `active` row: both steps
    /// are audited).
    Release(ReleaseReason),
    /// `pending` → `active` with what Twilio holds.
    Adopt(Box<Adoption>),
}

/// What Twilio holds of a number drift-sync adopts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    /// Twilio's sid.
    pub twilio_sid: String,
    /// Twilio's friendly name.
    pub friendly_name: Option<String>,
    /// Its capabilities.
    pub capabilities: Capabilities,
    /// The voice URL on Twilio.
    pub voice_url: Option<String>,
    /// The status callback URL on Twilio.
    pub status_callback_url: Option<String>,
    /// When Twilio says it was bought.
    pub purchased_at: Option<DateTime<Utc>>,
}

/// Makes adopted `pending` rows `active` with what Twilio holds, one `UPDATE` each (the
/// values differ row by row), on the connection of a transaction under way.
trait AdoptRows {
    async fn adopt_rows(
        &mut self,
        rows: Vec<(PhoneNumberId, Adoption)>,
        now: DateTime<Utc>,
    ) -> diesel::QueryResult<()>;
}

macro_rules! adopt_row {
    ($id:expr, $adoption:expr, $now:expr) => {{
        let (id, adoption, now) = ($id, $adoption, $now);
        diesel::update(phone_numbers::table.filter(phone_numbers::id.eq(Bind(id)))).set((
            phone_numbers::status.eq(Bind(NumberStatus::Active)),
            phone_numbers::updated_at.eq(Bind(now)),
            phone_numbers::twilio_sid.eq(Some(adoption.twilio_sid)),
            phone_numbers::friendly_name.eq(adoption.friendly_name),
            capability_values(adoption.capabilities),
            phone_numbers::voice_url.eq(adoption.voice_url),
            phone_numbers::status_callback_url.eq(adoption.status_callback_url),
            phone_numbers::purchased_at.eq(Some(adoption.purchased_at.unwrap_or(now))),
        ))
    }};
}

impl AdoptRows for diesel_async::AsyncPgConnection {
    async fn adopt_rows(
        &mut self,
        rows: Vec<(PhoneNumberId, Adoption)>,
        now: DateTime<Utc>,
    ) -> diesel::QueryResult<()> {
        // Pipelined: the statements go out together instead of one round trip each.
        let shared: &diesel_async::AsyncPgConnection = self;
        let updates = rows.into_iter().map(|(id, adoption)| {
            let mut conn = shared;
            adopt_row!(id, adoption, now).execute(&mut conn)
        });
        futures::future::try_join_all(updates).await?;
        Ok(())
    }
}

impl AdoptRows for crate::store::SqliteConn {
    async fn adopt_rows(
        &mut self,
        rows: Vec<(PhoneNumberId, Adoption)>,
        now: DateTime<Utc>,
    ) -> diesel::QueryResult<()> {
        for (id, adoption) in rows {
            adopt_row!(id, adoption, now).execute(self).await?;
        }
        Ok(())
    }
}

/// One drift-sync run, as recorded in `drift_runs`.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Insertable)]
#[diesel(table_name = drift_runs)]
#[expect(
    missing_docs,
    reason = "the columns of drift_runs, named as the summary line"
)]
pub struct DriftRunRecord {
    #[diesel(serialize_as = Bind<uuid::Uuid>)]
    pub id: uuid::Uuid,
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub started_at: DateTime<Utc>,
    #[diesel(serialize_as = Bind<DateTime<Utc>>)]
    pub finished_at: DateTime<Utc>,
    pub dry_run: bool,
    pub tenants_checked: i32,
    pub tenants_failed: i32,
    pub drift_released: i32,
    pub bulk_released: i32,
    pub adopted: i32,
    pub failed_pending: i32,
    pub orphans: i32,
    pub webhook_drift: i32,
    pub brake_tripped: bool,
    pub duration_ms: i64,
    pub exit_code: i32,
}

impl Drift<'_> {
    /// How many rows are live now: drift-sync sizes its snapshot with it.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn live_count(&self) -> StoreResult<usize> {
        self.store
            .detached(move |store| async move {
                let count: i64 = with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                        .count()
                        .get_result(conn)
                        .await?
                });
                Ok(usize::try_from(count).unwrap_or(0))
            })
            .await
    }

    /// Every live row, as drift-sync's planner takes them, handed one by one to `push`
    /// with `state`, which comes back at the end: the rows are never all held in this
    /// form at once. PostgreSQL streams them from one statement (one consistent view of
    /// the table); SQLite reads them in pages of [`SNAPSHOT_PAGE`] by id.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn live_rows<S: Send + 'static>(
        &self,
        mut state: S,
        push: fn(&mut S, LocalNumber),
    ) -> StoreResult<S> {
        use futures::TryStreamExt as _;
        macro_rules! live {
            () => {
                phone_numbers::table
                    .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                    .select((
                        phone_numbers::id,
                        phone_numbers::tenant_id,
                        phone_numbers::phone_number,
                        phone_numbers::status,
                        phone_numbers::twilio_sid,
                        phone_numbers::account_sid,
                        phone_numbers::voice_url,
                        phone_numbers::status_callback_url,
                        phone_numbers::release_reason,
                        phone_numbers::created_at,
                        phone_numbers::updated_at,
                    ))
            };
        }
        self.store
            .detached(move |store| async move {
                match &store.pools {
                    crate::store::Pools::Pg(pool) => {
                        let mut object: crate::store::PgObject =
                            pool.get().await.map_err(crate::store::pool_error)?;
                        let conn: &mut diesel_async::AsyncPgConnection = &mut object;
                        let mut rows = live!().load_stream::<SnapshotTuple>(conn).await?;
                        while let Some(row) = rows.try_next().await? {
                            push(&mut state, local_number(row));
                        }
                    }
                    crate::store::Pools::Sqlite(pool) => {
                        let page_size = i64::try_from(SNAPSHOT_PAGE).unwrap_or(i64::MAX);
                        let mut after: Option<PhoneNumberId> = None;
                        loop {
                            let mut object: crate::store::SqliteObject =
                                pool.get().await.map_err(crate::store::pool_error)?;
                            let conn: &mut crate::store::SqliteConn = &mut object;
                            let page: Vec<SnapshotTuple> = match after {
                                Some(after) => {
                                    live!()
                                        .filter(phone_numbers::id.gt(Bind(after)))
                                        .order(phone_numbers::id)
                                        .limit(page_size)
                                        .load(conn)
                                        .await?
                                }
                                None => {
                                    live!()
                                        .order(phone_numbers::id)
                                        .limit(page_size)
                                        .load(conn)
                                        .await?
                                }
                            };
                            let full = page.len() == SNAPSHOT_PAGE;
                            after = page.last().map(|r| r.0);
                            for row in page {
                                push(&mut state, local_number(row));
                            }
                            if !full {
                                break;
                            }
                        }
                    }
                }
                Ok(state)
            })
            .await
    }

    /// The rows among `ids` as they are now (re-checking before an action that cannot be
    /// batched with the check, such as a delete on Twilio).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn current(
        &self,
        ids: Vec<PhoneNumberId>,
    ) -> StoreResult<HashMap<PhoneNumberId, PhoneNumberRecord>> {
        use diesel::SelectableHelper as _;
        self.store
            .detached(move |store| async move {
                let mut found = HashMap::with_capacity(ids.len());
                for chunk in ids.chunks(BATCH) {
                    let rows: Vec<PhoneNumberRecord> = with_conn!(store, |conn| {
                        phone_numbers::table
                            .filter(phone_numbers::id.eq_any(chunk.iter().copied().map(Bind)))
                            .select(PhoneNumberRecord::as_select())
                            .load(conn)
                            .await?
                    });
                    found.extend(rows.into_iter().map(|r| (r.id, r)));
                }
                Ok(found)
            })
            .await
    }

    /// The numbers among `numbers` that have a live row now (an orphan of the listing that
    /// was bought while the listing ran is not one).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn live_among(&self, numbers: Vec<E164>) -> StoreResult<HashSet<E164>> {
        self.store
            .detached(move |store| async move {
                let mut live = HashSet::new();
                for chunk in numbers.chunks(BATCH) {
                    let found: Vec<E164> = with_conn!(store, |conn| {
                        phone_numbers::table
                            .filter(phone_numbers::phone_number.eq_any(chunk.iter().map(Bind)))
                            .filter(phone_numbers::status.eq_any(NumberStatus::LIVE.map(Bind)))
                            .select(phone_numbers::phone_number)
                            .load(conn)
                            .await?
                    });
                    live.extend(found);
                }
                Ok(live)
            })
            .await
    }

    /// Applies planned changes to at most [`BATCH`] rows in one transaction: each row is
    /// re-read (locked on PostgreSQL) and changed only if its status and `updated_at` are
    /// still those it was planned from; the changes and their audit events are written with
    /// a few statements. Returns the ids changed; the others were changed by someone else
    /// meanwhile and are left alone.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails (nothing of the batch is written).
    pub async fn apply(
        &self,
        changes: Vec<PlannedChange>,
        actor: &Actor,
    ) -> StoreResult<Vec<PhoneNumberId>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        if changes.len() > BATCH {
            let mut applied = Vec::new();
            for chunk in changes.chunks(BATCH) {
                applied.extend(Box::pin(self.apply(chunk.to_vec(), actor)).await?);
            }
            return Ok(applied);
        }
        let actor = actor.clone();
        self.store
            .detached(move |store| async move {
                let ids: Vec<PhoneNumberId> = changes.iter().map(|c| c.id).collect();
                write_tx!(store, |conn| pg_lock: {
                    phone_numbers::table
                        .filter(phone_numbers::id.eq_any(ids.iter().copied().map(Bind)))
                        .select(phone_numbers::id)
                        .for_update()
                        .load::<PhoneNumberId>(conn)
                        .await?;
                }, {
                    let now_rows: Vec<(PhoneNumberId, TenantId, NumberStatus, DateTime<Utc>)> =
                        phone_numbers::table
                            .filter(phone_numbers::id.eq_any(ids.iter().copied().map(Bind)))
                            .select((
                                phone_numbers::id,
                                phone_numbers::tenant_id,
                                phone_numbers::status,
                                phone_numbers::updated_at,
                            ))
                            .load(conn)
                            .await?;
                    let now_rows: HashMap<_, _> = now_rows
                        .into_iter()
                        .map(|(id, tenant, status, updated)| (id, (tenant, status, updated)))
                        .collect();
                    let now = super::now();
                    let mut audits = Vec::new();
                    let mut releases: HashMap<(NumberStatus, ReleaseReason), Vec<PhoneNumberId>> =
                        HashMap::new();
                    let mut applied = Vec::new();
                    let mut adoptions = Vec::new();
                    for planned in changes {
                        let Some(&(tenant_id, status, updated_at)) = now_rows.get(&planned.id) else {
                            continue;
                        };
                        if status != planned.seen_status || updated_at != planned.seen_updated_at {
                            continue;
                        }
                        match planned.change {
                            RowChange::Release(reason) => {
                                let mut from = status;
                                if from == NumberStatus::Active {
                                    audits.push(AuditEvent {
                                        from_status: Some(NumberStatus::Active),
                                        to_status: Some(NumberStatus::Releasing),
                                        ..AuditEvent::new(&actor, AuditAction::ReleaseStarted, tenant_id, Some(planned.id))
                                    });
                                    from = NumberStatus::Releasing;
                                }
                                if !from.can_become(NumberStatus::Released) {
                                    continue;
                                }
                                audits.push(AuditEvent {
                                    from_status: Some(from),
                                    to_status: Some(NumberStatus::Released),
                                    ..AuditEvent::new(&actor, AuditAction::ReleaseCompleted, tenant_id, Some(planned.id))
                                });
                                releases.entry((status, reason)).or_default().push(planned.id);
                            }
                            RowChange::Adopt(adoption) => {
                                if status != NumberStatus::Pending {
                                    continue;
                                }
                                adoptions.push((planned.id, *adoption));
                                audits.push(AuditEvent {
                                    from_status: Some(NumberStatus::Pending),
                                    to_status: Some(NumberStatus::Active),
                                    ..AuditEvent::new(&actor, AuditAction::PurchaseCompleted, tenant_id, Some(planned.id))
                                });
                            }
                        }
                        applied.push(planned.id);
                    }
                    for ((from, reason), ids) in releases {
                        diesel::update(
                            phone_numbers::table
                                .filter(phone_numbers::id.eq_any(ids.into_iter().map(Bind)))
                                .filter(phone_numbers::status.eq(Bind(from))),
                        )
                        .set((
                            phone_numbers::status.eq(Bind(NumberStatus::Released)),
                            phone_numbers::updated_at.eq(Bind(now)),
                            phone_numbers::released_at.eq(Some(now)),
                            phone_numbers::release_reason.eq(Some(Bind(reason))),
                        ))
                        .execute(conn)
                        .await?;
                    }
                    conn.adopt_rows(adoptions, now).await?;
                    conn.insert_audits(audits).await?;
                    Ok(applied)
                })
            })
            .await
    }

    /// Marks every `active` number of the tenant `releasing` with `reason` (see
    /// [`Drift::begin_releases`]) and returns them: the first, durable step of releasing a
    /// canceled tenant's numbers (what is left `releasing` is finished by the background
    /// task or, failing that, by drift-sync).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn mark_tenant_releasing(
        &self,
        tenant_id: TenantId,
        reason: ReleaseReason,
        actor: &Actor,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        let ids: Vec<PhoneNumberId> = self
            .store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    phone_numbers::table
                        .filter(phone_numbers::tenant_id.eq(Bind(tenant_id)))
                        .filter(phone_numbers::status.eq(Bind(NumberStatus::Active)))
                        .select(phone_numbers::id)
                        .load(conn)
                        .await?
                }))
            })
            .await?;
        self.begin_releases(ids, reason, actor).await
    }

    /// The first step of releasing many numbers at once: among `ids`, the `active` rows
    /// become `releasing` with `reason` (each audited), in one transaction per [`BATCH`]
    /// rows. Returns every row of `ids` that is `releasing` afterwards, those marked now and
    /// those that already were (a retry keeps the reason recorded first); rows in any other
    /// status are left out.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails (the batch under way is not written).
    pub async fn begin_releases(
        &self,
        ids: Vec<PhoneNumberId>,
        reason: ReleaseReason,
        actor: &Actor,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        use diesel::SelectableHelper as _;
        in_batches(ids, |ids| {
            let (actor, reason) = (actor.clone(), reason.clone());
            self.store.detached(move |store| async move {
                write_tx!(store, |conn| {
                    let now = super::now();
                    let marked: Vec<PhoneNumberRecord> = diesel::update(
                        phone_numbers::table
                            .filter(phone_numbers::id.eq_any(ids.iter().copied().map(Bind)))
                            .filter(phone_numbers::status.eq(Bind(NumberStatus::Active))),
                    )
                    .set((
                        phone_numbers::status.eq(Bind(NumberStatus::Releasing)),
                        phone_numbers::updated_at.eq(Bind(now)),
                        phone_numbers::release_reason.eq(Some(Bind(reason))),
                    ))
                    .returning(PhoneNumberRecord::as_returning())
                    .get_results(conn)
                    .await?;
                    conn.insert_audits(transition_audits(
                        &marked,
                        &actor,
                        AuditAction::ReleaseStarted,
                        (NumberStatus::Active, NumberStatus::Releasing),
                    ))
                    .await?;
                    let marked_ids: HashSet<PhoneNumberId> = marked.iter().map(|r| r.id).collect();
                    let already: Vec<PhoneNumberRecord> = phone_numbers::table
                        .filter(
                            phone_numbers::id.eq_any(
                                ids.iter()
                                    .copied()
                                    .filter(|id| !marked_ids.contains(id))
                                    .map(Bind),
                            ),
                        )
                        .filter(phone_numbers::status.eq(Bind(NumberStatus::Releasing)))
                        .select(PhoneNumberRecord::as_select())
                        .load(conn)
                        .await?;
                    let mut batch = marked;
                    batch.extend(already);
                    Ok(batch)
                })
            })
        })
        .await
    }

    /// The last step of releasing many numbers at once, after Twilio deleted them: among
    /// `ids`, the `releasing` rows become `released` with `reason` (each audited), in one
    /// transaction per [`BATCH`] rows. Returns the rows released; rows no longer
    /// `releasing` (another release finished first) are left alone.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails (the batch under way is not written).
    pub async fn complete_releases(
        &self,
        ids: Vec<PhoneNumberId>,
        reason: ReleaseReason,
        actor: &Actor,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        use diesel::SelectableHelper as _;
        in_batches(ids, |ids| {
            let (actor, reason) = (actor.clone(), reason.clone());
            self.store.detached(move |store| async move {
                write_tx!(store, |conn| {
                    let now = super::now();
                    let done: Vec<PhoneNumberRecord> = diesel::update(
                        phone_numbers::table
                            .filter(phone_numbers::id.eq_any(ids.into_iter().map(Bind)))
                            .filter(phone_numbers::status.eq(Bind(NumberStatus::Releasing))),
                    )
                    .set((
                        phone_numbers::status.eq(Bind(NumberStatus::Released)),
                        phone_numbers::updated_at.eq(Bind(now)),
                        phone_numbers::released_at.eq(Some(now)),
                        phone_numbers::release_reason.eq(Some(Bind(reason))),
                    ))
                    .returning(PhoneNumberRecord::as_returning())
                    .get_results(conn)
                    .await?;
                    conn.insert_audits(transition_audits(
                        &done,
                        &actor,
                        AuditAction::ReleaseCompleted,
                        (NumberStatus::Releasing, NumberStatus::Released),
                    ))
                    .await?;
                    Ok(done)
                })
            })
        })
        .await
    }

    /// The live `active` or `releasing` rows of tenants whose subscription was canceled
    /// with effect at or before `now` and that have no `active` or `trialing` one since
    /// (drift-sync's first pass). `pending` rows are left to the second pass.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn canceled_tenants_numbers(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        use diesel::SelectableHelper as _;
        let now = super::stored(now);
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    // EXISTS and NOT EXISTS, which both backends plan as (anti-)joins:
                    // `<> ALL (subquery)` made PostgreSQL compare every row with every
                    // subscription once the subscriptions outgrew its hash memory.
                    let canceled = subscriptions::table
                        .filter(subscriptions::tenant_id.eq(phone_numbers::tenant_id))
                        .filter(subscriptions::status.eq(Bind(SubscriptionStatus::Canceled)))
                        .filter(subscriptions::canceled_at.le(Some(now)));
                    let buying = subscriptions::table
                        .filter(subscriptions::tenant_id.eq(phone_numbers::tenant_id))
                        .filter(subscriptions::status.eq_any(BUYING_STATUSES.map(Bind)));
                    phone_numbers::table
                        .filter(
                            phone_numbers::status
                                .eq(Bind(NumberStatus::Active))
                                .or(phone_numbers::status.eq(Bind(NumberStatus::Releasing))),
                        )
                        .filter(diesel::dsl::exists(canceled))
                        .filter(diesel::dsl::not(diesel::dsl::exists(buying)))
                        .select(PhoneNumberRecord::as_select())
                        .order((phone_numbers::tenant_id, phone_numbers::id))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }

    /// Records a run.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn record_run(&self, run: DriftRunRecord) -> StoreResult<()> {
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(drift_runs::table)
                        .values(run)
                        .execute(conn)
                        .await?;
                });
                Ok(())
            })
            .await
    }

    /// How many runs are recorded (tests, operators).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn run_count(&self) -> StoreResult<i64> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    drift_runs::table.count().get_result(conn).await?
                }))
            })
            .await
    }
}

/// The key of drift-sync's PostgreSQL advisory lock (any fixed number; this one spells
/// "DRIFTSYN" in ASCII).
pub const ADVISORY_LOCK_KEY: i64 = 0x4452_4946_5453_594E;

/// Proof that this process holds the single-run lock of drift-sync; dropping it releases
/// the lock (on PostgreSQL by closing the session that holds the advisory lock, on SQLite by
/// closing the locked file). A process that dies releases it the same way.
#[derive(Debug)]
pub struct RunLock {
    _held: Held,
}

impl RunLock {
    /// Releases the lock now. Dropping it releases it too, but on PostgreSQL only once the
    /// session's closing reaches the server, so a run started right after could still
    /// find it held.
    pub async fn release(self) {
        if let Held::Pg(mut conn) = self._held {
            let unlocked: Result<Locked, _> =
                diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
                    .bind::<diesel::sql_types::BigInt, _>(ADVISORY_LOCK_KEY)
                    .get_result(&mut *conn)
                    .await;
            if let Err(error) = unlocked {
                tracing::warn!(%error, "drift-sync's lock could not be released; closing its session releases it");
            }
        }
    }
}

enum Held {
    Pg(Box<diesel_async::AsyncPgConnection>),
    File(#[expect(dead_code, reason = "held only to be closed when the run ends")] std::fs::File),
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pg(_) => f.write_str("advisory lock"),
            Self::File(_) => f.write_str("lock file"),
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

impl Store {
    /// Takes drift-sync's single-run lock without waiting: `None` when another run holds
    /// it. On PostgreSQL a session-level advisory lock (`pg_try_advisory_lock`) on a
    /// connection taken out of the pool for the run; on SQLite an exclusive lock on the file
    /// `<database>.drift-sync.lock` beside the database (SQLite's databases are local files,
    /// so every process that can open it can lock it).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database or the lock file cannot be reached.
    pub async fn try_run_lock(&self, url: &crate::DatabaseUrl) -> StoreResult<Option<RunLock>> {
        match (&self.pools, url) {
            (crate::store::Pools::Pg(pool), _) => {
                let object = pool.get().await.map_err(crate::store::pool_error)?;
                let mut conn = deadpool::managed::Object::take(object);
                let row: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
                    .bind::<diesel::sql_types::BigInt, _>(ADVISORY_LOCK_KEY)
                    .get_result(&mut conn)
                    .await?;
                Ok(row.locked.then_some(RunLock {
                    _held: Held::Pg(Box::new(conn)),
                }))
            }
            (crate::store::Pools::Sqlite(_), crate::DatabaseUrl::Sqlite(path)) => {
                let mut name = path.as_os_str().to_owned();
                name.push(".drift-sync.lock");
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&name)
                    .map_err(|e| {
                        crate::StoreError::Unavailable(format!(
                            "cannot open the lock file {}: {e}",
                            std::path::Path::new(&name).display()
                        ))
                    })?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(RunLock {
                        _held: Held::File(file),
                    })),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => Err(crate::StoreError::Unavailable(
                        format!("cannot lock {}: {e}", std::path::Path::new(&name).display()),
                    )),
                }
            }
            (crate::store::Pools::Sqlite(_), crate::DatabaseUrl::Postgres(_)) => {
                Err(crate::StoreError::Unavailable(
                    "the lock needs the store's own database URL".into(),
                ))
            }
        }
    }

    /// Drift-sync's repository.
    #[must_use]
    pub fn drift(&self) -> Drift<'_> {
        Drift { store: self }
    }
}
