//! Public value types shared by the control API and the HTTP layer.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of number the fake stocks and sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// Geographic number (`Local` in search paths).
    Local,
    /// Toll-free number (`TollFree` in search paths, `"toll free"` in pricing).
    TollFree,
    /// Mobile number (`Mobile` in search paths).
    Mobile,
}

impl NumberKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 3] = [Self::Local, Self::TollFree, Self::Mobile];

    /// Path segment of the AvailablePhoneNumbers and IncomingPhoneNumbers sub-resources.
    #[must_use]
    pub fn path_segment(self) -> &'static str {
        match self {
            Self::Local => "Local",
            Self::TollFree => "TollFree",
            Self::Mobile => "Mobile",
        }
    }

    /// Key of the country resource's `subresource_uris` (`local`, `toll_free`, `mobile`).
    #[must_use]
    pub fn subresource_key(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::TollFree => "toll_free",
            Self::Mobile => "mobile",
        }
    }

    /// Spelling in Pricing v1 `number_type` (`local`, `toll free`, `mobile`).
    #[must_use]
    pub fn pricing_name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::TollFree => "toll free",
            Self::Mobile => "mobile",
        }
    }

    /// Spelling in an owned number's `type` field (`local`, `tollfree`, `mobile`). Twilio's
    /// API description gives no enum for it; `tollfree` follows Twilio's newer number APIs.
    #[must_use]
    pub fn owned_type_name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::TollFree => "tollfree",
            Self::Mobile => "mobile",
        }
    }

    /// Parses a path segment (`Local`, `TollFree`, `Mobile`), exactly as Twilio spells it.
    #[must_use]
    pub fn from_path_segment(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.path_segment() == segment)
    }
}

impl fmt::Display for NumberKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Local => "local",
            Self::TollFree => "toll_free",
            Self::Mobile => "mobile",
        })
    }
}

/// Error of [`NumberKind::from_str`]: the text names no kind the fake knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown number kind {0:?} (expected local, toll_free or mobile)")]
pub struct UnknownNumberKind(pub String);

impl FromStr for NumberKind {
    type Err = UnknownNumberKind;

    /// Accepts `local`, `toll_free`, `toll free`, `tollfree`, `TollFree`, `mobile` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "local" => Ok(Self::Local),
            "tollfree" => Ok(Self::TollFree),
            "mobile" => Ok(Self::Mobile),
            _ => Err(UnknownNumberKind(s.to_owned())),
        }
    }
}

/// What address a number needs before it can be bought (`address_requirements`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressRequirement {
    /// No address needed.
    #[default]
    None,
    /// An address anywhere.
    Any,
    /// An address in the number's country.
    Local,
    /// An address outside the number's country.
    Foreign,
}

impl AddressRequirement {
    /// Twilio's spelling: `none`, `any`, `local`, `foreign`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Any => "any",
            Self::Local => "local",
            Self::Foreign => "foreign",
        }
    }
}

/// What a number can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Capabilities {
    /// Voice calls.
    #[serde(default)]
    pub voice: bool,
    /// SMS.
    #[serde(default)]
    pub sms: bool,
    /// MMS.
    #[serde(default)]
    pub mms: bool,
    /// Fax.
    #[serde(default)]
    pub fax: bool,
}

impl Capabilities {
    pub(crate) fn to_bits(self) -> u8 {
        u8::from(self.voice)
            | u8::from(self.sms) << 1
            | u8::from(self.mms) << 2
            | u8::from(self.fax) << 3
    }

    pub(crate) fn from_bits(bits: u8) -> Self {
        Self {
            voice: bits & 1 != 0,
            sms: bits & 2 != 0,
            mms: bits & 4 != 0,
            fax: bits & 8 != 0,
        }
    }
}

/// What a (country, kind) pair demands before a purchase succeeds.
///
/// A purchase without an acceptable `BundleSid` where one is required fails with Twilio code
/// 21649; without an acceptable `AddressSid` where the requirement is not
/// [`AddressRequirement::None`], with 21631. The bundle is checked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Regulation {
    /// A regulatory bundle (`BU…`) must be attached.
    #[serde(default)]
    pub bundle_required: bool,
    /// The address (`AD…`) that must be attached, shown in search results too.
    #[serde(default)]
    pub address_requirement: AddressRequirement,
}

impl Regulation {
    /// No requirement at all.
    pub const NONE: Self = Self {
        bundle_required: false,
        address_requirement: AddressRequirement::None,
    };
    /// A bundle is required, no separate address.
    pub const BUNDLE: Self = Self {
        bundle_required: true,
        address_requirement: AddressRequirement::None,
    };

    /// An address with the given requirement, no bundle.
    #[must_use]
    pub fn address(requirement: AddressRequirement) -> Self {
        Self {
            bundle_required: false,
            address_requirement: requirement,
        }
    }

    /// True when a purchase needs a bundle or an address.
    #[must_use]
    pub fn is_regulated(self) -> bool {
        self.bundle_required || self.address_requirement != AddressRequirement::None
    }
}

