//! Sandbox mode: with no Twilio credentials the service talks to an in-process Twilio fake
//! and seeds a demo tenant, plan, subscription and voice channel on first start. Nothing is
//! real: no number is bought, no call is placed. Regulated pairs get demo documents
//! ([`register_demo_documents`]) and calls can be simulated
//! ([`crate::App::simulate_inbound_call`]).

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

/// The caller of simulated calls.
pub const SIMULATED_CALLER: &str = "+14155550100";

/// How long a simulated call lasts, in seconds.
pub const SIMULATED_CALL_SECONDS: u32 = 30;

/// What a simulated call did: the voice webhook's answer and the status callback's.
#[derive(Debug, Clone)]
pub struct SimulatedCall {
    /// The voice webhook request and its answer (TwiML).
    pub voice: DeliveredWebhook,
    /// The `completed` status callback and its answer.
    pub status_callback: DeliveredWebhook,
}

/// One webhook the fake sent for a simulated call, and what this service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredWebhook {
    /// The call's `CA…` sid.
    pub call_sid: String,
    /// Caller, E.164.
    pub from: String,
    /// Called number, E.164.
    pub to: String,
    /// The URL requested.
    pub url: String,
    /// The HTTP status answered.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its body (TwiML for the voice webhook).
    pub body: String,
}

impl From<twilio_fake::CallOutcome> for DeliveredWebhook {
    fn from(call: twilio_fake::CallOutcome) -> Self {
        Self {
            call_sid: call.call_sid,
            from: call.from,
            to: call.to,
            url: call.url,
            status: call.status,
            content_type: call.content_type,
            body: call.body,
        }
    }
}

impl crate::App {
    /// Sandbox mode only: the fake places an inbound call from [`SIMULATED_CALLER`] to one
    /// of the tenant's live numbers — Twilio's signed voice webhook to the number's voice
    /// URL — then sends its `completed` status callback ([`SIMULATED_CALL_SECONDS`] long).
    ///
    /// # Errors
    /// [`crate::ServiceError::NotFound`] outside sandbox mode (`route`) or for a number that
    /// is not a live number of the tenant; [`crate::ServiceError::Carrier`] (unavailable)
    /// when a webhook could not be delivered; [`crate::ServiceError::Store`].
    pub async fn simulate_inbound_call(
        &self,
        tenant_id: TenantId,
        phone_number: &numbers_domain::E164,
    ) -> Result<SimulatedCall, crate::ServiceError> {
        let sandbox = self
            .sandbox()
            .ok_or(crate::ServiceError::NotFound("route"))?;
        match self.store().phone_numbers().find_live(phone_number).await? {
            Some(number) if number.tenant_id == tenant_id => {}
            _ => return Err(crate::ServiceError::NotFound("phone number")),
        }
        let control = sandbox.fake.control();
        let undelivered = |error: twilio_fake::CallError| {
            tracing::warn!(%error, "sandbox: the simulated call could not be delivered");
            crate::ServiceError::Carrier(numbers_domain::CarrierError::Unavailable)
        };
        let voice = control
            .place_call(phone_number.as_str(), SIMULATED_CALLER)
            .await
            .map_err(undelivered)?;
        let status_callback = control
            .send_status_callback(&voice, "completed", SIMULATED_CALL_SECONDS)
            .await
            .map_err(undelivered)?;
        Ok(SimulatedCall {
            voice: voice.into(),
            status_callback: status_callback.into(),
        })
    }
}

/// Registers a demo bundle and address for every regulated pair the fake stocks (SPEC §11),
/// in the fake (so they are acceptable even in strict mode) and in `regulatory_requirements`
/// (so searches say the numbers are purchasable and purchases attach them). A pair that
/// already has a row keeps it; returns how many pairs were registered.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn register_demo_documents(
    store: &Store,
    fake: &TwilioFake,
) -> Result<usize, StoreError> {
    use twilio_fake::{AddressRequirement, NumberKind};
    let control = fake.control();
    let pairs = control.regulated_pairs();
    let mut registered = 0;
    for (index, (country, kind, regulation)) in pairs.iter().enumerate() {
        let number_type = match kind {
            NumberKind::Local => numbers_domain::NumberType::Local,
            NumberKind::TollFree => numbers_domain::NumberType::TollFree,
            NumberKind::Mobile => numbers_domain::NumberType::Mobile,
        };
        let Ok(iso_country) = country.parse::<numbers_domain::IsoCountry>() else {
            continue;
        };
        if store
            .regulatory()
            .get(iso_country, number_type)
            .await?
            .is_some()
        {
            continue;
        }
        // Fixed, recognisable SIDs: the same on every start.
        let bundle_sid = regulation
            .bundle_required
            .then(|| format!("BU5a4db0c0{index:024x}"));
        let address_sid = match regulation.address_requirement {
            AddressRequirement::None => None,
            requirement => {
                let sid = format!("AD5a4db0c0{index:024x}");
                let located = match requirement {
                    AddressRequirement::Foreign if country == "US" => "GB",
                    AddressRequirement::Foreign => "US",
                    _ => country.as_str(),
                };
                // Well-formed by construction; a refusal would only mean a bad SID.
                let _ = control.register_address(&sid, located);
                Some(sid)
            }
        };
        if let Some(sid) = &bundle_sid {
            let _ = control.register_bundle(sid, country, *kind);
        }
        store
            .regulatory()
            .upsert(numbers_persistence::RegulatoryRequirement {
                iso_country,
                number_type,
                bundle_sid,
                address_sid,
            })
            .await?;
        registered += 1;
    }
    Ok(registered)
}
