//! What a tenant can do with phone numbers: search the inventory with prices and
//! purchasability, and read the prices. The number lifecycle (purchase, release, attach)
//! joins it here, over the domain's carrier port, so every entry point shares one
//! implementation.

use numbers_domain::{
    AvailableNumber, AvailableQuery, CarrierError, CountryPricing, IsoCountry, Money, purchasable,
};

use crate::{App, ServiceError};

/// One number offered for sale, as a tenant sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// The carrier's offer.
    pub number: AvailableNumber,
    /// Its current monthly price, when the prices could be read.
    pub monthly_price: Option<Money>,
    /// Whether the platform has what buying it needs (a bundle, an address).
    pub purchasable: bool,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Offers {
    /// ISO 4217 currency of the prices (`USD` when they could not be read).
    pub currency: String,
    /// The offers, in the carrier's order.
    pub offers: Vec<Offer>,
}

impl App {
    /// Searches the inventory and decorates each offer with its monthly price and whether
    /// the platform can buy it (SPEC §5). Prices are best effort: without them the search is
    /// still useful, so a pricing failure only leaves the prices out.
    ///
    /// # Errors
    /// [`ServiceError::CarrierNotFound`] when Twilio offers no such numbers there;
    /// [`ServiceError::Carrier`] when the search fails; [`ServiceError::Store`] when the
    /// regulatory requirements cannot be read.
    pub async fn search_available(&self, query: &AvailableQuery) -> Result<Offers, ServiceError> {
        let (country, number_type) = (query.country, query.number_type);
        let found = self
            .carrier()
            .search_available(query)
            .await
            .map_err(|e| match e {
                CarrierError::NotFound { code } => ServiceError::CarrierNotFound {
                    message: format!("Twilio offers no {number_type} numbers in {country}"),
                    code,
                },
                other => other.into(),
            })?;
        let pricing = match self.pricing().get(self.carrier(), country).await {
            Ok(pricing) => Some(pricing),
            Err(error) => {
                tracing::warn!(%error, country = %country, "prices unavailable for a search");
                None
            }
        };
        let requirement = self.store().regulatory().get(country, number_type).await?;
        let has_bundle = requirement.as_ref().is_some_and(|r| r.bundle_sid.is_some());
        let has_address = requirement
            .as_ref()
            .is_some_and(|r| r.address_sid.is_some());
        let monthly_price = pricing.as_ref().and_then(|p| p.current_price(number_type));
        let offers = found
            .into_iter()
            .map(|number| Offer {
                purchasable: purchasable(&number, number_type, has_bundle, has_address),
                monthly_price,
                number,
            })
            .collect();
        Ok(Offers {
            currency: pricing.map_or_else(|| "USD".to_owned(), |p| p.currency),
            offers,
        })
    }

    /// The country's monthly prices per number type, through the pricing cache.
    ///
    /// # Errors
    /// [`ServiceError::CarrierNotFound`] when Twilio has no prices for the country;
    /// [`ServiceError::Carrier`] when they cannot be read.
    pub async fn country_pricing(
        &self,
        country: IsoCountry,
    ) -> Result<CountryPricing, ServiceError> {
        self.pricing()
            .get(self.carrier(), country)
            .await
            .map_err(|e| match e {
                CarrierError::NotFound { code } => ServiceError::CarrierNotFound {
                    message: format!("Twilio has no phone number prices for {country}"),
                    code,
                },
                other => other.into(),
            })
    }
}

mod adopt;
mod attach;
mod purchase;
mod release;

pub use purchase::{Purchase, PurchaseOutcome};
pub use release::{BulkRelease, CallLimit};

use numbers_domain::{ChannelId, NumberStatus, PhoneNumberId, TenantId, Webhooks};
use numbers_persistence::PhoneNumberRecord;

/// The webhook URLs written on a number (SPEC §7): the voice and status routes of this
/// service's public address, with the channel's id when the number is attached to one.
#[must_use]
pub fn webhooks_for(public_base_url: &str, channel_id: Option<ChannelId>) -> Webhooks {
    let query = channel_id.map_or_else(String::new, |id| format!("?channel_id={id}"));
    Webhooks {
        voice_url: format!("{public_base_url}/webhooks/twilio/voice{query}"),
        status_callback_url: format!("{public_base_url}/webhooks/twilio/status{query}"),
    }
}

impl App {
    /// The tenant's number, or [`ServiceError::NotFound`] (also for another tenant's).
    pub(crate) async fn tenant_number(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
    ) -> Result<PhoneNumberRecord, ServiceError> {
        self.store()
            .phone_numbers()
            .get(tenant_id, id)
            .await?
            .ok_or(ServiceError::NotFound("phone number"))
    }

    /// Checks that `channel_id`, when given, is one of the tenant's voice channels; any
    /// other id (unknown, another tenant's, a channel of another kind) is not found.
    async fn voice_channel(
        &self,
        tenant_id: TenantId,
        channel_id: Option<ChannelId>,
    ) -> Result<(), ServiceError> {
        let Some(id) = channel_id else {
            return Ok(());
        };
        match self.store().channels().get(tenant_id, id).await? {
            Some(channel) if channel.kind == numbers_domain::ChannelKind::Voice => Ok(()),
            _ => Err(ServiceError::NotFound("voice channel")),
        }
    }
}

/// Refuses an operation on a number that is not in one of `allowed`.
fn require_status(
    record: &PhoneNumberRecord,
    allowed: &[NumberStatus],
) -> Result<(), ServiceError> {
    if allowed.contains(&record.status) {
        Ok(())
    } else {
        Err(ServiceError::NotActive {
            status: record.status,
        })
    }
}
