//! Inputs of the operations: search filters, purchase and update fields, list filters.
//!
//! Every optional field left `None` is simply not sent, so Twilio applies its default.

/// The kinds of number this client can search for.
///
/// Each has its own search path ([`crate::request::SEARCH_LOCAL_PATH`] and its siblings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchType {
    /// `Local`: geographic numbers.
    Local,
    /// `TollFree`: toll-free numbers.
    TollFree,
    /// `Mobile`: mobile numbers (not stocked in every country; Twilio answers 404/20404).
    Mobile,
}

impl SearchType {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 3] = [Self::Local, Self::TollFree, Self::Mobile];
}

/// HTTP method Twilio should use when calling one of your webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookMethod {
    /// `GET`.
    Get,
    /// `POST` (Twilio's default).
    Post,
}

impl WebhookMethod {
    /// The wire spelling, `GET` or `POST`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// Filters of an AvailablePhoneNumbers search. All optional; `Default` searches with none.
///
/// Twilio returns at most about 30 numbers per search whatever `page_size` says; vary the
/// filters to see more inventory. Most location filters only work for US/CA numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AvailableNumberSearch {
    /// `AreaCode`: US/CA area code.
    pub area_code: Option<u32>,
    /// `Contains`: digit/letter pattern; `*` one character, `%` any run, `+` anchors at the
    /// start, `$` at the end. Twilio validates it (2–16 characters).
    pub contains: Option<String>,
    /// `SmsEnabled`: only numbers that can do SMS (`false` does not exclude them).
    pub sms_enabled: Option<bool>,
    /// `MmsEnabled`: only numbers that can do MMS.
    pub mms_enabled: Option<bool>,
    /// `VoiceEnabled`: only numbers that can do voice.
    pub voice_enabled: Option<bool>,
    /// `FaxEnabled`: only numbers that can do fax.
    pub fax_enabled: Option<bool>,
    /// `ExcludeAllAddressRequired`: drop numbers needing any address.
    pub exclude_all_address_required: Option<bool>,
    /// `ExcludeLocalAddressRequired`: drop numbers needing a local address.
    pub exclude_local_address_required: Option<bool>,
    /// `ExcludeForeignAddressRequired`: drop numbers needing a foreign address.
    pub exclude_foreign_address_required: Option<bool>,
    /// `Beta`: include numbers new to Twilio (Twilio's default is `true`).
    pub beta: Option<bool>,
    /// `NearNumber`: near this E.164 number (US/CA).
    pub near_number: Option<String>,
    /// `NearLatLong`: near these coordinates, sent as `"lat,long"` (US/CA).
    pub near_lat_long: Option<(f64, f64)>,
    /// `Distance`: radius in miles for the `near_*` filters (default 25, max 500).
    pub distance: Option<u32>,
    /// `InPostalCode`: in this postal code (US/CA).
    pub in_postal_code: Option<String>,
    /// `InRegion`: in this state or province (US/CA).
    pub in_region: Option<String>,
    /// `InRateCenter`: in this rate center; Twilio requires `in_lata` with it (US/CA).
    pub in_rate_center: Option<String>,
    /// `InLata`: in this LATA (US/CA).
    pub in_lata: Option<String>,
    /// `InLocality`: in this city or locality.
    pub in_locality: Option<String>,
    /// `PageSize`: how many results to ask for (1–1000; Twilio caps searches near 30).
    /// Values outside 1–1000 are clamped into that range.
    pub page_size: Option<u32>,
}

/// Fields of a purchase (IncomingPhoneNumbers create). Only `phone_number` is required.
///
/// Buying is not idempotent: see [`crate::TwilioClient::create_incoming_phone_number`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncomingPhoneNumber {
    /// `PhoneNumber`: the E.164 number to buy, as returned by a search.
    pub phone_number: String,
    /// `FriendlyName`: free text up to 64 characters.
    pub friendly_name: Option<String>,
    /// `VoiceUrl`: webhook for incoming calls.
    pub voice_url: Option<String>,
    /// `VoiceMethod`: method for `voice_url`.
    pub voice_method: Option<WebhookMethod>,
    /// `StatusCallback`: webhook for call status events.
    pub status_callback: Option<String>,
    /// `StatusCallbackMethod`: method for `status_callback`.
    pub status_callback_method: Option<WebhookMethod>,
    /// `AddressSid` (`AD…`): needed when the number's address requirement is not `none`.
    pub address_sid: Option<String>,
    /// `BundleSid` (`BU…`): regulatory bundle for regulated numbers (else Twilio 21649).
    pub bundle_sid: Option<String>,
    /// `IdentitySid` (`RI…`): identity for regions that need one.
    pub identity_sid: Option<String>,
}

impl NewIncomingPhoneNumber {
    /// A purchase of `phone_number` with every optional field unset.
    #[must_use]
    pub fn new(phone_number: impl Into<String>) -> Self {
        Self {
            phone_number: phone_number.into(),
            friendly_name: None,
            voice_url: None,
            voice_method: None,
            status_callback: None,
            status_callback_method: None,
            address_sid: None,
            bundle_sid: None,
            identity_sid: None,
        }
    }
}

/// Fields to change on an owned number. `None` leaves a field as it is.
///
/// Sending `Some(String::new())` for a URL sends an empty value, which Twilio treats as
/// clearing it (common practice; not stated in Twilio's API description).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomingPhoneNumberUpdate {
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
    /// `VoiceUrl`.
    pub voice_url: Option<String>,
    /// `VoiceMethod`.
    pub voice_method: Option<WebhookMethod>,
    /// `StatusCallback`.
    pub status_callback: Option<String>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: Option<WebhookMethod>,
    /// `AddressSid`.
    pub address_sid: Option<String>,
    /// `BundleSid`.
    pub bundle_sid: Option<String>,
    /// `IdentitySid`.
    pub identity_sid: Option<String>,
}

/// Filters for listing owned numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomingPhoneNumberFilter {
    /// `PhoneNumber`: full or partial number; `*` matches any digit.
    pub phone_number: Option<String>,
    /// `PageSize`: numbers per page, 1–1000 (Twilio default 50). Values outside that range
    /// are clamped into it.
    pub page_size: Option<u32>,
}
