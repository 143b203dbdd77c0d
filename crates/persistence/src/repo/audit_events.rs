//! Audit events: who did what to which number, when, and from where.

use diesel::{ExpressionMethods as _, QueryDsl as _, SelectableHelper as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{NumberStatus, PhoneNumberId, TenantId};

use crate::Store;
use crate::error::StoreResult;
use crate::models::{Actor, AuditEvent, AuditEventRow};
use crate::schema::audit_events;
use crate::sql_types::{DbTime, DbUuid};
use crate::store::with_conn;

/// Audit event repository.
#[derive(Debug, Clone, Copy)]
pub struct AuditEvents<'a> {
    pub(crate) store: &'a Store,
}

/// An event to record that is not a number transition (those are recorded by the phone
/// number repository in the same transaction as the change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// The tenant concerned.
    pub tenant_id: TenantId,
    /// The number concerned, if any.
    pub phone_number_id: Option<PhoneNumberId>,
    /// What was done, e.g. `subscription.canceled`.
    pub action: String,
    /// Free-form detail (JSON text); never secrets or full phone numbers.
    pub detail: Option<String>,
}

impl AuditEventRow {
    /// The row for a change made by `actor`.
    pub(crate) fn new(
        tenant_id: TenantId,
        phone_number_id: Option<PhoneNumberId>,
        actor: &Actor,
        action: &str,
        statuses: Option<(Option<NumberStatus>, NumberStatus)>,
        detail: Option<String>,
    ) -> Self {
        let (from_status, to_status) = match statuses {
            Some((from, to)) => (
                from.map(|s| s.as_str().to_owned()),
                Some(to.as_str().to_owned()),
            ),
            None => (None, None),
        };
        Self {
            id: DbUuid(uuid::Uuid::new_v4()),
            tenant_id: DbUuid(tenant_id.as_uuid()),
            phone_number_id: phone_number_id.map(|p| DbUuid(p.as_uuid())),
            actor: actor.name.clone(),
            action: action.to_owned(),
            source: actor.source.as_str().to_owned(),
            from_status,
            to_status,
            detail,
            request_id: actor.request_id.clone(),
            created_at: DbTime(super::now()),
        }
    }
}

impl AuditEvents<'_> {
    /// Records an event.
    ///
    /// # Errors
    /// [`crate::StoreError::MissingReference`] when the tenant or number does not exist.
    pub async fn record(&self, event: NewAuditEvent, actor: &Actor) -> StoreResult<AuditEvent> {
        let row = AuditEventRow::new(
            event.tenant_id,
            event.phone_number_id,
            actor,
            &event.action,
            None,
            event.detail,
        );
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(audit_events::table)
                        .values(&row)
                        .execute(conn)
                        .await?;
                });
                AuditEvent::try_from(row)
            })
            .await
    }

    /// The tenant's most recent events, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list_for_tenant(
        &self,
        tenant_id: TenantId,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.store
            .detached(move |store| async move {
                let rows: Vec<AuditEventRow> = with_conn!(store, |conn| {
                    audit_events::table
                        .filter(audit_events::tenant_id.eq(DbUuid(tenant_id.as_uuid())))
                        .select(AuditEventRow::as_select())
                        .order((audit_events::created_at.desc(), audit_events::id))
                        .limit(i64::from(limit))
                        .load(conn)
                        .await?
                });
                rows.into_iter().map(AuditEvent::try_from).collect()
            })
            .await
    }

    /// Every event about one number, oldest first: its whole history.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn list_for_number(
        &self,
        phone_number_id: PhoneNumberId,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.store
            .detached(move |store| async move {
                let rows: Vec<AuditEventRow> = with_conn!(store, |conn| {
                    audit_events::table
                        .filter(audit_events::phone_number_id.eq(DbUuid(phone_number_id.as_uuid())))
                        .select(AuditEventRow::as_select())
                        .order((audit_events::created_at, audit_events::id))
                        .load(conn)
                        .await?
                });
                rows.into_iter().map(AuditEvent::try_from).collect()
            })
            .await
    }
}
