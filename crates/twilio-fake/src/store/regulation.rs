//! Regulatory rules per (country, kind), the bundles and addresses registered against them,
//! and the check a purchase must pass.

use super::State;
use crate::catalog::{self, Country};
use crate::model::{AddressRequirement, ApiError, NumberKind, Regulation, codes};
use crate::rng::parse_sid;

impl State {
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

    pub(super) fn check_regulation(
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
}
