//! Plans (the `pricing_tiers` table).

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::PlanId;

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::models::Plan;
use crate::schema::pricing_tiers;
use crate::sql_types::Bind;
use crate::store::with_conn;

/// Plan repository.
#[derive(Debug, Clone, Copy)]
pub struct Plans<'a> {
    pub(crate) store: &'a Store,
}

impl Plans<'_> {
    /// Creates a plan allowing `quota_phone_numbers` live numbers.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken; [`StoreError::Corrupt`] when the quota
    /// does not fit the column.
    pub async fn create(&self, name: &str, quota_phone_numbers: u32) -> StoreResult<Plan> {
        let quota = i32::try_from(quota_phone_numbers).map_err(|_| {
            StoreError::Corrupt(format!("quota {quota_phone_numbers} is too large"))
        })?;
        let plan = Plan {
            id: PlanId::new(),
            name: name.to_owned(),
            quota_phone_numbers,
            created_at: super::now(),
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(pricing_tiers::table)
                        .values((
                            pricing_tiers::id.eq(Bind(plan.id)),
                            pricing_tiers::name.eq(&plan.name),
                            pricing_tiers::quota_phone_numbers.eq(quota),
                            pricing_tiers::created_at.eq(Bind(plan.created_at)),
                        ))
                        .execute(conn)
                        .await?;
                });
                Ok(plan)
            })
            .await
    }

    /// The plan with this id, if any.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn get(&self, id: PlanId) -> StoreResult<Option<Plan>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    pricing_tiers::table
                        .find(Bind(id))
                        .select(Plan::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// The plan with this name, if any.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn get_by_name(&self, name: &str) -> StoreResult<Option<Plan>> {
        let name = name.to_owned();
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    pricing_tiers::table
                        .filter(pricing_tiers::name.eq(&name))
                        .select(Plan::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// Every plan, by name.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn list(&self) -> StoreResult<Vec<Plan>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    pricing_tiers::table
                        .select(Plan::as_select())
                        .order(pricing_tiers::name)
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
