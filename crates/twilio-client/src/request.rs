//! Request building, kept apart from sending so it can be inspected and tested offline.
//!
//! Every operation of [`crate::TwilioClient`] first turns its inputs into a
//! [`RequestSpec`] with the functions of this module, then sends exactly that. The
//! OpenAPI conformance test checks the same structures against Twilio's API description.

use std::fmt;

use crate::error::TwilioError;
use crate::params::{
    AvailableNumberSearch, IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate,
    NewIncomingPhoneNumber, SearchType, WebhookMethod,
};

/// Path template of searches for local numbers.
pub const SEARCH_LOCAL_PATH: &str =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json";
/// Path template of searches for toll-free numbers.
pub const SEARCH_TOLL_FREE_PATH: &str =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/TollFree.json";
/// Path template of searches for mobile numbers.
pub const SEARCH_MOBILE_PATH: &str =
    "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Mobile.json";
/// Path template of the owned-numbers collection (list, create).
pub const INCOMING_NUMBERS_PATH: &str =
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json";
/// Path template of one owned number (fetch, update, delete).
pub const INCOMING_NUMBER_PATH: &str =
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json";
/// Path template of one account.
pub const ACCOUNT_PATH: &str = "/2010-04-01/Accounts/{Sid}.json";
/// Path template of one country's phone-number prices (Pricing host, no `.json`).
pub const PRICING_COUNTRY_PATH: &str = "/v1/PhoneNumbers/Countries/{IsoCountry}";
/// Path template of the pricing country list (Pricing host, no `.json`).
pub const PRICING_COUNTRIES_PATH: &str = "/v1/PhoneNumbers/Countries";

/// Largest `PageSize` Twilio accepts on list endpoints.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The operations this client can perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Search numbers for sale (AvailablePhoneNumbers).
    SearchAvailablePhoneNumbers,
    /// Buy a number (IncomingPhoneNumbers create).
    CreateIncomingPhoneNumber,
    /// List owned numbers, one page per request.
    ListIncomingPhoneNumbers,
    /// Read one owned number.
    FetchIncomingPhoneNumber,
    /// Change one owned number.
    UpdateIncomingPhoneNumber,
    /// Release one owned number.
    DeleteIncomingPhoneNumber,
    /// Read one country's phone-number prices.
    FetchPhoneNumberPricing,
    /// List the countries the Pricing service knows, one page per request.
    ListPricingCountries,
    /// Read the account (checks credentials).
    FetchAccount,
}

impl Operation {
    /// Every operation, in a fixed order.
    pub const ALL: [Self; 9] = [
        Self::SearchAvailablePhoneNumbers,
        Self::CreateIncomingPhoneNumber,
        Self::ListIncomingPhoneNumbers,
        Self::FetchIncomingPhoneNumber,
        Self::UpdateIncomingPhoneNumber,
        Self::DeleteIncomingPhoneNumber,
        Self::FetchPhoneNumberPricing,
        Self::ListPricingCountries,
        Self::FetchAccount,
    ];

    /// A short snake_case name for logs and metrics.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SearchAvailablePhoneNumbers => "search_available_phone_numbers",
            Self::CreateIncomingPhoneNumber => "create_incoming_phone_number",
            Self::ListIncomingPhoneNumbers => "list_incoming_phone_numbers",
            Self::FetchIncomingPhoneNumber => "fetch_incoming_phone_number",
            Self::UpdateIncomingPhoneNumber => "update_incoming_phone_number",
            Self::DeleteIncomingPhoneNumber => "delete_incoming_phone_number",
            Self::FetchPhoneNumberPricing => "fetch_phone_number_pricing",
            Self::ListPricingCountries => "list_pricing_countries",
            Self::FetchAccount => "fetch_account",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The HTTP methods this client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`: read; safe to repeat.
    Get,
    /// `POST`: create or update; never repeated after an ambiguous failure.
    Post,
    /// `DELETE`: release; safe to repeat (a second one answers 404).
    Delete,
}

impl HttpMethod {
    /// Upper-case wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }

    /// True for methods that may be repeated after a 5xx or a lost connection.
    #[must_use]
    pub fn is_idempotent(self) -> bool {
        matches!(self, Self::Get | Self::Delete)
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
            Self::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which configured base URL a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiHost {
    /// The REST API (`https://api.twilio.com` by default), paths under `/2010-04-01`.
    Api,
    /// The Pricing API (`https://pricing.twilio.com` by default), paths under `/v1`.
    Pricing,
}

