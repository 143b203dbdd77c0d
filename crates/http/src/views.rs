//! Response bodies, as documented in the OpenAPI document.

use chrono::{DateTime, Utc};
use numbers_domain::{
    AddressRequirement, AvailableNumber, Capabilities, CountryPricing, E164, IsoCountry, Money,
    NumberStatus, NumberType, ReleaseReason,
};
use numbers_persistence::{Channel, PhoneNumberRecord, PhoneNumberSummary, SharedPoolNumber};
use uuid::Uuid;

/// What a number can do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CapabilitiesView {
    /// Calls.
    pub voice: bool,
    /// SMS.
    pub sms: bool,
    /// MMS.
    pub mms: bool,
    /// Fax.
    pub fax: bool,
}

impl From<Capabilities> for CapabilitiesView {
    fn from(c: Capabilities) -> Self {
        Self {
            voice: c.voice,
            sms: c.sms,
            mms: c.mms,
            fax: c.fax,
        }
    }
}

// The fields keep their domain types, which serialise as strings straight into the answer:
// a list of numbers is read and written without copying each string once more.
/// One of the tenant's phone numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PhoneNumberView {
    /// Its id.
    pub id: Uuid,
    /// E.164 number.
    #[schema(value_type = String, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone_number: E164,
    /// Display form, once bought.
    pub friendly_name: Option<String>,
    /// Where it is in its lifecycle.
    #[schema(value_type = crate::openapi::NumberStatusName)]
    pub status: NumberStatus,
    /// Its kind.
    #[schema(value_type = crate::openapi::NumberTypeName)]
    pub number_type: NumberType,
    /// ISO-3166 alpha-2 country.
    #[schema(value_type = String, pattern = "^[A-Z]{2}$")]
    pub iso_country: IsoCountry,
    /// The voice channel it is attached to.
    pub channel_id: Option<Uuid>,
    /// What it can do.
    pub capabilities: CapabilitiesView,
    /// Monthly price in USD, an exact decimal string with two to four decimals.
    #[schema(value_type = Option<String>, pattern = r"^[0-9]+\.[0-9]{2,4}$")]
    #[serde(with = "price_text")]
    pub monthly_price_usd: Option<Money>,
    /// Twilio's error code when the purchase was refused.
    pub failure_code: Option<i32>,
    /// When it was requested.
    #[serde(serialize_with = "instant_text::serialize")]
    pub created_at: DateTime<Utc>,
    /// When Twilio confirmed the purchase.
    #[serde(serialize_with = "instant_text::serialize_option")]
    pub purchased_at: Option<DateTime<Utc>>,
    /// When it was released.
    #[serde(serialize_with = "instant_text::serialize_option")]
    pub released_at: Option<DateTime<Utc>>,
    /// Why it was released: `user`, `subscription_canceled`, `drift`,
    /// `purchase_not_completed`, or another reason recorded by an operator.
    #[schema(value_type = Option<String>)]
    pub release_reason: Option<ReleaseReason>,
}

impl From<PhoneNumberSummary> for PhoneNumberView {
    fn from(r: PhoneNumberSummary) -> Self {
        Self {
            id: r.id.as_uuid(),
            phone_number: r.phone_number,
            friendly_name: r.friendly_name,
            status: r.status,
            number_type: r.number_type,
            iso_country: r.iso_country,
            channel_id: r.channel_id.map(|c| c.as_uuid()),
            capabilities: r.capabilities.into(),
            monthly_price_usd: r.monthly_price_usd,
            failure_code: r.failure_code,
            created_at: r.created_at,
            purchased_at: r.purchased_at,
            released_at: r.released_at,
            release_reason: r.release_reason,
        }
    }
}

impl From<PhoneNumberRecord> for PhoneNumberView {
    fn from(r: PhoneNumberRecord) -> Self {
        PhoneNumberSummary::from(r).into()
    }
}

