//! Stateful in-memory emulator of Twilio's phone-number API.
//!
//! Serves Twilio's paths, status codes, JSON shapes and error bodies on a loopback port, for
//! tests, benchmarks and the service's sandbox mode. One server answers both the REST API
//! (`/2010-04-01/...`, always with `.json`) and the Pricing API (`/v1/PhoneNumbers/...`, no
//! `.json`), so [`TwilioFake::api_base_url`] and [`TwilioFake::pricing_base_url`] are the
//! same URL.
//!
//! # Starting it
//!
//! [`TwilioFake::start`] binds `127.0.0.1` (port 0 = ephemeral by default) and serves from a
//! dedicated thread with its own single-threaded tokio runtime, so it works from a plain
//! `#[tokio::test]`, from inside an actix-web runtime, or from synchronous code, and a
//! caller blocking its own runtime cannot stall it. Dropping the handle stops it;
//! [`TwilioFake::shutdown`] stops it and waits until it has.
//!
//! ```
//! use twilio_fake::{FakeConfig, TwilioFake};
//!
//! # fn main() -> Result<(), twilio_fake::FakeError> {
//! let fake = TwilioFake::start(FakeConfig::with_seed(7))?;
//! assert!(fake.api_base_url().starts_with("http://127.0.0.1:"));
//! assert_eq!(fake.account_sid().len(), 34);
//! // Same seed, same account SID, token, inventory and SIDs.
//! let again = TwilioFake::start(FakeConfig::with_seed(7))?;
//! assert_eq!(fake.account_sid(), again.account_sid());
//! # Ok(())
//! # }
//! ```
//!
//! # Twilio surface
//!
//! | method + path | operation ([`FakeOperation`]) |
//! |---|---|
//! | `GET /2010-04-01/Accounts/{AC}.json` | `account` |
//! | `GET …/Accounts/{AC}/AvailablePhoneNumbers.json`, `…/AvailablePhoneNumbers/{CC}.json` | `search` |
//! | `GET …/AvailablePhoneNumbers/{CC}/{Local,TollFree,Mobile}.json` | `search` |
//! | `POST …/IncomingPhoneNumbers.json` (and `/Local.json`, `/TollFree.json`, `/Mobile.json`) | `create` (201) |
//! | `GET …/IncomingPhoneNumbers.json` (and the typed variants) | `list` |
//! | `GET …/IncomingPhoneNumbers/{PN}.json` | `fetch` |
//! | `POST …/IncomingPhoneNumbers/{PN}.json` | `update` |
//! | `DELETE …/IncomingPhoneNumbers/{PN}.json` | `delete` (204) |
//! | `GET /v1/PhoneNumbers`, `/v1/PhoneNumbers/Countries`, `/v1/PhoneNumbers/Countries/{CC}` | `pricing` |
//!
//! Behaviour:
//!
//! - **Auth**: HTTP Basic on every Twilio path, with an account SID + auth token or an API
//!   key SID + secret ([`FakeControl::create_api_key`]). Wrong or missing credentials →
//!   401, code 20003, message `Authenticate`, checked before anything else. Credentials
//!   valid for account A used on a path naming an account A does not control (not itself
//!   or one of its subaccounts) → **404 / 20404** ("The requested resource … was not
//!   found"), the answer Twilio gives for resources the credentials cannot see; a parent's
//!   credentials work on its subaccounts' paths, as on Twilio.
//! - **Search**: `Contains` (see [`ContainsPattern`]), `AreaCode`, the capability filters
//!   (`true` requires, `false` does nothing), the three `Exclude…AddressRequired`, `Beta`,
//!   `InRegion`/`InLocality`/`InPostalCode`/`InLata`/`InRateCenter` (the last needs
//!   `InLata`), `NearLatLong`/`NearNumber` with `Distance` (US/CA); at most
//!   [`SEARCH_RESULT_CAP`] results whatever `PageSize` says; only numbers on sale (not owned,
//!   not [taken](FakeControl::mark_taken)); no paging fields (live Twilio sends none).
//!   Capabilities are spelled `voice`/`SMS`/`MMS`/`fax` there, and coordinates are strings
//!   like `"37.772000"`, as the live API does. A country or type not stocked → 404/20404.
//! - **Owned numbers**: `PN…` SIDs from the seeded generator; RFC 2822 dates; capabilities
//!   spelled `voice`/`sms`/`mms`/`fax`; unset URLs as Twilio's own examples show them
//!   (`voice_url`/`voice_fallback_url` `null`, `sms_url`/`status_callback` `""`). Buying a
//!   number not in the inventory, owned by anyone, or taken → 400/21422; a malformed one →
//!   21421; a regulated pair without an acceptable `BundleSid` → 21649, without an
//!   acceptable `AddressSid` → 21631. A released number goes back on sale.
//! - **Listing**: `PageSize` 1–1000 (default 50; outside → 400), `PhoneNumber` (full →
//!   indexed lookup; partial with `*` → scan), `FriendlyName`, `Beta`, `Origin`. Pages
//!   follow SID order; `next_page_uri` carries an opaque, tamper-evident `PageToken` (the
//!   last SID seen plus a tag bound to the account and filters); a forged or foreign token
//!   → 400/21481. `previous_page_uri` works the same way backwards.
//! - **Pricing**: prices as decimal strings per [`NumberKind::pricing_name`]
//!   (`"toll free"`), `price_unit` `USD`; the country list pages with a v1 `meta` block whose
//!   URLs point at this server. An unknown country → 404/20404.
//! - Unknown paths → 404/20404; a known path with another method → 405/20004. Only JSON
//!   representations are served (a 2010 path without `.json` is a 404, where Twilio would
//!   answer XML).
//!
//! # Inventory and regulation defaults
//!
//! Stocked: US and CA (local, toll-free; no mobile, so `Mobile` is a 404 there as on
//! Twilio), GB, PL, DE, FR and AU (local, toll-free, mobile), with realistic number plans
//! (NANP area codes with their cities, regions, postal codes, LATAs and coordinates; London
//! `+4420…`, UK mobiles `+447…`, `+44800…`; Warsaw `+4822…`; Berlin `+4930…`, `+49151…`;
//! Paris `+331…`, `+336…`; Sydney `+612…`, `+614…`, `+611800…`). 500–3000 numbers per
//! pair, generated from the seed ([`FakeConfig::inventory_scale`] scales them;
//! [`FakeControl::seed_inventory`] and [`FakeControl::add_available_number`] change them).
//!
//! Regulated by default: every GB, PL and FR pair and DE mobile/toll-free and AU mobile
//! need a bundle (21649); DE local needs an address in Germany (`local`, 21631); AU local an
//! address anywhere (`any`, 21631); US and CA need nothing. Any well-formed `BU…`/`AD…` SID
//! is acceptable unless strict mode is on ([`FakeControl::set_strict_regulatory`]), in which
//! case only registered ones matching the pair are. [`FakeControl::set_regulation`] changes
//! a pair.
//!
//! # Fault model
//!
//! [`FakeControl::inject_fault`] attaches a [`Fault`] to the next N requests of one
//! [`FakeOperation`] (or all of them until [cleared](FakeControl::clear_faults)). Faults
//! apply after authentication and routing:
//!
//! - [`Fault::Error`]: answer any HTTP status with a Twilio code and message instead;
//! - [`Fault::RateLimited`]: 429 / 20429, with `Retry-After` when asked (a 429 burst is a
//!   rate-limit rule with `times` = burst length);
//! - [`Fault::Latency`]: delay, then serve normally (latency rules add up and combine with
//!   one other rule);
//! - [`Fault::Hang`]: hold the request, unanswered, past the client's timeout, then close the
//!   connection — nothing is done;
//! - [`Fault::CommitThenLose`]: **do** the operation (the number is bought, updated or
//!   released), then lose the answer: close the connection, answer 500/20500, or hang
//!   ([`LostResponse`]).
//!
//! [`FakeControl::request_count`] counts the requests each operation received, so a test
//! can see a client's retries; [`FakeControl::peak_in_flight`] is the most requests of one
//! operation it was serving at once, so a test can check a client's concurrency limit.
//!
//! # Control over HTTP (`/_fake/…`, no authentication)
//!
//! | method + path | body / query | does |
//! |---|---|---|
//! | `GET /_fake/health` | | `{"ok":true}` |
//! | `GET /_fake/credentials` | | master `account_sid`, `auth_token`, base URLs, seed |
//! | `GET /_fake/stats` | | owned-number count and requests per operation |
//! | `POST /_fake/accounts` | `{"friendly_name"?}` | create a subaccount → credentials |
//! | `POST /_fake/keys` | `{"account_sid"?}` | create an API key → `key_sid`, `secret` |
//! | `POST /_fake/inventory/seed` | `{"country","type","count"}` | regenerate a pair's inventory |
//! | `GET /_fake/inventory` | `?country=&type=` | numbers on sale in a pair |
//! | `POST /_fake/inventory/numbers` | an [`AvailableNumber`] | put one number on sale |
//! | `POST /_fake/inventory/taken` | `{"phone_number"}` | someone else bought it |
//! | `GET`/`PUT /_fake/regulations` | `?country=&type=` / `{"country","type","bundle_required","address_requirement"}` | read/set a pair's [`Regulation`] |
//! | `POST /_fake/regulatory/bundles` | `{"sid","country","type"}` | register a bundle |
//! | `POST /_fake/regulatory/addresses` | `{"sid","country"}` | register an address |
//! | `PUT /_fake/regulatory/strict` | `{"strict":bool}` | strict regulatory mode |
//! | `PUT /_fake/prices` | `{"country","type","base_price","current_price"}` | set a price |
//! | `GET /_fake/numbers` | `?account_sid=&limit=` | owned numbers ([`OwnedNumber`]s) |
//! | `GET /_fake/numbers/count` | `?account_sid=` | how many |
//! | `GET /_fake/numbers/{+E164}` | | one owned number, 404 if not owned |
//! | `POST /_fake/numbers/seed` | `{"account_sid"?,"count","voice_url"?}` | bulk-own numbers |
//! | `GET /_fake/faults` | | pending faults per operation |
//! | `POST /_fake/faults` | `{"operation","fault","times"?}` | inject (fault as in [`Fault`]'s JSON, e.g. `{"kind":"rate_limited","retry_after_secs":1}`) |
//! | `DELETE /_fake/faults` | `?operation=` | clear one operation's or all faults |
//! | `POST /_fake/calls` | `{"to","from"}` | place a simulated inbound call → [`CallOutcome`] |
//! | `POST /_fake/calls/status` | `{"call","call_status"?,"duration_secs"?}` | send its status callback |
//!
//! Control errors answer `{"error": "..."}` with 400 (bad input), 404 (unknown account or
//! endpoint) or 422 (a simulated call could not be delivered).
//!
//! # Simulated calls
//!
//! [`FakeControl::place_call`] sends Twilio's voice webhook to the called number's
//! `voice_url` with its `voice_method`, signed with `X-Twilio-Signature`
//! ([`numbers_crypto::compute_signature`]) under the owning account's token, and returns
//! the answer ([`CallOutcome`]). [`FakeControl::send_status_callback`] follows up on the
//! number's `status_callback`.
//!
//! # Scale
//!
//! About 215 bytes per owned number (205 MiB for a million);
//! [`FakeControl::seed_owned_numbers`] adds a million in about two seconds. Listing pages are
//! range scans of a `BTreeMap`, so a page costs the same whether the fake holds a thousand
//! numbers or a million, and about 3–4 ms per 1000 numbers rendered (`benches/listing.rs`,
//! `docs/benchmarks.md`).

