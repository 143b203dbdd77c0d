//! The carrier port: what the service needs from Twilio, in domain terms. The app crate
//! implements it with `twilio-client`; tests and sandbox mode point that client at the fake.

use chrono::{DateTime, Utc};

use crate::{Capabilities, E164, IsoCountry, Money, NumberType};

/// A validated Twilio `Contains` pattern: 2–16 characters of digits, letters (keypad
/// vanity), `*` (any one character), `%` (any run, only at either end), a leading `+` (anchor
/// at the start) and a trailing `$` (anchor at the end), with at least two digits or letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainsPattern(String);

/// Why a string is not a usable `Contains` pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "contains must be 2 to 16 characters: digits, letters, '*' (one character), '%' (any run, at \
     either end), '+' (first) or '$' (last), with at least two digits or letters"
)]
pub struct ContainsPatternError;

impl ContainsPattern {
    /// Longest pattern Twilio accepts.
    pub const MAX_LEN: usize = 16;

    /// The pattern as sent to Twilio.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ContainsPattern {
    type Err = ContainsPatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if !(2..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(ContainsPatternError);
        }
        let literal = bytes.iter().filter(|b| b.is_ascii_alphanumeric()).count();
        if literal < 2 {
            return Err(ContainsPatternError);
        }
        let last = bytes.len() - 1;
        for (i, b) in bytes.iter().enumerate() {
            let ok = match b {
                b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'*' => true,
                b'+' => i == 0,
                b'$' => i == last,
                // `%` only in a run touching the start (after an optional `+`) or the end.
                b'%' => {
                    let before = &bytes[..i];
                    let after = &bytes[i + 1..];
                    before.iter().all(|c| matches!(c, b'%' | b'+'))
                        || after.iter().all(|c| matches!(c, b'%' | b'$'))
                }
                _ => false,
            };
            if !ok {
                return Err(ContainsPatternError);
            }
        }
        // Different meta-characters may not touch (`*%`, `%*`, `+%`, `%$`, …).
        let is_meta = |b: u8| matches!(b, b'*' | b'%' | b'+' | b'$');
        if bytes
            .windows(2)
            .any(|w| is_meta(w[0]) && is_meta(w[1]) && w[0] != w[1])
        {
            return Err(ContainsPatternError);
        }
        Ok(Self(s.to_owned()))
    }
}

/// Whether a number needs an address on file before it can be bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressRequirement {
    /// No address needed.
    None,
    /// An address anywhere.
    Any,
    /// An address in the number's country.
    Local,
    /// An address outside the number's country.
    Foreign,
}

impl AddressRequirement {
    /// True unless no address is needed.
    #[must_use]
    pub fn needs_address(self) -> bool {
        self != Self::None
    }
}

/// A search of the carrier's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableQuery {
    /// Country to search.
    pub country: IsoCountry,
    /// Type of number.
    pub number_type: NumberType,
    /// Optional pattern the number must contain.
    pub contains: Option<ContainsPattern>,
    /// How many results at most (1–30).
    pub limit: u8,
}

/// One number offered for sale.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailableNumber {
    /// The number.
    pub phone_number: E164,
    /// Display form.
    pub friendly_name: Option<String>,
    /// City, where known.
    pub locality: Option<String>,
    /// State or region, where known.
    pub region: Option<String>,
    /// Postal code, where known.
    pub postal_code: Option<String>,
    /// Its country.
    pub iso_country: IsoCountry,
    /// What it can do.
    pub capabilities: Capabilities,
    /// Whether an address is required to buy it.
    pub address_requirements: AddressRequirement,
    /// New to the carrier.
    pub beta: bool,
}

/// Monthly price of one number type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypePrice {
    /// The carrier's own name for the type, normalised to snake_case (`toll_free`).
    pub number_type: String,
    /// List price.
    pub base_price: Money,
    /// What this account pays now.
    pub current_price: Money,
}

impl TypePrice {
    /// The domain number type, when it is one the service sells.
    #[must_use]
    pub fn known_type(&self) -> Option<NumberType> {
        self.number_type.parse().ok()
    }
}

/// Monthly number prices of one country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryPricing {
    /// The country.
    pub country: IsoCountry,
    /// Its name.
    pub country_name: String,
    /// ISO 4217 currency, upper case.
    pub currency: String,
    /// Price per type.
    pub prices: Vec<TypePrice>,
}