/// One fully built request, before it is sent.
///
/// `path` is `path_template` with its `{Placeholders}` filled in, except for follow-up
/// pages, where it is the server's next-page URI verbatim (query string included).
/// `query` goes into the URL, `form` into an `application/x-www-form-urlencoded` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// The operation the request belongs to.
    pub operation: Operation,
    /// HTTP method.
    pub method: HttpMethod,
    /// Base URL the path is appended to.
    pub host: ApiHost,
    /// Path with placeholders, as in Twilio's OpenAPI documents. Safe to log: it holds no
    /// SIDs or phone numbers.
    pub path_template: &'static str,
    /// The concrete path.
    pub path: String,
    /// Query parameters, in sending order.
    pub query: Vec<(&'static str, String)>,
    /// Form body fields, in sending order (empty for GET and DELETE).
    pub form: Vec<(&'static str, String)>,
}

impl RequestSpec {
    fn new(
        operation: Operation,
        method: HttpMethod,
        host: ApiHost,
        path_template: &'static str,
        params: &[(&str, &str)],
    ) -> Result<Self, TwilioError> {
        Ok(Self {
            operation,
            method,
            host,
            path_template,
            path: fill_template(operation, path_template, params)?,
            query: Vec::new(),
            form: Vec::new(),
        })
    }
}

/// Replaces each `{Name}` of `template` with its value from `params`.
///
/// Values must be plain identifiers (`[A-Za-z0-9_-]+`): SIDs and ISO codes always are, and
/// anything else could change the path's meaning, so it is refused before sending.
fn fill_template(
    operation: Operation,
    template: &str,
    params: &[(&str, &str)],
) -> Result<String, TwilioError> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| TwilioError::InvalidRequest {
            operation,
            reason: format!("unterminated placeholder in {template}"),
        })?;
        let name = &after[..close];
        let value = params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| TwilioError::InvalidRequest {
                operation,
                reason: format!("no value for {{{name}}}"),
            })?;
        if value.is_empty()
            || !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(TwilioError::InvalidRequest {
                operation,
                reason: format!("{name} must be a non-empty run of letters, digits, '_' or '-'"),
            });
        }
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn push_opt(fields: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<String>) {
    if let Some(v) = value {
        fields.push((name, v));
    }
}

fn clamp_page_size(size: u32) -> String {
    size.clamp(1, MAX_PAGE_SIZE).to_string()
}

/// `GET …/AvailablePhoneNumbers/{CountryCode}/{Local|TollFree|Mobile}.json` with every
/// filter that is set. `country` is upper-cased.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when `account_sid` or `country` is not a plain code.
pub fn search_available(
    account_sid: &str,
    country: &str,
    kind: SearchType,
    search: &AvailableNumberSearch,
) -> Result<RequestSpec, TwilioError> {
    let template = match kind {
        SearchType::Local => SEARCH_LOCAL_PATH,
        SearchType::TollFree => SEARCH_TOLL_FREE_PATH,
        SearchType::Mobile => SEARCH_MOBILE_PATH,
    };
    let mut spec = RequestSpec::new(
        Operation::SearchAvailablePhoneNumbers,
        HttpMethod::Get,
        ApiHost::Api,
        template,
        &[
            ("AccountSid", account_sid),
            ("CountryCode", &country.to_ascii_uppercase()),
        ],
    )?;
    // Exhaustive destructuring: a new filter field cannot be forgotten here.
    let AvailableNumberSearch {
        area_code,
        contains,
        sms_enabled,
        mms_enabled,
        voice_enabled,
        fax_enabled,
        exclude_all_address_required,
        exclude_local_address_required,
        exclude_foreign_address_required,
        beta,
        near_number,
        near_lat_long,
        distance,
        in_postal_code,
        in_region,
        in_rate_center,
        in_lata,
        in_locality,
        page_size,
    } = search;
    let q = &mut spec.query;
    let b = |v: &Option<bool>| v.map(|x| x.to_string());
    push_opt(q, "AreaCode", area_code.map(|v| v.to_string()));
    push_opt(q, "Contains", contains.clone());
    push_opt(q, "SmsEnabled", b(sms_enabled));
    push_opt(q, "MmsEnabled", b(mms_enabled));
    push_opt(q, "VoiceEnabled", b(voice_enabled));
    push_opt(q, "FaxEnabled", b(fax_enabled));
    push_opt(
        q,
        "ExcludeAllAddressRequired",
        b(exclude_all_address_required),
    );
    push_opt(
        q,
        "ExcludeLocalAddressRequired",
        b(exclude_local_address_required),
    );
    push_opt(
        q,
        "ExcludeForeignAddressRequired",
        b(exclude_foreign_address_required),
    );
    push_opt(q, "Beta", b(beta));
    push_opt(q, "NearNumber", near_number.clone());
    push_opt(
        q,
        "NearLatLong",
        near_lat_long.map(|(lat, long)| format!("{lat},{long}")),
    );
    push_opt(q, "Distance", distance.map(|v| v.to_string()));
    push_opt(q, "InPostalCode", in_postal_code.clone());
    push_opt(q, "InRegion", in_region.clone());
    push_opt(q, "InRateCenter", in_rate_center.clone());
    push_opt(q, "InLata", in_lata.clone());
    push_opt(q, "InLocality", in_locality.clone());
    push_opt(q, "PageSize", page_size.map(clamp_page_size));
    Ok(spec)
}

