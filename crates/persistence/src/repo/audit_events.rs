//! Audit events: who did what to which number, when, and from where.

use diesel::{ExpressionMethods as _, QueryDsl as _, SelectableHelper as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::{AuditAction, PhoneNumberId, TenantId};

use crate::Store;
use crate::error::StoreResult;
use crate::models::{Actor, AuditDetail, AuditEvent};
use crate::schema::audit_events;
use crate::sql_types::Bind;
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
    /// What was done.
    pub action: AuditAction,
    /// What else there is to say; never secrets or full phone numbers.
    pub detail: AuditDetail,
}

impl AuditEvent {
    /// An event of `action` by `actor`, now, without statuses or detail (set those with
    /// struct update syntax).
    pub(crate) fn new(
        actor: &Actor,
        action: AuditAction,
        tenant_id: TenantId,
        phone_number_id: Option<PhoneNumberId>,
    ) -> Self {
        Self {
            // Time-ordered: events made in the same microsecond (the two steps of a release
            // in one batch) still list in the order they were made.
            id: uuid::Uuid::now_v7(),
            tenant_id,
            phone_number_id,
            actor: actor.name.clone(),
            action,
            source: actor.source,
            from_status: None,
            to_status: None,
            detail: None,
            request_id: actor.request_id.clone(),
            created_at: super::now(),
        }
    }
}

impl AuditEvents<'_> {
    /// Records an event.
    ///
    /// # Errors
    /// [`crate::StoreError::MissingReference`] when the tenant or number does not exist.
    pub async fn record(&self, event: NewAuditEvent, actor: &Actor) -> StoreResult<AuditEvent> {
        let event = AuditEvent {
            detail: event.detail.or_none(),
            ..AuditEvent::new(actor, event.action, event.tenant_id, event.phone_number_id)
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(audit_events::table)
                        .values(event.clone())
                        .execute(conn)
                        .await?;
                });
                Ok(event)
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
                Ok(with_conn!(store, |conn| {
                    audit_events::table
                        .filter(audit_events::tenant_id.eq(Bind(tenant_id)))
                        .select(AuditEvent::as_select())
                        .order((audit_events::created_at.desc(), audit_events::id))
                        .limit(i64::from(limit))
                        .load(conn)
                        .await?
                }))
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
                Ok(with_conn!(store, |conn| {
                    audit_events::table
                        .filter(audit_events::phone_number_id.eq(Some(phone_number_id)))
                        .select(AuditEvent::as_select())
                        .order((audit_events::created_at, audit_events::id))
                        .load(conn)
                        .await?
                }))
            })
            .await
    }
}

/// Events per insert statement: 12 columns each, well within the bound-value limits of both
/// backends (SQLite 32,766; PostgreSQL 65,535).
const AUDIT_CHUNK: usize = 1_000;

/// Writes many audit events with one multi-row statement per [`AUDIT_CHUNK`], on the
/// connection of a transaction under way.
pub(crate) trait InsertAudits {
    /// Inserts `events`.
    async fn insert_audits(&mut self, events: Vec<AuditEvent>) -> diesel::QueryResult<()>;
}

impl InsertAudits for diesel_async::AsyncPgConnection {
    async fn insert_audits(&mut self, events: Vec<AuditEvent>) -> diesel::QueryResult<()> {
        for chunk in events.chunks(AUDIT_CHUNK) {
            diesel::insert_into(audit_events::table)
                .values(chunk.to_vec())
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl InsertAudits for crate::store::SqliteConn {
    async fn insert_audits(&mut self, events: Vec<AuditEvent>) -> diesel::QueryResult<()> {
        // diesel builds SQLite's multi-row insert on its synchronous connection only; this
        // runs on the same connection, inside the transaction under way.
        self.spawn_blocking(move |conn| {
            for chunk in events.chunks(AUDIT_CHUNK) {
                diesel::RunQueryDsl::execute(
                    diesel::insert_into(audit_events::table).values(chunk.to_vec()),
                    conn,
                )?;
            }
            Ok(())
        })
        .await
    }
}