impl CountryPricing {
    /// The current monthly price of a number type, if the country sells it.
    #[must_use]
    pub fn current_price(&self, number_type: NumberType) -> Option<Money> {
        self.prices
            .iter()
            .find(|p| p.known_type() == Some(number_type))
            .map(|p| p.current_price)
    }
}

/// Why the carrier did not answer as hoped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    /// The carrier refused the request; nothing happened there.
    #[error("the carrier refused the request (HTTP {status}, code {code:?})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The carrier's own error code, verbatim.
        code: Option<i32>,
    },
    /// What was asked for does not exist there (an unknown country or type, a gone number).
    #[error("not found at the carrier (code {code:?})")]
    NotFound {
        /// The carrier's own error code, verbatim.
        code: Option<i32>,
    },
    /// The carrier could not be reached or is overloaded; nothing happened there.
    #[error("the carrier is unavailable")]
    Unavailable,
    /// The request may or may not have taken effect (a timeout or a lost answer).
    #[error("the carrier's answer was lost; the outcome is unknown")]
    OutcomeUnknown,
    /// The carrier answered something we cannot read.
    #[error("the carrier's answer could not be read: {0}")]
    BadAnswer(String),
}

/// The URLs the carrier calls for a number: its voice calls and their status changes (both
/// with `POST`, SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhooks {
    /// Where inbound calls are announced.
    pub voice_url: String,
    /// Where call status changes are reported.
    pub status_callback_url: String,
}

/// A purchase to make: the number, how to wire it, and what regulation asks to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrder {
    /// The number to buy.
    pub phone_number: E164,
    /// The webhooks to write on it.
    pub webhooks: Webhooks,
    /// The regulatory bundle to attach, when the number's (country, type) needs one.
    pub bundle_sid: Option<String>,
    /// The address to attach, when the number needs one.
    pub address_sid: Option<String>,
}

/// A number the carrier account owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedNumber {
    /// The carrier's id of the number (Twilio's `PN…` sid).
    pub sid: String,
    /// The carrier account that owns it.
    pub account_sid: String,
    /// The number.
    pub phone_number: E164,
    /// Display form.
    pub friendly_name: Option<String>,
    /// What it can do.
    pub capabilities: Capabilities,
    /// The voice URL written on it, if any.
    pub voice_url: Option<String>,
    /// The status callback URL written on it, if any.
    pub status_callback_url: Option<String>,
    /// When it was bought, when the carrier says.
    pub created_at: Option<DateTime<Utc>>,
}

/// The owned numbers of the account, one at a time, as the carrier pages through them. The
/// stream ends with an error item when the listing cannot be completed: only a stream that
/// ends without one has listed everything.
pub type OwnedNumbers = futures_core::stream::BoxStream<'static, Result<OwnedNumber, CarrierError>>;

/// What the service needs from the carrier (Twilio). Implementations must be cheap to share.
///
/// The port is used as a trait object (`Arc<dyn Carrier>`, so tests and sandbox mode swap
/// implementations in), which native `async fn` in traits does not allow yet; `async-trait`
/// writes the boxing for us.
///
/// Errors of the writing methods ([`Carrier::buy`], [`Carrier::set_webhooks`],
/// [`Carrier::release`]) say whether anything happened: [`CarrierError::Refused`],
/// [`CarrierError::NotFound`] and [`CarrierError::Unavailable`] mean certainly not,
/// [`CarrierError::OutcomeUnknown`] means it may have.
#[async_trait::async_trait]
pub trait Carrier: Send + Sync + std::fmt::Debug {
    /// The carrier account numbers are bought on (Twilio's master account `AC…`).
    fn account_sid(&self) -> &str;

    /// Searches the inventory.
    async fn search_available(
        &self,
        query: &AvailableQuery,
    ) -> Result<Vec<AvailableNumber>, CarrierError>;

    /// Monthly prices of a country's numbers.
    async fn pricing(&self, country: IsoCountry) -> Result<CountryPricing, CarrierError>;

    /// Buys a number and wires its webhooks. Never retried blindly by an implementation: a
    /// second attempt could buy twice.
    async fn buy(&self, order: &PurchaseOrder) -> Result<OwnedNumber, CarrierError>;

    /// The account's number with this phone number, if it owns it (to settle a purchase
    /// whose answer was lost).
    async fn find_owned(&self, phone_number: &E164) -> Result<Option<OwnedNumber>, CarrierError>;

