//! The in-process control API: seed, inspect, inject faults, place calls.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::faults::{FakeOperation, Fault, FaultBook, FaultPlan, FaultRule};
use crate::model::{ApiError, AvailableNumber, NumberKind, OwnedNumber, Regulation};
use crate::store::{State, phone_key};

/// State shared by the server and every [`FakeControl`].
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: RwLock<State>,
    pub(crate) faults: Mutex<FaultBook>,
    pub(crate) counters: [AtomicU64; FakeOperation::ALL.len()],
    /// Requests of each operation being served right now, and the most there ever were.
    pub(crate) in_flight: [AtomicU64; FakeOperation::ALL.len()],
    pub(crate) peak_in_flight: [AtomicU64; FakeOperation::ALL.len()],
    pub(crate) base_url: String,
    pub(crate) http: OnceLock<reqwest::Client>,
}

impl Shared {
    pub(crate) fn new(state: State, base_url: String) -> Self {
        Self {
            state: RwLock::new(state),
            faults: Mutex::new(FaultBook::default()),
            counters: std::array::from_fn(|_| AtomicU64::new(0)),
            in_flight: std::array::from_fn(|_| AtomicU64::new(0)),
            peak_in_flight: std::array::from_fn(|_| AtomicU64::new(0)),
            base_url,
            http: OnceLock::new(),
        }
    }

    // A panic while holding a lock leaves plain data behind, still consistent enough for a
    // test double; carrying on beats failing every later request.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> MutexGuard<'_, FaultBook> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one request of `op` and decides which faults hit it.
    pub(crate) fn begin(&self, op: FakeOperation) -> FaultPlan {
        self.counters[op.index()].fetch_add(1, Ordering::Relaxed);
        self.faults().plan(op)
    }

    /// Marks one request of `op` as being served until the guard is dropped (answered, or
    /// its connection cut).
    pub(crate) fn serving(&self, op: FakeOperation) -> Serving<'_> {
        let now = self.in_flight[op.index()].fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight[op.index()].fetch_max(now, Ordering::Relaxed);
        Serving { shared: self, op }
    }
}

/// A request being served; see [`Shared::serving`].
pub(crate) struct Serving<'a> {
    shared: &'a Shared,
    op: FakeOperation,
}

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        self.shared.in_flight[self.op.index()].fetch_sub(1, Ordering::Relaxed);
    }
}

/// Credentials of an account the fake created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCredentials {
    /// `AC…` SID.
    pub account_sid: String,
    /// Its auth token.
    pub auth_token: String,
}

/// An API key the fake created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCredentials {
    /// The account the key acts for (still goes into request paths).
    pub account_sid: String,
    /// `SK…` SID (the Basic auth user name).
    pub key_sid: String,
    /// The key's secret (the Basic auth password).
    pub secret: String,
}

/// A page of owned numbers from [`FakeControl::list_owned_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPage {
    /// The numbers, in the same order the HTTP listing uses.
    pub numbers: Vec<OwnedNumber>,
    /// Cursor for the next page; `None` on the last one.
    pub next: Option<OwnedCursor>,
}

/// Opaque position in an in-process listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedCursor(u128);

/// A control request the fake refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No account with that SID exists in the fake.
    #[error("unknown account {0}")]
    UnknownAccount(String),
    /// The input is not something the fake can do (unknown country, bad number, …).
    #[error("{0}")]
    Invalid(String),
}

/// Handle on a running fake's state. Cheap to clone; every clone sees the same fake.
///
/// All methods are synchronous and take the state lock briefly, except the simulated
/// calls, which are `async` because they make an HTTP request.
#[derive(Debug, Clone)]
pub struct FakeControl {
    pub(crate) shared: Arc<Shared>,
}

impl FakeControl {
    /// SID of the master account.
    #[must_use]
    pub fn account_sid(&self) -> String {
        self.shared.read().master().sid.clone()
    }

