//! Twilio accounts whose auth token we store sealed (legacy subaccounts, tenants' own
//! accounts). The master account's credentials come from the environment, not from here.

use diesel::{
    ExpressionMethods as _, OptionalExtension as _, QueryDsl as _, SelectableHelper as _,
};
use diesel_async::RunQueryDsl as _;

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::models::TwilioAccount;
use crate::schema::twilio_accounts;
use crate::store::with_conn;

/// Twilio account repository.
#[derive(Debug, Clone, Copy)]
pub struct TwilioAccounts<'a> {
    pub(crate) store: &'a Store,
}

impl TwilioAccounts<'_> {
    /// Records an account.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the sid is already recorded.
    pub async fn insert(&self, account: TwilioAccount) -> StoreResult<TwilioAccount> {
        // Stored at the precision both backends keep, so the account returned equals the one
        // read back later.
        let account = TwilioAccount {
            created_at: super::stored(account.created_at),
            ..account
        };
        self.store
            .detached(move |store| async move {
                with_conn!(store, |conn| {
                    diesel::insert_into(twilio_accounts::table)
                        .values(account.clone())
                        .execute(conn)
                        .await?;
                });
                Ok(account)
            })
            .await
    }

    /// The account with this sid, if recorded.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn get(&self, sid: &str) -> StoreResult<Option<TwilioAccount>> {
        let sid = sid.to_owned();
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    twilio_accounts::table
                        .find(&sid)
                        .select(TwilioAccount::as_select())
                        .first(conn)
                        .await
                        .optional()?
                }))
            })
            .await
    }

    /// Every account holding a sealed token (what key rotation must re-seal).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn list_sealed(&self) -> StoreResult<Vec<TwilioAccount>> {
        self.store
            .detached(move |store| async move {
                Ok(with_conn!(store, |conn| {
                    twilio_accounts::table
                        .filter(twilio_accounts::sealed_auth_token.is_not_null())
                        .select(TwilioAccount::as_select())
                        .order(twilio_accounts::sid)
                        .load(conn)
                        .await?
                }))
            })
            .await
    }

    /// Replaces the sealed token of an account (after re-sealing under a new key), only if
    /// it still holds `expected_old` — so a concurrent change is never overwritten.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the account is gone or its token changed meanwhile.
    pub async fn replace_sealed_token(
        &self,
        sid: &str,
        expected_old: &str,
        new_sealed: &str,
        new_key_id: &str,
    ) -> StoreResult<()> {
        let (sid, old, new, key) = (
            sid.to_owned(),
            expected_old.to_owned(),
            new_sealed.to_owned(),
            new_key_id.to_owned(),
        );
        self.store
            .detached(move |store| async move {
                let changed = with_conn!(store, |conn| {
                    diesel::update(
                        twilio_accounts::table
                            .filter(twilio_accounts::sid.eq(&sid))
                            .filter(twilio_accounts::sealed_auth_token.eq(&old)),
                    )
                    .set((
                        twilio_accounts::sealed_auth_token.eq(Some(&new)),
                        twilio_accounts::key_id.eq(Some(&key)),
                    ))
                    .execute(conn)
                    .await?
                });
                if changed == 1 {
                    Ok(())
                } else {
                    Err(StoreError::NotFound("twilio account"))
                }
            })
            .await
    }
}
