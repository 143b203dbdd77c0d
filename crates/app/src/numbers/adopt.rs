//! Adopting an orphan: a number the master account owns on Twilio that no row holds.
//! drift-sync only reports orphans; an operator adopts one explicitly (`api adopt-number`),
//! for a tenant whose plan has room, and the adoption is audited like a purchase.

use chrono::Utc;
use numbers_domain::{E164, NumberType, TenantId};
use numbers_persistence::{Actor, Changes, NewReservation, PhoneNumberRecord, Reservation};

use crate::{App, ServiceError};

impl App {
    /// Gives the tenant the number the master account owns on Twilio: a row is reserved
    /// against the tenant's quota (as a purchase would be) and made `active` with what
    /// Twilio holds (its sid, capabilities and webhook URLs, left as they are).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when the master account does not own the number;
    /// [`ServiceError::NumberUnavailable`] when a row already holds it (not an orphan) or no
    /// country uses its calling code; [`ServiceError::QuotaExceeded`];
    /// [`ServiceError::SubscriptionInactive`]; [`ServiceError::Carrier`];
    /// [`ServiceError::Store`].
    pub async fn adopt_number(
        &self,
        tenant_id: TenantId,
        phone_number: &E164,
        actor: &Actor,
    ) -> Result<PhoneNumberRecord, ServiceError> {
        let owned =
            self.carrier()
                .find_owned(phone_number)
                .await?
                .ok_or(ServiceError::NotFound(
                    "number on the master Twilio account",
                ))?;
        if self
            .store()
            .phone_numbers()
            .find_live(phone_number)
            .await?
            .is_some()
        {
            return Err(ServiceError::NumberUnavailable { code: None });
        }
        let numbering = phone_number.numbering();
        let country = numbering
            .country
            .ok_or(ServiceError::NumberUnavailable { code: None })?;
        let reservation = NewReservation {
            tenant_id,
            phone_number: phone_number.clone(),
            account_sid: owned.account_sid.clone(),
            iso_country: country,
            number_type: numbering.number_type.unwrap_or(NumberType::Local),
            channel_id: None,
            monthly_price_usd: None,
        };
        let record = match self
            .store()
            .phone_numbers()
            .reserve(reservation, actor)
            .await?
        {
            Reservation::Reserved(record) => record,
            Reservation::QuotaExceeded { used, quota } => {
                return Err(ServiceError::QuotaExceeded { used, quota });
            }
            Reservation::NoActiveSubscription => return Err(ServiceError::SubscriptionInactive),
        };
        let adopted = Changes {
            twilio_sid: Some(owned.sid),
            friendly_name: owned.friendly_name,
            capabilities: Some(owned.capabilities),
            voice_url: owned.voice_url,
            status_callback_url: owned.status_callback_url,
            purchased_at: Some(owned.created_at.unwrap_or_else(Utc::now)),
            ..Changes::default()
        };
        Ok(self
            .store()
            .phone_numbers()
            .mark_active(record.id, adopted, actor)
            .await?)
    }
}