    /// Auth token of the master account.
    #[must_use]
    pub fn auth_token(&self) -> String {
        self.shared.read().master().token.clone()
    }

    /// Base URL of the server (`http://127.0.0.1:PORT`): REST and Pricing API alike.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The seed the fake was started with.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.shared.read().seed
    }

    fn account(&self, sid: Option<&str>) -> Result<u32, ControlError> {
        match sid {
            None => Ok(0),
            Some(sid) => self
                .shared
                .read()
                .account_index(sid)
                .ok_or_else(|| ControlError::UnknownAccount(sid.to_owned())),
        }
    }

    /// Creates a subaccount of the master account (deterministic SID and token for a given
    /// seed and call order). The master's credentials can act on it.
    #[must_use]
    pub fn create_subaccount(&self, friendly_name: Option<&str>) -> AccountCredentials {
        let (account_sid, auth_token) = self
            .shared
            .write()
            .create_subaccount(friendly_name.map(str::to_owned));
        AccountCredentials {
            account_sid,
            auth_token,
        }
    }

    /// Creates an API key acting for `account_sid` (the master when `None`).
    ///
    /// # Errors
    /// [`ControlError::UnknownAccount`].
    pub fn create_api_key(
        &self,
        account_sid: Option<&str>,
    ) -> Result<ApiKeyCredentials, ControlError> {
        let account = self.account(account_sid)?;
        let mut state = self.shared.write();
        let (key_sid, secret) = state.create_api_key(account);
        Ok(ApiKeyCredentials {
            account_sid: state.account(account).sid.clone(),
            key_sid,
            secret,
        })
    }

    /// Replaces the generated inventory of a (country, kind) pair with `count` numbers
    /// derived from the seed. Numbers added with [`FakeControl::add_available_number`] to
    /// that pair are dropped. Returns how many were generated.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a country or kind the fake does not stock.
    pub fn seed_inventory(
        &self,
        country: &str,
        kind: NumberKind,
        count: usize,
    ) -> Result<usize, ControlError> {
        let stocked = catalog::country(country)
            .filter(|c| c.offers(kind))
            .ok_or_else(|| {
                ControlError::Invalid(format!(
                    "the fake does not stock {kind} numbers in {country}"
                ))
            })?;
        let mut state = self.shared.write();
        state.regenerate_pair(stocked, kind, count);
        Ok(state
            .pairs
            .get(&(stocked.iso, kind))
            .map_or(0, |p| p.numbers.len()))
    }

    /// Puts one specific number on sale. Its address requirement follows the pair's
    /// regulation.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a malformed number, a country or kind not stocked, or a
    /// number already in the inventory.
    pub fn add_available_number(&self, number: AvailableNumber) -> Result<(), ControlError> {
        self.shared
            .write()
            .add_available(number)
            .map_err(ControlError::Invalid)
    }

    /// Every number of a pair currently on sale (not owned, not taken), in search order.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a country or kind not stocked.
    pub fn available_numbers(
        &self,
        country: &str,
        kind: NumberKind,
    ) -> Result<Vec<AvailableNumber>, ControlError> {
        let state = self.shared.read();
        let stocked = catalog::country(country)
            .and_then(|c| state.pairs.get(&(c.iso, kind)))
            .ok_or_else(|| {
                ControlError::Invalid(format!(
                    "the fake does not stock {kind} numbers in {country}"
                ))
            })?;
        Ok(stocked
            .numbers
            .iter()
            .filter(|n| phone_key(&n.phone_number).is_some_and(|k| state.is_available(k)))
            .cloned()
            .collect())
    }

    /// Marks a number as bought by someone else: searches stop showing it and buying it
    /// fails with 21422 (the race after a search).
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a malformed number.
    pub fn mark_taken(&self, phone_number: &str) -> Result<(), ControlError> {
        self.shared
            .write()
            .mark_taken(phone_number)
            .map_err(ControlError::Invalid)
    }

    /// Sets what buying a number of a pair requires (see [`Regulation`]); search results of
    /// the pair show the new address requirement.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a country or kind not stocked.
    pub fn set_regulation(
        &self,
        country: &str,
        kind: NumberKind,
        regulation: Regulation,
    ) -> Result<(), ControlError> {
        self.shared
            .write()
            .set_regulation(country, kind, regulation)
            .map_err(ControlError::Invalid)
    }

    /// The regulation of a pair, `None` when the pair is not stocked.
    #[must_use]
    pub fn regulation(&self, country: &str, kind: NumberKind) -> Option<Regulation> {
        self.shared.read().regulation(country, kind)
    }

    /// Every stocked (country, kind) pair that needs a bundle or an address, with its
    /// regulation, in catalogue order (what a sandbox registers documents for).
    #[must_use]
    pub fn regulated_pairs(&self) -> Vec<(String, NumberKind, Regulation)> {
        let state = self.shared.read();
        catalog::COUNTRIES
            .iter()
            .flat_map(|country| NumberKind::ALL.map(|kind| (country.iso, kind)))
            .filter_map(|(iso, kind)| {
                let regulation = state.regulation(iso, kind)?;
                (regulation != Regulation::NONE).then(|| (iso.to_owned(), kind, regulation))
            })
            .collect()
    }

    /// In strict mode only bundles and addresses registered with
    /// [`FakeControl::register_bundle`] / [`FakeControl::register_address`] are acceptable
    /// (for the right country, kind and address rule); otherwise any well-formed `BU…` /
    /// `AD…` SID is. Off by default.
    pub fn set_strict_regulatory(&self, strict: bool) {
        self.shared.write().strict_regulatory = strict;
    }

    /// Registers an approved bundle for a pair (used in strict mode).
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a SID that is not `BU` + 32 hex digits.
    pub fn register_bundle(
        &self,
        bundle_sid: &str,
        country: &str,
        kind: NumberKind,
    ) -> Result<(), ControlError> {
        self.shared
            .write()
            .register_bundle(bundle_sid, country, kind)
            .map_err(ControlError::Invalid)
    }

    /// Registers an address located in `country` (used in strict mode).
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for a SID that is not `AD` + 32 hex digits.
    pub fn register_address(&self, address_sid: &str, country: &str) -> Result<(), ControlError> {
        self.shared
            .write()
            .register_address(address_sid, country)
            .map_err(ControlError::Invalid)
    }

    /// Sets a monthly price (decimal strings, USD) of a pair in Pricing v1.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] for an unknown country or a price that is not a decimal.
    pub fn set_price(
        &self,
        country: &str,
        kind: NumberKind,
        base_price: &str,
        current_price: &str,
    ) -> Result<(), ControlError> {
        self.shared
            .write()
            .set_price(country, kind, base_price, current_price)
            .map_err(ControlError::Invalid)
    }

    /// Adds `count` owned numbers to an account (the master when `None`) without the
    /// inventory: US/CA local numbers in a fixed sequence, SIDs from the seeded generator,
    /// optionally all with the same `voice_url` (shared, so a million cost no more). About
    /// 215 bytes per number. Returns how many were added.
    ///
    /// # Errors
    /// [`ControlError::UnknownAccount`].
    pub fn seed_owned_numbers(
        &self,
        account_sid: Option<&str>,
        count: u64,
        voice_url: Option<&str>,
    ) -> Result<u64, ControlError> {
        let account = self.account(account_sid)?;
        Ok(self.shared.write().seed_owned(account, count, voice_url))
    }

    /// How many numbers an account owns (all accounts when `None`).
    ///
    /// # Errors
    /// [`ControlError::UnknownAccount`].
    pub fn owned_count(&self, account_sid: Option<&str>) -> Result<usize, ControlError> {
        match account_sid {
            None => Ok(self.shared.read().owned_count(None)),
            Some(_) => {
                let account = self.account(account_sid)?;
                Ok(self.shared.read().owned_count(Some(account)))
            }
        }
    }

    /// The owned number with this E.164 value, whichever account holds it.
    #[must_use]
    pub fn owned_number(&self, phone_number: &str) -> Option<OwnedNumber> {
        self.shared.read().owned_by_phone(phone_number)
    }

    /// Up to `limit` owned numbers of an account (all accounts when `None`), in listing order.
    ///
    /// # Errors
    /// [`ControlError::UnknownAccount`].
    pub fn owned_numbers(
        &self,
        account_sid: Option<&str>,
        limit: usize,
    ) -> Result<Vec<OwnedNumber>, ControlError> {
        let account = match account_sid {
            None => None,
            Some(_) => Some(self.account(account_sid)?),
        };
        Ok(self.shared.read().owned_numbers(account, limit))
    }

    /// One page of an account's owned numbers, in process: the same range scan the HTTP
    /// listing does, returning snapshots. Pass the previous page's `next` to continue.
    ///
    /// # Errors
    /// [`ControlError::UnknownAccount`].
    pub fn list_owned_page(
        &self,
        account_sid: &str,
        page_size: usize,
        after: Option<OwnedCursor>,
    ) -> Result<OwnedPage, ControlError> {
        let account = self.account(Some(account_sid))?;
        let (numbers, next) =
            self.shared
                .read()
                .owned_page(account, page_size.max(1), after.map(|c| c.0));
        Ok(OwnedPage {
            numbers,
            next: next.map(OwnedCursor),
        })
    }

    /// The exact JSON body `GET /2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json?{query}`
    /// answers, computed in process (no HTTP, no faults, no request counting). `query` is a
    /// raw query string such as `PageSize=1000&Page=1&PageToken=PA…`.
    ///
    /// # Errors
    /// The [`ApiError`] the endpoint would answer (404 for an unknown account, 400 for a bad
    /// page size or page token).
    pub fn render_list_page(&self, account_sid: &str, query: &str) -> Result<Vec<u8>, ApiError> {
        let path = format!("/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json");
        let state = self.shared.read();
        let account = state
            .account_index(account_sid)
            .ok_or_else(|| ApiError::not_found(&path))?;
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        state.list(account, None, &path, &pairs)
    }

    /// Injects `fault` into the next `times` requests of `op` (every request until cleared
    /// when `None`). Rules apply in the order added; see [`Fault`].
    pub fn inject_fault(&self, op: FakeOperation, fault: Fault, times: Option<u32>) {
        self.shared.faults().add(op, fault, times);
    }

    /// Removes the faults of one operation, or of all when `None`.
    pub fn clear_faults(&self, op: Option<FakeOperation>) {
        self.shared.faults().clear(op);
    }

    /// Faults still pending for `op`.
    #[must_use]
    pub fn pending_faults(&self, op: FakeOperation) -> Vec<FaultRule> {
        self.shared.faults().pending(op)
    }

    /// Requests of `op` served so far (authenticated and routed ones, faulted or not).
    #[must_use]
    pub fn request_count(&self, op: FakeOperation) -> u64 {
        self.shared.counters[op.index()].load(Ordering::Relaxed)
    }

    /// The most requests of `op` the fake was serving at one time (from when each was
    /// routed until it was answered or its connection cut, injected latency included), so
    /// a test can check a client's concurrency limit.
    #[must_use]
    pub fn peak_in_flight(&self, op: FakeOperation) -> u64 {
        self.shared.peak_in_flight[op.index()].load(Ordering::Relaxed)
    }

    /// [`FakeControl::request_count`] for every operation.
    #[must_use]
    pub fn request_counts(&self) -> BTreeMap<FakeOperation, u64> {
        FakeOperation::ALL
            .into_iter()
            .map(|op| (op, self.request_count(op)))
            .collect()
    }
}