/// Pushes the webhook and regulatory fields shared by create and update.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per form field keeps create and update in step"
)]
fn push_number_fields(
    form: &mut Vec<(&'static str, String)>,
    friendly_name: &Option<String>,
    voice_url: &Option<String>,
    voice_method: Option<WebhookMethod>,
    status_callback: &Option<String>,
    status_callback_method: Option<WebhookMethod>,
    address_sid: &Option<String>,
    bundle_sid: &Option<String>,
    identity_sid: &Option<String>,
) {
    let m = |v: Option<WebhookMethod>| v.map(|x| x.as_str().to_owned());
    push_opt(form, "FriendlyName", friendly_name.clone());
    push_opt(form, "VoiceUrl", voice_url.clone());
    push_opt(form, "VoiceMethod", m(voice_method));
    push_opt(form, "StatusCallback", status_callback.clone());
    push_opt(form, "StatusCallbackMethod", m(status_callback_method));
    push_opt(form, "AddressSid", address_sid.clone());
    push_opt(form, "BundleSid", bundle_sid.clone());
    push_opt(form, "IdentitySid", identity_sid.clone());
}

/// `POST …/IncomingPhoneNumbers.json` with `PhoneNumber` and every optional field set.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when `account_sid` is not a plain SID or the phone
/// number is empty.
pub fn create_incoming(
    account_sid: &str,
    number: &NewIncomingPhoneNumber,
) -> Result<RequestSpec, TwilioError> {
    let mut spec = RequestSpec::new(
        Operation::CreateIncomingPhoneNumber,
        HttpMethod::Post,
        ApiHost::Api,
        INCOMING_NUMBERS_PATH,
        &[("AccountSid", account_sid)],
    )?;
    let NewIncomingPhoneNumber {
        phone_number,
        friendly_name,
        voice_url,
        voice_method,
        status_callback,
        status_callback_method,
        address_sid,
        bundle_sid,
        identity_sid,
    } = number;
    if phone_number.trim().is_empty() {
        return Err(TwilioError::InvalidRequest {
            operation: spec.operation,
            reason: "PhoneNumber is empty".to_owned(),
        });
    }
    spec.form.push(("PhoneNumber", phone_number.clone()));
    push_number_fields(
        &mut spec.form,
        friendly_name,
        voice_url,
        *voice_method,
        status_callback,
        *status_callback_method,
        address_sid,
        bundle_sid,
        identity_sid,
    );
    Ok(spec)
}

/// First page of `GET …/IncomingPhoneNumbers.json` with the filters that are set.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when `account_sid` is not a plain SID.
pub fn list_incoming(
    account_sid: &str,
    filter: &IncomingPhoneNumberFilter,
) -> Result<RequestSpec, TwilioError> {
    let mut spec = RequestSpec::new(
        Operation::ListIncomingPhoneNumbers,
        HttpMethod::Get,
        ApiHost::Api,
        INCOMING_NUMBERS_PATH,
        &[("AccountSid", account_sid)],
    )?;
    let IncomingPhoneNumberFilter {
        phone_number,
        page_size,
    } = filter;
    push_opt(&mut spec.query, "PhoneNumber", phone_number.clone());
    push_opt(&mut spec.query, "PageSize", page_size.map(clamp_page_size));
    Ok(spec)
}

/// `GET …/IncomingPhoneNumbers/{Sid}.json`.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when a SID is not a plain identifier.
pub fn fetch_incoming(account_sid: &str, sid: &str) -> Result<RequestSpec, TwilioError> {
    RequestSpec::new(
        Operation::FetchIncomingPhoneNumber,
        HttpMethod::Get,
        ApiHost::Api,
        INCOMING_NUMBER_PATH,
        &[("AccountSid", account_sid), ("Sid", sid)],
    )
}

/// `POST …/IncomingPhoneNumbers/{Sid}.json` with the fields that are set.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when a SID is not a plain identifier.
pub fn update_incoming(
    account_sid: &str,
    sid: &str,
    update: &IncomingPhoneNumberUpdate,
) -> Result<RequestSpec, TwilioError> {
    let mut spec = RequestSpec::new(
        Operation::UpdateIncomingPhoneNumber,
        HttpMethod::Post,
        ApiHost::Api,
        INCOMING_NUMBER_PATH,
        &[("AccountSid", account_sid), ("Sid", sid)],
    )?;
    let IncomingPhoneNumberUpdate {
        friendly_name,
        voice_url,
        voice_method,
        status_callback,
        status_callback_method,
        address_sid,
        bundle_sid,
        identity_sid,
    } = update;
    push_number_fields(
        &mut spec.form,
        friendly_name,
        voice_url,
        *voice_method,
        status_callback,
        *status_callback_method,
        address_sid,
        bundle_sid,
        identity_sid,
    );
    Ok(spec)
}

/// `DELETE …/IncomingPhoneNumbers/{Sid}.json`.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when a SID is not a plain identifier.
pub fn delete_incoming(account_sid: &str, sid: &str) -> Result<RequestSpec, TwilioError> {
    RequestSpec::new(
        Operation::DeleteIncomingPhoneNumber,
        HttpMethod::Delete,
        ApiHost::Api,
        INCOMING_NUMBER_PATH,
        &[("AccountSid", account_sid), ("Sid", sid)],
    )
}

/// `GET /v1/PhoneNumbers/Countries/{IsoCountry}` on the Pricing host.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when `iso_country` is not a plain code.
pub fn fetch_pricing(iso_country: &str) -> Result<RequestSpec, TwilioError> {
    RequestSpec::new(
        Operation::FetchPhoneNumberPricing,
        HttpMethod::Get,
        ApiHost::Pricing,
        PRICING_COUNTRY_PATH,
        &[("IsoCountry", &iso_country.to_ascii_uppercase())],
    )
}

/// First page of `GET /v1/PhoneNumbers/Countries` on the Pricing host, asking for the
/// largest page Twilio allows.
#[must_use]
pub fn list_pricing_countries() -> RequestSpec {
    RequestSpec {
        operation: Operation::ListPricingCountries,
        method: HttpMethod::Get,
        host: ApiHost::Pricing,
        path_template: PRICING_COUNTRIES_PATH,
        path: PRICING_COUNTRIES_PATH.to_owned(),
        query: vec![("PageSize", MAX_PAGE_SIZE.to_string())],
        form: Vec::new(),
    }
}

/// `GET /2010-04-01/Accounts/{Sid}.json`.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when `account_sid` is not a plain SID.
pub fn fetch_account(account_sid: &str) -> Result<RequestSpec, TwilioError> {
    RequestSpec::new(
        Operation::FetchAccount,
        HttpMethod::Get,
        ApiHost::Api,
        ACCOUNT_PATH,
        &[("Sid", account_sid)],
    )
}

/// The request for the page after `previous`, from the `next_page_uri`/`next_page_url`
/// the server returned.
///
/// A relative URI (`/2010-04-01/…?PageToken=…`) is used verbatim. For an absolute URL only
/// its path and query are kept and re-joined to the configured base URL, so credentials are
/// never sent to a host other than the configured one.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] when the URI is neither an absolute `http(s)` URL nor a
/// path starting with `/`.
pub fn next_page(previous: &RequestSpec, next_uri: &str) -> Result<RequestSpec, TwilioError> {
    let path = if next_uri.starts_with('/') && !next_uri.starts_with("//") {
        next_uri.to_owned()
    } else {
        let url = reqwest::Url::parse(next_uri)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| TwilioError::InvalidRequest {
                operation: previous.operation,
                reason: "the next-page link is neither a path nor an http(s) URL".to_owned(),
            })?;
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    };
    Ok(RequestSpec {
        operation: previous.operation,
        method: previous.method,
        host: previous.host,
        path_template: previous.path_template,
        path,
        query: Vec::new(),
        form: Vec::new(),
    })
}

