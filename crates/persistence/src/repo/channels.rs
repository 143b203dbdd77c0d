//! Channels.

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{ChannelId, ChannelKind, TenantId};

use crate::Store;
use crate::error::StoreResult;
use crate::models::Channel;
use crate::schema::channels;
use crate::sql_types::Bind;
use crate::store::with_conn;

/// Channel repository. Every lookup is scoped to a tenant.
#[derive(Debug, Clone, Copy)]
pub struct Channels<'a> {
    pub(crate) store: &'a Store,
}

/// What is needed to create a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChannel {
    /// The owning tenant.
    pub tenant_id: TenantId,
    /// Voice or another kind.
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Where inbound calls are connected, if known.
    pub agent_stream_url: Option<String>,
}

impl Channels<'_> {
    /// Creates a channel.
    ///
    /// # Errors
    /// [`crate::StoreError::MissingReference`] when the tenant does not exist.
    pub async fn create(&self, new: NewChannel) -> StoreResult<Channel> {
        let channel = Channel {
            id: ChannelId::new(),
            tenant_id: new.tenant_id,
            kind: new.kind,
            name: new.name,
            agent_stream_url: new.agent_stream_url,
            created_at: super::now(),
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(channels::table)
                        .values(channel.clone())
                        .execute(conn)
                        .await?;
                });
                Ok(channel)
            })
            .await
    }

    /// The tenant's channel with this id; `None` when absent or another tenant's.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn get(&self, tenant_id: TenantId, id: ChannelId) -> StoreResult<Option<Channel>> {
        Ok(self.get_any(id).await?.filter(|c| c.tenant_id == tenant_id))
    }

    /// The channel with this id whoever owns it (webhooks, which carry only the channel id).
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn get_any(&self, id: ChannelId) -> StoreResult<Option<Channel>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    channels::table
                        .find(Bind(id))
                        .select(Channel::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// The tenant's channels, oldest first.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list(&self, tenant_id: TenantId) -> StoreResult<Vec<Channel>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    channels::table
                        .filter(channels::tenant_id.eq(Bind(tenant_id)))
                        .select(Channel::as_select())
                        .order((channels::created_at, channels::id))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
