//! Typed async client for Twilio's phone-number REST surface.
//!
//! Reusable on its own: it knows nothing of tenants. One [`TwilioClient`] talks to one
//! Twilio account and can
//!
//! - search numbers for sale ([`TwilioClient::search_available_phone_numbers`]),
//! - buy, list (as a paged stream), read, change and release owned numbers
//!   ([`TwilioClient::create_incoming_phone_number`] and friends),
//! - read phone-number prices ([`TwilioClient::fetch_phone_number_pricing`],
//!   [`TwilioClient::list_pricing_countries`]),
//! - check its credentials ([`TwilioClient::fetch_account`]).
//!
//! Behaviour worth knowing:
//!
//! - **Auth**: HTTP Basic with account SID + auth token, or API key SID + secret (the
//!   account SID still goes into paths). Secrets are [`secrecy::SecretString`]s and never
//!   appear in `Debug` output or logs.
//! - **Decoding** is tolerant of Twilio's real answers: `SMS`/`sms` keys, numbers sent as
//!   strings, `""` or `null` for unset fields, exact decimal prices, RFC 2822 dates,
//!   unknown fields ignored, unknown enum spellings kept in `Other` variants. Cosmetic
//!   fields Twilio sends malformed (a date that is not one, say) read as `None`; only
//!   SIDs, phone numbers and prices must be readable.
//! - **Errors** are one type, [`TwilioError`], whose helpers tell "Twilio certainly did not
//!   act on it" ([`TwilioError::is_definitely_not_processed`]) from "it may have happened"
//!   ([`TwilioError::is_outcome_unknown`]).
//! - **Retries** ([`RetryPolicy`]): 429 for any method (honouring `Retry-After` up to
//!   [`TwilioClientBuilder::max_retry_after`]); 5xx, connection failures and timeouts for
//!   `GET`/`DELETE` only. A purchase is never sent twice after an ambiguous failure.
//!   Redirects are never followed.
//! - **Paging**: list streams follow next-page links, and end with an error if a link
//!   leads back to a page already read or after [`TwilioClientBuilder::max_pages`] pages.
//! - **Concurrency**: at most [`TwilioClientBuilder::max_in_flight`] requests in flight per
//!   client, since Twilio limits concurrent requests per account.
//! - **Tracing**: one `twilio.request` span per call with the operation, method, path
//!   template (never SIDs or phone numbers), the final status and Twilio code, attempts
//!   and duration. Error values carry no request URL either, but Twilio's error
//!   `message` may quote a phone number.
//!
//! # Example
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use secrecy::SecretString;
//! use twilio_client::{
//!     AvailableNumberSearch, Credentials, IncomingPhoneNumberFilter, NewIncomingPhoneNumber,
//!     SearchType, TwilioClient, WebhookMethod,
//! };
//!
//! # async fn run() -> Result<(), twilio_client::TwilioError> {
//! let client = TwilioClient::builder(Credentials::auth_token(
//!     "AC0123456789abcdef0123456789abcdef",
//!     SecretString::from("auth-token"),
//! ))
//! // Point at a fake or a proxy instead of api.twilio.com:
//! .api_base_url("http://127.0.0.1:8089")
//! .build()?;
//!
//! let search = AvailableNumberSearch {
//!     contains: Some("555".into()),
//!     voice_enabled: Some(true),
//!     ..AvailableNumberSearch::default()
//! };
//! let offers = client
//!     .search_available_phone_numbers("US", SearchType::Local, &search)
//!     .await?;
//!
//! if let Some(number) = offers.first().and_then(|o| o.phone_number.clone()) {
//!     let mut purchase = NewIncomingPhoneNumber::new(number);
//!     purchase.voice_url = Some("https://example.com/webhooks/twilio/voice".into());
//!     purchase.voice_method = Some(WebhookMethod::Post);
//!     match client.create_incoming_phone_number(&purchase).await {
//!         Ok(bought) => println!("bought {:?}", bought.sid),
//!         // Timeout, 5xx, lost connection: look the number up before deciding anything.
//!         Err(e) if e.is_outcome_unknown() => return Err(e),
//!         Err(e) => println!("refused with Twilio code {:?}", e.twilio_code()),
//!     }
//! }
//!
//! // Every owned number, 1000 per page, following `next_page_uri`.
//! let filter = IncomingPhoneNumberFilter { page_size: Some(1000), ..Default::default() };
//! let owned: Vec<_> = client.list_incoming_phone_numbers(&filter).try_collect().await?;
//! println!("{} numbers", owned.len());
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod de;
mod error;
mod params;
pub mod request;
mod types;

pub use client::TwilioClient;
pub use config::{
    Credentials, DEFAULT_API_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_PAGES, DEFAULT_MAX_RETRY_AFTER, DEFAULT_PRICING_BASE_URL, DEFAULT_REQUEST_TIMEOUT,
    RetryPolicy, TwilioClientBuilder,
};
pub use error::TwilioError;
pub use params::{
    AvailableNumberSearch, IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate,
    NewIncomingPhoneNumber, SearchType, WebhookMethod,
};
pub use request::{Operation, RequestSpec};
pub use types::{
    Account, AccountStatus, AccountType, AddressRequirement, AvailablePhoneNumber, Capabilities,
    IncomingPhoneNumber, NumberPrice, NumberType, PhoneNumberPricing, PricingCountry,
};

// Re-exported so callers can build credentials without naming the crate themselves.
pub use secrecy::SecretString;
