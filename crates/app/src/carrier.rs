//! The carrier port implemented with `twilio-client`.

use std::sync::Arc;

use futures::StreamExt as _;
use numbers_domain::{
    AddressRequirement, AvailableNumber, AvailableQuery, Capabilities, Carrier, CarrierError,
    CountryPricing, E164, IsoCountry, Money, NumberType, OwnedNumber, OwnedNumbers, PurchaseOrder,
    TypePrice, Webhooks,
};
use twilio_client::{
    AvailableNumberSearch, IncomingPhoneNumber, IncomingPhoneNumberFilter,
    IncomingPhoneNumberUpdate, NewIncomingPhoneNumber, SearchType, TwilioClient, TwilioError,
    WebhookMethod,
};

use crate::metrics::Metrics;

/// Twilio as the service's carrier.
#[derive(Debug, Clone)]
pub struct TwilioCarrier {
    client: TwilioClient,
    metrics: Arc<Metrics>,
}

impl TwilioCarrier {
    /// Wraps a client; every call is counted in `metrics`.
    #[must_use]
    pub fn new(client: TwilioClient, metrics: Arc<Metrics>) -> Self {
        Self { client, metrics }
    }

    fn record<T>(&self, operation: &str, result: &Result<T, CarrierError>) {
        let outcome = match result {
            Ok(_) => "ok",
            Err(CarrierError::Refused { .. }) => "refused",
            Err(CarrierError::NotFound { .. }) => "not_found",
            Err(CarrierError::Unavailable) => "unavailable",
            Err(CarrierError::OutcomeUnknown) => "unknown",
            Err(CarrierError::BadAnswer(_)) => "bad_answer",
        };
        self.metrics.observe_twilio(operation, outcome);
    }
}

/// Maps a client error for a read: nothing changes at Twilio, so an unknown outcome is
/// simply "unavailable".
fn read_error(error: &TwilioError) -> CarrierError {
    let code = error.twilio_code().and_then(|c| i32::try_from(c).ok());
    if error.is_not_found() {
        return CarrierError::NotFound { code };
    }
    match error.http_status() {
        Some(429) => CarrierError::Unavailable,
        Some(status) if (400..500).contains(&status) => CarrierError::Refused { status, code },
        _ if matches!(error, TwilioError::Decode { .. }) => {
            CarrierError::BadAnswer(error.to_string())
        }
        _ => CarrierError::Unavailable,
    }
}

/// Maps a client error for a change (buy, update, delete): whether Twilio may have acted
/// decides between a definite refusal and an unknown outcome.
fn write_error(error: &TwilioError) -> CarrierError {
    if error.is_outcome_unknown() {
        return CarrierError::OutcomeUnknown;
    }
    let code = error.twilio_code().and_then(|c| i32::try_from(c).ok());
    if error.is_not_found() {
        return CarrierError::NotFound { code };
    }
    match error.http_status() {
        Some(429) | None => CarrierError::Unavailable,
        Some(status) => CarrierError::Refused { status, code },
    }
}

/// An owned number in domain terms; an answer without a sid or a valid number is unreadable.
fn owned_number(number: IncomingPhoneNumber) -> Result<OwnedNumber, CarrierError> {
    let unreadable =
        |what: &str| CarrierError::BadAnswer(format!("an owned number without {what}"));
    let sid = number.sid.ok_or_else(|| unreadable("a sid"))?;
    let phone_number = number
        .phone_number
        .as_deref()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| unreadable("a valid phone number"))?;
    Ok(OwnedNumber {
        sid,
        account_sid: number.account_sid.unwrap_or_default(),
        phone_number,
        friendly_name: number.friendly_name,
        capabilities: Capabilities {
            voice: number.capabilities.voice,
            sms: number.capabilities.sms,
            mms: number.capabilities.mms,
            fax: number.capabilities.fax,
        },
        voice_url: number.voice_url,
        status_callback_url: number.status_callback,
        created_at: number.date_created,
    })
}

fn search_type(number_type: NumberType) -> SearchType {
    match number_type {
        NumberType::Local => SearchType::Local,
        NumberType::TollFree => SearchType::TollFree,
        NumberType::Mobile => SearchType::Mobile,
    }
}

/// Twilio's pricing type names (`"toll free"`) in the service's snake_case.
fn price_type_name(kind: &twilio_client::NumberType) -> String {
    use twilio_client::NumberType as T;
    match kind {
        T::Local => "local".into(),
        T::TollFree => "toll_free".into(),
        T::Mobile => "mobile".into(),
        T::National => "national".into(),
        T::Voip => "voip".into(),
        T::SharedCost => "shared_cost".into(),
        T::MachineToMachine => "machine_to_machine".into(),
        T::Other(name) => name.trim().to_lowercase().replace([' ', '-'], "_"),
    }
}

fn address_requirement(value: Option<&twilio_client::AddressRequirement>) -> AddressRequirement {
    use twilio_client::AddressRequirement as A;
    match value {
        None | Some(A::None) => AddressRequirement::None,
        Some(A::Local) => AddressRequirement::Local,
        Some(A::Foreign) => AddressRequirement::Foreign,
        // `any`, and anything new: ask for an address rather than promise none is needed.
        Some(_) => AddressRequirement::Any,
    }
}

#[async_trait::async_trait]
impl Carrier for TwilioCarrier {
    fn account_sid(&self) -> &str {
        self.client.account_sid()
    }

