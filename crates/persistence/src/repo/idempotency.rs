//! Idempotency keys: the stored answers of requests sent with an `Idempotency-Key` header,
//! per tenant, shared by every process on the database (SPEC §4).
//!
//! A request first [claims](IdempotencyKeys::claim) its key. The first claim inserts a row
//! without an answer (the request is in flight); later claims find that row and either
//! replay its answer, wait for it, or learn that the key was used for another request. The
//! owner stores the answer with [`IdempotencyKeys::complete`], or gives the key back with
//! [`IdempotencyKeys::release`] when nothing happened and a retry should run again.

use std::time::Duration;

use diesel::{ExpressionMethods as _, OptionalExtension as _, QueryDsl as _};
use diesel_async::RunQueryDsl as _;
use numbers_domain::TenantId;

use crate::Store;
use crate::error::StoreResult;
use crate::schema::idempotency_keys;
use crate::sql_types::Bind;
use crate::store::{with_conn, write_tx};

/// Idempotency key repository.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyKeys<'a> {
    pub(crate) store: &'a Store,
}

/// An answer stored for replay: the HTTP status and the body, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status code.
    pub status: u16,
    /// The body as sent (JSON, so UTF-8).
    pub body: String,
}

/// What [`IdempotencyKeys::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or expired): the caller owns it and must complete or release it.
    Owned,
    /// The same request finished before: send this answer again.
    Replay(StoredAnswer),
    /// The same request is still being processed (by this or another process).
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

fn expired_before(ttl: Duration) -> chrono::DateTime<chrono::Utc> {
    super::now() - chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX)
}

impl IdempotencyKeys<'_> {
    /// Claims `key` for the tenant's request whose fingerprint is `fingerprint`. A row older
    /// than `ttl` no longer counts and is replaced.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn claim(
        &self,
        tenant_id: TenantId,
        key: &str,
        fingerprint: &str,
        ttl: Duration,
    ) -> StoreResult<Claim> {
        let key = key.to_owned();
        let fingerprint = fingerprint.to_owned();
        let expired = expired_before(ttl);
        self.store
            .detached(move |store| async move {
                write_tx!(store, |conn| {
                    let of_key = idempotency_keys::table
                        .filter(idempotency_keys::tenant_id.eq(Bind(tenant_id)))
                        .filter(idempotency_keys::key.eq(&key));
                    diesel::delete(of_key.filter(idempotency_keys::created_at.lt(Bind(expired))))
                        .execute(conn)
                        .await?;
                    let inserted = diesel::insert_into(idempotency_keys::table)
                        .values((
                            idempotency_keys::tenant_id.eq(Bind(tenant_id)),
                            idempotency_keys::key.eq(&key),
                            idempotency_keys::fingerprint.eq(&fingerprint),
                            idempotency_keys::created_at.eq(Bind(super::now())),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)
                        .await?;
                    if inserted == 1 {
                        return Ok(Claim::Owned);
                    }
                    let (stored, status, body): (String, Option<i32>, Option<String>) = of_key
                        .select((
                            idempotency_keys::fingerprint,
                            idempotency_keys::response_status,
                            idempotency_keys::response_body,
                        ))
                        .first(conn)
                        .await?;
                    Ok(match (stored == fingerprint, status, body) {
                        (false, _, _) => Claim::Mismatch,
                        (true, Some(status), Some(body)) => Claim::Replay(StoredAnswer {
                            status: u16::try_from(status).unwrap_or(500),
                            body,
                        }),
                        (true, _, _) => Claim::InFlight,
                    })
                })
            })
            .await
    }

    /// Stores the answer of the request that owns `key`.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn complete(
        &self,
        tenant_id: TenantId,
        key: &str,
        answer: &StoredAnswer,
    ) -> StoreResult<()> {
        let key = key.to_owned();
        let answer = answer.clone();
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::update(
                        idempotency_keys::table
                            .filter(idempotency_keys::tenant_id.eq(Bind(tenant_id)))
                            .filter(idempotency_keys::key.eq(&key)),
                    )
                    .set((
                        idempotency_keys::response_status.eq(Some(i32::from(answer.status))),
                        idempotency_keys::response_body.eq(Some(&answer.body)),
                        idempotency_keys::completed_at.eq(Some(Bind(super::now()))),
                    ))
                    .execute(conn)
                    .await?;
                });
                Ok(())
            })
            .await
    }

    /// Gives back a key whose request did nothing (so a retry with it runs again). Only an
    /// unanswered row is removed.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn release(&self, tenant_id: TenantId, key: &str) -> StoreResult<()> {
        let key = key.to_owned();
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::delete(
                        idempotency_keys::table
                            .filter(idempotency_keys::tenant_id.eq(Bind(tenant_id)))
                            .filter(idempotency_keys::key.eq(&key))
                            .filter(idempotency_keys::response_status.is_null()),
                    )
                    .execute(conn)
                    .await?;
                });
                Ok(())
            })
            .await
    }

    /// Whether an answer is stored for the key (tests and operators).
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn answer(
        &self,
        tenant_id: TenantId,
        key: &str,
    ) -> StoreResult<Option<StoredAnswer>> {
        let key = key.to_owned();
        self.store
            .detached(move |store| async move {
                let row: Option<(Option<i32>, Option<String>)> = with_conn!(store, |conn| {
                    idempotency_keys::table
                        .filter(idempotency_keys::tenant_id.eq(Bind(tenant_id)))
                        .filter(idempotency_keys::key.eq(&key))
                        .select((
                            idempotency_keys::response_status,
                            idempotency_keys::response_body,
                        ))
                        .first(conn)
                        .await
                        .optional()?
                });
                Ok(match row {
                    Some((Some(status), Some(body))) => Some(StoredAnswer {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                    }),
                    _ => None,
                })
            })
            .await
    }

    /// Deletes every key older than `ttl`; returns how many.
    ///
    /// # Errors
    /// [`crate::StoreError`] when the database fails.
    pub async fn purge_expired(&self, ttl: Duration) -> StoreResult<usize> {
        let expired = expired_before(ttl);
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    diesel::delete(
                        idempotency_keys::table
                            .filter(idempotency_keys::created_at.lt(Bind(expired))),
                    )
                    .execute(conn)
                    .await?
                }))
            })
            .await
    }
}
