//! JSON shapes of Twilio's answers, written as borrowed views so a page of 1000 owned numbers
//! serialises straight from the store without copying records.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::catalog::{self, Country};
use crate::model::{AvailableNumber, Capabilities, NumberKind};
use crate::store::{Extra, HttpMethod, OwnedRec};

/// API version Twilio reports on 2010 resources.
pub(crate) const API_VERSION: &str = "2010-04-01";

/// RFC 2822 in GMT, as the 2010 API writes dates: `Thu, 30 Jul 2015 23:19:04 +0000`, the day
/// always two digits (`Tue, 04 Aug 2015`, as in Twilio's examples). An explicit format
/// because chrono's `to_rfc2822` writes a one-digit day (`4 Aug`).
const RFC2822: &str = "%a, %d %b %Y %H:%M:%S %z";

/// A stored timestamp (seconds since the epoch) as a UTC date; the epoch if out of range.
fn utc(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// `secs` formatted as [`RFC2822`].
pub(crate) fn rfc2822(secs: i64) -> String {
    utc(secs).format(RFC2822).to_string()
}

/// Writes a date field as [`RFC2822`] straight into the serializer, with no `String` between.
fn serialize_rfc2822<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.format(RFC2822))
}

/// A short ASCII string built on the stack (for the per-number fields of a listing page).
#[derive(Clone, Copy)]
pub(crate) struct StackStr<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    pub(crate) fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, with whole `&str`s, so this never fails.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl<const N: usize> Serialize for StackStr<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A friendly name: the stored one, or the default formatted on the stack.
pub(crate) enum FriendlyName<'a> {
    Stored(&'a str),
    Default(StackStr<24>),
}

impl Serialize for FriendlyName<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Stored(name) => s.serialize_str(name),
            Self::Default(name) => name.serialize(s),
        }
    }
}

/// Twilio's default friendly name for an E.164 number given as digits: `(415) 555-0123` for
/// NANP, else the E.164 string.
pub(crate) fn default_friendly_name(phone: u64) -> StackStr<24> {
    let mut out = StackStr::new();
    if (10_000_000_000..20_000_000_000).contains(&phone) {
        let n = phone - 10_000_000_000;
        let _ = write!(
            out,
            "({:03}) {:03}-{:04}",
            n / 10_000_000,
            n / 10_000 % 1000,
            n % 10_000
        );
    } else {
        let _ = write!(out, "+{phone}");
    }
    out
}

/// Capabilities of an owned number: lower-case keys, as IncomingPhoneNumbers answers spell them.
#[derive(Serialize)]
pub(crate) struct LowerCaps {
    voice: bool,
    sms: bool,
    mms: bool,
    fax: bool,
}

impl From<Capabilities> for LowerCaps {
    fn from(c: Capabilities) -> Self {
        Self {
            voice: c.voice,
            sms: c.sms,
            mms: c.mms,
            fax: c.fax,
        }
    }
}

/// Capabilities of a search result: `SMS`/`MMS` upper-case, as live AvailablePhoneNumbers
/// answers spell them (the API description says lower-case; the live API does not).
#[derive(Serialize)]
pub(crate) struct SearchCaps {
    voice: bool,
    #[serde(rename = "SMS")]
    sms: bool,
    #[serde(rename = "MMS")]
    mms: bool,
    fax: bool,
}

impl From<Capabilities> for SearchCaps {
    fn from(c: Capabilities) -> Self {
        Self {
            voice: c.voice,
            sms: c.sms,
            mms: c.mms,
            fax: c.fax,
        }
    }
}

/// One search result.
#[derive(Serialize)]
pub(crate) struct AvailableView<'a> {
    friendly_name: Cow<'a, str>,
    phone_number: &'a str,
    lata: Option<&'a str>,
    locality: Option<&'a str>,
    rate_center: Option<&'a str>,
    /// Coordinates are strings on the wire (`"19.720000"`), whatever the API description says.
    latitude: Option<String>,
    longitude: Option<String>,
    region: Option<&'a str>,
    postal_code: Option<&'a str>,
    iso_country: &'a str,
    address_requirements: &'static str,
    beta: bool,
    capabilities: SearchCaps,
}