mod calls;
mod catalog;
mod control;
mod control_http;
mod faults;
mod model;
mod rng;
mod search;
mod server;
mod store;
mod wire;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use tokio::sync::{oneshot, watch};

pub use calls::{CallError, CallOutcome, WEBHOOK_TIMEOUT};
pub use control::{
    AccountCredentials, ApiKeyCredentials, ControlError, FakeControl, OwnedCursor, OwnedPage,
};
pub use faults::{FakeOperation, Fault, FaultRule, LostResponse, UnknownOperation};
pub use model::{
    AddressRequirement, ApiError, AvailableNumber, Capabilities, NumberKind, OwnedNumber,
    Regulation, UnknownNumberKind, codes,
};
pub use search::{ContainsPattern, SEARCH_RESULT_CAP};
pub use store::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// How to start a fake.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeConfig {
    /// Seed of everything generated: credentials, inventory, SIDs. Same seed (and same
    /// sequence of calls), same answers.
    pub seed: u64,
    /// Port on `127.0.0.1`; `0` picks a free one.
    pub port: u16,
    /// Multiplies the default inventory size of every pair (1.0 = 500–3000 numbers per pair).
    pub inventory_scale: f64,
    /// Start in strict regulatory mode (see [`FakeControl::set_strict_regulatory`]).
    pub strict_regulatory: bool,
}

