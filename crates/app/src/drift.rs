//! One drift-sync run (SPEC §10): the library code behind the `drift-sync` binary.
//!
//! 1. Takes the single-run lock (a PostgreSQL advisory lock; a lock file beside a SQLite
//!    database). Another run holding it ends this one at once ([`DriftOutcome::Locked`]).
//! 2. **Canceled subscriptions**: the `active` (and `releasing`) numbers of tenants whose
//!    cancellation has taken effect and that have no active or trialing subscription since
//!    are released through the shared release (`bulkReleased`).
//! 3. **Reconcile with Twilio**: the live rows are read page by page into a compact
//!    snapshot *before* the listing starts; then the master account's numbers are read
//!    with one paged listing, streamed into the domain's [`ListingScan`] (entries the
//!    decision does not need are dropped as they arrive). A listing that fails or ends
//!    early plans nothing, so nothing is released on its word. The plan's row changes
//!    (drift releases, adoptions, abandoned purchases, releases already gone) are applied
//!    in batches, each row re-checked (status and `updated_at` as snapshotted) in the same
//!    transaction; deletes to retry and webhooks to repair are re-checked before the call.
//!    Orphans that have a live row by the end (bought while the listing ran) are not
//!    reported.
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
    SafetyBrake,
};
use numbers_domain::{NumberStatus, PhoneNumberId, ReleaseReason, TenantId};
use numbers_persistence::repo::drift::{
    Adoption, DriftRunRecord, PlannedChange, RowChange, SnapshotRow,
};
use numbers_persistence::{Actor, StoreError};

use crate::App;

