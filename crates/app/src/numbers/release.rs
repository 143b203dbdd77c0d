//! Releasing a number (SPEC §6): `releasing`, the delete on Twilio (a 404 there means it is
//! already gone), then `released`. A failure leaves the row `releasing`, which drift-sync
//! retries; repeating a release is harmless.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::StreamExt as _;
use numbers_domain::{CarrierError, NumberStatus, PhoneNumberId, ReleaseReason, TenantId};
use numbers_persistence::{Actor, PhoneNumberRecord, StoreError};

use crate::error::run_whole;
use crate::{App, ServiceError};

/// A limit on Twilio calls in flight at once, shared by every holder of a clone: the two
/// passes of a drift-sync run draw on one limit, so `--concurrency` bounds the run's calls
/// in all.
#[derive(Debug, Clone)]
pub struct CallLimit {
    permits: Arc<tokio::sync::Semaphore>,
    size: usize,
}

impl CallLimit {
    /// Up to `size` calls at once (at least one).
    #[must_use]
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(size)),
            size,
        }
    }

    /// How many calls may be in flight at once.
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs `call` once a place is free.
    pub async fn run<F: Future>(&self, call: F) -> F::Output {
        // The semaphore is never closed, so the permit is always granted.
        let _permit = self.permits.acquire().await.ok();
        call.await
    }
}

impl App {
    /// Releases the tenant's number at its admin's request (reason `user`), on a task of
    /// its own. A number already released is answered as it is.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown (or another tenant's) number;
    /// [`ServiceError::NotActive`] while its purchase is still being settled;
    /// [`ServiceError::Carrier`] when Twilio refuses or cannot be reached (the row stays
    /// `releasing`); [`ServiceError::Store`].
    pub async fn release(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
        actor: Actor,
    ) -> Result<PhoneNumberRecord, ServiceError> {
        let app = self.clone();
        run_whole(async move {
            let record = app.tenant_number(tenant_id, id).await?;
            app.release_number(record, ReleaseReason::User, &actor)
                .await
        })
        .await
    }

    /// Releases a number whatever its owner (the API, the cancellation task and drift-sync
    /// share it). `released` and `failed` rows are returned unchanged; a `pending` one is
    /// refused, since nobody knows yet whether it was bought.
    ///
    /// # Errors
    /// As [`App::release`].
    pub async fn release_number(
        &self,
        record: PhoneNumberRecord,
        reason: ReleaseReason,
        actor: &Actor,
    ) -> Result<PhoneNumberRecord, ServiceError> {
        let numbers = self.store().phone_numbers();
        let record = match record.status {
            NumberStatus::Released | NumberStatus::Failed => return Ok(record),
            NumberStatus::Pending => {
                return Err(ServiceError::NotActive {
                    status: record.status,
                });
            }
            NumberStatus::Active | NumberStatus::Releasing => {
                match numbers
                    .mark_releasing(record.id, reason.clone(), actor)
                    .await
                {
                    Ok(releasing) => releasing,
                    // Another release finished first.
                    Err(StoreError::InvalidTransition(_)) => return self.reread(record).await,
                    Err(error) => return Err(error.into()),
                }
            }
        };
        if let Err(error) = self.delete_on_twilio(&record).await {
            tracing::warn!(
                number.id = %record.id,
                phone_number = %record.phone_number.masked(),
                %error,
                "release failed on Twilio; the row stays releasing for drift-sync"
            );
            return Err(error.into());
        }
        match numbers.mark_released(record.id, reason, actor).await {
            Ok(released) => Ok(released),
            Err(StoreError::InvalidTransition(_)) => self.reread(record).await,
            Err(error) => Err(error.into()),
        }
    }

    /// The row as it is now, after a concurrent change won.
    async fn reread(&self, record: PhoneNumberRecord) -> Result<PhoneNumberRecord, ServiceError> {
        self.store()
            .phone_numbers()
            .get_any(record.id)
            .await?
            .ok_or(ServiceError::NotFound("phone number"))
    }
}

/// What [`App::release_numbers`] did.
#[derive(Debug, Default)]
pub struct BulkRelease {
    /// The rows released now.
    pub released: Vec<PhoneNumberRecord>,
    /// The rows that could not be released, with why; each is left `releasing` (or as it
    /// was) for drift-sync.
    pub failed: Vec<(PhoneNumberRecord, ServiceError)>,
}

impl App {
    /// Releases many numbers as [`App::release_number`] releases one, with the database
    /// writes batched: the `active` rows are marked `releasing` a few hundred per
    /// transaction, the numbers are deleted on Twilio within `limit` (calls in flight at
    /// once), and those deleted (or already gone) are marked `released` in batches. Each
    /// row's recorded release reason is kept; `reason` applies to rows without one. Rows
    /// that are neither `active` nor `releasing` by the time they are marked are left out.
    /// Drift-sync and the cancellation of a subscription share it.
    ///
    /// # Errors
    /// [`ServiceError::Store`] when a batch cannot be marked; failures of single numbers
    /// are in [`BulkRelease::failed`] instead.
    pub async fn release_numbers(
        &self,
        records: Vec<PhoneNumberRecord>,
        reason: ReleaseReason,
        actor: &Actor,
        limit: &CallLimit,
    ) -> Result<BulkRelease, ServiceError> {
        let ids = records
            .iter()
            .filter(|r| matches!(r.status, NumberStatus::Active | NumberStatus::Releasing))
            .map(|r| r.id)
            .collect();
        let releasing = self
            .store()
            .drift()
            .begin_releases(ids, reason.clone(), actor)
            .await?;
        let deletes: Vec<_> = futures::stream::iter(releasing)
            .map(|record| {
                let app = self.clone();
                async move {
                    let deleted = limit.run(app.delete_on_twilio(&record)).await;
                    (record, deleted)
                }
            })
            .buffer_unordered(limit.size())
            .collect()
            .await;
        let mut outcome = BulkRelease::default();
        let mut deleted: HashMap<ReleaseReason, Vec<PhoneNumberId>> = HashMap::new();
        for (record, done) in deletes {
            match done {
                Ok(()) => deleted
                    .entry(
                        record
                            .release_reason
                            .clone()
                            .unwrap_or_else(|| reason.clone()),
                    )
                    .or_default()
                    .push(record.id),
                Err(error) => {
                    tracing::warn!(
                        number.id = %record.id,
                        phone_number = %record.phone_number.masked(),
                        %error,
                        "release failed on Twilio; the row stays releasing for drift-sync"
                    );
                    outcome.failed.push((record, error.into()));
                }
            }
        }
        for (reason, ids) in deleted {
            outcome.released.extend(
                self.store()
                    .drift()
                    .complete_releases(ids, reason, actor)
                    .await?,
            );
        }
        Ok(outcome)
    }

    /// Deletes the row's number on Twilio; a number already gone counts as deleted.
    async fn delete_on_twilio(&self, record: &PhoneNumberRecord) -> Result<(), CarrierError> {
        let deleted = match record.twilio_sid.as_deref() {
            Some(sid) => self.carrier().release(sid).await,
            // A row without Twilio's sid (imported) is looked up by its number.
            None => match self.carrier().find_owned(&record.phone_number).await {
                Ok(Some(owned)) => self.carrier().release(&owned.sid).await,
                Ok(None) => Ok(()),
                Err(error) => Err(error),
            },
        };
        match deleted {
            Err(CarrierError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}
