//! The fake's state and the Twilio operations on it.
//!
//! Everything lives in one [`State`] behind one `RwLock` (held only for the synchronous part
//! of a request, never across an `.await`). Owned numbers are kept in a `BTreeMap` keyed by
//! (account, SID), so one account's numbers are a contiguous range and a page is a range
//! scan from the last SID of the previous page, whatever the total held; a `HashMap` from
//! phone number to key serves the `PhoneNumber` filter and the "already owned" check.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use crate::catalog::{self, COUNTRIES, Country};
use crate::model::{
    AddressRequirement, ApiError, AvailableNumber, Capabilities, NumberKind, OwnedNumber,
    Regulation, codes,
};
use crate::rng::{SplitMix64, fnv1a, format_sid, parse_sid};
use crate::search::{Near, SearchFilter, distance_miles};
use crate::wire::{self, AvailableView, IncomingPage, OwnedSeq, OwnedView};

/// Largest `PageSize` of list endpoints.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// `PageSize` when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Webhook HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum HttpMethod {
    Get,
    #[default]
    Post,
}

impl HttpMethod {
    fn parse(name: &str, raw: &str) -> Result<Self, ApiError> {
        match raw.to_ascii_uppercase().as_str() {
            "GET" => Ok(Self::Get),
            "POST" => Ok(Self::Post),
            _ => Err(ApiError::invalid_parameter(format!(
                "{name} must be GET or POST, got {raw:?}"
            ))),
        }
    }
}

/// An account (the master or a subaccount).
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) sid: String,
    pub(crate) token: String,
    pub(crate) friendly_name: String,
    /// Index of the parent account; `None` for the master.
    pub(crate) parent: Option<u32>,
    pub(crate) created: i64,
}

/// Rarely-set fields of an owned number, kept out of line so a million bare numbers stay
/// small.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    pub(crate) friendly_name: Option<Arc<str>>,
    pub(crate) voice_url: Option<Arc<str>>,
    pub(crate) voice_method: HttpMethod,
    pub(crate) voice_fallback_url: Option<Arc<str>>,
    pub(crate) voice_fallback_method: HttpMethod,
    pub(crate) status_callback: Option<Arc<str>>,
    pub(crate) status_callback_method: HttpMethod,
    pub(crate) sms_url: Option<Arc<str>>,
    pub(crate) sms_method: HttpMethod,
    pub(crate) address_sid: Option<Arc<str>>,
    pub(crate) bundle_sid: Option<Arc<str>>,
    pub(crate) identity_sid: Option<Arc<str>>,
}

impl Extra {
    pub(crate) const EMPTY: Self = Self {
        friendly_name: None,
        voice_url: None,
        voice_method: HttpMethod::Post,
        voice_fallback_url: None,
        voice_fallback_method: HttpMethod::Post,
        status_callback: None,
        status_callback_method: HttpMethod::Post,
        sms_url: None,
        sms_method: HttpMethod::Post,
        address_sid: None,
        bundle_sid: None,
        identity_sid: None,
    };
}

/// One owned number (the SID and account are its key).
#[derive(Debug, Clone)]
pub(crate) struct OwnedRec {
    /// E.164 digits as an integer (15 digits fit).
    pub(crate) phone: u64,
    pub(crate) date_created: i64,
    pub(crate) date_updated: i64,
    /// Index into [`COUNTRIES`].
    pub(crate) country: u8,
    pub(crate) kind: NumberKind,
    pub(crate) capabilities: u8,
    pub(crate) address_requirements: AddressRequirement,
    pub(crate) beta: bool,
    /// Shared copy-on-write, so a million numbers seeded with the same URL share one.
    pub(crate) extra: Option<Arc<Extra>>,
}

impl OwnedRec {
    pub(crate) fn e164(&self) -> String {
        format!("+{}", self.phone)
    }

    pub(crate) fn country(&self) -> &'static Country {
        &COUNTRIES[usize::from(self.country)]
    }

    fn extra_mut(&mut self) -> &mut Extra {
        Arc::make_mut(self.extra.get_or_insert_with(Arc::default))
    }
}

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

/// Inventory of one (country, kind) pair.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) numbers: Vec<AvailableNumber>,
    pub(crate) regulation: Regulation,
}

/// Which way a page token points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    After = 1,
    Before = 2,
}

