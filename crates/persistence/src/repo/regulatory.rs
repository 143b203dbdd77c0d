//! Regulatory requirements: the bundle and address the platform attaches when buying a
//! regulated (country, type) pair.

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{IsoCountry, NumberType};

use crate::Store;
use crate::error::StoreResult;
use crate::models::{RegulatoryRequirement, RegulatoryRow};
use crate::schema::regulatory_requirements;
use crate::store::with_conn;

/// Regulatory requirement repository.
#[derive(Debug, Clone, Copy)]
pub struct Regulatory<'a> {
    pub(crate) store: &'a Store,
}

impl Regulatory<'_> {
    /// Records (or replaces) what to attach when buying `(country, type)`.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn upsert(&self, requirement: RegulatoryRequirement) -> StoreResult<()> {
        let row = RegulatoryRow::from(&requirement);
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(regulatory_requirements::table)
                        .values(&row)
                        .on_conflict((
                            regulatory_requirements::iso_country,
                            regulatory_requirements::number_type,
                        ))
                        .do_update()
                        .set((
                            regulatory_requirements::bundle_sid.eq(&row.bundle_sid),
                            regulatory_requirements::address_sid.eq(&row.address_sid),
                        ))
                        .execute(conn)
                        .await?;
                });
                Ok(())
            })
            .await
    }

    /// What is on file for `(country, type)`, if anything.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn get(
        &self,
        country: IsoCountry,
        number_type: NumberType,
    ) -> StoreResult<Option<RegulatoryRequirement>> {
        self.store
            .detached(move |store| async move {
                let row: Option<RegulatoryRow> = with_conn!(store, |conn| {
                    regulatory_requirements::table
                        .find((country.as_str(), number_type.as_str()))
                        .select(RegulatoryRow::as_select())
                        .first(conn)
                        .await
                        .optional()?
                });
                row.map(RegulatoryRequirement::try_from).transpose()
            })
            .await
    }

    /// Everything on file for a country.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list_for_country(
        &self,
        country: IsoCountry,
    ) -> StoreResult<Vec<RegulatoryRequirement>> {
        self.store
            .detached(move |store| async move {
                let rows: Vec<RegulatoryRow> = with_conn!(store, |conn| {
                    regulatory_requirements::table
                        .filter(regulatory_requirements::iso_country.eq(country.as_str()))
                        .select(RegulatoryRow::as_select())
                        .order(regulatory_requirements::number_type)
                        .load(conn)
                        .await?
                });
                rows.into_iter()
                    .map(RegulatoryRequirement::try_from)
                    .collect()
            })
            .await
    }
}
