//! The fake's state and the Twilio operations on it.
//!
//! Everything lives in one [`State`] behind one `RwLock` (held only for the synchronous part
//! of a request, never across an `.await`). Owned numbers are kept in a `BTreeMap` keyed by
//! (account, SID), so one account's numbers are a contiguous range and a page is a range
//! scan from the last SID of the previous page, whatever the total held; a `HashMap` from
//! phone number to key serves the `PhoneNumber` filter and the "already owned" check.
//!
//! This file holds the struct and its constructor; the operations are grouped by concern:
//! [`accounts`] (auth, subaccounts, API keys), [`inventory`] (numbers for sale, search),
//! [`regulation`] (bundles, addresses, the per-pair rules), [`pricing`], [`owned`]
//! (IncomingPhoneNumbers: create, fetch, update, delete) and [`paging`] (page tokens, the
//! owned-number listing).

mod accounts;
mod inventory;
mod owned;
mod paging;
mod pricing;
mod regulation;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;

pub(crate) use accounts::Account;
pub(crate) use inventory::Pair;
pub(crate) use owned::{Extra, HttpMethod, OwnedRec};
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use crate::catalog::{self, COUNTRIES};
use crate::model::NumberKind;
use crate::rng::{SplitMix64, format_sid};

/// Parses `+` and 7–15 digits into the integer key; `None` for anything else.
pub(crate) fn phone_key(e164: &str) -> Option<u64> {
    let digits = e164.strip_prefix('+')?;
    if !(7..=15).contains(&digits.len())
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok()
}

/// Options of the fake at start.
#[derive(Debug, Clone)]
pub(crate) struct StoreConfig {
    pub(crate) seed: u64,
    pub(crate) inventory_scale: f64,
    pub(crate) strict_regulatory: bool,
}

/// All the fake's data.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) seed: u64,
    token_key: u64,
    pub(crate) accounts: Vec<Account>,
    account_by_sid: HashMap<String, u32>,
    /// API key SID → (secret, account index).
    keys: HashMap<String, (String, u32)>,
    pub(crate) pairs: BTreeMap<(&'static str, NumberKind), Pair>,
    /// Phone → (country, kind, index in the pair's list).
    inventory_index: HashMap<u64, (&'static str, NumberKind, usize)>,
    owned: BTreeMap<(u32, u128), OwnedRec>,
    by_phone: HashMap<u64, (u32, u128)>,
    taken: HashSet<u64>,
    pub(crate) strict_regulatory: bool,
    bundles: HashMap<String, (String, NumberKind)>,
    addresses: HashMap<String, String>,
    prices: BTreeMap<&'static str, Vec<(NumberKind, String, String)>>,
    sid_rng: SplitMix64,
    misc_rng: SplitMix64,
    seed_cursor: u64,
}

fn now() -> i64 {
    Utc::now().timestamp()
}

fn form_get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

fn arc(v: &str) -> Option<Arc<str>> {
    (!v.is_empty()).then(|| Arc::from(v))
}

impl State {
    pub(crate) fn new(config: &StoreConfig) -> Self {
        let seed = config.seed;
        let mut creds = SplitMix64::derive(seed, "credentials");
        let master_sid = format_sid("AC", creds.next_u128());
        let master_token = format!("{:032x}", creds.next_u128());
        let mut state = Self {
            seed,
            token_key: SplitMix64::derive(seed, "page-token-key").next_u64(),
            accounts: Vec::new(),
            account_by_sid: HashMap::new(),
            keys: HashMap::new(),
            pairs: BTreeMap::new(),
            inventory_index: HashMap::new(),
            owned: BTreeMap::new(),
            by_phone: HashMap::new(),
            taken: HashSet::new(),
            strict_regulatory: config.strict_regulatory,
            bundles: HashMap::new(),
            addresses: HashMap::new(),
            prices: COUNTRIES
                .iter()
                .map(|c| {
                    let list = c
                        .prices
                        .iter()
                        .map(|(k, base, cur)| (*k, (*base).to_owned(), (*cur).to_owned()))
                        .collect();
                    (c.iso, list)
                })
                .collect(),
            sid_rng: SplitMix64::derive(seed, "sid/PN"),
            misc_rng: SplitMix64::derive(seed, "sid/misc"),
            seed_cursor: 0,
        };
        state.add_account(master_sid, master_token, "Fake master account".into(), None);
        for country in COUNTRIES {
            for kind in country.kinds() {
                let size = catalog::default_inventory_size(country.iso, kind) as f64
                    * config.inventory_scale;
                let regulation = catalog::default_regulation(country.iso, kind);
                state.pairs.insert(
                    (country.iso, kind),
                    Pair {
                        numbers: Vec::new(),
                        regulation,
                    },
                );
                // Sizes are small; the float only scales a default.
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a non-negative inventory size well below usize::MAX"
                )]
                let size = size.max(0.0).round() as usize;
                state.regenerate_pair(country, kind, size);
            }
        }
        state
    }

    pub(crate) fn next_call_sid(&mut self) -> String {
        format_sid("CA", self.misc_rng.next_u128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keys_accept_only_e164() {
        assert_eq!(phone_key("+14155550123"), Some(14_155_550_123));
        for bad in [
            "14155550123",
            "+0123456789",
            "+1415555012a",
            "+123",
            "+1234567890123456",
        ] {
            assert_eq!(phone_key(bad), None, "{bad}");
        }
    }
}