/// A price as the API shows it: a decimal string with at least two decimals (`"1.15"`,
/// `"2.00"`), written without an intermediate `String`.
mod price_text {
    use numbers_domain::Money;
    use serde::Deserialize as _;

    #[expect(
        clippy::ref_option,
        reason = "serde's `with` hands the field over by reference"
    )]
    pub(super) fn serialize<S: serde::Serializer>(
        price: &Option<Money>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match price {
            // `Money`'s display (at least two decimals), through `Decimal`'s own serialiser,
            // which writes from a stack buffer in one piece.
            Some(price) => serde::Serialize::serialize(&price.shown(), serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Money>, D::Error> {
        Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?
            .map(|text| text.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

// Kept when the hand-written list JSON went: unlike it, this sits behind serde (every view's
// instants use it, no field is written twice), and it was part of the measured step that took
// the list from 73 to 54 µs of service CPU per request (docs/benchmarks.md), since chrono's
// own serialiser formats through `fmt`, a character at a time.
/// Instants as chrono's serialiser writes them (RFC 3339, `Z`, fractional seconds only as
/// precise as needed: none, 3, 6 or 9 digits), formatted in a stack buffer and handed to the
/// serialiser in one piece rather than character by character. Years outside 0–9999 and leap
/// seconds take chrono's own path.
pub(crate) mod instant_text {
    use chrono::{DateTime, Datelike as _, Timelike as _, Utc};

    /// The longest instant written.
    pub(crate) const LONGEST: usize = "2026-11-25T14:30:01.123456789Z".len();

    /// Writes `at` into `out`; `None` when chrono must do it.
    pub(crate) fn format(at: &DateTime<Utc>, out: &mut [u8; LONGEST]) -> Option<usize> {
        let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
        let nanos = at.nanosecond();
        if nanos >= 1_000_000_000 {
            return None;
        }
        let mut put = |at: usize, value: u32, digits: usize| {
            let mut value = value;
            for slot in out[at..at + digits].iter_mut().rev() {
                // A single decimal digit always fits a byte.
                *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        };
        put(0, year, 4);
        put(5, at.month(), 2);
        put(8, at.day(), 2);
        put(11, at.hour(), 2);
        put(14, at.minute(), 2);
        put(17, at.second(), 2);
        let (fraction, digits) = if nanos == 0 {
            (0, 0)
        } else if nanos.is_multiple_of(1_000_000) {
            (nanos / 1_000_000, 3)
        } else if nanos.is_multiple_of(1_000) {
            (nanos / 1_000, 6)
        } else {
            (nanos, 9)
        };
        if digits > 0 {
            put(20, fraction, digits);
        }
        for (index, byte) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
            out[index] = byte;
        }
        let mut end = 19;
        if digits > 0 {
            out[19] = b'.';
            end = 20 + digits;
        }
        out[end] = b'Z';
        Some(end + 1)
    }

    pub(crate) fn serialize<S: serde::Serializer>(
        at: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut buffer = [0_u8; LONGEST];
        match format(at, &mut buffer) {
            // Only ASCII digits and punctuation were written.
            Some(len) => match std::str::from_utf8(&buffer[..len]) {
                Ok(text) => serializer.serialize_str(text),
                Err(_) => serde::Serialize::serialize(at, serializer),
            },
            None => serde::Serialize::serialize(at, serializer),
        }
    }

    #[expect(
        clippy::ref_option,
        reason = "serde's `serialize_with` hands the field over by reference"
    )]
    pub(crate) fn serialize_option<S: serde::Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// The tenant's phone numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PhoneNumberList {
    /// Oldest first.
    pub phone_numbers: Vec<PhoneNumberView>,
}

/// A number for sale.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AvailableNumberView {
    /// E.164 number.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone_number: String,
    /// Display form.
    pub friendly_name: Option<String>,
    /// City, where known.
    pub locality: Option<String>,
    /// State or region, where known.
    pub region: Option<String>,
    /// Postal code, where known.
    pub postal_code: Option<String>,
    /// ISO-3166 alpha-2 country.
    #[schema(pattern = "^[A-Z]{2}$")]
    pub iso_country: String,
    /// What it can do.
    pub capabilities: CapabilitiesView,
    /// The address Twilio requires to buy it.
    #[schema(value_type = crate::openapi::AddressRequirementName)]
    pub address_requirements: String,
    /// New to Twilio's inventory.
    pub beta: bool,
    /// Monthly price in USD (exact decimal string); `null` when prices are unavailable.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2,4}$")]
    pub monthly_price_usd: Option<String>,
    /// False when the platform lacks the regulatory bundle or address this number needs.
    pub purchasable: bool,
}

impl AvailableNumberView {
    /// The view of an offer with its price and purchasability.
    #[must_use]
    pub fn new(number: AvailableNumber, price: Option<String>, purchasable: bool) -> Self {
        let address = address_requirement_name(number.address_requirements);
        Self {
            phone_number: number.phone_number.to_string(),
            friendly_name: number.friendly_name,
            locality: number.locality,
            region: number.region,
            postal_code: number.postal_code,
            iso_country: number.iso_country.to_string(),
            capabilities: number.capabilities.into(),
            address_requirements: address.to_owned(),
            beta: number.beta,
            monthly_price_usd: price,
            purchasable,
        }
    }
}

/// How an address requirement is written in answers.
#[must_use]
pub fn address_requirement_name(requirement: AddressRequirement) -> &'static str {
    match requirement {
        AddressRequirement::None => "none",
        AddressRequirement::Any => "any",
        AddressRequirement::Local => "local",
        AddressRequirement::Foreign => "foreign",
    }
}

/// The result of an inventory search.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AvailableNumberList {
    /// The country searched (upper case).
    #[schema(pattern = "^[A-Z]{2}$")]
    pub country: String,
    /// The number type searched.
    #[serde(rename = "type")]
    #[schema(value_type = crate::openapi::NumberTypeName)]
    pub number_type: String,
    /// Currency of the prices.
    pub currency: String,
    /// At most `limit` offers. A search is not a reservation: a number may be gone by the
    /// time it is bought.
    pub available_phone_numbers: Vec<AvailableNumberView>,
}

