//! One drift-sync run (SPEC §10): the library code behind the `drift-sync` binary.
//!
//! 1. Takes the single-run lock (a PostgreSQL advisory lock; a lock file beside a SQLite
//!    database). Another run holding it ends this one at once ([`DriftOutcome::Locked`]).
//! 2. **Canceled subscriptions**: the `active` (and `releasing`) numbers of tenants whose
//!    cancellation has taken effect and that have no active or trialing subscription since
//!    are released with [`App::release_numbers`] (`bulkReleased`): batched writes around
//!    concurrent deletes. This runs beside step 3, which leaves these numbers out.
//! 3. **Reconcile with Twilio**: the live rows are read into the planner's compact
//!    [`ListingScan`] *before* the listing starts (streamed from one statement on
//!    PostgreSQL, by pages on SQLite); then the master account's numbers are read with one
//!    paged listing, each entry observed as it arrives and dropped unless a decision needs
//!    it. A listing that fails or ends early plans nothing, so nothing is released on its
//!    word. The plan's row changes (drift releases, adoptions, abandoned purchases,
//!    releases already gone) are applied in batches, a few at once, each row re-checked
//!    (status and `updated_at` as snapshotted) in the same transaction; beside them, the
//!    rows whose delete is to be retried or whose webhooks are to be repaired are
//!    re-checked and then handled (the deletes again through [`App::release_numbers`]).
//!    Orphans that have a live row by the end (bought while the listing ran), or that
//!    belong to a canceled tenant of step 2, are not reported.
//! 4. Records a `drift_runs` row and returns the [`DriftReport`] whose
//!    [`DriftReport::summary_line`] the binary prints.
//!
//! A failure for one tenant (a delete Twilio refuses, a batch the database refuses) is
//! counted in `tenantsFailed` and never stops the others.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::{TimeDelta, Utc};
use futures::StreamExt as _;
use numbers_domain::reconcile::{
    Action, ActionKind, BrakeVerdict, ListingComplete, ListingScan, LocalNumber, ReconcileSettings,
    SafetyBrake, ScanBuilder,
};
use numbers_domain::{E164, PhoneNumberId, ReleaseReason, TenantId};
use numbers_persistence::repo::drift::{Adoption, DriftRunRecord, PlannedChange, RowChange};
use numbers_persistence::{Actor, StoreError};

use crate::numbers::{BulkRelease, CallLimit};
use crate::{App, ServiceError};

/// Batches of row changes written at once.
const CONCURRENT_BATCHES: usize = 4;

/// How a run is to be done.
#[derive(Debug, Clone)]
pub struct DriftOptions {
    /// Plan only: change nothing (rows, Twilio, audit); the run is still recorded.
    pub dry_run: bool,
    /// Rewrite webhooks that drifted (otherwise only reported).
    pub repair_webhooks: bool,
    /// The safety brake on drift-releases.
    pub brake: SafetyBrake,
    /// How long a `pending` row is left alone.
    pub pending_grace: TimeDelta,
    /// Twilio calls (deletes, webhook repairs) in flight at once, both passes together.
    pub concurrency: usize,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            repair_webhooks: false,
            brake: SafetyBrake::default(),
            pending_grace: numbers_domain::reconcile::DEFAULT_PENDING_GRACE,
            concurrency: 8,
        }
    }
}

