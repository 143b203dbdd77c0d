//! Sandbox mode: with no Twilio credentials the service talks to an in-process Twilio fake
//! and seeds a demo tenant, plan, subscription and voice channel on first start. Nothing is
//! real: no number is bought, no call is placed.

use chrono::{Duration, Utc};
use numbers_domain::{ChannelId, ChannelKind, ChannelKind::Voice, SubscriptionStatus, TenantId};
use numbers_persistence::{NewChannel, Store, StoreError};
use twilio_fake::{FakeConfig, TwilioFake};

/// The demo tenant's fixed id, so example commands stay the same across restarts.
pub const DEMO_TENANT_ID: uuid::Uuid =
    uuid::Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);

/// Name of the demo plan.
pub const DEMO_PLAN: &str = "sandbox";

/// Numbers the demo plan allows.
pub const DEMO_QUOTA: u32 = 5;

/// Seed of the sandbox fake: the same inventory on every start.
pub const SANDBOX_SEED: u64 = 2026;

/// A running sandbox: the fake and the demo records.
#[derive(Debug)]
pub struct Sandbox {
    /// The in-process Twilio fake the service talks to.
    pub fake: TwilioFake,
    /// The demo tenant.
    pub tenant_id: TenantId,
    /// Its voice channel.
    pub channel_id: ChannelId,
}

/// Starts the fake.
///
/// # Errors
/// The fake's start-up error (a loopback port could not be bound).
pub fn start_fake() -> Result<TwilioFake, twilio_fake::FakeError> {
    TwilioFake::start(FakeConfig {
        seed: SANDBOX_SEED,
        ..FakeConfig::default()
    })
}

/// Creates the demo tenant, plan, subscription and voice channel unless they exist, and
/// returns the tenant and channel ids.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn seed_demo(store: &Store) -> Result<(TenantId, ChannelId), StoreError> {
    let tenant_id = TenantId::from_uuid(DEMO_TENANT_ID);
    if store.tenants().get(tenant_id).await?.is_none() {
        store
            .tenants()
            .create_with_id(tenant_id, "Sandbox demo tenant")
            .await?;
        tracing::info!(tenant.id = %tenant_id, "sandbox: created the demo tenant");
    }
    let plan = match store.plans().get_by_name(DEMO_PLAN).await? {
        Some(plan) => plan,
        None => store.plans().create(DEMO_PLAN, DEMO_QUOTA).await?,
    };
    if store
        .subscriptions()
        .current_for_tenant(tenant_id)
        .await?
        .is_none()
    {
        store
            .subscriptions()
            .create(
                tenant_id,
                plan.id,
                SubscriptionStatus::Active,
                Utc::now() + Duration::days(365),
            )
            .await?;
    }
    let channels = store.channels().list(tenant_id).await?;
    let channel = match channels.into_iter().find(|c| c.kind == Voice) {
        Some(channel) => channel,
        None => {
            store
                .channels()
                .create(NewChannel {
                    tenant_id,
                    kind: ChannelKind::Voice,
                    name: "Demo voice channel".into(),
                    agent_stream_url: Some("wss://agent.example.invalid/stream".into()),
                })
                .await?
        }
    };
    Ok((tenant_id, channel.id))
}
