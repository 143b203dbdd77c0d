//! The carrier port implemented with `twilio-client`.

use std::sync::Arc;

use numbers_domain::{
    AddressRequirement, AvailableNumber, AvailableQuery, Capabilities, Carrier, CarrierError,
    CarrierFuture, CountryPricing, IsoCountry, Money, NumberType, TypePrice,
};
use twilio_client::{AvailableNumberSearch, SearchType, TwilioClient, TwilioError};

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

impl Carrier for TwilioCarrier {
    fn search_available<'a>(
        &'a self,
        query: &'a AvailableQuery,
    ) -> CarrierFuture<'a, Vec<AvailableNumber>> {
        Box::pin(async move {
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
                        .filter_map(|offer| {
                            // An offer without a valid number cannot be bought; skip it.
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
                                    .unwrap_or(query.country),
                                capabilities: Capabilities {
                                    voice: offer.capabilities.voice,
                                    sms: offer.capabilities.sms,
                                    mms: offer.capabilities.mms,
                                    fax: offer.capabilities.fax,
                                },
                                address_requirements: address_requirement(
                                    offer.address_requirements.as_ref(),
                                ),
                                beta: offer.beta.unwrap_or(false),
                            })
                        })
                        .take(usize::from(query.limit))
                        .collect()
                });
            self.record("search", &result);
            result
        })
    }

    fn pricing(&self, country: IsoCountry) -> CarrierFuture<'_, CountryPricing> {
        Box::pin(async move {
            let result = self
                .client
                .fetch_phone_number_pricing(country.as_str())
                .await
                .map_err(|e| read_error(&e))
                .map(|pricing| {
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
                });
            self.record("pricing", &result);
            result
        })
    }
}
