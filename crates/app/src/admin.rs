//! Operator tasks behind the `api` subcommands: creating tenants, plans, subscriptions and
//! channels, and re-sealing stored Twilio tokens under the current key.

use chrono::{DateTime, Utc};
use numbers_crypto::{Keyring, SealedSecret};
use numbers_domain::{PlanId, SubscriptionStatus, TenantId};
use numbers_persistence::{Plan, Store, StoreError, Subscription, Tenant};

/// Creates a tenant.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn create_tenant(store: &Store, name: &str) -> Result<Tenant, StoreError> {
    store.tenants().create(name).await
}

/// Creates a plan allowing `quota` numbers.
///
/// # Errors
/// [`StoreError::Conflict`] when the name is taken.
pub async fn create_plan(store: &Store, name: &str, quota: u32) -> Result<Plan, StoreError> {
    store.plans().create(name, quota).await
}

/// Subscribes a tenant to a plan.
///
/// # Errors
/// [`StoreError::MissingReference`] for an unknown tenant or plan.
pub async fn create_subscription(
    store: &Store,
    tenant_id: TenantId,
    plan_id: PlanId,
    status: SubscriptionStatus,
    current_period_end: DateTime<Utc>,
) -> Result<Subscription, StoreError> {
    store
        .subscriptions()
        .create(tenant_id, plan_id, status, current_period_end)
        .await
}

/// Creates a channel under the same rules as `POST /v1/channels` (see
/// [`crate::channels::create`]).
pub use crate::channels::create as create_channel;

/// What `rotate-keys` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Tokens re-sealed under the current key.
    pub resealed: usize,
    /// Tokens already under the current key.
    pub already_current: usize,
    /// Accounts whose token could not be opened with any configured key (listed by sid):
    /// left untouched, and an error to fix by hand.
    pub failed: Vec<String>,
}

/// Re-seals every stored Twilio token under the keyring's current key. A token that no
/// configured key opens is reported, never dropped or replaced.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn rotate_keys(store: &Store, keyring: &Keyring) -> Result<RotationReport, StoreError> {
    let mut report = RotationReport::default();
    for account in store.twilio_accounts().list_sealed().await? {
        let Some(stored) = account.sealed_auth_token.as_deref() else {
            continue;
        };
        let resealed = SealedSecret::from_base64(stored)
            .map_err(|e| e.to_string())
            .and_then(|blob| {
                if keyring.needs_reseal(&blob) {
                    keyring
                        .reseal(&blob, &account.sid)
                        .map(Some)
                        .map_err(|e| e.to_string())
                } else {
                    Ok(None)
                }
            });
        match resealed {
            Ok(None) => report.already_current += 1,
            Ok(Some(blob)) => {
                let key_id = keyring.current_key_id().to_string();
                store
                    .twilio_accounts()
                    .replace_sealed_token(&account.sid, stored, &blob.to_base64(), &key_id)
                    .await?;
                report.resealed += 1;
            }
            Err(error) => {
                tracing::error!(account.sid = %account.sid, %error, "a stored Twilio token cannot be opened with any configured key");
                report.failed.push(account.sid);
            }
        }
    }
    Ok(report)
}
