//! Typed views of the Twilio resources this client reads.
//!
//! Every field Twilio may leave unset is an `Option`; `""` and `null` both read as `None`.
//! Unknown JSON fields are ignored, and open sets of values (number types, statuses) keep
//! unknown spellings in an `Other` variant instead of failing.
//!
//! Only the fields a caller identifies or prices things by are decoded strictly: SIDs
//! (`sid`, `account_sid`, an account's `owner_account_sid`), `phone_number`, account
//! `status`/`type`, and prices. A value there that cannot be read fails the whole answer
//! ([`crate::TwilioError::Decode`]). Every other field (dates, names, URLs, flags,
//! coordinates, capabilities) reads as `None` (or `false`) when Twilio sends something
//! unreadable, so one odd cosmetic value neither hides a completed purchase behind a decode
//! error nor ends a list.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::de::{
    lenient_bool, lenient_bool_or_false, lenient_date, lenient_enum, lenient_f64, lenient_string,
    opt_decimal, opt_enum, opt_string,
};
use crate::params::SearchType;

/// Kind of phone number, as Twilio names it in pricing (`"toll free"`), in owned numbers
/// (`"local"`, `"mobile"`, ...) and in search paths (`TollFree`).
///
/// Parsing never fails: spelling, case, spaces, `-` and `_` are ignored when matching the
/// known kinds, and anything else is kept verbatim in [`NumberType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NumberType {
    /// Geographic number.
    Local,
    /// Toll-free number (Twilio pricing spells it `"toll free"`).
    TollFree,
    /// Mobile number.
    Mobile,
    /// Non-geographic national number.
    National,
    /// Voice-over-IP number.
    Voip,
    /// Shared-cost number.
    SharedCost,
    /// Machine-to-machine number.
    MachineToMachine,
    /// A spelling this client does not know, kept as Twilio sent it.
    Other(String),
}

impl NumberType {
    /// Stable snake_case name: `local`, `toll_free`, `mobile`, `national`, `voip`,
    /// `shared_cost`, `machine_to_machine`, or the raw text for [`NumberType::Other`].
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Local => "local",
            Self::TollFree => "toll_free",
            Self::Mobile => "mobile",
            Self::National => "national",
            Self::Voip => "voip",
            Self::SharedCost => "shared_cost",
            Self::MachineToMachine => "machine_to_machine",
            Self::Other(raw) => raw,
        }
    }

    /// The search kind this client can query for this number type, if any.
    #[must_use]
    pub fn search_type(&self) -> Option<SearchType> {
        match self {
            Self::Local => Some(SearchType::Local),
            Self::TollFree => Some(SearchType::TollFree),
            Self::Mobile => Some(SearchType::Mobile),
            _ => None,
        }
    }
}

impl From<&str> for NumberType {
    fn from(raw: &str) -> Self {
        let key: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "local" => Self::Local,
            "tollfree" => Self::TollFree,
            "mobile" => Self::Mobile,
            "national" => Self::National,
            "voip" => Self::Voip,
            "sharedcost" => Self::SharedCost,
            "machinetomachine" => Self::MachineToMachine,
            _ => Self::Other(raw.to_owned()),
        }
    }
}

impl From<String> for NumberType {
    fn from(raw: String) -> Self {
        match Self::from(raw.as_str()) {
            Self::Other(_) => Self::Other(raw),
            known => known,
        }
    }
}

impl FromStr for NumberType {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(s))
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NumberType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NumberType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::from)
    }
}

/// What address a number needs before Twilio lets you buy it (`address_requirements`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressRequirement {
    /// `none`: no address needed.
    None,
    /// `any`: an address anywhere in the world.
    Any,
    /// `local`: an address in the number's country.
    Local,
    /// `foreign`: an address outside the number's country.
    Foreign,
    /// A value this client does not know, kept verbatim.
    Other(String),
}

impl AddressRequirement {
    /// True unless Twilio said `none`. Unknown values count as needing an address, so a
    /// caller errs on the side of attaching one.
    #[must_use]
    pub fn needs_address(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// Twilio's spelling (`none`, `any`, `local`, `foreign`) or the raw unknown value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::None => "none",
            Self::Any => "any",
            Self::Local => "local",
            Self::Foreign => "foreign",
            Self::Other(raw) => raw,
        }
    }
}

impl From<String> for AddressRequirement {
    fn from(raw: String) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "none" => Self::None,
            "any" => Self::Any,
            "local" => Self::Local,
            "foreign" => Self::Foreign,
            _ => Self::Other(raw),
        }
    }
}