/// Sample inputs with **every** optional field set, used by [`describe_requests`] and by
/// tests that send them for real.
#[doc(hidden)]
pub mod samples {
    use super::{
        AvailableNumberSearch, IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate,
        NewIncomingPhoneNumber, WebhookMethod,
    };

    /// A valid-looking account SID.
    pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
    /// A valid-looking phone-number SID.
    pub const NUMBER_SID: &str = "PN0123456789abcdef0123456789abcdef";
    /// A country with inventory of all three kinds in the sample.
    pub const COUNTRY: &str = "US";

    /// Search with every filter set (struct literal without `..`, so a new field must be
    /// added here too).
    #[must_use]
    pub fn search() -> AvailableNumberSearch {
        AvailableNumberSearch {
            area_code: Some(415),
            contains: Some("55%".to_owned()),
            sms_enabled: Some(true),
            mms_enabled: Some(false),
            voice_enabled: Some(true),
            fax_enabled: Some(false),
            exclude_all_address_required: Some(true),
            exclude_local_address_required: Some(false),
            exclude_foreign_address_required: Some(true),
            beta: Some(false),
            near_number: Some("+14155550100".to_owned()),
            near_lat_long: Some((37.77, -122.42)),
            distance: Some(50),
            in_postal_code: Some("94103".to_owned()),
            in_region: Some("CA".to_owned()),
            in_rate_center: Some("SNFC CA".to_owned()),
            in_lata: Some("722".to_owned()),
            in_locality: Some("San Francisco".to_owned()),
            page_size: Some(30),
        }
    }