/// Decoded page token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageToken {
    direction: Direction,
    account: u32,
    position: u128,
    filter: u64,
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

    fn add_account(
        &mut self,
        sid: String,
        token: String,
        friendly_name: String,
        parent: Option<u32>,
    ) -> u32 {
        let idx = u32::try_from(self.accounts.len()).unwrap_or(u32::MAX);
        self.account_by_sid.insert(sid.clone(), idx);
        self.accounts.push(Account {
            sid,
            token,
            friendly_name,
            parent,
            created: now(),
        });
        idx
    }

    pub(crate) fn master(&self) -> &Account {
        &self.accounts[0]
    }

    pub(crate) fn account_index(&self, sid: &str) -> Option<u32> {
        self.account_by_sid.get(sid).copied()
    }

    pub(crate) fn account(&self, idx: u32) -> &Account {
        &self.accounts[idx as usize]
    }

    // ----- control operations -------------------------------------------------------------

    pub(crate) fn create_subaccount(&mut self, friendly_name: Option<String>) -> (String, String) {
        let sid = format_sid("AC", self.misc_rng.next_u128());
        let token = format!("{:032x}", self.misc_rng.next_u128());
        let name =
            friendly_name.unwrap_or_else(|| format!("Fake subaccount {}", self.accounts.len()));
        self.add_account(sid.clone(), token.clone(), name, Some(0));
        (sid, token)
    }

    pub(crate) fn create_api_key(&mut self, account: u32) -> (String, String) {
        let sid = format_sid("SK", self.misc_rng.next_u128());
        let secret = format!("{:032x}", self.misc_rng.next_u128());
        self.keys.insert(sid.clone(), (secret.clone(), account));
        (sid, secret)
    }

    /// Replaces a pair's generated inventory with `count` numbers (explicitly added numbers
    /// are dropped too).
    pub(crate) fn regenerate_pair(
        &mut self,
        country: &'static Country,
        kind: NumberKind,
        count: usize,
    ) {
        let Some(pair) = self.pairs.get_mut(&(country.iso, kind)) else {
            return;
        };
        for n in pair.numbers.drain(..) {
            if let Some(key) = phone_key(&n.phone_number) {
                self.inventory_index.remove(&key);
            }
        }
        let numbers = catalog::generate_inventory(self.seed, country, kind, count, pair.regulation);
        for (i, n) in numbers.iter().enumerate() {
            if let Some(key) = phone_key(&n.phone_number) {
                // A number can only be stocked once; a clash with another pair keeps the first.
                self.inventory_index
                    .entry(key)
                    .or_insert((country.iso, kind, i));
            }
        }
        pair.numbers = numbers;
    }

    pub(crate) fn add_available(&mut self, mut n: AvailableNumber) -> Result<(), String> {
        let key = phone_key(&n.phone_number)
            .ok_or_else(|| format!("{:?} is not an E.164 number", n.phone_number))?;
        let country = catalog::country(&n.iso_country)
            .ok_or_else(|| format!("the fake does not stock country {:?}", n.iso_country))?;
        let pair = self.pairs.get_mut(&(country.iso, n.kind)).ok_or_else(|| {
            format!(
                "the fake does not stock {} numbers in {}",
                n.kind, country.iso
            )
        })?;
        if self.inventory_index.contains_key(&key) {
            return Err(format!("{} is already in the inventory", n.phone_number));
        }
        n.iso_country = country.iso.to_owned();
        n.address_requirements = pair.regulation.address_requirement;
        if n.friendly_name.is_none() {
            n.friendly_name = Some(catalog::friendly_name(&n.phone_number));
        }
        self.inventory_index
            .insert(key, (country.iso, n.kind, pair.numbers.len()));
        pair.numbers.push(n);
        Ok(())
    }

    pub(crate) fn mark_taken(&mut self, e164: &str) -> Result<(), String> {
        let key = phone_key(e164).ok_or_else(|| format!("{e164:?} is not an E.164 number"))?;
        self.taken.insert(key);
        Ok(())
    }

    pub(crate) fn set_regulation(
        &mut self,
        iso: &str,
        kind: NumberKind,
        rule: Regulation,
    ) -> Result<(), String> {
        let country = catalog::country(iso).ok_or_else(|| format!("unknown country {iso:?}"))?;
        let pair = self
            .pairs
            .get_mut(&(country.iso, kind))
            .ok_or_else(|| format!("the fake does not stock {kind} numbers in {}", country.iso))?;
        pair.regulation = rule;
        for n in &mut pair.numbers {
            n.address_requirements = rule.address_requirement;
        }
        Ok(())
    }

    pub(crate) fn regulation(&self, iso: &str, kind: NumberKind) -> Option<Regulation> {
        let country = catalog::country(iso)?;
        self.pairs.get(&(country.iso, kind)).map(|p| p.regulation)
    }

    pub(crate) fn register_bundle(
        &mut self,
        sid: &str,
        iso: &str,
        kind: NumberKind,
    ) -> Result<(), String> {
        if parse_sid("BU", sid).is_none() {
            return Err(format!("{sid:?} is not a bundle SID (BU + 32 hex digits)"));
        }
        self.bundles
            .insert(sid.to_owned(), (iso.to_ascii_uppercase(), kind));
        Ok(())
    }

    pub(crate) fn register_address(&mut self, sid: &str, iso: &str) -> Result<(), String> {
        if parse_sid("AD", sid).is_none() {
            return Err(format!(
                "{sid:?} is not an address SID (AD + 32 hex digits)"
            ));
        }
        self.addresses
            .insert(sid.to_owned(), iso.to_ascii_uppercase());
        Ok(())
    }

    pub(crate) fn set_price(
        &mut self,
        iso: &str,
        kind: NumberKind,
        base: &str,
        current: &str,
    ) -> Result<(), String> {
        let valid = |p: &str| {
            let (int, frac) = p.split_once('.').unwrap_or((p, "0"));
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|c| c.is_ascii_digit())
                && frac.bytes().all(|c| c.is_ascii_digit())
        };
        if !valid(base) || !valid(current) {
            return Err("prices must be non-negative decimal strings such as \"1.15\"".into());
        }
        let country = catalog::country(iso).ok_or_else(|| format!("unknown country {iso:?}"))?;
        let list = self.prices.entry(country.iso).or_default();
        match list.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(entry) => {
                entry.1 = base.to_owned();
                entry.2 = current.to_owned();
            }
            None => list.push((kind, base.to_owned(), current.to_owned())),
        }
        list.sort_by_key(|(k, _, _)| *k);
        Ok(())
    }

    /// Adds `count` owned numbers to `account` without going through the inventory: US and
    /// CA local numbers in a deterministic sequence, skipping any already owned. For
    /// benchmarks and drift tests at scale.
    pub(crate) fn seed_owned(&mut self, account: u32, count: u64, voice_url: Option<&str>) -> u64 {
        let areas: Vec<_> = catalog::nanp_area_codes().collect();
        let n_areas = areas.len() as u64;
        let url: Option<Arc<str>> = voice_url.and_then(arc);
        let extra = url.map(|u| {
            Arc::new(Extra {
                voice_url: Some(u),
                ..Extra::default()
            })
        });
        let created = now();
        let mut added = 0;
        while added < count {
            let k = self.seed_cursor;
            self.seed_cursor += 1;
            let (country, locality) = areas[(k % n_areas) as usize];
            let rest = k / n_areas;
            let exchange = 200 + (rest / 10_000) % 800;
            let subscriber = rest % 10_000;
            let e164 = format!("+1{}{exchange:03}{subscriber:04}", locality.prefix);
            let Some(phone) = phone_key(&e164) else {
                continue;
            };
            if self.by_phone.contains_key(&phone) {
                continue;
            }
            let sid = self.next_sid(account);
            let country_idx = COUNTRIES
                .iter()
                .position(|c| c.iso == country.iso)
                .unwrap_or(0);
            self.owned.insert(
                (account, sid),
                OwnedRec {
                    phone,
                    date_created: created,
                    date_updated: created,
                    country: u8::try_from(country_idx).unwrap_or(0),
                    kind: NumberKind::Local,
                    capabilities: Capabilities {
                        voice: true,
                        sms: true,
                        mms: true,
                        fax: false,
                    }
                    .to_bits(),
                    address_requirements: AddressRequirement::None,
                    beta: false,
                    extra: extra.clone(),
                },
            );
            self.by_phone.insert(phone, (account, sid));
            added += 1;
        }
        added
    }

    fn next_sid(&mut self, account: u32) -> u128 {
        loop {
            let sid = self.sid_rng.next_u128();
            if !self.owned.contains_key(&(account, sid)) {
                return sid;
            }
        }
    }

    pub(crate) fn next_call_sid(&mut self) -> String {
        format_sid("CA", self.misc_rng.next_u128())
    }

    pub(crate) fn owned_count(&self, account: Option<u32>) -> usize {
        match account {
            None => self.owned.len(),
            Some(a) => self.owned.range((a, 0)..=(a, u128::MAX)).count(),
        }
    }

    pub(crate) fn owned_snapshot(&self, key: (u32, u128), rec: &OwnedRec) -> OwnedNumber {
        let extra = rec.extra.as_deref().unwrap_or(&Extra::EMPTY);
        let phone_number = rec.e164();
        let to_string = |v: &Option<Arc<str>>| v.as_deref().map(str::to_owned);
        let date = |secs| DateTime::from_timestamp(secs, 0).unwrap_or_default();
        OwnedNumber {
            sid: format_sid("PN", key.1),
            account_sid: self.account(key.0).sid.clone(),
            friendly_name: extra
                .friendly_name
                .as_deref()
                .map_or_else(|| catalog::friendly_name(&phone_number), str::to_owned),
            phone_number,
            iso_country: rec.country().iso.to_owned(),
            kind: rec.kind,
            capabilities: Capabilities::from_bits(rec.capabilities),
            address_requirements: rec.address_requirements,
            beta: rec.beta,
            voice_url: to_string(&extra.voice_url),
            voice_method: extra.voice_method.as_str().to_owned(),
            voice_fallback_url: to_string(&extra.voice_fallback_url),
            status_callback: to_string(&extra.status_callback),
            status_callback_method: extra.status_callback_method.as_str().to_owned(),
            sms_url: to_string(&extra.sms_url),
            address_sid: to_string(&extra.address_sid),
            bundle_sid: to_string(&extra.bundle_sid),
            identity_sid: to_string(&extra.identity_sid),
            date_created: date(rec.date_created),
            date_updated: date(rec.date_updated),
        }
    }

    pub(crate) fn owned_by_phone(&self, e164: &str) -> Option<OwnedNumber> {
        let key = *self.by_phone.get(&phone_key(e164)?)?;
        let rec = self.owned.get(&key)?;
        Some(self.owned_snapshot(key, rec))
    }

    /// Snapshots of up to `limit` owned numbers (of one account, or of all), in key order.
    pub(crate) fn owned_numbers(&self, account: Option<u32>, limit: usize) -> Vec<OwnedNumber> {
        let range = match account {
            Some(a) => self.owned.range((a, 0)..=(a, u128::MAX)),
            None => self.owned.range(..),
        };
        range
            .take(limit)
            .map(|(k, rec)| self.owned_snapshot(*k, rec))
            .collect()
    }

    /// The raw record and owning account's token for a number (for simulated calls).
    pub(crate) fn call_target(
        &self,
        e164: &str,
    ) -> Option<(OwnedNumber, String, Option<&AvailableNumber>)> {
        let phone = phone_key(e164)?;
        let key = *self.by_phone.get(&phone)?;
        let rec = self.owned.get(&key)?;
        let token = self.account(key.0).token.clone();
        Some((
            self.owned_snapshot(key, rec),
            token,
            self.inventory_entry(phone),
        ))
    }

    pub(crate) fn inventory_entry(&self, phone: u64) -> Option<&AvailableNumber> {
        let (iso, kind, idx) = *self.inventory_index.get(&phone)?;
        self.pairs.get(&(iso, kind))?.numbers.get(idx)
    }

    pub(crate) fn is_available(&self, phone: u64) -> bool {
        self.inventory_index.contains_key(&phone)
            && !self.by_phone.contains_key(&phone)
            && !self.taken.contains(&phone)
    }

    // ----- authentication -----------------------------------------------------------------

    /// The account the Basic credentials authenticate (an API key acts for its account).
    pub(crate) fn authenticate(&self, user: &str, password: &str) -> Result<u32, ApiError> {
        let ok = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes()
                    .zip(b.bytes())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0
        };
        if let Some(idx) = self.account_index(user) {
            if ok(&self.account(idx).token, password) {
                return Ok(idx);
            }
        } else if let Some((secret, idx)) = self.keys.get(user)
            && ok(secret, password)
        {
            return Ok(*idx);
        }
        Err(ApiError::authenticate())
    }

    /// The account named in a 2010 path, if the authenticated principal may act on it: its
    /// own account or one of its subaccounts. Anything else answers 404/20404 for `path`, as
    /// Twilio does for resources the credentials cannot see.
    pub(crate) fn authorize(
        &self,
        principal: u32,
        path_sid: &str,
        path: &str,
    ) -> Result<u32, ApiError> {
        match self.account_index(path_sid) {
            Some(idx) if idx == principal || self.account(idx).parent == Some(principal) => Ok(idx),
            _ => Err(ApiError::not_found(path)),
        }
    }

    // ----- AvailablePhoneNumbers ----------------------------------------------------------

    pub(crate) fn countries_json(&self, account: u32) -> serde_json::Value {
        let sid = &self.account(account).sid;
        let countries: Vec<_> = COUNTRIES
            .iter()
            .map(|c| wire::country_resource(sid, c))
            .collect();
        serde_json::json!({
            "countries": countries,
            "uri": format!("/2010-04-01/Accounts/{sid}/AvailablePhoneNumbers.json"),
        })
    }

    pub(crate) fn country_json(
        &self,
        account: u32,
        iso: &str,
        path: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let country = catalog::country(iso)
            .filter(|c| c.iso == iso)
            .ok_or_else(|| ApiError::not_found(path))?;
        Ok(wire::country_resource(&self.account(account).sid, country))
    }

    pub(crate) fn search(
        &self,
        account: u32,
        iso: &str,
        kind: NumberKind,
        query: &[(String, String)],
        path: &str,
    ) -> Result<Vec<u8>, ApiError> {
        // Twilio's path segment is case-sensitive (`US`); a pair not stocked is 404/20404.
        let country = catalog::country(iso)
            .filter(|c| c.iso == iso)
            .ok_or_else(|| ApiError::not_found(path))?;
        let pair = self
            .pairs
            .get(&(country.iso, kind))
            .ok_or_else(|| ApiError::not_found(path))?;
        let (filter, distance) = SearchFilter::from_query(query)?;
        let center = match &filter.near {
            None => None,
            Some(Near::LatLong(lat, long)) => Some((*lat, *long)),
            Some(Near::Number(n)) => Some(self.locate(n).ok_or_else(|| {
                ApiError::invalid_parameter(format!("NearNumber {n:?} cannot be located"))
            })?),
        };
        let results: Vec<AvailableView<'_>> = pair
            .numbers
            .iter()
            .filter(|n| phone_key(&n.phone_number).is_some_and(|k| self.is_available(k)))
            .filter(|n| filter.accepts(n))
            .filter(|n| match (center, n.latitude, n.longitude) {
                (None, _, _) => true,
                (Some(c), Some(lat), Some(long)) => distance_miles(c, (lat, long)) <= distance,
                _ => false,
            })
            .take(filter.limit)
            .map(AvailableView::from)
            .collect();
        #[derive(serde::Serialize)]
        struct Body<'a> {
            uri: String,
            available_phone_numbers: Vec<AvailableView<'a>>,
        }
        let body = Body {
            uri: format!(
                "/2010-04-01/Accounts/{}/AvailablePhoneNumbers/{}/{}.json",
                self.account(account).sid,
                country.iso,
                kind.path_segment()
            ),
            available_phone_numbers: results,
        };
        serde_json::to_vec(&body).map_err(|e| ApiError::new(500, codes::INTERNAL, e.to_string()))
    }

    /// Coordinates of a number: its inventory entry, or its NANP area code's city.
    fn locate(&self, e164: &str) -> Option<(f64, f64)> {
        let key = phone_key(e164)?;
        if let Some(n) = self.inventory_entry(key)
            && let (Some(lat), Some(long)) = (n.latitude, n.longitude)
        {
            return Some((lat, long));
        }
        let national = e164.strip_prefix("+1")?;
        catalog::nanp_area_codes()
            .find(|(_, l)| national.starts_with(l.prefix))
            .and_then(|(_, l)| l.lat_long)
    }

    // ----- IncomingPhoneNumbers -----------------------------------------------------------

    fn check_regulation(
        &self,
        country: &Country,
        kind: NumberKind,
        bundle: Option<&str>,
        address: Option<&str>,
    ) -> Result<(), ApiError> {
        let Some(rule) = self.pairs.get(&(country.iso, kind)).map(|p| p.regulation) else {
            return Ok(());
        };
        if rule.bundle_required {
            let acceptable = bundle.is_some_and(|b| {
                parse_sid("BU", b).is_some()
                    && (!self.strict_regulatory
                        || self
                            .bundles
                            .get(b)
                            .is_some_and(|(iso, k)| iso == country.iso && *k == kind))
            });
            if !acceptable {
                return Err(ApiError::new(
                    400,
                    codes::BUNDLE_REQUIRED,
                    format!(
                        "Phone Number Requires a Bundle: {} {} numbers can only be purchased with the BundleSid of an approved Regulatory Bundle",
                        country.iso,
                        kind.pricing_name()
                    ),
                ));
            }
        }
        let need = rule.address_requirement;
        if need != AddressRequirement::None {
            let acceptable = address.is_some_and(|a| {
                parse_sid("AD", a).is_some()
                    && (!self.strict_regulatory
                        || self.addresses.get(a).is_some_and(|iso| match need {
                            AddressRequirement::Local => iso == country.iso,
                            AddressRequirement::Foreign => iso != country.iso,
                            AddressRequirement::Any | AddressRequirement::None => true,
                        }))
            });
            if !acceptable {
                return Err(ApiError::new(
                    400,
                    codes::ADDRESS_REQUIRED,
                    format!(
                        "Phone Number Requires an Address: {} {} numbers need an AddressSid satisfying the '{}' address requirement",
                        country.iso,
                        kind.pricing_name(),
                        need.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Picks the number an `AreaCode` purchase buys.
    fn pick_by_area_code(&self, area: &str, kind: Option<NumberKind>) -> Result<u64, ApiError> {
        let valid = area.len() == 3
            && area.bytes().all(|b| b.is_ascii_digit())
            && !area.starts_with(['0', '1']);
        if !valid {
            return Err(ApiError::new(
                400,
                codes::INVALID_AREA_CODE,
                format!("AreaCode {area:?} is not a valid North American area code"),
            ));
        }
        let kind = kind.unwrap_or(NumberKind::Local);
        ["US", "CA"]
            .into_iter()
            .filter_map(|iso| self.pairs.get(&(iso, kind)))
            .flat_map(|p| p.numbers.iter())
            .filter(|n| n.phone_number[2..].starts_with(area))
            .filter_map(|n| phone_key(&n.phone_number))
            .find(|k| self.is_available(*k))
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    codes::NO_NUMBERS_IN_AREA_CODE,
                    format!("No phone numbers found in area code {area}"),
                )
            })
    }

    /// Applies the webhook and regulatory fields of a create or update form.
    fn apply_fields(extra: &mut Extra, form: &[(String, String)]) -> Result<(), ApiError> {
        // Validate everything first so a refused request changes nothing.
        if let Some(name) = form_get(form, "FriendlyName")
            && name.chars().count() > 64
        {
            return Err(ApiError::invalid_parameter(
                "FriendlyName must be at most 64 characters",
            ));
        }
        let method = |name: &str| {
            form_get(form, name)
                .map(|v| HttpMethod::parse(name, v))
                .transpose()
        };
        let voice_method = method("VoiceMethod")?;
        let voice_fallback_method = method("VoiceFallbackMethod")?;
        let status_callback_method = method("StatusCallbackMethod")?;
        let sms_method = method("SmsMethod")?;
        for (name, prefix) in [
            ("AddressSid", "AD"),
            ("BundleSid", "BU"),
            ("IdentitySid", "RI"),
        ] {
            if let Some(v) = non_empty(form_get(form, name))
                && parse_sid(prefix, v).is_none()
            {
                return Err(ApiError::invalid_parameter(format!(
                    "{name} must be {prefix} followed by 32 hex digits"
                )));
            }
        }
        let set = |slot: &mut Option<Arc<str>>, name: &str| {
            if let Some(v) = form_get(form, name) {
                *slot = arc(v);
            }
        };
        set(&mut extra.friendly_name, "FriendlyName");
        set(&mut extra.voice_url, "VoiceUrl");
        set(&mut extra.voice_fallback_url, "VoiceFallbackUrl");
        set(&mut extra.status_callback, "StatusCallback");
        set(&mut extra.sms_url, "SmsUrl");
        set(&mut extra.address_sid, "AddressSid");
        set(&mut extra.bundle_sid, "BundleSid");
        set(&mut extra.identity_sid, "IdentitySid");
        if let Some(m) = voice_method {
            extra.voice_method = m;
        }
        if let Some(m) = voice_fallback_method {
            extra.voice_fallback_method = m;
        }
        if let Some(m) = status_callback_method {
            extra.status_callback_method = m;
        }
        if let Some(m) = sms_method {
            extra.sms_method = m;
        }
        Ok(())
    }

    /// Buys a number. Returns its key.
    pub(crate) fn create(
        &mut self,
        account: u32,
        kind_path: Option<NumberKind>,
        form: &[(String, String)],
    ) -> Result<(u32, u128), ApiError> {
        let phone = match (
            non_empty(form_get(form, "PhoneNumber")),
            non_empty(form_get(form, "AreaCode")),
        ) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_parameter(
                    "Only one of PhoneNumber and AreaCode may be given",
                ));
            }
            (None, None) => {
                return Err(ApiError::new(
                    400,
                    codes::INVALID_PHONE_NUMBER,
                    "A PhoneNumber or an AreaCode is required",
                ));
            }
            (Some(number), None) => {
                let phone = phone_key(number.trim()).ok_or_else(|| {
                    ApiError::new(
                        400,
                        codes::INVALID_PHONE_NUMBER,
                        format!("The phone number {number} is not a valid E.164 number"),
                    )
                })?;
                let unavailable = || {
                    ApiError::new(
                        400,
                        codes::NUMBER_NOT_AVAILABLE,
                        format!("Phone number {number} is not available"),
                    )
                };
                if !self.is_available(phone) {
                    return Err(unavailable());
                }
                if let Some(k) = kind_path
                    && self.inventory_entry(phone).is_some_and(|n| n.kind != k)
                {
                    return Err(unavailable());
                }
                phone
            }
            (None, Some(area)) => self.pick_by_area_code(area.trim(), kind_path)?,
        };
        let stocked = self.inventory_entry(phone).cloned().ok_or_else(|| {
            ApiError::new(
                400,
                codes::NUMBER_NOT_AVAILABLE,
                "Phone number is not available",
            )
        })?;
        let country = catalog::country(&stocked.iso_country)
            .ok_or_else(|| ApiError::new(500, codes::INTERNAL, "inventory country unknown"))?;
        self.check_regulation(
            country,
            stocked.kind,
            non_empty(form_get(form, "BundleSid")),
            non_empty(form_get(form, "AddressSid")),
        )?;
        let mut extra = Extra::default();
        Self::apply_fields(&mut extra, form)?;
        let sid = self.next_sid(account);
        let created = now();
        let country_idx = COUNTRIES
            .iter()
            .position(|c| c.iso == country.iso)
            .unwrap_or(0);
        self.owned.insert(
            (account, sid),
            OwnedRec {
                phone,
                date_created: created,
                date_updated: created,
                country: u8::try_from(country_idx).unwrap_or(0),
                kind: stocked.kind,
                capabilities: stocked.capabilities.to_bits(),
                address_requirements: stocked.address_requirements,
                beta: stocked.beta,
                extra: Some(Arc::new(extra)),
            },
        );
        self.by_phone.insert(phone, (account, sid));
        Ok((account, sid))
    }

    fn owned_key(&self, account: u32, sid: &str, path: &str) -> Result<(u32, u128), ApiError> {
        let value = parse_sid("PN", sid).ok_or_else(|| ApiError::not_found(path))?;
        let key = (account, value);
        if self.owned.contains_key(&key) {
            Ok(key)
        } else {
            Err(ApiError::not_found(path))
        }
    }

    pub(crate) fn owned_json(&self, key: (u32, u128)) -> Result<Vec<u8>, ApiError> {
        let rec = self
            .owned
            .get(&key)
            .ok_or_else(|| ApiError::new(500, codes::INTERNAL, "number vanished"))?;
        let view = OwnedView::new(&self.account(key.0).sid, key.1, rec);
        serde_json::to_vec(&view).map_err(|e| ApiError::new(500, codes::INTERNAL, e.to_string()))
    }

    pub(crate) fn fetch(&self, account: u32, sid: &str, path: &str) -> Result<Vec<u8>, ApiError> {
        let key = self.owned_key(account, sid, path)?;
        self.owned_json(key)
    }

    /// Changes a number; `AccountSid` moves it to another account the principal controls.
    pub(crate) fn update(
        &mut self,
        principal: u32,
        account: u32,
        sid: &str,
        form: &[(String, String)],
        path: &str,
    ) -> Result<(u32, u128), ApiError> {
        let key = self.owned_key(account, sid, path)?;
        let target = match non_empty(form_get(form, "AccountSid")) {
            None => account,
            Some(new_sid) => match self.account_index(new_sid) {
                Some(idx) if idx == principal || self.account(idx).parent == Some(principal) => idx,
                _ => {
                    return Err(ApiError::invalid_parameter(format!(
                        "AccountSid {new_sid} is not an account these credentials control"
                    )));
                }
            },
        };
        let mut rec = self
            .owned
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(path))?;
        Self::apply_fields(rec.extra_mut(), form)?;
        rec.date_updated = now();
        if target == account {
            self.owned.insert(key, rec);
            return Ok(key);
        }
        self.owned.remove(&key);
        let new_key = (target, key.1);
        self.by_phone.insert(rec.phone, new_key);
        self.owned.insert(new_key, rec);
        Ok(new_key)
    }

    /// Releases a number; it goes back on sale if it came from the inventory.
    pub(crate) fn delete(&mut self, account: u32, sid: &str, path: &str) -> Result<(), ApiError> {
        let key = self.owned_key(account, sid, path)?;
        if let Some(rec) = self.owned.remove(&key) {
            self.by_phone.remove(&rec.phone);
        }
        Ok(())
    }

    fn token_tag(&self, payload: &[u8]) -> u64 {
        let mut rng = SplitMix64::derive(self.token_key ^ fnv1a(payload), "tag");
        rng.next_u64()
    }

    fn encode_token(&self, token: PageToken) -> String {
        let mut bytes = Vec::with_capacity(37);
        bytes.push(token.direction as u8);
        bytes.extend_from_slice(&token.account.to_be_bytes());
        bytes.extend_from_slice(&token.position.to_be_bytes());
        bytes.extend_from_slice(&token.filter.to_be_bytes());
        let tag = self.token_tag(&bytes);
        bytes.extend_from_slice(&tag.to_be_bytes());
        format!("PA{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    fn decode_token(&self, raw: &str, account: u32, filter: u64) -> Result<PageToken, ApiError> {
        let invalid = || ApiError::new(400, codes::INVALID_PAGE_TOKEN, "Invalid PageToken");
        let bytes = raw
            .strip_prefix("PA")
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() == 37)
            .ok_or_else(invalid)?;
        let (payload, tag) = bytes.split_at(29);
        if u64::from_be_bytes(tag.try_into().map_err(|_| invalid())?) != self.token_tag(payload) {
            return Err(invalid());
        }
        let direction = match payload[0] {
            1 => Direction::After,
            2 => Direction::Before,
            _ => return Err(invalid()),
        };
        let token = PageToken {
            direction,
            account: u32::from_be_bytes(payload[1..5].try_into().map_err(|_| invalid())?),
            position: u128::from_be_bytes(payload[5..21].try_into().map_err(|_| invalid())?),
            filter: u64::from_be_bytes(payload[21..29].try_into().map_err(|_| invalid())?),
        };
        // A token only pages the listing it came from.
        if token.account != account || token.filter != filter {
            return Err(invalid());
        }
        Ok(token)
    }

    /// One page of an account's owned numbers, as the JSON body Twilio sends.
    pub(crate) fn list(
        &self,
        account: u32,
        kind: Option<NumberKind>,
        base_path: &str,
        query: &[(String, String)],
    ) -> Result<Vec<u8>, ApiError> {
        let q = ListQuery::parse(query)?;
        let filter_hash = fnv1a(
            format!(
                "{kind:?}|{:?}|{:?}|{}|{:?}",
                q.phone_number, q.friendly_name, q.beta, q.origin
            )
            .as_bytes(),
        );
        let token = q
            .page_token
            .as_deref()
            .map(|t| self.decode_token(t, account, filter_hash))
            .transpose()?;
        let pattern = q.phone_number.as_deref().map(PhonePattern::new);
        let wanted = |rec: &OwnedRec| {
            kind.is_none_or(|k| rec.kind == k)
                && (q.beta || !rec.beta)
                && q.origin.as_deref().is_none_or(|o| o == "twilio")
                && q.friendly_name.as_deref().is_none_or(|f| {
                    rec.extra
                        .as_deref()
                        .and_then(|e| e.friendly_name.as_deref())
                        .map_or_else(|| catalog::friendly_name(&rec.e164()) == f, |n| n == f)
                })
                && pattern.as_ref().is_none_or(|p| p.matches(rec.phone))
        };
        let size = q.page_size as usize;
        let exact = pattern.as_ref().and_then(PhonePattern::exact);
        let (items, has_next, has_previous) = match (exact, token) {
            // One number at most: look it up instead of scanning.
            (Some(phone), token) => {
                let hit = self
                    .by_phone
                    .get(&phone)
                    .filter(|key| key.0 == account)
                    .and_then(|key| self.owned.get_key_value(key))
                    .filter(|(_, rec)| wanted(rec))
                    .filter(|(key, _)| match token {
                        None => true,
                        Some(t) if t.direction == Direction::After => key.1 > t.position,
                        Some(t) => key.1 < t.position,
                    });
                (hit.into_iter().collect::<Vec<_>>(), false, false)
            }
            (None, Some(t)) if t.direction == Direction::Before => {
                let mut items: Vec<_> = self
                    .owned
                    .range((account, 0)..(account, t.position))
                    .rev()
                    .filter(|(_, rec)| wanted(rec))
                    .take(size)
                    .collect();
                items.reverse();
                // Reached from page `q.page + 1`: there is an earlier page unless this is 0.
                (items, true, q.page > 0)
            }
            (None, token) => {
                let lower = match token {
                    Some(t) => Bound::Excluded((account, t.position)),
                    None => Bound::Included((account, 0)),
                };
                let mut items: Vec<_> = self
                    .owned
                    .range((lower, Bound::Included((account, u128::MAX))))
                    .filter(|(_, rec)| wanted(rec))
                    .take(size + 1)
                    .collect();
                let more = items.len() > size;
                items.truncate(size);
                (items, more, token.is_some() && q.page > 0)
            }
        };
        let uri_with = |page: u32, token: Option<String>| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            if let Some(p) = &q.phone_number {
                s.append_pair("PhoneNumber", p);
            }
            if let Some(f) = &q.friendly_name {
                s.append_pair("FriendlyName", f);
            }
            if !q.beta {
                s.append_pair("Beta", "false");
            }
            if let Some(o) = &q.origin {
                s.append_pair("Origin", o);
            }
            s.append_pair("PageSize", &q.page_size.to_string());
            s.append_pair("Page", &page.to_string());
            if let Some(t) = &token {
                s.append_pair("PageToken", t);
            }
            format!("{base_path}?{}", s.finish())
        };
        let next_page_uri = match items.last() {
            Some((key, _)) if has_next => Some(uri_with(
                q.page + 1,
                Some(self.encode_token(PageToken {
                    direction: Direction::After,
                    account,
                    position: key.1,
                    filter: filter_hash,
                })),
            )),
            _ => None,
        };
        let previous_page_uri = match items.first() {
            Some((key, _)) if has_previous && q.page > 0 => Some(uri_with(
                q.page - 1,
                Some(self.encode_token(PageToken {
                    direction: Direction::Before,
                    account,
                    position: key.1,
                    filter: filter_hash,
                })),
            )),
            _ => None,
        };
        let start = u64::from(q.page) * u64::from(q.page_size);
        let count = items.len() as u64;
        let seq = OwnedSeq {
            accounts: &self.accounts,
            items,
        };
        let page = IncomingPage {
            first_page_uri: uri_with(0, None),
            end: start + count.saturating_sub(1),
            previous_page_uri,
            incoming_phone_numbers: &seq,
            uri: uri_with(q.page, q.page_token.clone()),
            page_size: q.page_size,
            start,
            next_page_uri,
            page: q.page,
        };
        // About 1.1 KiB per number: reserve once instead of growing through a dozen copies.
        let mut out = Vec::with_capacity(1024 + page.incoming_phone_numbers.items.len() * 1200);
        serde_json::to_writer(&mut out, &page)
            .map_err(|e| ApiError::new(500, codes::INTERNAL, e.to_string()))?;
        Ok(out)
    }

    /// Structured page for the in-process control API: up to `size` numbers after the
    /// position in `after` (an opaque cursor from the previous call).
    pub(crate) fn owned_page(
        &self,
        account: u32,
        size: usize,
        after: Option<u128>,
    ) -> (Vec<OwnedNumber>, Option<u128>) {
        let lower = match after {
            Some(p) => Bound::Excluded((account, p)),
            None => Bound::Included((account, 0)),
        };
        let mut items: Vec<_> = self
            .owned
            .range((lower, Bound::Included((account, u128::MAX))))
            .take(size + 1)
            .collect();
        let more = items.len() > size;
        items.truncate(size);
        let next = if more {
            items.last().map(|(k, _)| k.1)
        } else {
            None
        };
        (
            items
                .into_iter()
                .map(|(k, rec)| self.owned_snapshot(*k, rec))
                .collect(),
            next,
        )
    }

    // ----- Pricing ------------------------------------------------------------------------

    pub(crate) fn pricing_country(
        &self,
        iso: &str,
        pricing_base: &str,
        path: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let country = catalog::country(iso)
            .filter(|c| c.iso == iso.to_ascii_uppercase())
            .ok_or_else(|| ApiError::not_found(path))?;
        let prices: Vec<_> = self
            .prices
            .get(country.iso)
            .map(|list| {
                list.iter()
                    .map(|(k, base, cur)| {
                        serde_json::json!({
                            "number_type": k.pricing_name(),
                            "base_price": base,
                            "current_price": cur,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(serde_json::json!({
            "country": country.name,
            "iso_country": country.iso,
            "phone_number_prices": prices,
            "price_unit": "USD",
            "url": format!("{pricing_base}/v1/PhoneNumbers/Countries/{}", country.iso),
        }))
    }

    pub(crate) fn pricing_countries(
        &self,
        query: &[(String, String)],
        pricing_base: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let q = ListQuery::parse(query)?;
        let filter = fnv1a(b"pricing-countries");
        let offset = match q.page_token.as_deref() {
            None => u128::from(q.page) * u128::from(q.page_size),
            Some(t) => self.decode_token(t, u32::MAX, filter)?.position,
        };
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let size = q.page_size as usize;
        let countries: Vec<_> = COUNTRIES
            .iter()
            .skip(offset)
            .take(size)
            .map(|c| {
                serde_json::json!({
                    "country": c.name,
                    "iso_country": c.iso,
                    "url": format!("{pricing_base}/v1/PhoneNumbers/Countries/{}", c.iso),
                })
            })
            .collect();
        let list_url = format!("{pricing_base}/v1/PhoneNumbers/Countries");
        let url = |page: u32, position: Option<usize>| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            s.append_pair("PageSize", &q.page_size.to_string());
            s.append_pair("Page", &page.to_string());
            if let Some(p) = position {
                s.append_pair(
                    "PageToken",
                    &self.encode_token(PageToken {
                        direction: Direction::After,
                        account: u32::MAX,
                        position: p as u128,
                        filter,
                    }),
                );
            }
            format!("{list_url}?{}", s.finish())
        };
        let next = offset + size;
        let next_page_url = (next < COUNTRIES.len()).then(|| url(q.page + 1, Some(next)));
        let previous_page_url =
            (offset > 0 && q.page > 0).then(|| url(q.page - 1, Some(offset.saturating_sub(size))));
        Ok(serde_json::json!({
            "countries": countries,
            "meta": {
                "page": q.page,
                "page_size": q.page_size,
                "first_page_url": url(0, None),
                "previous_page_url": previous_page_url,
                "url": url(q.page, q.page_token.as_ref().map(|_| offset)),
                "next_page_url": next_page_url,
                "key": "countries",
            },
        }))
    }
}

/// Paging and filter parameters of a list request.
#[derive(Debug, Clone)]
struct ListQuery {
    page_size: u32,
    page: u32,
    page_token: Option<String>,
    phone_number: Option<String>,
    friendly_name: Option<String>,
    beta: bool,
    origin: Option<String>,
}

impl ListQuery {
    fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let mut q = Self {
            page_size: DEFAULT_PAGE_SIZE,
            page: 0,
            page_token: None,
            phone_number: None,
            friendly_name: None,
            beta: true,
            origin: None,
        };
        for (name, value) in query {
            match name.as_str() {
                "PageSize" => {
                    q.page_size = value
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|s| (1..=MAX_PAGE_SIZE).contains(s))
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(format!(
                                "PageSize must be an integer from 1 to {MAX_PAGE_SIZE}, got {value:?}"
                            ))
                        })?;
                }
                "Page" => {
                    q.page = value.trim().parse().map_err(|_| {
                        ApiError::invalid_parameter(format!(
                            "Page must be a non-negative integer, got {value:?}"
                        ))
                    })?;
                }
                "PageToken" => q.page_token = Some(value.clone()),
                "PhoneNumber" if !value.is_empty() => q.phone_number = Some(value.clone()),
                "FriendlyName" if !value.is_empty() => q.friendly_name = Some(value.clone()),
                "Beta" => {
                    q.beta = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::invalid_parameter(format!(
                                "Beta must be true or false, got {value:?}"
                            )));
                        }
                    };
                }
                "Origin" if !value.is_empty() => q.origin = Some(value.clone()),
                _ => {}
            }
        }
        Ok(q)
    }
}

