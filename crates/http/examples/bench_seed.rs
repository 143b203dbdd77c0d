//! Seeds a database for the HTTP load benchmark (`scripts/bench-api.sh`): migrates it, then
//! creates a plan, a tenant with an active subscription to it, and that many `active` phone
//! numbers, through the same repositories the service uses (reserve, then mark active).
//! Prints the tenant id alone on stdout.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/numbers_bench \
//!     cargo run --release -p numbers-http --example bench_seed -- 20
//! ```
//!
//! The first argument is how many numbers to create (default 20); the plan allows exactly
//! that many. Numbers are `+1415555xxxx` from `0100` up, so run it on a fresh database.

use std::io::Write as _;

use chrono::{Duration, Utc};
use numbers_domain::{Capabilities, NumberType, SubscriptionStatus};
use numbers_persistence::{
    Actor, Changes, DatabaseUrl, NewReservation, Reservation, Store, StoreOptions,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let count: u32 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("the count must be a number from 1 to 9000, not {arg:?}"))?,
        None => 20,
    };
    if !(1..=9000).contains(&count) {
        return Err(format!("the count must be from 1 to 9000, not {count}").into());
    }
    let raw = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL")?;
    let url = DatabaseUrl::parse(&raw)?;
    Store::migrate(&url).await?;
    let store = Store::connect(&url, &StoreOptions::default())?;

    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let plan = store
        .plans()
        .create(&format!("bench-{}", &suffix[..8]), count)
        .await?;
    let tenant = store.tenants().create("Benchmark tenant").await?;
    store
        .subscriptions()
        .create(
            tenant.id,
            plan.id,
            SubscriptionStatus::Active,
            Utc::now() + Duration::days(30),
        )
        .await?;

    let actor = Actor::api("bench-seed", None);
    for i in 0..count {
        let number = format!("+1415555{:04}", 100 + i);
        let reservation = store
            .phone_numbers()
            .reserve(
                NewReservation {
                    tenant_id: tenant.id,
                    phone_number: number.parse()?,
                    account_sid: "ACbench".into(),
                    iso_country: "US".parse()?,
                    number_type: NumberType::Local,
                    channel_id: None,
                    monthly_price_usd: Some("1.15".parse()?),
                },
                &actor,
            )
            .await?;
        let Reservation::Reserved(row) = reservation else {
            return Err(format!("could not reserve {number}: {reservation:?}").into());
        };
        store
            .phone_numbers()
            .mark_active(
                row.id,
                Changes {
                    twilio_sid: Some(format!("PN{}", uuid::Uuid::new_v4().simple())),
                    friendly_name: Some(format!("Bench number {i}")),
                    capabilities: Some(Capabilities {
                        voice: true,
                        sms: true,
                        mms: false,
                        fax: false,
                    }),
                    monthly_price_usd: Some("1.15".parse()?),
                    voice_url: Some("https://bench.example.invalid/voice".into()),
                    status_callback_url: Some("https://bench.example.invalid/status".into()),
                    purchased_at: Some(Utc::now()),
                    ..Changes::default()
                },
                &actor,
            )
            .await?;
    }
    writeln!(std::io::stdout().lock(), "{}", tenant.id)?;
    Ok(())
}