    /// Purchase with every field set.
    #[must_use]
    pub fn purchase() -> NewIncomingPhoneNumber {
        NewIncomingPhoneNumber {
            phone_number: "+14155550123".to_owned(),
            friendly_name: Some("tenant 42 line".to_owned()),
            voice_url: Some("https://example.test/webhooks/twilio/voice?channel_id=c1".to_owned()),
            voice_method: Some(WebhookMethod::Post),
            status_callback: Some(
                "https://example.test/webhooks/twilio/status?channel_id=c1".to_owned(),
            ),
            status_callback_method: Some(WebhookMethod::Get),
            address_sid: Some("AD0123456789abcdef0123456789abcdef".to_owned()),
            bundle_sid: Some("BU0123456789abcdef0123456789abcdef".to_owned()),
            identity_sid: Some("RI0123456789abcdef0123456789abcdef".to_owned()),
        }
    }

    /// Update with every field set.
    #[must_use]
    pub fn update() -> IncomingPhoneNumberUpdate {
        IncomingPhoneNumberUpdate {
            friendly_name: Some("renamed".to_owned()),
            voice_url: Some("https://example.test/webhooks/twilio/voice".to_owned()),
            voice_method: Some(WebhookMethod::Get),
            status_callback: Some("https://example.test/webhooks/twilio/status".to_owned()),
            status_callback_method: Some(WebhookMethod::Post),
            address_sid: Some("AD0123456789abcdef0123456789abcdef".to_owned()),
            bundle_sid: Some("BU0123456789abcdef0123456789abcdef".to_owned()),
            identity_sid: Some("RI0123456789abcdef0123456789abcdef".to_owned()),
        }
    }