    /// Rewrites a number's voice URL and status callback (and their methods), nothing else.
    async fn set_webhooks(
        &self,
        sid: &str,
        webhooks: &Webhooks,
    ) -> Result<OwnedNumber, CarrierError>;

    /// Releases a number. [`CarrierError::NotFound`] means it was already gone.
    async fn release(&self, sid: &str) -> Result<(), CarrierError>;

    /// Every number the account owns, paged by the carrier (see [`OwnedNumbers`]).
    fn list_owned(&self) -> OwnedNumbers;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_patterns_follow_twilio_rules() {
        for good in [
            "555",
            "STORM",
            "*STORM*",
            "510555****",
            "+1415",
            "0123$",
            "%555",
            "555%",
            "+44%",
            "12",
        ] {
            assert!(good.parse::<ContainsPattern>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "5",
            "*",
            "**5",
            "5+5",
            "5$5",
            "5%5",
            "*%55",
            "55%$x",
            "12345678901234567",
            "55 5",
            "55-5",
            "ü5",
        ] {
            assert!(bad.parse::<ContainsPattern>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pricing_finds_the_current_price_by_type() {
        let pricing = CountryPricing {
            country: "US".parse().unwrap(),
            country_name: "United States".into(),
            currency: "USD".into(),
            prices: vec![
                TypePrice {
                    number_type: "local".into(),
                    base_price: "1.15".parse().unwrap(),
                    current_price: "1.00".parse().unwrap(),
                },
                TypePrice {
                    number_type: "toll_free".into(),
                    base_price: "2.15".parse().unwrap(),
                    current_price: "2.15".parse().unwrap(),
                },
                TypePrice {
                    number_type: "national".into(),
                    base_price: "3".parse().unwrap(),
                    current_price: "3".parse().unwrap(),
                },
            ],
        };
        assert_eq!(
            pricing.current_price(NumberType::Local),
            Some("1.00".parse().unwrap())
        );
        assert_eq!(
            pricing.current_price(NumberType::TollFree),
            Some("2.15".parse().unwrap())
        );
        assert_eq!(pricing.current_price(NumberType::Mobile), None);
    }
}

/// Whether buying `(country, type)` needs an approved regulatory bundle. These are the pairs
/// where Twilio refuses purchases without one (error 21649): UK local, toll-free and mobile,
/// and Polish mobile numbers. Other countries may add rules; Twilio's refusal is then mapped
/// at purchase time.
#[must_use]
pub fn bundle_required(country: IsoCountry, number_type: NumberType) -> bool {
    matches!(
        (country.as_str(), number_type),
        ("GB", _) | ("PL", NumberType::Mobile)
    )
}

/// Whether the platform can buy `number` given the bundle and address it has on file for
/// the number's (country, type): a bundle where one is required, and an address where the
/// number requires one.
#[must_use]
pub fn purchasable(
    number: &AvailableNumber,
    number_type: NumberType,
    has_bundle: bool,
    has_address: bool,
) -> bool {
    let bundle_ok = !bundle_required(number.iso_country, number_type) || has_bundle;
    let address_ok = !number.address_requirements.needs_address() || has_address;
    bundle_ok && address_ok
}

#[cfg(test)]
mod purchasable_tests {
    use super::*;

    fn offer(country: &str, address: AddressRequirement) -> AvailableNumber {
        AvailableNumber {
            phone_number: "+442071234567".parse().unwrap(),
            friendly_name: None,
            locality: None,
            region: None,
            postal_code: None,
            iso_country: country.parse().unwrap(),
            capabilities: Capabilities::default(),
            address_requirements: address,
            beta: false,
        }
    }

    #[test]
    fn regulated_numbers_need_what_they_require_on_file() {
        let gb = offer("GB", AddressRequirement::None);
        assert!(!purchasable(&gb, NumberType::Local, false, true));
        assert!(purchasable(&gb, NumberType::Local, true, false));
        let us = offer("US", AddressRequirement::None);
        assert!(purchasable(&us, NumberType::Local, false, false));
        let de = offer("DE", AddressRequirement::Local);
        assert!(!purchasable(&de, NumberType::Local, false, false));
        assert!(purchasable(&de, NumberType::Local, false, true));
        assert!(bundle_required("PL".parse().unwrap(), NumberType::Mobile));
        assert!(!bundle_required("PL".parse().unwrap(), NumberType::Local));
    }
}