impl Default for FakeConfig {
    /// Seed 0, ephemeral port, default inventory, lenient regulatory checks.
    fn default() -> Self {
        Self {
            seed: 0,
            port: 0,
            inventory_scale: 1.0,
            strict_regulatory: false,
        }
    }
}

impl FakeConfig {
    /// The default configuration with `seed`.
    #[must_use]
    pub fn with_seed(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }
}

/// Why a fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// Binding the port or starting the server thread failed.
    #[error("could not start the Twilio fake: {0}")]
    Io(#[from] std::io::Error),
}

/// A running fake. Stops when dropped.
#[derive(Debug)]
pub struct TwilioFake {
    control: FakeControl,
    addr: SocketAddr,
    account_sid: String,
    auth_token: String,
    stop: Option<watch::Sender<bool>>,
    stopped: Option<oneshot::Receiver<()>>,
}

impl TwilioFake {
    /// Binds `127.0.0.1:{config.port}` and starts serving on a dedicated thread.
    ///
    /// Synchronous and runtime-agnostic: call it from async code or not.
    ///
    /// # Errors
    /// [`FakeError::Io`] when the port cannot be bound (taken, no permission) or the thread
    /// or its runtime cannot be created.
    pub fn start(config: FakeConfig) -> Result<Self, FakeError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = store::State::new(&store::StoreConfig {
            seed: config.seed,
            inventory_scale: config.inventory_scale,
            strict_regulatory: config.strict_regulatory,
        });
        let account_sid = state.master().sid.clone();
        let auth_token = state.master().token.clone();
        let shared = Arc::new(control::Shared::new(state, format!("http://{addr}")));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = oneshot::channel();
        let server_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("twilio-fake-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(server::serve(server_shared, listener, stop_rx));
                // Dropping the runtime cancels whatever the server left running.
                drop(runtime);
                let _ = stopped_tx.send(());
            })?;
        tracing::debug!(%addr, "twilio fake started");
        Ok(Self {
            control: FakeControl { shared },
            addr,
            account_sid,
            auth_token,
            stop: Some(stop_tx),
            stopped: Some(stopped_rx),
        })
    }

    /// Base URL of the REST API, e.g. `http://127.0.0.1:40123` (no trailing `/`).
    #[must_use]
    pub fn api_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL of the Pricing API; the same server, so the same URL.
    #[must_use]
    pub fn pricing_base_url(&self) -> String {
        self.api_base_url()
    }

    /// Base URL of the HTTP control API (`…/_fake`).
    #[must_use]
    pub fn control_base_url(&self) -> String {
        format!("http://{}/_fake", self.addr)
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// SID of the master account (`AC` + 32 hex digits, derived from the seed).
    #[must_use]
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// Auth token of the master account (32 hex digits, derived from the seed).
    #[must_use]
    pub fn auth_token(&self) -> &str {
        &self.auth_token
    }

    /// The in-process control API.
    #[must_use]
    pub fn control(&self) -> &FakeControl {
        &self.control
    }

    /// Stops serving (open connections are cut, hanging requests included) and waits until
    /// the server thread has finished.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
    }
}

impl Drop for TwilioFake {
    fn drop(&mut self) {
        // Dropping the sender is enough: the server loop sees the channel close.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_can_be_shared_across_threads_and_kept_in_app_state() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<TwilioFake>();
        assert_send_sync::<FakeControl>();
        assert_send_sync::<CallOutcome>();
    }

    #[test]
    fn default_config_is_an_ephemeral_port_and_seed_zero() {
        let config = FakeConfig::default();
        assert_eq!((config.seed, config.port), (0, 0));
        assert_eq!(FakeConfig::with_seed(9).seed, 9);
    }
}
