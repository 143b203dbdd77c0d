//! The legacy shared pool of numbers, served by the legacy list endpoint.

use diesel::{ExpressionMethods as _, QueryDsl as _, SelectableHelper as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{E164, IsoCountry, TenantId};

use crate::Store;
use crate::error::StoreResult;
use crate::models::SharedPoolNumber;
use crate::schema::shared_pool_numbers;
use crate::store::with_conn;

/// Shared pool repository.
#[derive(Debug, Clone, Copy)]
pub struct SharedPool<'a> {
    pub(crate) store: &'a Store,
}

impl SharedPool<'_> {
    /// Adds a pool number, assigned to `tenant_id` or unassigned.
    ///
    /// # Errors
    /// [`crate::StoreError::Conflict`] when the number is already in the pool.
    pub async fn add(
        &self,
        tenant_id: Option<TenantId>,
        phone_number: &E164,
        friendly_name: Option<String>,
        iso_country: IsoCountry,
    ) -> StoreResult<SharedPoolNumber> {
        let number = SharedPoolNumber {
            id: uuid::Uuid::new_v4(),
            tenant_id,
            phone_number: phone_number.clone(),
            friendly_name,
            iso_country,
            created_at: super::now(),
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(shared_pool_numbers::table)
                        .values(number.clone())
                        .execute(conn)
                        .await?;
                });
                Ok(number)
            })
            .await
    }

    /// The pool numbers assigned to a tenant, by number.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list_for_tenant(&self, tenant_id: TenantId) -> StoreResult<Vec<SharedPoolNumber>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    shared_pool_numbers::table
                        .filter(shared_pool_numbers::tenant_id.eq(Some(tenant_id)))
                        .select(SharedPoolNumber::as_select())
                        .order(shared_pool_numbers::phone_number)
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
