//! Channels: created under the rules of [`ChannelDraft`] by every entry point (the HTTP API
//! and the `api create-channel` operator command).

use numbers_domain::{ChannelDraft, TenantId};
use numbers_persistence::{Channel, NewChannel, Store};

use crate::{App, ServiceError};

/// Checks the channel rules and stores the channel; `kind` defaults to `voice`. Shared by
/// [`App::create_channel`] (the HTTP API) and the `api create-channel` operator command.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the field that breaks a rule; [`ServiceError::Store`]
/// for an unknown tenant or a database failure.
pub async fn create(
    store: &Store,
    tenant_id: TenantId,
    name: &str,
    kind: Option<&str>,
    agent_stream_url: Option<&str>,
) -> Result<Channel, ServiceError> {
    let draft = ChannelDraft::new(name, kind, agent_stream_url)?;
    Ok(store
        .channels()
        .create(NewChannel {
            tenant_id,
            kind: draft.kind,
            name: draft.name,
            agent_stream_url: draft.agent_stream_url,
        })
        .await?)
}

impl App {
    /// Creates a channel of the tenant after checking the channel rules.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the field that breaks a rule;
    /// [`ServiceError::Store`] when the tenant does not exist or the database fails.
    pub async fn create_channel(
        &self,
        tenant_id: TenantId,
        name: &str,
        kind: Option<&str>,
        agent_stream_url: Option<&str>,
    ) -> Result<Channel, ServiceError> {
        create(self.store(), tenant_id, name, kind, agent_stream_url).await
    }

    /// The tenant's channels, oldest first.
    ///
    /// # Errors
    /// [`ServiceError::Store`] when the database fails.
    pub async fn channels(&self, tenant_id: TenantId) -> Result<Vec<Channel>, ServiceError> {
        Ok(self.store().channels().list(tenant_id).await?)
    }
}
