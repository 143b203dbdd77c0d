//! Accounts: the master and its subaccounts, API keys, and who may act on what.

use super::{State, now};
use crate::model::ApiError;
use crate::rng::format_sid;

/// An account (the master or a subaccount).
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) sid: String,
    pub(crate) token: String,
    pub(crate) friendly_name: String,
    /// Index of the parent account; `None` for the master.
    pub(crate) parent: Option<u32>,
    pub(crate) created: i64,
}

impl State {
    pub(super) fn add_account(
        &mut self,
        sid: String,
        token: String,
        friendly_name: String,
        parent: Option<u32>,
    ) -> u32 {
        let idx = u32::try_from(self.accounts.len()).unwrap_or(u32::MAX);
        self.account_by_sid.insert(sid.clone(), idx);
        self.accounts.push(Account {
            sid,
            token,
            friendly_name,
            parent,
            created: now(),
        });
        idx
    }

    pub(crate) fn master(&self) -> &Account {
        &self.accounts[0]
    }

    pub(crate) fn account_index(&self, sid: &str) -> Option<u32> {
        self.account_by_sid.get(sid).copied()
    }

    pub(crate) fn account(&self, idx: u32) -> &Account {
        &self.accounts[idx as usize]
    }

    pub(crate) fn create_subaccount(&mut self, friendly_name: Option<String>) -> (String, String) {
        let sid = format_sid("AC", self.misc_rng.next_u128());
        let token = format!("{:032x}", self.misc_rng.next_u128());
        let name =
            friendly_name.unwrap_or_else(|| format!("Fake subaccount {}", self.accounts.len()));
        self.add_account(sid.clone(), token.clone(), name, Some(0));
        (sid, token)
    }

    pub(crate) fn create_api_key(&mut self, account: u32) -> (String, String) {
        let sid = format_sid("SK", self.misc_rng.next_u128());
        let secret = format!("{:032x}", self.misc_rng.next_u128());
        self.keys.insert(sid.clone(), (secret.clone(), account));
        (sid, secret)
    }

    /// The account the Basic credentials authenticate (an API key acts for its account).
    pub(crate) fn authenticate(&self, user: &str, password: &str) -> Result<u32, ApiError> {
        let ok = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes()
                    .zip(b.bytes())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0
        };
        if let Some(idx) = self.account_index(user) {
            if ok(&self.account(idx).token, password) {
                return Ok(idx);
            }
        } else if let Some((secret, idx)) = self.keys.get(user)
            && ok(secret, password)
        {
            return Ok(*idx);
        }
        Err(ApiError::authenticate())
    }

    /// The account named in a 2010 path, if the authenticated principal may act on it: its
    /// own account or one of its subaccounts. Anything else answers 404/20404 for `path`, as
    /// Twilio does for resources the credentials cannot see.
    pub(crate) fn authorize(
        &self,
        principal: u32,
        path_sid: &str,
        path: &str,
    ) -> Result<u32, ApiError> {
        match self.account_index(path_sid) {
            Some(idx) if idx == principal || self.account(idx).parent == Some(principal) => Ok(idx),
            _ => Err(ApiError::not_found(path)),
        }
    }
}