impl<'a> From<&'a AvailableNumber> for AvailableView<'a> {
    fn from(n: &'a AvailableNumber) -> Self {
        Self {
            friendly_name: n.friendly_name.as_deref().map_or_else(
                || Cow::Owned(catalog::friendly_name(&n.phone_number)),
                Cow::Borrowed,
            ),
            phone_number: &n.phone_number,
            lata: n.lata.as_deref(),
            locality: n.locality.as_deref(),
            rate_center: n.rate_center.as_deref(),
            latitude: n.latitude.map(|v| format!("{v:.6}")),
            longitude: n.longitude.map(|v| format!("{v:.6}")),
            region: n.region.as_deref(),
            postal_code: n.postal_code.as_deref(),
            iso_country: &n.iso_country,
            address_requirements: n.address_requirements.as_str(),
            beta: n.beta,
            capabilities: n.capabilities.into(),
        }
    }
}

/// One owned number (IncomingPhoneNumber). Unset fields follow Twilio's own examples, which
/// mix `""` and `null`: `sms_url`, `status_callback` and the application SIDs are `""`,
/// `voice_url`, `voice_fallback_url` and the other SIDs are `null`.
#[derive(Serialize)]
pub(crate) struct OwnedView<'a> {
    account_sid: &'a str,
    address_sid: Option<&'a str>,
    address_requirements: &'static str,
    api_version: &'static str,
    beta: bool,
    capabilities: LowerCaps,
    #[serde(serialize_with = "serialize_rfc2822")]
    date_created: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc2822")]
    date_updated: DateTime<Utc>,
    emergency_status: &'static str,
    emergency_address_sid: Option<&'a str>,
    emergency_address_status: &'static str,
    friendly_name: FriendlyName<'a>,
    identity_sid: Option<&'a str>,
    origin: &'static str,
    phone_number: StackStr<16>,
    sid: StackStr<34>,
    sms_application_sid: &'static str,
    sms_fallback_method: &'static str,
    sms_fallback_url: &'static str,
    sms_method: &'static str,
    sms_url: &'a str,
    status_callback: &'a str,
    status_callback_method: &'static str,
    trunk_sid: Option<&'a str>,
    uri: StackStr<128>,
    voice_application_sid: &'static str,
    voice_caller_id_lookup: bool,
    voice_fallback_method: &'static str,
    voice_fallback_url: Option<&'a str>,
    voice_method: &'static str,
    voice_url: Option<&'a str>,
    bundle_sid: Option<&'a str>,
    voice_receive_mode: &'static str,
    status: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

static NO_EXTRA: Extra = Extra::EMPTY;

impl<'a> OwnedView<'a> {
    pub(crate) fn new(account_sid: &'a str, sid: u128, rec: &'a OwnedRec) -> Self {
        let extra = rec.extra.as_deref().unwrap_or(&NO_EXTRA);
        // The buffers are sized for the longest values (34-character SIDs, 15 digits), so
        // these writes cannot fail.
        let mut phone_number = StackStr::new();
        let _ = write!(phone_number, "+{}", rec.phone);
        let mut sid_str = StackStr::<34>::new();
        let _ = write!(sid_str, "PN{sid:032x}");
        let mut uri = StackStr::new();
        let _ = write!(
            uri,
            "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{}.json",
            sid_str.as_str()
        );
        Self {
            account_sid,
            address_sid: extra.address_sid.as_deref(),
            address_requirements: rec.address_requirements.as_str(),
            api_version: API_VERSION,
            beta: rec.beta,
            capabilities: Capabilities::from_bits(rec.capabilities).into(),
            date_created: utc(rec.date_created),
            date_updated: utc(rec.date_updated),
            emergency_status: "Inactive",
            emergency_address_sid: None,
            emergency_address_status: "unregistered",
            friendly_name: extra.friendly_name.as_deref().map_or_else(
                || FriendlyName::Default(default_friendly_name(rec.phone)),
                FriendlyName::Stored,
            ),
            identity_sid: extra.identity_sid.as_deref(),
            origin: "twilio",
            phone_number,
            sid: sid_str,
            sms_application_sid: "",
            sms_fallback_method: "POST",
            sms_fallback_url: "",
            sms_method: extra.sms_method.as_str(),
            sms_url: extra.sms_url.as_deref().unwrap_or(""),
            status_callback: extra.status_callback.as_deref().unwrap_or(""),
            status_callback_method: extra.status_callback_method.as_str(),
            trunk_sid: None,
            uri,
            voice_application_sid: "",
            voice_caller_id_lookup: false,
            voice_fallback_method: extra.voice_fallback_method.as_str(),
            voice_fallback_url: extra.voice_fallback_url.as_deref(),
            voice_method: extra.voice_method.as_str(),
            voice_url: extra.voice_url.as_deref(),
            bundle_sid: extra.bundle_sid.as_deref(),
            voice_receive_mode: "voice",
            status: "in-use",
            kind: rec.kind.owned_type_name(),
        }
    }
}