/// The `PhoneNumber` filter of a list: full or partial number, `*` for any one digit.
#[derive(Debug, Clone)]
struct PhonePattern {
    chars: Vec<u8>,
}

impl PhonePattern {
    fn new(raw: &str) -> Self {
        Self {
            chars: raw
                .bytes()
                .filter(|b| b.is_ascii_digit() || *b == b'*' || *b == b'+')
                .collect(),
        }
    }

    /// The number itself when the pattern is a complete E.164 number.
    fn exact(&self) -> Option<u64> {
        let s = std::str::from_utf8(&self.chars).ok()?;
        if s.contains('*') {
            return None;
        }
        phone_key(s)
    }

    fn matches(&self, phone: u64) -> bool {
        if self.chars.is_empty() {
            return true;
        }
        let hay = format!("+{phone}");
        let hay = hay.as_bytes();
        let n = self.chars.len();
        hay.len() >= n
            && (0..=hay.len() - n).any(|start| {
                self.chars
                    .iter()
                    .zip(&hay[start..start + n])
                    .all(|(p, h)| *p == *h || (*p == b'*' && h.is_ascii_digit()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(&StoreConfig {
            seed: 42,
            inventory_scale: 0.1,
            strict_regulatory: false,
        })
    }

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

    #[test]
    fn phone_patterns_match_partial_numbers_and_star_digits() {
        let p = PhonePattern::new("+1415");
        assert!(p.matches(14_155_550_123));
        assert!(!p.matches(14_165_550_123));
        assert!(PhonePattern::new("555*123").matches(14_155_550_123));
        assert_eq!(
            PhonePattern::new("+14155550123").exact(),
            Some(14_155_550_123)
        );
        assert_eq!(PhonePattern::new("+1415555012*").exact(), None);
    }

    #[test]
    fn forged_or_foreign_page_tokens_are_refused_with_21481() {
        let s = state();
        let token = s.encode_token(PageToken {
            direction: Direction::After,
            account: 0,
            position: 7,
            filter: 9,
        });
        assert_eq!(s.decode_token(&token, 0, 9).unwrap().position, 7);
        for bad in [
            token.replace('A', "B"),
            format!("{token}x"),
            "PAxyz".to_owned(),
            "garbage".to_owned(),
        ] {
            assert_eq!(s.decode_token(&bad, 0, 9).unwrap_err().code, 21481, "{bad}");
        }
        assert_eq!(s.decode_token(&token, 1, 9).unwrap_err().code, 21481);
        assert_eq!(s.decode_token(&token, 0, 8).unwrap_err().code, 21481);
    }
}
