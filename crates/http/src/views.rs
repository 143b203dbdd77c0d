//! Response bodies, as documented in the OpenAPI document.

use chrono::{DateTime, Utc};
use numbers_domain::{AvailableNumber, Capabilities, CountryPricing};
use numbers_persistence::{Channel, PhoneNumberRecord, SharedPoolNumber};
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

/// One of the tenant's phone numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PhoneNumberView {
    /// Its id.
    pub id: Uuid,
    /// E.164 number.
    pub phone_number: String,
    /// Display form, once bought.
    pub friendly_name: Option<String>,
    /// `pending`, `active`, `releasing`, `released` or `failed`.
    pub status: String,
    /// `local`, `toll_free` or `mobile`.
    pub number_type: String,
    /// ISO-3166 alpha-2 country.
    pub iso_country: String,
    /// The voice channel it is attached to.
    pub channel_id: Option<Uuid>,
    /// What it can do.
    pub capabilities: CapabilitiesView,
    /// Monthly price in USD, an exact decimal string.
    pub monthly_price_usd: Option<String>,
    /// Twilio's error code when the purchase was refused.
    pub failure_code: Option<i32>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When Twilio confirmed the purchase.
    pub purchased_at: Option<DateTime<Utc>>,
    /// When it was released.
    pub released_at: Option<DateTime<Utc>>,
    /// Why it was released.
    pub release_reason: Option<String>,
}

impl From<PhoneNumberRecord> for PhoneNumberView {
    fn from(r: PhoneNumberRecord) -> Self {
        Self {
            id: r.id.as_uuid(),
            phone_number: r.phone_number.to_string(),
            friendly_name: r.friendly_name,
            status: r.status.as_str().to_owned(),
            number_type: r.number_type.as_str().to_owned(),
            iso_country: r.iso_country.to_string(),
            channel_id: r.channel_id.map(|c| c.as_uuid()),
            capabilities: r.capabilities.into(),
            monthly_price_usd: r.monthly_price_usd.map(|m| m.to_string()),
            failure_code: r.failure_code,
            created_at: r.created_at,
            purchased_at: r.purchased_at,
            released_at: r.released_at,
            release_reason: r.release_reason.map(|reason| reason.as_str().to_owned()),
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
    pub iso_country: String,
    /// What it can do.
    pub capabilities: CapabilitiesView,
    /// `none`, `any`, `local` or `foreign`: the address Twilio requires to buy it.
    pub address_requirements: String,
    /// New to Twilio's inventory.
    pub beta: bool,
    /// Monthly price in USD (exact decimal string); `null` when prices are unavailable.
    pub monthly_price_usd: Option<String>,
    /// False when the platform lacks the regulatory bundle or address this number needs.
    pub purchasable: bool,
}

impl AvailableNumberView {
    /// The view of an offer with its price and purchasability.
    #[must_use]
    pub fn new(number: AvailableNumber, price: Option<String>, purchasable: bool) -> Self {
        let address = match number.address_requirements {
            numbers_domain::AddressRequirement::None => "none",
            numbers_domain::AddressRequirement::Any => "any",
            numbers_domain::AddressRequirement::Local => "local",
            numbers_domain::AddressRequirement::Foreign => "foreign",
        };
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

/// The result of an inventory search.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AvailableNumberList {
    /// The country searched.
    pub country: String,
    /// The number type searched.
    #[serde(rename = "type")]
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
    pub base_price: String,
    /// What the account pays now, exact decimal string.
    pub current_price: String,
}

/// Monthly number prices of a country.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PricingView {
    /// ISO-3166 alpha-2 country.
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

/// Body of `POST /v1/channels`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CreateChannelRequest {
    /// Display name, 1–100 characters.
    pub name: String,
    /// `voice` (default) or another kind (lower-case letters, digits, `_`).
    pub kind: Option<String>,
    /// `wss://` or `ws://` URL inbound calls are streamed to.
    pub agent_stream_url: Option<String>,
}

/// A number of the legacy shared pool (legacy shape).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LegacyPoolNumber {
    /// Its id.
    pub id: Uuid,
    /// E.164 number.
    pub phone_number: String,
    /// Display name.
    pub friendly_name: Option<String>,
    /// ISO-3166 alpha-2 country.
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