    /// List filter with every field set.
    #[must_use]
    pub fn list_filter() -> IncomingPhoneNumberFilter {
        IncomingPhoneNumberFilter {
            phone_number: Some("+14155550123".to_owned()),
            page_size: Some(1000),
        }
    }
}

/// Every request the client can build, each with every optional parameter set, using the
/// [`samples`] inputs. One entry per operation and search kind.
///
/// Used by the OpenAPI conformance test; the client's operations call the same builder
/// functions.
///
/// # Errors
/// [`TwilioError::InvalidRequest`] if a sample input were refused (a bug).
#[doc(hidden)]
pub fn describe_requests() -> Result<Vec<RequestSpec>, TwilioError> {
    use samples::{ACCOUNT_SID, COUNTRY, NUMBER_SID};
    let mut all = Vec::new();
    for kind in SearchType::ALL {
        all.push(search_available(
            ACCOUNT_SID,
            COUNTRY,
            kind,
            &samples::search(),
        )?);
    }
    all.push(create_incoming(ACCOUNT_SID, &samples::purchase())?);
    all.push(list_incoming(ACCOUNT_SID, &samples::list_filter())?);
    all.push(fetch_incoming(ACCOUNT_SID, NUMBER_SID)?);
    all.push(update_incoming(
        ACCOUNT_SID,
        NUMBER_SID,
        &samples::update(),
    )?);
    all.push(delete_incoming(ACCOUNT_SID, NUMBER_SID)?);
    all.push(fetch_pricing(COUNTRY)?);
    all.push(list_pricing_countries());
    all.push(fetch_account(ACCOUNT_SID)?);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_requests_covers_every_operation_and_search_kind() {
        let all = describe_requests().unwrap();
        for op in Operation::ALL {
            assert!(all.iter().any(|r| r.operation == op), "{op} missing");
        }
        for path in [SEARCH_LOCAL_PATH, SEARCH_TOLL_FREE_PATH, SEARCH_MOBILE_PATH] {
            assert!(
                all.iter().any(|r| r.path_template == path),
                "{path} missing"
            );
        }
    }

    #[test]
    fn path_values_that_could_change_the_path_are_refused() {
        for bad in ["", "..", "AC/x", "US?x=1", "PN%2F", "+1415"] {
            assert!(
                matches!(
                    fetch_incoming(samples::ACCOUNT_SID, bad),
                    Err(TwilioError::InvalidRequest { .. })
                ),
                "{bad:?} accepted"
            );
        }
        let spec = fetch_incoming(samples::ACCOUNT_SID, samples::NUMBER_SID).unwrap();
        assert_eq!(
            spec.path,
            "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers/PN0123456789abcdef0123456789abcdef.json"
        );
    }

    #[test]
    fn page_size_is_clamped_to_twilio_range() {
        let spec = list_incoming(
            samples::ACCOUNT_SID,
            &IncomingPhoneNumberFilter {
                phone_number: None,
                page_size: Some(5000),
            },
        )
        .unwrap();
        assert_eq!(spec.query, vec![("PageSize", "1000".to_owned())]);
        let spec = list_incoming(
            samples::ACCOUNT_SID,
            &IncomingPhoneNumberFilter {
                phone_number: None,
                page_size: Some(0),
            },
        )
        .unwrap();
        assert_eq!(spec.query, vec![("PageSize", "1".to_owned())]);
    }

    #[test]
    fn next_page_keeps_relative_uris_and_strips_foreign_hosts() {
        let first =
            list_incoming(samples::ACCOUNT_SID, &IncomingPhoneNumberFilter::default()).unwrap();
        let rel = "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?PageSize=2&Page=1&PageToken=PAx%2B1";
        assert_eq!(next_page(&first, rel).unwrap().path, rel);
        let abs =
            "https://elsewhere.example/v1/PhoneNumbers/Countries?PageSize=50&Page=1&PageToken=abc";
        assert_eq!(
            next_page(&first, abs).unwrap().path,
            "/v1/PhoneNumbers/Countries?PageSize=50&Page=1&PageToken=abc"
        );
        assert!(next_page(&first, "Countries?Page=2").is_err());
        assert!(next_page(&first, "//evil.example/x").is_err());
    }
}
