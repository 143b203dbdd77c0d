//! Owned numbers (IncomingPhoneNumbers): their records, buying, fetching, updating and
//! releasing one, snapshots for the control API, and seeding many at once.

use std::sync::Arc;

use chrono::DateTime;

use super::{State, arc, form_get, non_empty, now, phone_key};
use crate::catalog::{self, COUNTRIES, Country};
use crate::model::{
    AddressRequirement, ApiError, AvailableNumber, Capabilities, NumberKind, OwnedNumber, codes,
};
use crate::rng::{format_sid, parse_sid};
use crate::wire::OwnedView;

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

impl State {
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
}
