//! Numbers for sale: the generated inventory per (country, kind), numbers added or marked
//! taken by the control API, and the AvailablePhoneNumbers resources (countries, search).

use super::{State, phone_key};
use crate::catalog::{self, COUNTRIES, Country};
use crate::model::{ApiError, AvailableNumber, NumberKind, Regulation, codes};
use crate::search::{Near, SearchFilter, distance_miles};
use crate::wire::{self, AvailableView};

/// Inventory of one (country, kind) pair.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) numbers: Vec<AvailableNumber>,
    pub(crate) regulation: Regulation,
}

impl State {
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

    pub(crate) fn inventory_entry(&self, phone: u64) -> Option<&AvailableNumber> {
        let (iso, kind, idx) = *self.inventory_index.get(&phone)?;
        self.pairs.get(&(iso, kind))?.numbers.get(idx)
    }

    pub(crate) fn is_available(&self, phone: u64) -> bool {
        self.inventory_index.contains_key(&phone)
            && !self.by_phone.contains_key(&phone)
            && !self.taken.contains(&phone)
    }

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

    /// Picks the number an `AreaCode` purchase buys.
    pub(super) fn pick_by_area_code(
        &self,
        area: &str,
        kind: Option<NumberKind>,
    ) -> Result<u64, ApiError> {
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
}
