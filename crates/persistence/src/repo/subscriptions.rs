//! Subscriptions.

use chrono::{DateTime, Utc};
use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{PlanId, SubscriptionId, SubscriptionStatus, TenantId};

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::models::{Plan, Subscription};
use crate::schema::{pricing_tiers, subscriptions};
use crate::sql_types::Bind;
use crate::store::with_conn;

/// Subscription repository.
#[derive(Debug, Clone, Copy)]
pub struct Subscriptions<'a> {
    pub(crate) store: &'a Store,
}

/// The statuses that allow buying (see [`SubscriptionStatus::allows_purchases`]).
pub(crate) const BUYING_STATUSES: [SubscriptionStatus; 2] =
    [SubscriptionStatus::Active, SubscriptionStatus::Trialing];

impl Subscriptions<'_> {
    /// Subscribes a tenant to a plan.
    ///
    /// # Errors
    /// [`StoreError::MissingReference`] when the tenant or plan does not exist.
    pub async fn create(
        &self,
        tenant_id: TenantId,
        plan_id: PlanId,
        status: SubscriptionStatus,
        current_period_end: DateTime<Utc>,
    ) -> StoreResult<Subscription> {
        let subscription = Subscription {
            id: SubscriptionId::new(),
            tenant_id,
            plan_id,
            status,
            current_period_end: super::stored(current_period_end),
            canceled_at: None,
            created_at: super::now(),
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(subscriptions::table)
                        .values(subscription.clone())
                        .execute(conn)
                        .await?;
                });
                Ok(subscription)
            })
            .await
    }

    /// The subscription with this id, if any (any tenant; for operators and jobs).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn get(&self, id: SubscriptionId) -> StoreResult<Option<Subscription>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    subscriptions::table
                        .find(Bind(id))
                        .select(Subscription::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// The tenant's subscriptions, newest first.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn list_for_tenant(&self, tenant_id: TenantId) -> StoreResult<Vec<Subscription>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    subscriptions::table
                        .filter(subscriptions::tenant_id.eq(Bind(tenant_id)))
                        .select(Subscription::as_select())
                        .order((subscriptions::created_at.desc(), subscriptions::id))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }

    /// The tenant's newest `active` or `trialing` subscription with its plan: what decides
    /// whether and how much it may buy. `None` when it has none.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn current_for_tenant(
        &self,
        tenant_id: TenantId,
    ) -> StoreResult<Option<(Subscription, Plan)>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    subscriptions::table
                        .inner_join(pricing_tiers::table)
                        .filter(subscriptions::tenant_id.eq(Bind(tenant_id)))
                        .filter(subscriptions::status.eq_any(BUYING_STATUSES.map(Bind)))
                        .select((Subscription::as_select(), Plan::as_select()))
                        .order((subscriptions::created_at.desc(), subscriptions::id))
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// Cancels a subscription of this tenant, effective at `effective_at`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the tenant has no such subscription.
    pub async fn cancel(
        &self,
        tenant_id: TenantId,
        id: SubscriptionId,
        effective_at: DateTime<Utc>,
    ) -> StoreResult<Subscription> {
        let effective_at = super::stored(effective_at);
        self.store
            .detached(move |store| async move {
                let row: Option<Subscription> = with_conn!(store, |conn| {
                    let target = subscriptions::table
                        .filter(subscriptions::id.eq(Bind(id)))
                        .filter(subscriptions::tenant_id.eq(Bind(tenant_id)));
                    let changed = diesel::update(target)
                        .set((
                            subscriptions::status.eq(Bind(SubscriptionStatus::Canceled)),
                            subscriptions::canceled_at.eq(Some(effective_at)),
                        ))
                        .execute(conn)
                        .await?;
                    if changed == 0 {
                        None
                    } else {
                        Some(
                            subscriptions::table
                                .find(Bind(id))
                                .select(Subscription::as_select())
                                .first(conn)
                                .await?,
                        )
                    }
                });
                row.ok_or(StoreError::NotFound("subscription"))
            })
            .await
    }

    /// Changes the status of a subscription (billing events), leaving `canceled_at` alone.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it does not exist.
    pub async fn set_status(
        &self,
        id: SubscriptionId,
        status: SubscriptionStatus,
    ) -> StoreResult<Subscription> {
        self.store
            .detached(move |store| async move {
                let row: Option<Subscription> = with_conn!(store, |conn| {
                    let changed = diesel::update(subscriptions::table.find(Bind(id)))
                        .set(subscriptions::status.eq(Bind(status)))
                        .execute(conn)
                        .await?;
                    if changed == 0 {
                        None
                    } else {
                        subscriptions::table
                            .find(Bind(id))
                            .select(Subscription::as_select())
                            .first(conn)
                            .await
                            .optional()?
                    }
                });
                row.ok_or(StoreError::NotFound("subscription"))
            })
            .await
    }

    /// Canceled subscriptions whose cancellation has taken effect by `now` (drift-sync's
    /// first pass), oldest first.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn cancellations_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<Subscription>> {
        let now = super::stored(now);
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    subscriptions::table
                        .filter(subscriptions::status.eq(Bind(SubscriptionStatus::Canceled)))
                        .filter(subscriptions::canceled_at.le(Some(now)))
                        .select(Subscription::as_select())
                        .order((subscriptions::canceled_at, subscriptions::id))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}
