//! Plans (the `pricing_tiers` table).

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::PlanId;

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::models::{Plan, PlanRow};
use crate::schema::pricing_tiers;
use crate::sql_types::{DbTime, DbUuid};
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
        let row = PlanRow {
            id: DbUuid(PlanId::new().as_uuid()),
            name: name.to_owned(),
            quota_phone_numbers: quota,
            created_at: DbTime(super::now()),
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(pricing_tiers::table)
                        .values(&row)
                        .execute(conn)
                        .await?;
                });
                Plan::try_from(row)
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
                let row: Option<PlanRow> = with_conn!(store, |conn| {
                    pricing_tiers::table
                        .find(DbUuid(id.as_uuid()))
                        .select(PlanRow::as_select())
                        .first(conn)
                        .await
                        .optional()?
                });
                row.map(Plan::try_from).transpose()
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
                let row: Option<PlanRow> = with_conn!(store, |conn| {
                    pricing_tiers::table
                        .filter(pricing_tiers::name.eq(&name))
                        .select(PlanRow::as_select())
                        .first(conn)
                        .await
                        .optional()?
                });
                row.map(Plan::try_from).transpose()
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
                let rows: Vec<PlanRow> = with_conn!(store, |conn| {
                    pricing_tiers::table
                        .select(PlanRow::as_select())
                        .order(pricing_tiers::name)
                        .load(conn)
                        .await?
                });
                rows.into_iter().map(Plan::try_from).collect()
            })
            .await
    }
}
