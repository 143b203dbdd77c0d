//! Shared fixtures for the persistence tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use chrono::{Duration, Utc};
use numbers_domain::{ChannelKind, E164, IsoCountry, NumberType, SubscriptionStatus, TenantId};
use numbers_persistence::{Actor, Channel, NewChannel, NewReservation, Plan, Store, Tenant};

/// A tenant subscribed (active) to a fresh plan with `quota` numbers.
pub async fn tenant_with_quota(store: &Store, quota: u32) -> (Tenant, Plan) {
    let tenant = store.tenants().create("Acme").await.expect("tenant");
    let plan = store
        .plans()
        .create(&format!("plan-{}", uuid::Uuid::new_v4().simple()), quota)
        .await
        .expect("plan");
    store
        .subscriptions()
        .create(
            tenant.id,
            plan.id,
            SubscriptionStatus::Active,
            Utc::now() + Duration::days(30),
        )
        .await
        .expect("subscription");
    (tenant, plan)
}

/// A voice channel of the tenant.
pub async fn voice_channel(store: &Store, tenant: TenantId) -> Channel {
    store
        .channels()
        .create(NewChannel {
            tenant_id: tenant,
            kind: ChannelKind::Voice,
            name: "Front desk".into(),
            agent_stream_url: Some("wss://agents.example/stream".into()),
        })
        .await
        .expect("channel")
}

/// A distinct valid US number for index `n`.
pub fn number(n: u32) -> E164 {
    format!("+1415555{n:04}").parse().expect("valid number")
}

/// A reservation request for `number` by `tenant`.
pub fn reservation(tenant: TenantId, number: E164) -> NewReservation {
    NewReservation {
        tenant_id: tenant,
        phone_number: number,
        account_sid: "AC00000000000000000000000000000000".into(),
        iso_country: "US".parse::<IsoCountry>().expect("country"),
        number_type: NumberType::Local,
        channel_id: None,
        monthly_price_usd: Some("1.15".parse().expect("money")),
    }
}

/// The actor used by tests.
pub fn actor() -> Actor {
    Actor::api("user-1", Some("req-1".into()))
}