    async fn search_available(
        &self,
        query: &AvailableQuery,
    ) -> Result<Vec<AvailableNumber>, CarrierError> {
        let search = AvailableNumberSearch {
            contains: query.contains.as_ref().map(|c| c.as_str().to_owned()),
            page_size: Some(u32::from(query.limit)),
            ..AvailableNumberSearch::default()
        };
        let result = self
            .client
            .search_available_phone_numbers(
                query.country.as_str(),
                search_type(query.number_type),
                &search,
            )
            .await
            .map_err(|e| read_error(&e))
            .map(|offers| {
                offers
                    .into_iter()
                    .filter_map(|offer| available_number(offer, query.country))
                    .take(usize::from(query.limit))
                    .collect()
            });
        self.record("search", &result);
        result
    }

    async fn pricing(&self, country: IsoCountry) -> Result<CountryPricing, CarrierError> {
        let result = self
            .client
            .fetch_phone_number_pricing(country.as_str())
            .await
            .map_err(|e| read_error(&e))
            .map(|pricing| country_pricing(country, &pricing));
        self.record("pricing", &result);
        result
    }

    async fn buy(&self, order: &PurchaseOrder) -> Result<OwnedNumber, CarrierError> {
        let new = NewIncomingPhoneNumber {
            voice_url: Some(order.webhooks.voice_url.clone()),
            voice_method: Some(WebhookMethod::Post),
            status_callback: Some(order.webhooks.status_callback_url.clone()),
            status_callback_method: Some(WebhookMethod::Post),
            bundle_sid: order.bundle_sid.clone(),
            address_sid: order.address_sid.clone(),
            ..NewIncomingPhoneNumber::new(order.phone_number.as_str())
        };
        let result = match self.client.create_incoming_phone_number(&new).await {
            Ok(number) => owned_number(number),
            // A success status with an unreadable body: Twilio most likely bought it.
            Err(TwilioError::Decode { .. }) => Err(CarrierError::OutcomeUnknown),
            Err(error) => Err(write_error(&error)),
        };
        self.record("buy", &result);
        result
    }

    async fn find_owned(&self, phone_number: &E164) -> Result<Option<OwnedNumber>, CarrierError> {
        let filter = IncomingPhoneNumberFilter {
            phone_number: Some(phone_number.as_str().to_owned()),
            ..IncomingPhoneNumberFilter::default()
        };
        let mut found = None;
        let mut listing = self.client.list_incoming_phone_numbers(&filter);
        let result = loop {
            match listing.next().await {
                None => break Ok(found),
                Some(Err(error)) => break Err(read_error(&error)),
                Some(Ok(number)) => {
                    // Twilio matches the filter loosely; keep only the exact number.
                    if number.phone_number.as_deref() == Some(phone_number.as_str()) {
                        match owned_number(number) {
                            Ok(owned) => found = Some(owned),
                            Err(error) => break Err(error),
                        }
                    }
                }
            }
        };
        self.record("find_owned", &result);
        result
    }

    async fn set_webhooks(
        &self,
        sid: &str,
        webhooks: &Webhooks,
    ) -> Result<OwnedNumber, CarrierError> {
        let update = IncomingPhoneNumberUpdate {
            voice_url: Some(webhooks.voice_url.clone()),
            voice_method: Some(WebhookMethod::Post),
            status_callback: Some(webhooks.status_callback_url.clone()),
            status_callback_method: Some(WebhookMethod::Post),
            ..IncomingPhoneNumberUpdate::default()
        };
        let result = match self.client.update_incoming_phone_number(sid, &update).await {
            Ok(number) => owned_number(number),
            Err(TwilioError::Decode { .. }) => Err(CarrierError::OutcomeUnknown),
            Err(error) => Err(write_error(&error)),
        };
        self.record("set_webhooks", &result);
        result
    }

    async fn release(&self, sid: &str) -> Result<(), CarrierError> {
        let result = self
            .client
            .delete_incoming_phone_number(sid)
            .await
            .map_err(|e| write_error(&e));
        self.record("release", &result);
        result
    }

    fn list_owned(&self) -> OwnedNumbers {
        let filter = IncomingPhoneNumberFilter {
            page_size: Some(1000),
            ..IncomingPhoneNumberFilter::default()
        };
        self.client
            .list_incoming_phone_numbers(&filter)
            .map(|item| item.map_err(|e| read_error(&e)).and_then(owned_number))
            .boxed()
    }
}

/// An offer in domain terms; `None` for an offer without a valid number (it cannot be
/// bought).
fn available_number(
    offer: twilio_client::AvailablePhoneNumber,
    searched: IsoCountry,
) -> Option<AvailableNumber> {
    let phone_number = offer.phone_number.as_deref()?.parse().ok()?;
    Some(AvailableNumber {
        phone_number,
        friendly_name: offer.friendly_name,
        locality: offer.locality,
        region: offer.region,
        postal_code: offer.postal_code,
        iso_country: offer
            .iso_country
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(searched),
        capabilities: Capabilities {
            voice: offer.capabilities.voice,
            sms: offer.capabilities.sms,
            mms: offer.capabilities.mms,
            fax: offer.capabilities.fax,
        },
        address_requirements: address_requirement(offer.address_requirements.as_ref()),
        beta: offer.beta.unwrap_or(false),
    })
}

fn country_pricing(
    country: IsoCountry,
    pricing: &twilio_client::PhoneNumberPricing,
) -> CountryPricing {
    let prices = pricing
        .phone_number_prices
        .iter()
        .filter_map(|price| {
            let current = price.current_price.or(price.base_price)?;
            let base = price.base_price.unwrap_or(current);
            Some(TypePrice {
                number_type: price_type_name(&price.number_type),
                base_price: Money::new(base).ok()?,
                current_price: Money::new(current).ok()?,
            })
        })
        .collect();
    CountryPricing {
        country,
        country_name: pricing
            .country
            .clone()
            .unwrap_or_else(|| country.to_string()),
        currency: pricing
            .price_unit
            .as_deref()
            .unwrap_or("USD")
            .to_ascii_uppercase(),
        prices,
    }
}