/// A number offered for sale, as the fake's inventory holds it (and as a control caller adds
/// one with [`crate::FakeControl::add_available_number`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableNumber {
    /// E.164, e.g. `+14155550123`.
    pub phone_number: String,
    /// ISO 3166-1 alpha-2 country; must be one the fake stocks.
    pub iso_country: String,
    /// Kind of number.
    #[serde(rename = "type")]
    pub kind: NumberKind,
    /// Display form; `(415) 555-0123` for NANP numbers, else the E.164 string.
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// City or locality.
    #[serde(default)]
    pub locality: Option<String>,
    /// State or province (US/CA).
    #[serde(default)]
    pub region: Option<String>,
    /// Postal code (US/CA).
    #[serde(default)]
    pub postal_code: Option<String>,
    /// LATA (US).
    #[serde(default)]
    pub lata: Option<String>,
    /// Rate center (US/CA).
    #[serde(default)]
    pub rate_center: Option<String>,
    /// Latitude (US/CA).
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude (US/CA).
    #[serde(default)]
    pub longitude: Option<f64>,
    /// Address requirement; kept in step with the pair's [`Regulation`].
    #[serde(default)]
    pub address_requirements: AddressRequirement,
    /// New to Twilio.
    #[serde(default)]
    pub beta: bool,
    /// What it can do.
    #[serde(default)]
    pub capabilities: Capabilities,
}

/// A snapshot of an owned number (an IncomingPhoneNumber), as the control API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedNumber {
    /// `PN…` SID.
    pub sid: String,
    /// Owning account (`AC…`).
    pub account_sid: String,
    /// E.164 number.
    pub phone_number: String,
    /// Friendly name as Twilio would show it.
    pub friendly_name: String,
    /// ISO country.
    pub iso_country: String,
    /// Kind of number.
    #[serde(rename = "type")]
    pub kind: NumberKind,
    /// Capabilities.
    pub capabilities: Capabilities,
    /// Address requirement copied from the inventory at purchase.
    pub address_requirements: AddressRequirement,
    /// Beta flag.
    pub beta: bool,
    /// Incoming-call webhook.
    pub voice_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_method: String,
    /// Fallback webhook.
    pub voice_fallback_url: Option<String>,
    /// Call-status webhook.
    pub status_callback: Option<String>,
    /// `GET` or `POST`.
    pub status_callback_method: String,
    /// Messaging webhook.
    pub sms_url: Option<String>,
    /// Attached address.
    pub address_sid: Option<String>,
    /// Attached bundle.
    pub bundle_sid: Option<String>,
    /// Attached identity.
    pub identity_sid: Option<String>,
    /// Purchase time.
    pub date_created: DateTime<Utc>,
    /// Last change.
    pub date_updated: DateTime<Utc>,
}

/// A Twilio API error, exactly as the fake answers it: HTTP status plus the body
/// `{"code", "message", "more_info", "status"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("HTTP {status}, Twilio code {code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Twilio error code.
    pub code: u32,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    #[must_use]
    pub fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404 / 20404 for `path`, worded as Twilio words it.
    #[must_use]
    pub fn not_found(path: &str) -> Self {
        Self::new(
            404,
            codes::NOT_FOUND,
            format!("The requested resource {path} was not found"),
        )
    }

    /// 401 / 20003 (Twilio's message is just "Authenticate").
    #[must_use]
    pub fn authenticate() -> Self {
        Self::new(401, codes::AUTHENTICATE, "Authenticate")
    }

    /// 400 with the fake's code for an invalid or missing parameter (see [`codes::INVALID_PARAMETER`]).
    #[must_use]
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(400, codes::INVALID_PARAMETER, message)
    }

    /// `https://www.twilio.com/docs/errors/{code}`.
    #[must_use]
    pub fn more_info(&self) -> String {
        format!("https://www.twilio.com/docs/errors/{}", self.code)
    }

    /// The JSON body Twilio sends with this error.
    #[must_use]
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info(),
            "status": self.status,
        })
    }
}

/// Twilio error codes the fake answers with.
pub mod codes {
    /// Authentication failed (HTTP 401).
    pub const AUTHENTICATE: u32 = 20003;
    /// Method not allowed on this resource (HTTP 405).
    pub const METHOD_NOT_ALLOWED: u32 = 20004;
    /// Resource not found, including a country or number type not offered (HTTP 404).
    pub const NOT_FOUND: u32 = 20404;
    /// Too many concurrent requests (HTTP 429); the request was not processed.
    pub const TOO_MANY_REQUESTS: u32 = 20429;
    /// Internal server error (HTTP 500).
    pub const INTERNAL: u32 = 20500;
    /// Invalid or missing parameter (HTTP 400). Twilio's exact code for a malformed filter is
    /// not documented in the sources this fake follows; it uses 20001 ("invalid/unknown
    /// parameter") for all of them.
    pub const INVALID_PARAMETER: u32 = 20001;
    /// `PhoneNumber` is not a valid number (HTTP 400).
    pub const INVALID_PHONE_NUMBER: u32 = 21421;
    /// The number is not available to buy (HTTP 400).
    pub const NUMBER_NOT_AVAILABLE: u32 = 21422;
    /// `AreaCode` is not a valid North American area code (HTTP 400).
    pub const INVALID_AREA_CODE: u32 = 21451;
    /// No numbers available in that area code (HTTP 400).
    pub const NO_NUMBERS_IN_AREA_CODE: u32 = 21452;
    /// Invalid page token (HTTP 400).
    pub const INVALID_PAGE_TOKEN: u32 = 21481;
    /// The number needs an address (HTTP 400).
    pub const ADDRESS_REQUIRED: u32 = 21631;
    /// The number needs a regulatory bundle (HTTP 400).
    pub const BUNDLE_REQUIRED: u32 = 21649;
}