/// What a run did (or, dry, would do). Serialised for `--json` with the summary line's
/// camelCase names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// Tenants with numbers looked at (canceled ones and those with live rows).
    pub tenants_checked: usize,
    /// Tenants for which something failed.
    pub tenants_failed: usize,
    /// Active numbers absent from Twilio, marked released (reason `drift`).
    pub drift_released: usize,
    /// Numbers of canceled subscriptions released.
    pub bulk_released: usize,
    /// Pending purchases Twilio completed, made active.
    pub adopted: usize,
    /// Pending purchases Twilio never completed, closed.
    pub failed_pending: usize,
    /// `releasing` rows deleted on Twilio and marked released.
    pub retried_releases: usize,
    /// `releasing` rows already gone from Twilio, marked released.
    pub marked_released: usize,
    /// Numbers on Twilio that no row holds: reported, never acted on.
    pub orphans: usize,
    /// Numbers whose voice URL on Twilio is not the one we wrote.
    pub webhook_drift: usize,
    /// Of those, rewritten (with `--repair-webhooks`).
    pub webhooks_repaired: usize,
    /// Planned changes left alone because the row changed during the run.
    pub skipped_changed: usize,
    /// Actions held back by the brake.
    pub withheld: usize,
    /// Whether the brake tripped.
    pub brake_tripped: bool,
    /// Whether the listing was complete (`false`: nothing was reconciled).
    pub listing_complete: bool,
    /// Numbers the listing held.
    pub listed: usize,
    /// Live rows compared.
    pub rows: usize,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// The process exit code this run calls for: 0 all good, 1 a tenant failed, the brake
    /// tripped or the listing failed.
    pub exit_code: u8,
    /// The orphans, masked (last four digits) with their Twilio sid.
    pub orphan_numbers: Vec<String>,
}

impl DriftReport {
    /// The summary line of SPEC §10, then the other figures.
    #[must_use]
    pub fn summary_line(&self) -> String {
        format!(
            "phone_numbers_drift_sync tenantsChecked={} tenantsFailed={} driftReleased={} \
             bulkReleased={} adopted={} orphans={} webhookDrift={} durationMs={} \
             failedPending={} retriedReleases={} markedReleased={} webhooksRepaired={} \
             skippedChanged={} withheld={} brakeTripped={} listingComplete={} dryRun={}",
            self.tenants_checked,
            self.tenants_failed,
            self.drift_released,
            self.bulk_released,
            self.adopted,
            self.orphans,
            self.webhook_drift,
            self.duration_ms,
            self.failed_pending,
            self.retried_releases,
            self.marked_released,
            self.webhooks_repaired,
            self.skipped_changed,
            self.withheld,
            self.brake_tripped,
            self.listing_complete,
            self.dry_run,
        )
    }
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftOutcome {
    /// Another run holds the lock; nothing was done (exit code 75).
    Locked,
    /// The run happened.
    Ran(DriftReport),
}

/// Why a run could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    /// The database failed where the run cannot go on (the lock, the snapshot).
    #[error("drift-sync: database: {0}")]
    Store(#[from] StoreError),
}

/// Per-tenant bookkeeping.
#[derive(Default)]
struct Tally {
    report: DriftReport,
    checked: BTreeSet<TenantId>,
    failed: HashSet<TenantId>,
}

impl App {
    /// Runs one reconciliation (see the module documentation).
    ///
    /// # Errors
    /// [`DriftError`] when the database cannot be used for the lock or the snapshot; a
    /// failure for one tenant is counted in the report instead.
    pub async fn drift_sync(&self, options: &DriftOptions) -> Result<DriftOutcome, DriftError> {
        let Some(lock) = self.store().try_run_lock(self.database_url()).await? else {
            tracing::warn!("another drift-sync run holds the lock; exiting");
            return Ok(DriftOutcome::Locked);
        };
        let clock = Instant::now();
        let started_at = Utc::now();
        let actor = Actor::drift_sync();
        let mut tally = Tally::default();
        tally.report.dry_run = options.dry_run;

        // The first pass: numbers of canceled subscriptions. Their releases run while the
        // second pass, which leaves them out, reads the rows and the listing.
        let canceled = self
            .store()
            .drift()
            .canceled_tenants_numbers(Utc::now())
            .await?;
        let canceled_tenants: BTreeSet<TenantId> = canceled.iter().map(|r| r.tenant_id).collect();
        tally.checked.extend(canceled_tenants.iter().copied());
        let skip = Skip {
            ids: canceled.iter().map(|r| r.id).collect(),
            numbers: canceled.iter().map(|r| r.phone_number.clone()).collect(),
        };
        let to_release = canceled.len();
        let limit = CallLimit::new(options.concurrency);
        let first_pass = async {
            if options.dry_run {
                return None;
            }
            let outcome = self
                .release_numbers(
                    canceled,
                    ReleaseReason::SubscriptionCanceled,
                    &actor,
                    &limit,
                )
                .await;
            tracing::info!(
                elapsed_ms = clock.elapsed().as_millis(),
                numbers = to_release,
                "drift-sync: canceled subscriptions done"
            );
            Some(outcome)
        };
        let (first, second) = tokio::join!(
            first_pass,
            self.reconcile(options, &limit, &actor, skip, &mut tally)
        );
        match first {
            Some(outcome) => {
                self.count_releases(outcome, canceled_tenants, &mut tally, |report, released| {
                    report.bulk_released += released;
                })
            }
            None => tally.report.bulk_released += to_release,
        }
        second?;

        let mut report = tally.report;
        report.tenants_checked = tally.checked.len();
        report.tenants_failed = tally.failed.len();
        report.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        report.exit_code =
            u8::from(report.tenants_failed > 0 || report.brake_tripped || !report.listing_complete);
        let record = DriftRunRecord {
            id: uuid::Uuid::new_v4(),
            started_at,
            finished_at: Utc::now(),
            dry_run: options.dry_run,
            tenants_checked: int(report.tenants_checked),
            tenants_failed: int(report.tenants_failed),
            drift_released: int(report.drift_released),
            bulk_released: int(report.bulk_released),
            adopted: int(report.adopted),
            failed_pending: int(report.failed_pending),
            orphans: int(report.orphans),
            webhook_drift: int(report.webhook_drift),
            brake_tripped: report.brake_tripped,
            duration_ms: i64::try_from(report.duration_ms).unwrap_or(i64::MAX),
            exit_code: i32::from(report.exit_code),
        };
        if let Err(error) = self.store().drift().record_run(record).await {
            tracing::error!(%error, "the drift_runs row could not be written");
            report.exit_code = 1;
        }
        lock.release().await;
        Ok(DriftOutcome::Ran(report))
    }

