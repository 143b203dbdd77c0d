//! Canceling a subscription (SPEC §8): at once, with every active number of the tenant
//! released in the background, or at the end of the paid period, left to drift-sync.
//!
//! The release is durable before the answer: the tenant's active rows are marked
//! `releasing` (reason `subscription_canceled`) in one transaction, then a background task
//! deletes them on Twilio one by one through the shared release. A delete that fails, or a
//! process that stops before the task is done, leaves rows `releasing` in the database;
//! drift-sync retries them on its next run.

use chrono::Utc;
use numbers_domain::{AuditAction, ReleaseReason, SubscriptionId, TenantId};
use numbers_persistence::{Actor, AuditDetail, NewAuditEvent, PhoneNumberRecord, Subscription};

use crate::error::run_whole;
use crate::numbers::CallLimit;
use crate::{App, ServiceError};

/// The outcome of a cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The subscription as it is now.
    pub subscription: Subscription,
    /// How many numbers are being released in the background (0 for a cancellation at the
    /// end of the period).
    pub releasing: usize,
}

impl App {
    /// Cancels the tenant's subscription `id`. `immediate`: canceled now, and every
    /// `active` number of the tenant is marked `releasing` and released on Twilio by a
    /// background task (the call does not wait for Twilio). Otherwise canceled with effect
    /// at the end of the current period; drift-sync releases the numbers on its first run
    /// after that. Canceling again never moves an earlier effective time later.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown (or another tenant's) subscription;
    /// [`ServiceError::Store`].
    pub async fn cancel_subscription(
        &self,
        tenant_id: TenantId,
        id: SubscriptionId,
        immediate: bool,
        actor: Actor,
    ) -> Result<Cancellation, ServiceError> {
        let app = self.clone();
        run_whole(async move {
            let subscriptions = app.store().subscriptions();
            let current = subscriptions
                .get(id)
                .await?
                .filter(|s| s.tenant_id == tenant_id)
                .ok_or(ServiceError::NotFound("subscription"))?;
            let now = Utc::now();
            let requested = if immediate {
                now
            } else {
                current.current_period_end
            };
            let effective = match current.canceled_at {
                Some(earlier) if earlier <= requested => earlier,
                _ => requested,
            };
            let subscription = subscriptions.cancel(tenant_id, id, effective).await?;
            app.store()
                .audit_events()
                .record(
                    NewAuditEvent {
                        tenant_id,
                        phone_number_id: None,
                        action: AuditAction::SubscriptionCanceled,
                        detail: AuditDetail {
                            immediate: Some(immediate),
                            ..AuditDetail::default()
                        },
                    },
                    &actor,
                )
                .await?;
            let releasing = if effective <= now {
                app.release_canceled_tenant(tenant_id).await?
            } else {
                0
            };
            Ok(Cancellation {
                subscription,
                releasing,
            })
        })
        .await
    }

    /// Marks the tenant's active numbers `releasing` (unless it still has an active or
    /// trialing subscription) and starts the background task that releases them; returns
    /// how many.
    async fn release_canceled_tenant(&self, tenant_id: TenantId) -> Result<usize, ServiceError> {
        if self
            .store()
            .subscriptions()
            .current_for_tenant(tenant_id)
            .await?
            .is_some()
        {
            return Ok(0);
        }
        let actor = Actor::cancellation();
        let records = self
            .store()
            .drift()
            .mark_tenant_releasing(tenant_id, ReleaseReason::SubscriptionCanceled, &actor)
            .await?;
        let count = records.len();
        if count > 0 {
            tracing::info!(tenant.id = %tenant_id, numbers = count, "releasing a canceled tenant's numbers in the background");
            tokio::spawn(self.clone().release_in_background(records, actor));
        }
        Ok(count)
    }

    /// Releases `records` on Twilio, a few at a time; failures stay `releasing` for
    /// drift-sync.
    async fn release_in_background(self, records: Vec<PhoneNumberRecord>, actor: Actor) {
        match self
            .release_numbers(
                records,
                ReleaseReason::SubscriptionCanceled,
                &actor,
                &CallLimit::new(BACKGROUND_RELEASES),
            )
            .await
        {
            Ok(outcome) if outcome.failed.is_empty() => {}
            Ok(outcome) => tracing::warn!(
                failed = outcome.failed.len(),
                "numbers of a canceled tenant are left releasing for drift-sync"
            ),
            Err(error) => tracing::warn!(
                %error,
                "a canceled tenant's numbers could not be released; drift-sync will retry"
            ),
        }
    }
}

/// Twilio deletes in flight at once while releasing a canceled tenant's numbers.
const BACKGROUND_RELEASES: usize = 4;
