//! Buying a number (SPEC §6): validate, reserve a quota slot as a `pending` row, buy on
//! Twilio with the webhooks wired, then settle the row by what Twilio answered. Whatever
//! happens, the row is left in a state drift-sync can settle: a number is never bought on
//! Twilio without a row that names it.

use std::time::Duration;

use numbers_domain::{
    CarrierError, ChannelId, E164, IsoCountry, Money, NumberType, OwnedNumber, PurchaseOrder,
    TenantId, Webhooks,
};
use numbers_persistence::{
    Actor, Changes, Conflict, NewReservation, PhoneNumberRecord, Reservation, StoreError,
};

use super::webhooks_for;
use crate::error::run_whole;
use crate::{App, ServiceError};

/// Twilio codes that mean "this number needs regulatory documents we did not attach".
const REGULATORY_CODES: [i32; 4] = [21649, 21631, 21615, 21650];
/// Twilio's "this number is not available" (taken, or never offered).
const UNAVAILABLE_CODE: i32 = 21422;
/// How long to keep retrying to record a purchase Twilio confirmed while the database
/// fails; after that the row stays `pending` and drift-sync adopts it.
const RECORD_RETRIES: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(250),
    Duration::from_secs(1),
];

/// A tenant's request to buy a number, as validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// The number to buy, usually one a search offered.
    pub phone_number: E164,
    /// The voice channel to attach it to.
    pub channel_id: Option<ChannelId>,
    /// Its type as offered; by default what the numbering plan says, else `local`.
    pub number_type: Option<NumberType>,
    /// The country it was offered under; by default the numbering plan's. It decides the
    /// regulatory bundle and the price, and must share the number's calling code.
    pub iso_country: Option<IsoCountry>,
    /// The monthly price the buyer saw; when given it must be the current one.
    pub monthly_price_usd: Option<Money>,
}

/// How a purchase ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurchaseOutcome {
    /// Bought, wired and `active`.
    Bought(PhoneNumberRecord),
    /// Twilio's answer was lost and the number could not be confirmed, or Twilio sold it
    /// and the database would not record it: the row stays `pending` (it holds its quota
    /// slot) and drift-sync settles it.
    Unsettled(PhoneNumberRecord),
}

impl App {
    /// Buys a number for the tenant (SPEC §6), on a task of its own so that a caller who
    /// stops waiting cannot strand the row.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] (country, channel), [`ServiceError::PriceChanged`],
    /// [`ServiceError::QuotaExceeded`], [`ServiceError::SubscriptionInactive`],
    /// [`ServiceError::NumberUnavailable`], [`ServiceError::RegulatoryRequirementsMissing`],
    /// [`ServiceError::Carrier`] for other refusals or an unreachable Twilio, and
    /// [`ServiceError::Store`].
    pub async fn purchase(
        &self,
        tenant_id: TenantId,
        purchase: Purchase,
        actor: Actor,
    ) -> Result<PurchaseOutcome, ServiceError> {
        let app = self.clone();
        run_whole(async move { app.run_purchase(tenant_id, purchase, &actor).await }).await
    }

    async fn run_purchase(
        &self,
        tenant_id: TenantId,
        purchase: Purchase,
        actor: &Actor,
    ) -> Result<PurchaseOutcome, ServiceError> {
        let (country, number_type) = classify(&purchase)?;
        // The price comes from the cache. When it cannot be agreed, the channel is still
        // checked first, so the answer is the same as if it were checked first.
        let price = match self
            .current_price(country, number_type, purchase.monthly_price_usd)
            .await
        {
            Ok(price) => price,
            Err(error) => {
                self.voice_channel(tenant_id, purchase.channel_id).await?;
                return Err(error);
            }
        };
        // One transaction checks the channel, reads the regulatory requirement and
        // reserves the quota slot as a `pending` row.
        let reservation = self
            .store()
            .phone_numbers()
            .reserve_purchase(
                NewReservation {
                    tenant_id,
                    phone_number: purchase.phone_number.clone(),
                    account_sid: self.carrier().account_sid().to_owned(),
                    iso_country: country,
                    number_type,
                    channel_id: purchase.channel_id,
                    monthly_price_usd: price,
                },
                actor,
            )
            .await;
        let (row, requirement) = match reservation {
            Ok((Reservation::Reserved(row), requirement)) => (*row, requirement),
            Ok((Reservation::QuotaExceeded { used, quota }, _)) => {
                return Err(ServiceError::QuotaExceeded { used, quota });
            }
            Ok((Reservation::NoActiveSubscription, _)) | Err(StoreError::NotFound("tenant")) => {
                return Err(ServiceError::SubscriptionInactive);
            }
            Err(StoreError::NotFound("voice channel")) => {
                return Err(ServiceError::NotFound("voice channel"));
            }
            Err(StoreError::Conflict(Conflict::NumberAlreadyLive)) => {
                return Err(ServiceError::NumberUnavailable { code: None });
            }
            Err(error) => return Err(error.into()),
        };

        let webhooks = webhooks_for(self.public_base_url(), purchase.channel_id);
        let order = PurchaseOrder {
            phone_number: purchase.phone_number.clone(),
            webhooks: webhooks.clone(),
            bundle_sid: requirement.as_ref().and_then(|r| r.bundle_sid.clone()),
            address_sid: requirement.and_then(|r| r.address_sid),
        };
        match self.carrier().buy(&order).await {
            Ok(owned) => Ok(self.record_bought(row, owned, &webhooks, actor).await),
            Err(CarrierError::OutcomeUnknown | CarrierError::BadAnswer(_)) => {
                self.settle_unknown(row, &webhooks, actor).await
            }
            Err(refusal) => {
                let code = refusal_code(&refusal);
                self.store()
                    .phone_numbers()
                    .mark_failed(row.id, code, actor)
                    .await?;
                tracing::info!(
                    number.id = %row.id,
                    phone_number = %row.phone_number.masked(),
                    twilio.code = ?code,
                    "purchase refused"
                );
                Err(refusal_error(refusal))
            }
        }
    }

