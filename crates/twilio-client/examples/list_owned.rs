//! Pages through the account's IncomingPhoneNumbers (1,000 a page) and prints how many
//! numbers and how long it took: the listing part of the drift-sync benchmark's floor
//! (`scripts/bench-drift.sh`). Reads TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and
//! TWILIO_API_BASE_URL.

use std::time::Instant;

use futures::StreamExt as _;
use secrecy::SecretString;
use twilio_client::{Credentials, IncomingPhoneNumberFilter, TwilioClient};

#[tokio::main]
#[expect(clippy::print_stdout, reason = "the figure is the output")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sid = std::env::var("TWILIO_ACCOUNT_SID")?;
    let token = SecretString::from(std::env::var("TWILIO_AUTH_TOKEN")?);
    let client = TwilioClient::builder(Credentials::auth_token(&sid, token))
        .api_base_url(std::env::var("TWILIO_API_BASE_URL")?)
        .build()?;
    let started = Instant::now();
    let filter = IncomingPhoneNumberFilter {
        page_size: Some(1000),
        ..IncomingPhoneNumberFilter::default()
    };
    let mut listing = client.list_incoming_phone_numbers(&filter);
    let mut count = 0_u64;
    while let Some(number) = listing.next().await {
        number?;
        count += 1;
    }
    println!("listed={count} ms={}", started.elapsed().as_millis());
    Ok(())
}