/// Rows read per page of the snapshot.
const SNAPSHOT_PAGE: usize = 10_000;

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
    /// Twilio calls (deletes, webhook repairs) in flight at once.
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
        let Some(_lock) = self.store().try_run_lock(self.database_url()).await? else {
            tracing::warn!("another drift-sync run holds the lock; exiting");
            return Ok(DriftOutcome::Locked);
        };
        let clock = Instant::now();
        let started_at = Utc::now();
        let actor = Actor::drift_sync();
        let mut tally = Tally::default();
        tally.report.dry_run = options.dry_run;

        let bulk_ids = self.cancellations(options, &actor, &mut tally).await?;
        tracing::info!(
            elapsed_ms = clock.elapsed().as_millis(),
            numbers = bulk_ids.len(),
            "drift-sync: canceled subscriptions done"
        );
        self.reconcile(options, &actor, &bulk_ids, &mut tally)
            .await?;

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
        Ok(DriftOutcome::Ran(report))
    }

    /// The first pass: numbers of canceled subscriptions. Returns the ids it handled (the
    /// second pass leaves them out).
    async fn cancellations(
        &self,
        options: &DriftOptions,
        actor: &Actor,
        tally: &mut Tally,
    ) -> Result<HashSet<PhoneNumberId>, DriftError> {
        let records = self
            .store()
            .drift()
            .canceled_tenants_numbers(Utc::now())
            .await?;
        let ids = records.iter().map(|r| r.id).collect();
        tally.checked.extend(records.iter().map(|r| r.tenant_id));
        if options.dry_run {
            tally.report.bulk_released += records.len();
            return Ok(ids);
        }
        let results: Vec<_> = futures::stream::iter(records)
            .map(|record| {
                let (app, actor) = (self.clone(), actor.clone());
                let tenant_id = record.tenant_id;
                async move {
                    let done = app
                        .release_number(record, ReleaseReason::SubscriptionCanceled, &actor)
                        .await;
                    (tenant_id, done)
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for (tenant_id, done) in results {
            match done {
                Ok(record) if record.status == NumberStatus::Released => {
                    tally.report.bulk_released += 1;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(tenant.id = %tenant_id, %error, "a canceled tenant's number could not be released");
                    tally.failed.insert(tenant_id);
                }
            }
        }
        Ok(ids)
    }

    /// The second pass: the snapshot, the listing, the plan and its execution.
    async fn reconcile(
        &self,
        options: &DriftOptions,
        actor: &Actor,
        skip: &HashSet<PhoneNumberId>,
        tally: &mut Tally,
    ) -> Result<(), DriftError> {
        let now = Utc::now();
        let clock = Instant::now();
        let rows = self.snapshot(skip).await?;
        tracing::info!(
            elapsed_ms = clock.elapsed().as_millis(),
            rows = rows.len(),
            "drift-sync: snapshot read"
        );
        tally.report.rows = rows.len();
        tally.checked.extend(rows.iter().map(|r| r.tenant_id));
        let mut settings = ReconcileSettings::new(self.carrier().account_sid(), now);
        settings.pending_grace = options.pending_grace;
        settings.brake = options.brake;
        settings.repair_webhooks = options.repair_webhooks;
        let mut scan = ListingScan::new(rows, settings);
        let mut listing = self.carrier().list_owned();
        while let Some(item) = listing.next().await {
            match item {
                Ok(number) => scan.observe(number),
                Err(error) => {
                    tracing::error!(%error, "the Twilio listing failed; nothing is reconciled in this run");
                    return Ok(());
                }
            }
        }
        drop(listing);
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

        // Orphans: those that have a live row by now were bought during the listing.
        let orphan_numbers: Vec<_> = plan
            .orphans
            .iter()
            .map(|o| o.phone_number.clone())
            .collect();
        let live_now = self.store().drift().live_among(orphan_numbers).await?;
        for orphan in plan
            .orphans
            .iter()
            .filter(|o| !live_now.contains(&o.phone_number))
        {
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
        for batch in changes.chunks(numbers_persistence::repo::drift::BATCH) {
            match self.store().drift().apply(batch.to_vec(), actor).await {
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

        tracing::info!(
            elapsed_ms = clock.elapsed().as_millis(),
            "drift-sync: row changes applied"
        );
        // Twilio calls: re-check each row first.
        let current = self
            .store()
            .drift()
            .current(calls.iter().map(|a| a.id).collect())
            .await?;
        let unchanged: Vec<Action> = calls
            .into_iter()
            .filter(|a| {
                let same = current.get(&a.id) == Some(&(a.seen_status, a.seen_updated_at));
                if !same {
                    report.skipped_changed += 1;
                }
                same
            })
            .collect();
        let results: Vec<_> = futures::stream::iter(unchanged)
            .map(|action| {
                let (app, actor) = (self.clone(), actor.clone());
                async move {
                    let done = app.carry_out(&action, &actor).await;
                    (action, done)
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for (action, done) in results {
            match done {
                Ok(true) => match action.kind {
                    ActionKind::RetryRelease { .. } => report.retried_releases += 1,
                    ActionKind::WebhookDrift(_) => report.webhooks_repaired += 1,
                    _ => {}
                },
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(
                        tenant.id = %action.tenant_id,
                        number.id = %action.id,
                        phone_number = %action.phone_number.masked(),
                        action = action.kind.name(),
                        %error,
                        "drift-sync could not carry out an action"
                    );
                    tally.failed.insert(action.tenant_id);
                }
            }
        }
        Ok(())
    }

    /// A retried delete or a webhook repair; `Ok(true)` when done, `Ok(false)` when there
    /// was nothing to do after all.
    async fn carry_out(&self, action: &Action, actor: &Actor) -> Result<bool, crate::ServiceError> {
        match &action.kind {
            ActionKind::RetryRelease { reason, .. } => {
                let Some(record) = self.store().phone_numbers().get_any(action.id).await? else {
                    return Ok(false);
                };
                let done = self.release_number(record, reason.clone(), actor).await?;
                Ok(done.status == NumberStatus::Released)
            }
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

    /// Every live row but `skip`, read page by page before the listing begins.
    async fn snapshot(
        &self,
        skip: &HashSet<PhoneNumberId>,
    ) -> Result<Vec<LocalNumber>, StoreError> {
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = self.store().drift().live_page(after, SNAPSHOT_PAGE).await?;
            let full = page.len() == SNAPSHOT_PAGE;
            after = page.last().map(|r| r.id);
            rows.extend(
                page.into_iter()
                    .filter(|r| !skip.contains(&r.id))
                    .map(local_number),
            );
            if !full {
                break;
            }
        }
        rows.shrink_to_fit();
        Ok(rows)
    }
}

fn local_number(row: SnapshotRow) -> LocalNumber {
    LocalNumber {
        id: row.id,
        tenant_id: row.tenant_id,
        phone_number: row.phone_number,
        status: row.status,
        twilio_sid: row.twilio_sid,
        account_sid: row.account_sid,
        voice_url: row.voice_url,
        status_callback_url: row.status_callback_url,
        release_reason: row.release_reason,
        created_at: row.created_at,
        updated_at: row.updated_at,
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
