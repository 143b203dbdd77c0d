//! Regulatory requirements: the bundle and address the platform attaches when buying a
//! regulated (country, type) pair.

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{IsoCountry, NumberType};

use crate::Store;
use crate::error::StoreResult;
use crate::models::RegulatoryRequirement;
use crate::schema::regulatory_requirements;
use crate::sql_types::Bind;
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
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(regulatory_requirements::table)
                        .values(requirement.clone())
                        .on_conflict((
                            regulatory_requirements::iso_country,
                            regulatory_requirements::number_type,
                        ))
                        .do_update()
                        .set((
                            regulatory_requirements::bundle_sid.eq(&requirement.bundle_sid),
                            regulatory_requirements::address_sid.eq(&requirement.address_sid),
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
                Ok(with_conn!(store, |conn| {
                    regulatory_requirements::table
                        .find((Bind(country), Bind(number_type)))
                        .select(RegulatoryRequirement::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
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
                Ok(with_conn!(store, |conn| {
                    regulatory_requirements::table
                        .filter(regulatory_requirements::iso_country.eq(Bind(country)))
                        .select(RegulatoryRequirement::as_select())
                        .order(regulatory_requirements::number_type)
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