    /// The second pass: the snapshot, the listing, the plan and its execution.
    async fn reconcile(
        &self,
        options: &DriftOptions,
        limit: &CallLimit,
        actor: &Actor,
        skip: Skip,
        tally: &mut Tally,
    ) -> Result<(), DriftError> {
        let now = Utc::now();
        let clock = Instant::now();
        let mut settings = ReconcileSettings::new(self.carrier().account_sid(), now);
        settings.pending_grace = options.pending_grace;
        settings.brake = options.brake;
        settings.repair_webhooks = options.repair_webhooks;
        let mut scan = self.snapshot(skip.ids, settings, tally).await?;
        tracing::info!(
            elapsed_ms = clock.elapsed().as_millis(),
            rows = tally.report.rows,
            "drift-sync: snapshot read"
        );
        let (mut listing, lister) = prefetched(self.carrier().list_owned());
        while let Some(item) = listing.recv().await {
            match item {
                Ok(number) => scan.observe(number),
                Err(error) => {
                    tracing::error!(%error, "the Twilio listing failed; nothing is reconciled in this run");
                    return Ok(());
                }
            }
        }
        if !matches!(lister.await, Ok(true)) {
            tracing::error!("the Twilio listing stopped early; nothing is reconciled in this run");
            return Ok(());
        }
        let plan = scan.finish(ListingComplete::stream_ended_without_error());
        tracing::info!(
            elapsed_ms = clock.elapsed().as_millis(),
            listed = plan.summary.listed,
            "drift-sync: listing read and planned"
        );
        let report = &mut tally.report;
        report.listing_complete = true;
        report.listed = plan.summary.listed;
        report.withheld = plan.summary.withheld;
        report.webhook_drift = plan.summary.webhook_drift;
        if let BrakeVerdict::Tripped {
            drift_found,
            active_rows,
        } = plan.brake
        {
            report.brake_tripped = true;
            tracing::error!(
                drift_found,
                active_rows,
                "safety brake: too many numbers look gone from Twilio; no drift release was made (force it with --force after checking)"
            );
        }

        // Orphans: those that have a live row by now were bought during the listing; those
        // of canceled tenants were being released by the first pass.
        let orphan_numbers: Vec<_> = plan
            .orphans
            .iter()
            .map(|o| o.phone_number.clone())
            .collect();
        let live_now = self.store().drift().live_among(orphan_numbers).await?;
        for orphan in plan.orphans.iter().filter(|o| {
            !live_now.contains(&o.phone_number) && !skip.numbers.contains(&o.phone_number)
        }) {
            tracing::warn!(
                phone_number = %orphan.phone_number.masked(),
                sid = %orphan.sid,
                "orphan: a number on Twilio that no row holds (adopt it with `api adopt-number` or release it on Twilio)"
            );
            report.orphans += 1;
            report
                .orphan_numbers
                .push(format!("{} {}", orphan.phone_number.masked(), orphan.sid));
        }

        if options.dry_run {
            report.drift_released = plan.summary.drift_released;
            report.adopted = plan.summary.adopted;
            report.failed_pending = plan.summary.failed_pending;
            report.retried_releases = plan.summary.retried_releases;
            report.marked_released = plan.summary.marked_released;
            return Ok(());
        }

        // Row changes, batched and re-checked.
        let mut changes = Vec::new();
        let mut kinds: HashMap<PhoneNumberId, (TenantId, &'static str)> = HashMap::new();
        let mut calls: Vec<Action> = Vec::new();
        for action in plan.actions() {
            let change = match &action.kind {
                ActionKind::DriftRelease => RowChange::Release(ReleaseReason::Drift),
                ActionKind::AbandonPending => {
                    RowChange::Release(ReleaseReason::PurchaseNotCompleted)
                }
                ActionKind::MarkReleased { reason } => RowChange::Release(reason.clone()),
                ActionKind::Adopt(entry) => RowChange::Adopt(Box::new(Adoption {
                    twilio_sid: entry.sid.clone(),
                    friendly_name: entry.friendly_name.clone(),
                    capabilities: entry.capabilities,
                    voice_url: entry.voice_url.clone(),
                    status_callback_url: entry.status_callback_url.clone(),
                    purchased_at: entry.created_at,
                })),
                ActionKind::RetryRelease { .. } | ActionKind::WebhookDrift(_) => {
                    calls.push(action.clone());
                    continue;
                }
            };
            kinds.insert(action.id, (action.tenant_id, action.kind.name()));
            changes.push(PlannedChange {
                id: action.id,
                seen_status: action.seen_status,
                seen_updated_at: action.seen_updated_at,
                change,
            });
        }
        // The row changes and the Twilio calls concern different rows: they run side by
        // side.
        let (applied, calls) = tokio::join!(
            self.apply_changes(changes, actor),
            self.twilio_calls(calls, limit, actor)
        );
        for (batch, applied) in applied {
            match applied {
                Ok(applied) => {
                    report.skipped_changed += batch.len() - applied.len();
                    for id in applied {
                        match kinds.get(&id).map(|k| k.1) {
                            Some("drift_release") => report.drift_released += 1,
                            Some("abandon_pending") => report.failed_pending += 1,
                            Some("mark_released") => report.marked_released += 1,
                            Some("adopt") => report.adopted += 1,
                            _ => {}
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(%error, rows = batch.len(), "a batch of changes failed; its tenants are counted failed");
                    tally
                        .failed
                        .extend(batch.iter().filter_map(|c| kinds.get(&c.id).map(|k| k.0)));
                }
            }
        }
        let calls = calls?;
        tally.report.skipped_changed += calls.skipped;
        self.count_releases(
            calls.retries,
            calls.retry_tenants,
            tally,
            |report, released| {
                report.retried_releases += released;
            },
        );
        for (action, done) in calls.repairs {
            match done {
                Ok(true) => tally.report.webhooks_repaired += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(
                        tenant.id = %action.tenant_id,
                        number.id = %action.id,
                        phone_number = %action.phone_number.masked(),
                        %error,
                        "drift-sync could not repair a number's webhooks"
                    );
                    tally.failed.insert(action.tenant_id);
                }
            }
        }
        tracing::info!(
            elapsed_ms = clock.elapsed().as_millis(),
            "drift-sync: changes applied"
        );
        Ok(())
    }

    /// Writes the planned row changes in batches, each re-checked in its transaction.
    /// Batches hold disjoint rows, so a few run at once (on SQLite they queue for its one
    /// writer).
    async fn apply_changes(
        &self,
        changes: Vec<PlannedChange>,
        actor: &Actor,
    ) -> Vec<(Vec<PlannedChange>, Result<Vec<PhoneNumberId>, StoreError>)> {
        let batches: Vec<Vec<PlannedChange>> = changes
            .chunks(numbers_persistence::repo::drift::BATCH)
            .map(<[PlannedChange]>::to_vec)
            .collect();
        futures::stream::iter(batches)
            .map(|batch| async move {
                let applied = self.store().drift().apply(batch.clone(), actor).await;
                (batch, applied)
            })
            .buffer_unordered(CONCURRENT_BATCHES)
            .collect()
            .await
    }

    /// The planned deletes to retry and webhooks to repair, each row re-checked first.
    async fn twilio_calls(
        &self,
        calls: Vec<Action>,
        limit: &CallLimit,
        actor: &Actor,
    ) -> Result<Calls, StoreError> {
        let current = self
            .store()
            .drift()
            .current(calls.iter().map(|a| a.id).collect())
            .await?;
        let mut skipped = 0;
        let mut retries = Vec::new();
        let mut repairs = Vec::new();
        for action in calls {
            match current.get(&action.id) {
                Some(record)
                    if record.status == action.seen_status
                        && record.updated_at == action.seen_updated_at =>
                {
                    match action.kind {
                        ActionKind::RetryRelease { .. } => retries.push(record.clone()),
                        _ => repairs.push(action),
                    }
                }
                _ => skipped += 1,
            }
        }
        let retry_tenants = retries.iter().map(|r| r.tenant_id).collect();
        let retries = self
            .release_numbers(retries, ReleaseReason::Drift, actor, limit)
            .await;
        let repairs = futures::stream::iter(repairs)
            .map(|action| async move {
                let done = limit.run(self.repair_webhooks(&action)).await;
                (action, done)
            })
            .buffer_unordered(limit.size())
            .collect()
            .await;
        Ok(Calls {
            skipped,
            retry_tenants,
            retries,
            repairs,
        })
    }

    /// Counts a batched release of the numbers of `tenants` in the report: `count` adds
    /// the numbers released, and each number that failed counts its tenant failed (every
    /// one of `tenants` when the database failed).
    fn count_releases(
        &self,
        outcome: Result<BulkRelease, ServiceError>,
        tenants: BTreeSet<TenantId>,
        tally: &mut Tally,
        count: impl FnOnce(&mut DriftReport, usize),
    ) {
        match outcome {
            Ok(outcome) => {
                count(&mut tally.report, outcome.released.len());
                for (record, error) in outcome.failed {
                    tracing::warn!(tenant.id = %record.tenant_id, number.id = %record.id, %error, "a number could not be released");
                    tally.failed.insert(record.tenant_id);
                }
            }
            Err(error) => {
                tracing::error!(%error, "a batch of releases could not be recorded; its tenants are counted failed");
                tally.failed.extend(tenants);
            }
        }
    }

    /// Rewrites the webhooks of a number that drifted, when repair was asked for;
    /// `Ok(true)` when done.
    async fn repair_webhooks(&self, action: &Action) -> Result<bool, ServiceError> {
        match &action.kind {
            ActionKind::WebhookDrift(drift) => match &drift.repair {
                Some(webhooks) => {
                    self.carrier().set_webhooks(&drift.sid, webhooks).await?;
                    tracing::info!(number.id = %action.id, "webhooks repaired");
                    Ok(true)
                }
                None => Ok(false),
            },
            _ => Ok(false),
        }
    }

    /// Every live row but `skip`, read page by page before the listing begins, packed into
    /// a scan as they arrive (the rows are never all held in their full form).
    async fn snapshot(
        &self,
        skip: HashSet<PhoneNumberId>,
        settings: ReconcileSettings,
        tally: &mut Tally,
    ) -> Result<ListingScan, StoreError> {
        let live = self.store().drift().live_count().await?;
        // Room for rows bought while the snapshot is read, so that the rows' vector is not
        // reallocated (for a moment twice its size) near the end.
        let scan = ListingScan::builder(settings, live + live / 64 + 16);
        let snapshot = Snapshot {
            scan,
            skip,
            tenants: std::mem::take(&mut tally.checked),
            rows: 0,
        };
        let snapshot = self
            .store()
            .drift()
            .live_rows(snapshot, Snapshot::push)
            .await?;
        tally.checked = snapshot.tenants;
        tally.report.rows = snapshot.rows;
        let scan = snapshot.scan;
        Ok(scan.start())
    }
}

/// What the second pass leaves to the first: the canceled tenants' numbers.
struct Skip {
    ids: HashSet<PhoneNumberId>,
    /// Their numbers: released during the listing, they may be listed without a row.
    numbers: HashSet<E164>,
}

/// What the Twilio calls of a run did.
struct Calls {
    /// Rows that changed since the snapshot, left alone.
    skipped: usize,
    /// The tenants of the retried deletes.
    retry_tenants: BTreeSet<TenantId>,
    retries: Result<BulkRelease, ServiceError>,
    repairs: Vec<(Action, Result<bool, ServiceError>)>,
}

/// Listing entries fetched ahead of the planner: about two of Twilio's pages.
const PREFETCH: usize = 2_000;

/// The listing, read on a task of its own up to [`PREFETCH`] entries ahead, so the next
/// page is fetched and decoded while the planner observes this one. The task stops after
/// the first error (which it passes on) or when the receiver is dropped. The channel
/// closing proves nothing by itself (the task may have died): the task's own answer, `true`
/// only when the listing's stream ended, says whether the listing is complete.
fn prefetched(
    mut listing: numbers_domain::OwnedNumbers,
) -> (
    tokio::sync::mpsc::Receiver<Result<numbers_domain::OwnedNumber, numbers_domain::CarrierError>>,
    tokio::task::JoinHandle<bool>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(PREFETCH);
    let task = tokio::spawn(async move {
        while let Some(item) = listing.next().await {
            let failed = item.is_err();
            if sender.send(item).await.is_err() || failed {
                return false;
            }
        }
        true
    });
    (receiver, task)
}

/// What the snapshot collects as the rows stream in.
struct Snapshot {
    scan: ScanBuilder,
    /// Rows left out (the canceled tenants' numbers, handled by the first pass).
    skip: HashSet<PhoneNumberId>,
    /// Tenants seen.
    tenants: BTreeSet<TenantId>,
    rows: usize,
}

impl Snapshot {
    fn push(&mut self, row: LocalNumber) {
        if self.skip.contains(&row.id) {
            return;
        }
        self.tenants.insert(row.tenant_id);
        self.rows += 1;
        self.scan.push(row);
    }
}

fn int(count: usize) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

impl App {
    /// The application drift-sync and live operator commands run on: the database at
    /// `database_url` (migrated) and the live Twilio account of `twilio` (never a sandbox).
    ///
    /// # Errors
    /// [`crate::AppError`] when the database cannot be opened or migrated, or the Twilio
    /// settings are refused.
    pub async fn live(
        database_url: numbers_persistence::DatabaseUrl,
        twilio: &crate::TwilioSettings,
    ) -> Result<Self, crate::AppError> {
        numbers_persistence::Store::migrate(&database_url).await?;
        let store = numbers_persistence::Store::connect(
            &database_url,
            &numbers_persistence::StoreOptions::default(),
        )?;
        Ok(crate::AppBuilder::new(store, database_url)
            .twilio(twilio)?
            .build())
    }
}