    /// The current monthly price of the pair, checked against what the buyer agreed to.
    /// Without prices a purchase still goes ahead (the row's price stays unknown), unless
    /// the buyer named a price that cannot then be checked.
    async fn current_price(
        &self,
        country: IsoCountry,
        number_type: NumberType,
        agreed: Option<Money>,
    ) -> Result<Option<Money>, ServiceError> {
        let current = match self.pricing().get(self.carrier(), country).await {
            Ok(pricing) => pricing.current_price(number_type),
            Err(error) if agreed.is_some() => return Err(error.into()),
            Err(error) => {
                tracing::warn!(%error, country = %country, "prices unavailable for a purchase");
                return Ok(None);
            }
        };
        match agreed {
            Some(agreed) if Some(agreed) != current => Err(ServiceError::PriceChanged { current }),
            _ => Ok(current),
        }
    }

    /// Twilio's answer was lost: ask whether the number is ours now. If it is, record it;
    /// if not (or Twilio cannot say), leave the row `pending` for drift-sync, which settles
    /// it once Twilio's view is final.
    async fn settle_unknown(
        &self,
        row: PhoneNumberRecord,
        webhooks: &Webhooks,
        actor: &Actor,
    ) -> Result<PurchaseOutcome, ServiceError> {
        match self.carrier().find_owned(&row.phone_number).await {
            Ok(Some(owned)) => Ok(self.record_bought(row, owned, webhooks, actor).await),
            outcome => {
                tracing::warn!(
                    number.id = %row.id,
                    phone_number = %row.phone_number.masked(),
                    found = ?outcome.map(|o| o.is_some()),
                    "purchase outcome unknown; the row stays pending for drift-sync"
                );
                Ok(PurchaseOutcome::Unsettled(row))
            }
        }
    }

    /// Marks the row `active` with what Twilio returned, retrying a while if the database
    /// fails. The number is bought whatever happens here, so a database that keeps failing
    /// does not make the purchase an error: the row stays `pending` (it names the number
    /// and holds its quota slot), the caller is told the purchase is not settled yet, and
    /// drift-sync adopts it.
    async fn record_bought(
        &self,
        row: PhoneNumberRecord,
        owned: OwnedNumber,
        webhooks: &Webhooks,
        actor: &Actor,
    ) -> PurchaseOutcome {
        let changes = Changes {
            twilio_sid: Some(owned.sid),
            friendly_name: owned.friendly_name,
            capabilities: Some(owned.capabilities),
            voice_url: Some(webhooks.voice_url.clone()),
            status_callback_url: Some(webhooks.status_callback_url.clone()),
            purchased_at: Some(owned.created_at.unwrap_or_else(chrono::Utc::now)),
            ..Changes::default()
        };
        let mut retries = RECORD_RETRIES.iter();
        loop {
            match self
                .store()
                .phone_numbers()
                .mark_active(row.id, changes.clone(), actor)
                .await
            {
                Ok(active) => return PurchaseOutcome::Bought(active),
                Err(error) => {
                    let Some(pause) = retries.next() else {
                        tracing::error!(
                            number.id = %row.id,
                            phone_number = %row.phone_number.masked(),
                            %error,
                            "bought on Twilio but not recorded; the row stays pending for drift-sync"
                        );
                        return PurchaseOutcome::Unsettled(row);
                    };
                    tokio::time::sleep(*pause).await;
                }
            }
        }
    }
}

/// The country and type the purchase is filed under. A number no country offers (an
/// unassigned calling code, or a country named that does not use the number's code) is
/// unavailable rather than malformed: its form is fine, Twilio simply does not sell it.
fn classify(purchase: &Purchase) -> Result<(IsoCountry, NumberType), ServiceError> {
    let numbering = purchase.phone_number.numbering();
    let country = match purchase.iso_country {
        Some(country) if purchase.phone_number.may_belong_to(country) => Some(country),
        Some(_) => None,
        None => numbering.country,
    };
    let country = country.ok_or(ServiceError::NumberUnavailable { code: None })?;
    let number_type = purchase
        .number_type
        .or(numbering.number_type)
        .unwrap_or(NumberType::Local);
    Ok((country, number_type))
}

fn refusal_code(error: &CarrierError) -> Option<i32> {
    match error {
        CarrierError::Refused { code, .. } | CarrierError::NotFound { code } => *code,
        _ => None,
    }
}

/// The answer for a definite refusal of a purchase.
fn refusal_error(error: CarrierError) -> ServiceError {
    match refusal_code(&error) {
        Some(UNAVAILABLE_CODE) => ServiceError::NumberUnavailable {
            code: Some(UNAVAILABLE_CODE),
        },
        Some(code) if REGULATORY_CODES.contains(&code) => {
            ServiceError::RegulatoryRequirementsMissing { code: Some(code) }
        }
        _ if matches!(error, CarrierError::NotFound { .. }) => ServiceError::NumberUnavailable {
            code: refusal_code(&error),
        },
        _ => ServiceError::Carrier(error),
    }
}