impl fmt::Display for AddressRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a number can do. Missing keys read as `false`.
///
/// Decoding ignores key case, because Twilio's search answers spell `"SMS"`/`"MMS"` while
/// its owned-number answers spell `"sms"`/`"mms"`; values may be booleans or
/// `"true"`/`"false"` strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Capabilities {
    /// Can receive and place voice calls.
    pub voice: bool,
    /// Can send and receive SMS.
    pub sms: bool,
    /// Can send and receive MMS.
    pub mms: bool,
    /// Can send and receive fax.
    pub fax: bool,
}

impl<'de> Deserialize<'de> for Capabilities {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Capabilities;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a capabilities object or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Capabilities, E> {
                Ok(Capabilities::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Capabilities, E> {
                Ok(Capabilities::default())
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Capabilities, D2::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Capabilities, A::Error> {
                /// One capability value, decoded tolerantly.
                struct Flag(bool);
                impl<'de> Deserialize<'de> for Flag {
                    fn deserialize<D3: Deserializer<'de>>(d: D3) -> Result<Self, D3::Error> {
                        lenient_bool_or_false(d).map(Flag)
                    }
                }
                let mut caps = Capabilities::default();
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.to_ascii_lowercase().as_str() {
                        "voice" => &mut caps.voice,
                        "sms" => &mut caps.sms,
                        "mms" => &mut caps.mms,
                        "fax" => &mut caps.fax,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<Flag>()?.0;
                }
                Ok(caps)
            }
        }
        d.deserialize_any(V)
    }
}

/// `capabilities` that are not an object (or `null`) read as "no capability" instead of
/// failing the whole answer; inside an object, an unreadable flag reads as `false`.
fn lenient_capabilities<'de, D: Deserializer<'de>>(d: D) -> Result<Capabilities, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// A number offered for sale by an AvailablePhoneNumbers search.
///
/// A search result is not a reservation: buying it can still fail with Twilio code 21422.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AvailablePhoneNumber {
    /// The number in E.164 form, e.g. `+18089251571`.
    #[serde(default, deserialize_with = "opt_string")]
    pub phone_number: Option<String>,
    /// Display form, e.g. `(808) 925-1571`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub friendly_name: Option<String>,
    /// ISO 3166-1 alpha-2 country of the number.
    #[serde(default, deserialize_with = "lenient_string")]
    pub iso_country: Option<String>,
    /// City or locality (US/CA mostly).
    #[serde(default, deserialize_with = "lenient_string")]
    pub locality: Option<String>,
    /// State or province abbreviation (US/CA).
    #[serde(default, deserialize_with = "lenient_string")]
    pub region: Option<String>,
    /// Postal code (US/CA).
    #[serde(default, deserialize_with = "lenient_string")]
    pub postal_code: Option<String>,
    /// LATA (US/CA).
    #[serde(default, deserialize_with = "lenient_string")]
    pub lata: Option<String>,
    /// Rate center (US/CA).
    #[serde(default, deserialize_with = "lenient_string")]
    pub rate_center: Option<String>,
    /// Latitude; Twilio sends it as a string or a number.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub latitude: Option<f64>,
    /// Longitude; Twilio sends it as a string or a number.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub longitude: Option<f64>,
    /// Address the number needs before it can be bought.
    #[serde(default, deserialize_with = "lenient_enum")]
    pub address_requirements: Option<AddressRequirement>,
    /// Whether the number is new to Twilio.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub beta: Option<bool>,
    /// What the number can do.
    #[serde(default, deserialize_with = "lenient_capabilities")]
    pub capabilities: Capabilities,
}