/// Monthly price of one number type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PriceView {
    /// Normalised type name: `local`, `toll_free`, `mobile`, `national`, …
    pub number_type: String,
    /// List price, exact decimal string.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2,4}$")]
    pub base_price: String,
    /// What the account pays now, exact decimal string.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2,4}$")]
    pub current_price: String,
}

/// Monthly number prices of a country.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PricingView {
    /// ISO-3166 alpha-2 country.
    #[schema(pattern = "^[A-Z]{2}$")]
    pub country: String,
    /// Its name.
    pub country_name: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// One entry per number type sold there.
    pub prices: Vec<PriceView>,
}

impl From<CountryPricing> for PricingView {
    fn from(p: CountryPricing) -> Self {
        Self {
            country: p.country.to_string(),
            country_name: p.country_name,
            currency: p.currency,
            prices: p
                .prices
                .into_iter()
                .map(|price| PriceView {
                    number_type: price.number_type,
                    base_price: price.base_price.to_string(),
                    current_price: price.current_price.to_string(),
                })
                .collect(),
        }
    }
}

/// A channel of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChannelView {
    /// Its id.
    pub id: Uuid,
    /// `voice`, or another kind.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Where inbound calls are connected.
    pub agent_stream_url: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        Self {
            id: c.id.as_uuid(),
            kind: c.kind.as_str().to_owned(),
            name: c.name,
            agent_stream_url: c.agent_stream_url,
            created_at: c.created_at,
        }
    }
}

/// The tenant's channels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChannelList {
    /// Oldest first.
    pub channels: Vec<ChannelView>,
}

