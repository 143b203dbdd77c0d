//! Attaching a number to a voice channel, or detaching it (SPEC §6): Twilio's `VoiceUrl` and
//! `StatusCallback` are rewritten first, then the row. If the row cannot follow, Twilio is
//! put back as the row says, so the two do not stay disagreeing.

use numbers_domain::{CarrierError, ChannelId, NumberStatus, PhoneNumberId, TenantId, Webhooks};
use numbers_persistence::{Actor, ChannelChange, Conflict, PhoneNumberRecord, StoreError};

use super::{require_status, webhooks_for};
use crate::error::run_whole;
use crate::{App, ServiceError};

impl App {
    /// Attaches the tenant's `active` number to one of its voice channels, or detaches it
    /// with `None`, on a task of its own. Asking for what is already the case changes
    /// nothing.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::Invalid`] (`channel_id`),
    /// [`ServiceError::NotActive`], [`ServiceError::ChangedConcurrently`],
    /// [`ServiceError::Carrier`] (Twilio refused or failed: the row is unchanged),
    /// [`ServiceError::Store`].
    pub async fn attach(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
        channel_id: Option<ChannelId>,
        actor: Actor,
    ) -> Result<PhoneNumberRecord, ServiceError> {
        let app = self.clone();
        run_whole(async move { app.run_attach(tenant_id, id, channel_id, &actor).await }).await
    }

    async fn run_attach(
        &self,
        tenant_id: TenantId,
        id: PhoneNumberId,
        channel_id: Option<ChannelId>,
        actor: &Actor,
    ) -> Result<PhoneNumberRecord, ServiceError> {
        let record = self.tenant_number(tenant_id, id).await?;
        require_status(&record, &[NumberStatus::Active])?;
        self.voice_channel(tenant_id, channel_id).await?;
        let webhooks = webhooks_for(self.public_base_url(), channel_id);
        if record.channel_id == channel_id && written(&record) == Some(webhooks.clone()) {
            return Ok(record);
        }
        let sid = record
            .twilio_sid
            .clone()
            .ok_or_else(|| ServiceError::Internal(format!("active number {id} has no sid")))?;
        if let Err(error) = self.carrier().set_webhooks(&sid, &webhooks).await {
            if error == CarrierError::OutcomeUnknown {
                // Twilio may have taken the new URLs: write the old ones back.
                self.restore_webhooks(&record, &sid).await;
            }
            return Err(error.into());
        }
        let change = ChannelChange {
            channel_id,
            voice_url: webhooks.voice_url,
            status_callback_url: webhooks.status_callback_url,
            expected_voice_url: record.voice_url.clone(),
        };
        match self
            .store()
            .phone_numbers()
            .set_channel(tenant_id, id, change, actor)
            .await
        {
            Ok(updated) => Ok(updated),
            Err(error) => {
                // The row did not follow: make Twilio agree with it again.
                let now = self
                    .store()
                    .phone_numbers()
                    .get_any(id)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(record);
                if now.status == NumberStatus::Active {
                    self.restore_webhooks(&now, &sid).await;
                }
                Err(match error {
                    StoreError::Conflict(Conflict::ChangedConcurrently) => {
                        ServiceError::ChangedConcurrently
                    }
                    StoreError::InvalidTransition(t) => ServiceError::NotActive { status: t.from },
                    other => other.into(),
                })
            }
        }
    }

    /// Writes the row's webhooks back on Twilio (best effort: a failure is logged, and
    /// drift-sync reports the mismatch).
    async fn restore_webhooks(&self, record: &PhoneNumberRecord, sid: &str) {
        let webhooks = written(record)
            .unwrap_or_else(|| webhooks_for(self.public_base_url(), record.channel_id));
        if let Err(error) = self.carrier().set_webhooks(sid, &webhooks).await {
            tracing::error!(
                number.id = %record.id,
                phone_number = %record.phone_number.masked(),
                %error,
                "could not put the number's webhooks back on Twilio; drift-sync will report it"
            );
        }
    }
}

/// The webhooks the row says were written, when it has both.
fn written(record: &PhoneNumberRecord) -> Option<Webhooks> {
    Some(Webhooks {
        voice_url: record.voice_url.clone()?,
        status_callback_url: record.status_callback_url.clone()?,
    })
}