/// A number the account owns (an IncomingPhoneNumber resource).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct IncomingPhoneNumber {
    /// The resource SID (`PN…`).
    #[serde(default, deserialize_with = "opt_string")]
    pub sid: Option<String>,
    /// SID of the account that owns the number (`AC…`).
    #[serde(default, deserialize_with = "opt_string")]
    pub account_sid: Option<String>,
    /// The number in E.164 form.
    #[serde(default, deserialize_with = "opt_string")]
    pub phone_number: Option<String>,
    /// Free-text name; defaults to a formatted number.
    #[serde(default, deserialize_with = "lenient_string")]
    pub friendly_name: Option<String>,
    /// Kind of number (`type` on the wire).
    #[serde(default, rename = "type", deserialize_with = "lenient_enum")]
    pub number_type: Option<NumberType>,
    /// `twilio` or `hosted`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub origin: Option<String>,
    /// Provisioning status, e.g. `in-use`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// Whether the number is new to Twilio.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub beta: Option<bool>,
    /// What the number can do.
    #[serde(default, deserialize_with = "lenient_capabilities")]
    pub capabilities: Capabilities,
    /// Address the number needs.
    #[serde(default, deserialize_with = "lenient_enum")]
    pub address_requirements: Option<AddressRequirement>,
    /// Attached Address (`AD…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub address_sid: Option<String>,
    /// Attached regulatory Bundle (`BU…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub bundle_sid: Option<String>,
    /// Attached Identity (`RI…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub identity_sid: Option<String>,
    /// URL Twilio calls for an incoming call.
    #[serde(default, deserialize_with = "lenient_string")]
    pub voice_url: Option<String>,
    /// HTTP method used for `voice_url` (`GET`/`POST`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub voice_method: Option<String>,
    /// URL called when `voice_url` fails.
    #[serde(default, deserialize_with = "lenient_string")]
    pub voice_fallback_url: Option<String>,
    /// HTTP method used for `voice_fallback_url`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub voice_fallback_method: Option<String>,
    /// TwiML application handling calls instead of `voice_url` (`AP…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub voice_application_sid: Option<String>,
    /// SIP trunk handling calls instead of `voice_url` (`TK…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub trunk_sid: Option<String>,
    /// URL receiving call status callbacks.
    #[serde(default, deserialize_with = "lenient_string")]
    pub status_callback: Option<String>,
    /// HTTP method used for `status_callback`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub status_callback_method: Option<String>,
    /// URL Twilio calls for an incoming message.
    #[serde(default, deserialize_with = "lenient_string")]
    pub sms_url: Option<String>,
    /// HTTP method used for `sms_url`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub sms_method: Option<String>,
    /// Messaging application handling messages (`AP…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub sms_application_sid: Option<String>,
    /// `Active` or `Inactive`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub emergency_status: Option<String>,
    /// Emergency address (`AD…`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub emergency_address_sid: Option<String>,
    /// API version used for webhooks.
    #[serde(default, deserialize_with = "lenient_string")]
    pub api_version: Option<String>,
    /// When the number was bought.
    #[serde(default, deserialize_with = "lenient_date")]
    pub date_created: Option<DateTime<Utc>>,
    /// When the number was last changed.
    #[serde(default, deserialize_with = "lenient_date")]
    pub date_updated: Option<DateTime<Utc>>,
    /// Relative URI of the resource (ends with `.json`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub uri: Option<String>,
}

/// The price of one kind of number in one country.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NumberPrice {
    /// Kind of number; Twilio spells them with spaces (`"toll free"`).
    #[serde(deserialize_with = "number_type_or_other")]
    pub number_type: NumberType,
    /// List price per period, exact.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub base_price: Option<Decimal>,
    /// What this account pays per period now, exact (may differ from `base_price`).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub current_price: Option<Decimal>,
}

/// `null`/`""` number types become `Other("")` rather than failing the whole price list.
fn number_type_or_other<'de, D: Deserializer<'de>>(d: D) -> Result<NumberType, D::Error> {
    Ok(opt_string(d)?.map_or_else(|| NumberType::Other(String::new()), NumberType::from))
}

/// Phone-number prices for one country (Pricing v1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PhoneNumberPricing {
    /// Country name, e.g. `United States`.
    #[serde(default, deserialize_with = "opt_string")]
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, deserialize_with = "opt_string")]
    pub iso_country: Option<String>,
    /// Currency of the prices (ISO 4217; Twilio's case varies, compare case-insensitively).
    #[serde(default, deserialize_with = "opt_string")]
    pub price_unit: Option<String>,
    /// One entry per number type sold in the country.
    #[serde(default, deserialize_with = "list_or_null")]
    pub phone_number_prices: Vec<NumberPrice>,
    /// Absolute URL of the resource.
    #[serde(default, deserialize_with = "opt_string")]
    pub url: Option<String>,
}

/// A country listed by the Pricing service (no prices; fetch the country for those).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PricingCountry {
    /// Country name.
    #[serde(default, deserialize_with = "opt_string")]
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, deserialize_with = "opt_string")]
    pub iso_country: Option<String>,
    /// Absolute URL of the country's pricing resource.
    #[serde(default, deserialize_with = "opt_string")]
    pub url: Option<String>,
}

/// Account status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    /// The account works.
    Active,
    /// Suspended (by the parent or by Twilio).
    Suspended,
    /// Closed for good.
    Closed,
    /// A value this client does not know, kept verbatim.
    Other(String),
}

impl From<String> for AccountStatus {
    fn from(raw: String) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "active" => Self::Active,
            "suspended" => Self::Suspended,
            "closed" => Self::Closed,
            _ => Self::Other(raw),
        }
    }
}