/// The AvailablePhoneNumbers country resource.
pub(crate) fn country_resource(account_sid: &str, country: &Country) -> serde_json::Value {
    let base = format!(
        "/2010-04-01/Accounts/{account_sid}/AvailablePhoneNumbers/{}",
        country.iso
    );
    let subresources: serde_json::Map<String, serde_json::Value> = country
        .kinds()
        .map(|k: NumberKind| {
            (
                k.subresource_key().to_owned(),
                serde_json::Value::String(format!("{base}/{}.json", k.path_segment())),
            )
        })
        .collect();
    serde_json::json!({
        "country_code": country.iso,
        "country": country.name,
        "beta": false,
        "uri": format!("{base}.json"),
        "subresource_uris": subresources,
    })
}

/// The Accounts resource, auth token included as Twilio includes it.
pub(crate) fn account_resource(
    sid: &str,
    owner: &str,
    token: &str,
    friendly_name: &str,
    created: i64,
) -> serde_json::Value {
    let base = format!("/2010-04-01/Accounts/{sid}");
    serde_json::json!({
        "auth_token": token,
        "date_created": rfc2822(created),
        "date_updated": rfc2822(created),
        "friendly_name": friendly_name,
        "owner_account_sid": owner,
        "sid": sid,
        "status": "active",
        "subresource_uris": {
            "available_phone_numbers": format!("{base}/AvailablePhoneNumbers.json"),
            "incoming_phone_numbers": format!("{base}/IncomingPhoneNumbers.json"),
            "addresses": format!("{base}/Addresses.json"),
            "calls": format!("{base}/Calls.json"),
            "keys": format!("{base}/Keys.json"),
        },
        "type": "Full",
        "uri": format!("{base}.json"),
    })
}

/// Page of owned numbers.
#[derive(Serialize)]
pub(crate) struct IncomingPage<'a, I: Serialize> {
    pub(crate) first_page_uri: String,
    pub(crate) end: u64,
    pub(crate) previous_page_uri: Option<String>,
    pub(crate) incoming_phone_numbers: &'a I,
    pub(crate) uri: String,
    pub(crate) page_size: u32,
    pub(crate) start: u64,
    pub(crate) next_page_uri: Option<String>,
    pub(crate) page: u32,
}

/// Serialises a slice of records as an array of [`OwnedView`]s without collecting them.
pub(crate) struct OwnedSeq<'a> {
    pub(crate) accounts: &'a [crate::store::Account],
    pub(crate) items: Vec<(&'a (u32, u128), &'a OwnedRec)>,
}

impl Serialize for OwnedSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.items.iter().map(|((acct, sid), rec)| {
            let account_sid = self
                .accounts
                .get(*acct as usize)
                .map_or("", |a| a.sid.as_str());
            OwnedView::new(account_sid, *sid, rec)
        }))
    }
}

impl HttpMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2822_zero_pads_the_day_as_twilio_does_across_centuries_and_leap_days() {
        // Expected strings come from Twilio's examples and an independent formatter.
        for (secs, expected) in [
            (1_796_132_407, "Tue, 01 Dec 2026 13:40:07 +0000"),
            (1_438_713_549, "Tue, 04 Aug 2015 18:39:09 +0000"),
            (1_438_298_344, "Thu, 30 Jul 2015 23:19:04 +0000"),
            (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (-86_400, "Wed, 31 Dec 1969 00:00:00 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 +0000"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 +0000"),
        ] {
            assert_eq!(rfc2822(secs), expected, "{secs}");
        }
    }

    #[test]
    fn an_owned_number_serialises_its_dates_in_rfc2822_with_a_two_digit_day() {
        let rec = OwnedRec {
            phone: 14_155_550_123,
            date_created: 1_438_713_549,
            date_updated: 1_796_132_407,
            country: 0,
            kind: NumberKind::Local,
            capabilities: 0,
            address_requirements: crate::model::AddressRequirement::None,
            beta: false,
            extra: None,
        };
        let json = serde_json::to_value(OwnedView::new("AC00", 1, &rec)).unwrap();
        assert_eq!(json["date_created"], "Tue, 04 Aug 2015 18:39:09 +0000");
        assert_eq!(json["date_updated"], "Tue, 01 Dec 2026 13:40:07 +0000");
    }

    #[test]
    fn default_friendly_names_match_the_catalog_formatting() {
        for phone in [
            14_155_550_123_u64,
            12_125_550_000,
            442_071_234_567,
            61_412_345_678,
        ] {
            assert_eq!(
                default_friendly_name(phone).as_str(),
                catalog::friendly_name(&format!("+{phone}"))
            );
        }
    }
}
