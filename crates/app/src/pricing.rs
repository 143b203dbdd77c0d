//! A per-country cache of Twilio prices with a time to live. Concurrent requests for the same
//! country wait for one fetch instead of each asking Twilio (single flight), so a burst of
//! searches makes one Pricing call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use numbers_domain::{Carrier, CarrierError, CountryPricing, IsoCountry};

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, CountryPricing)>>>;

/// Cached prices per country.
#[derive(Debug)]
pub struct PricingCache {
    ttl: Duration,
    slots: Mutex<HashMap<IsoCountry, Slot>>,
}

impl PricingCache {
    /// A cache keeping each country's prices for `ttl`.
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The country's prices, from the cache when fresh, otherwise fetched through `carrier`
    /// (once, however many callers ask at the same time). Failures are not cached.
    ///
    /// # Errors
    /// The carrier's error when a fetch was needed and failed.
    pub async fn get(
        &self,
        carrier: &dyn Carrier,
        country: IsoCountry,
    ) -> Result<CountryPricing, CarrierError> {
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(slots.entry(country).or_default())
        };
        let mut entry = slot.lock().await;
        if let Some((fetched_at, pricing)) = entry.as_ref()
            && fetched_at.elapsed() < self.ttl
        {
            return Ok(pricing.clone());
        }
        let pricing = carrier.pricing(country).await?;
        *entry = Some((Instant::now(), pricing.clone()));
        Ok(pricing)
    }
}