/// Account type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// Trial account (may hold one number only).
    Trial,
    /// Full (paid) account.
    Full,
    /// A value this client does not know, kept verbatim.
    Other(String),
}

impl From<String> for AccountType {
    fn from(raw: String) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "trial" => Self::Trial,
            "full" => Self::Full,
            _ => Self::Other(raw),
        }
    }
}

/// A Twilio account, as read to check credentials.
///
/// The account's auth token, which Twilio includes in this resource, is deliberately not
/// decoded so it cannot leak through this type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Account SID (`AC…`).
    #[serde(default, deserialize_with = "opt_string")]
    pub sid: Option<String>,
    /// Name of the account.
    #[serde(default, deserialize_with = "lenient_string")]
    pub friendly_name: Option<String>,
    /// `active`, `suspended` or `closed`.
    #[serde(default, deserialize_with = "opt_enum")]
    pub status: Option<AccountStatus>,
    /// `Trial` or `Full`.
    #[serde(default, rename = "type", deserialize_with = "opt_enum")]
    pub account_type: Option<AccountType>,
    /// Parent account SID (equal to `sid` for a main account).
    #[serde(default, deserialize_with = "opt_string")]
    pub owner_account_sid: Option<String>,
    /// Creation date.
    #[serde(default, deserialize_with = "lenient_date")]
    pub date_created: Option<DateTime<Utc>>,
    /// Last change date.
    #[serde(default, deserialize_with = "lenient_date")]
    pub date_updated: Option<DateTime<Utc>>,
}

/// `null` or an array → `Vec`; the key itself must be present where this is used without
/// `default`, so that an unrelated JSON body is a decode error rather than "no results".
fn list_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Body of an AvailablePhoneNumbers search.
#[derive(Debug, Deserialize)]
pub(crate) struct AvailablePhoneNumberList {
    #[serde(deserialize_with = "list_or_null")]
    pub(crate) available_phone_numbers: Vec<AvailablePhoneNumber>,
}

/// One page of owned numbers.
#[derive(Debug, Deserialize)]
pub(crate) struct IncomingPhoneNumberPage {
    #[serde(deserialize_with = "list_or_null")]
    pub(crate) incoming_phone_numbers: Vec<IncomingPhoneNumber>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) next_page_uri: Option<String>,
}

/// `meta` block of v1 product API pages.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct V1Meta {
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) next_page_url: Option<String>,
}

/// One page of pricing countries.
#[derive(Debug, Deserialize)]
pub(crate) struct PricingCountryPage {
    #[serde(deserialize_with = "list_or_null")]
    pub(crate) countries: Vec<PricingCountry>,
    #[serde(default)]
    pub(crate) meta: Option<V1Meta>,
}

/// Twilio's error body (legacy shape, with fallbacks for the problem+json shape).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) code: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) message: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) detail: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) title: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub(crate) more_info: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_type_parsing_ignores_spelling() {
        for raw in [
            "toll free",
            "TollFree",
            "toll-free",
            "toll_free",
            "TOLL FREE",
        ] {
            assert_eq!(NumberType::from(raw), NumberType::TollFree, "{raw}");
        }
        assert_eq!(NumberType::from("Local"), NumberType::Local);
        assert_eq!(
            NumberType::from("machine to machine"),
            NumberType::MachineToMachine
        );
        assert_eq!(
            NumberType::from("satellite"),
            NumberType::Other("satellite".into())
        );
        assert_eq!(NumberType::TollFree.to_string(), "toll_free");
        assert_eq!(
            NumberType::TollFree.search_type(),
            Some(SearchType::TollFree)
        );
        assert_eq!(NumberType::Voip.search_type(), None);
    }

    #[test]
    fn capabilities_accept_any_case_and_string_values() {
        let c: Capabilities =
            serde_json::from_str(r#"{"voice":true,"SMS":"true","Mms":false,"extra":1}"#).unwrap();
        assert_eq!(
            c,
            Capabilities {
                voice: true,
                sms: true,
                mms: false,
                fax: false
            }
        );
        let c: Capabilities = serde_json::from_str("null").unwrap();
        assert_eq!(c, Capabilities::default());
    }

    #[test]
    fn list_body_without_its_array_key_is_an_error() {
        assert!(
            serde_json::from_str::<IncomingPhoneNumberPage>(r#"{"next_page_uri":null}"#).is_err()
        );
        let page: IncomingPhoneNumberPage =
            serde_json::from_str(r#"{"incoming_phone_numbers":null}"#).unwrap();
        assert!(page.incoming_phone_numbers.is_empty());
    }
}
