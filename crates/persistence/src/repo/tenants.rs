//! Tenants.

use diesel::{OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::TenantId;

use crate::Store;
use crate::error::StoreResult;
use crate::models::Tenant;
use crate::schema::tenants;
use crate::sql_types::Bind;
use crate::store::with_conn;

/// Tenant repository.
#[derive(Debug, Clone, Copy)]
pub struct Tenants<'a> {
    pub(crate) store: &'a Store,
}

impl Tenants<'_> {
    /// Creates a tenant with a fresh id.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn create(&self, name: &str) -> StoreResult<Tenant> {
        self.create_with_id(TenantId::new(), name).await
    }

    /// Creates a tenant with a chosen id (imports, sandbox seeding).
    ///
    /// # Errors
    /// [`crate::StoreError::Conflict`] when the id exists.
    pub async fn create_with_id(&self, id: TenantId, name: &str) -> StoreResult<Tenant> {
        let tenant = Tenant {
            id,
            name: name.to_owned(),
            created_at: super::now(),
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(tenants::table)
                        .values(tenant.clone())
                        .execute(conn)
                        .await?;
                });
                Ok(tenant)
            })
            .await
    }

    /// The tenant with this id, if any.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn get(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    tenants::table
                        .find(Bind(id))
                        .select(Tenant::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// Every tenant, oldest first.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list(&self) -> StoreResult<Vec<Tenant>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    tenants::table
                        .select(Tenant::as_select())
                        .order((tenants::created_at, tenants::id))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