/// Body of `POST /v1/channels`: a JSON object with these fields only. `null` stands for an
/// absent optional field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannelRequest {
    /// Display name: 1–100 characters once surrounding whitespace is trimmed, so at least one
    /// that is not whitespace.
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    pub name: String,
    /// `voice` (the default) or another kind: a lower-case letter, then up to 31 lower-case
    /// letters, digits or `_`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,31}$")]
    pub kind: Option<String>,
    /// Where inbound calls are streamed: a `ws://` or `wss://` URL with a host name or IPv4
    /// address, an optional port, and a path, query and fragment of URI characters (others
    /// percent-encoded); at most 2048 characters.
    #[schema(
        format = "uri",
        max_length = 2048,
        pattern = r#"^wss?://(?:(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)*[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(?:/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?(?:\?(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?(?:#(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"#
    )]
    pub agent_stream_url: Option<String>,
}

/// A number of the legacy shared pool (legacy shape).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LegacyPoolNumber {
    /// Its id.
    pub id: Uuid,
    /// E.164 number.
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub phone_number: String,
    /// Display name.
    pub friendly_name: Option<String>,
    /// ISO-3166 alpha-2 country.
    #[schema(pattern = "^[A-Z]{2}$")]
    pub country: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl From<SharedPoolNumber> for LegacyPoolNumber {
    fn from(n: SharedPoolNumber) -> Self {
        Self {
            id: n.id,
            phone_number: n.phone_number.to_string(),
            friendly_name: n.friendly_name,
            country: n.iso_country.to_string(),
            created_at: n.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use numbers_domain::{ChannelId, PhoneNumberId};
    use serde_json::{Value, json};

    use super::*;

    fn summary() -> PhoneNumberSummary {
        PhoneNumberSummary {
            id: PhoneNumberId::from_uuid(Uuid::from_u128(1)),
            channel_id: Some(ChannelId::from_uuid(Uuid::from_u128(2))),
            phone_number: "+14155550100".parse().unwrap(),
            iso_country: "US".parse().unwrap(),
            number_type: NumberType::TollFree,
            friendly_name: Some("(415) 555-0100".to_owned()),
            capabilities: Capabilities {
                voice: true,
                sms: false,
                mms: false,
                fax: true,
            },
            monthly_price_usd: Some("2".parse().unwrap()),
            status: NumberStatus::Released,
            failure_code: None,
            created_at: Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 1).unwrap()
                + chrono::Duration::microseconds(22_626),
            purchased_at: Some(Utc.with_ymd_and_hms(2026, 11, 25, 14, 31, 0).unwrap()),
            released_at: Some(Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap()),
            release_reason: Some(ReleaseReason::Other("ported_out".to_owned())),
        }
    }

    #[test]
    fn a_number_serialises_with_strings_for_its_typed_fields() {
        let view = PhoneNumberView::from(summary());
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(
            json,
            json!({
                "id": "00000000-0000-0000-0000-000000000001",
                "phone_number": "+14155550100",
                "friendly_name": "(415) 555-0100",
                "status": "released",
                "number_type": "toll_free",
                "iso_country": "US",
                "channel_id": "00000000-0000-0000-0000-000000000002",
                "capabilities": {"voice": true, "sms": false, "mms": false, "fax": true},
                "monthly_price_usd": "2.00",
                "failure_code": null,
                "created_at": "2026-11-25T14:30:01.022626Z",
                "purchased_at": "2026-11-25T14:31:00Z",
                "released_at": "2026-11-26T00:00:00Z",
                "release_reason": "ported_out",
            })
        );
        // And back, for clients that reuse these types.
        assert_eq!(
            serde_json::from_value::<PhoneNumberView>(json).unwrap(),
            view
        );
    }

    #[test]
    fn instants_are_written_as_chrono_writes_them() {
        let mut buffer = [0_u8; 30];
        let check = |at: DateTime<Utc>| {
            let ours = serde_json::to_string(&PhoneNumberView {
                created_at: at,
                ..PhoneNumberView::from(summary())
            })
            .unwrap();
            let chrono = serde_json::to_string(&at).unwrap();
            assert!(
                ours.contains(&format!("\"created_at\":{chrono}")),
                "{ours} vs {chrono}"
            );
            at
        };
        // Every fraction width, the ends of the fast path, and chrono's own path beyond it.
        let base = Utc.with_ymd_and_hms(2026, 2, 3, 4, 5, 6).unwrap();
        for nanos in [
            0,
            1,
            999,
            1_000,
            120_000,
            123_000_000,
            100_000_000,
            999_999_999,
        ] {
            check(base + chrono::Duration::nanoseconds(nanos));
        }
        check(Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap());
        check(Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap());
        let far = check(Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(instant_text::format(&far, &mut buffer), None);
        let before = check(Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(instant_text::format(&before, &mut buffer), None);
        let leap = check(
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        );
        assert_eq!(instant_text::format(&leap, &mut buffer), None);
        // A spread of instants over four centuries, microsecond and nanosecond precision.
        let mut seconds: i64 = -2_208_988_800; // 1900-01-01
        let mut step: i64 = 7_777_777;
        while seconds < 11_000_000_000 {
            let nanos = u32::try_from(seconds.rem_euclid(1_000_000_000)).unwrap();
            check(DateTime::from_timestamp(seconds, nanos).unwrap());
            check(DateTime::from_timestamp(seconds, nanos / 1000 * 1000).unwrap());
            seconds += step;
            step = step * 3 / 2 % 50_000_000 + 1_234_567;
        }
    }

    #[test]
    fn a_number_without_price_or_dates_serialises_nulls() {
        let mut bare = summary();
        bare.monthly_price_usd = None;
        bare.purchased_at = None;
        bare.released_at = None;
        bare.release_reason = None;
        bare.channel_id = None;
        let json = serde_json::to_value(PhoneNumberView::from(bare)).unwrap();
        for field in [
            "monthly_price_usd",
            "purchased_at",
            "released_at",
            "release_reason",
            "channel_id",
        ] {
            assert_eq!(json[field], Value::Null, "{field}");
        }
    }
}

/// One call to a number, with its latest status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CallView {
    /// Twilio's `CallSid`.
    pub call_sid: String,
    /// The latest status Twilio reported (`ringing`, `in-progress`, `completed`, `busy`,
    /// `failed`, `no-answer`, `canceled`, …); an earlier status arriving late never
    /// replaces a later one.
    pub status: String,
    /// `inbound`, `outbound-api`, …
    pub direction: Option<String>,
    /// The caller, E.164.
    pub from: Option<String>,
    /// The called number, E.164.
    pub to: Option<String>,
    /// Duration in seconds, once Twilio reported it.
    pub duration_seconds: Option<i32>,
    /// The channel the number was attached to when the call came.
    pub channel_id: Option<Uuid>,
    /// When the first status callback of the call arrived.
    pub first_seen_at: DateTime<Utc>,
    /// When its latest status arrived.
    pub updated_at: DateTime<Utc>,
}

impl From<numbers_persistence::CallRecord> for CallView {
    fn from(c: numbers_persistence::CallRecord) -> Self {
        Self {
            call_sid: c.call_sid,
            status: c.status,
            direction: c.direction,
            from: c.from_number,
            to: c.to_number,
            duration_seconds: c.duration_seconds,
            channel_id: c.channel_id.map(|id| id.as_uuid()),
            first_seen_at: c.first_seen_at,
            updated_at: c.updated_at,
        }
    }
}

/// A page of a number's calls.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CallList {
    /// Newest first.
    pub calls: Vec<CallView>,
    /// Pass it as `before` for the next page; `null` on the last page.
    pub next_before: Option<String>,
}
