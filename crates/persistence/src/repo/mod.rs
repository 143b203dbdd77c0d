//! Repositories: one per aggregate, each a thin handle borrowed from the [`Store`].

pub mod audit_events;
pub mod calls;
pub mod channels;
pub mod drift;
pub mod idempotency;
pub mod phone_numbers;
pub mod plans;
pub mod regulatory;
pub mod shared_pool;
pub mod subscriptions;
pub mod tenants;
pub mod twilio_accounts;

use chrono::{DateTime, SubsecRound as _, Utc};

use crate::Store;

/// The current time at the precision both backends keep (microseconds), so a record read
/// back equals the record written.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A caller's instant at the stored precision.
pub(crate) fn stored(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

impl Store {
    /// Tenants.
    #[must_use]
    pub fn tenants(&self) -> tenants::Tenants<'_> {
        tenants::Tenants { store: self }
    }

    /// Plans (pricing tiers).
    #[must_use]
    pub fn plans(&self) -> plans::Plans<'_> {
        plans::Plans { store: self }
    }

    /// Subscriptions.
    #[must_use]
    pub fn subscriptions(&self) -> subscriptions::Subscriptions<'_> {
        subscriptions::Subscriptions { store: self }
    }

    /// Channels.
    #[must_use]
    pub fn channels(&self) -> channels::Channels<'_> {
        channels::Channels { store: self }
    }

    /// Phone numbers, including the quota-checked reservation.
    #[must_use]
    pub fn phone_numbers(&self) -> phone_numbers::PhoneNumbers<'_> {
        phone_numbers::PhoneNumbers { store: self }
    }

    /// Regulatory requirements (bundles and addresses for regulated numbers).
    #[must_use]
    pub fn regulatory(&self) -> regulatory::Regulatory<'_> {
        regulatory::Regulatory { store: self }
    }

    /// The legacy shared pool.
    #[must_use]
    pub fn shared_pool(&self) -> shared_pool::SharedPool<'_> {
        shared_pool::SharedPool { store: self }
    }

    /// Twilio accounts with sealed tokens.
    #[must_use]
    pub fn twilio_accounts(&self) -> twilio_accounts::TwilioAccounts<'_> {
        twilio_accounts::TwilioAccounts { store: self }
    }

    /// Idempotency keys of purchases.
    #[must_use]
    pub fn idempotency_keys(&self) -> idempotency::IdempotencyKeys<'_> {
        idempotency::IdempotencyKeys { store: self }
    }

    /// Calls reaching the webhooks.
    #[must_use]
    pub fn calls(&self) -> calls::Calls<'_> {
        calls::Calls { store: self }
    }

    /// Audit events.
    #[must_use]
    pub fn audit_events(&self) -> audit_events::AuditEvents<'_> {
        audit_events::AuditEvents { store: self }
    }
}
