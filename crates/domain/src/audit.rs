//! What the audit log records: which action, and which part of the system took it.

use std::fmt;
use std::str::FromStr;

use crate::lifecycle::UnknownName;

/// Who or what caused a change, recorded with every audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditSource {
    /// A request to the HTTP API.
    Api,
    /// The daily drift-sync run.
    DriftSync,
    /// The release of numbers after a subscription was canceled.
    Cancellation,
    /// An operator's command (the `api` binary's subcommands).
    Operator,
}

impl AuditSource {
    /// Every source.
    pub const ALL: [Self; 4] = [
        Self::Api,
        Self::DriftSync,
        Self::Cancellation,
        Self::Operator,
    ];

    /// The stable name stored in the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::DriftSync => "drift_sync",
            Self::Cancellation => "cancellation",
            Self::Operator => "operator",
        }
    }

    /// Parses a stored name; `None` for a name this version does not know.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|source| source.as_str() == name)
    }
}

impl FromStr for AuditSource {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse(name).ok_or_else(|| UnknownName(name.to_owned()))
    }
}

impl fmt::Display for AuditSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an audit event records. Each has a stable stored name (`purchase.reserved`, …): a
/// new action is a new variant, its name in [`AuditAction::as_str`] and an entry in
/// [`AuditAction::ALL`]; a name once stored is never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A `pending` row took a slot of the tenant's quota.
    PurchaseReserved,
    /// Twilio confirmed the purchase: `pending` → `active`.
    PurchaseCompleted,
    /// Twilio refused the purchase: `pending` → `failed`.
    PurchaseFailed,
    /// A release began (or was retried): → `releasing`.
    ReleaseStarted,
    /// The number is gone from Twilio: → `released`.
    ReleaseCompleted,
    /// An `active` number was attached to a voice channel.
    ChannelAttached,
    /// An `active` number was detached from its channel.
    ChannelDetached,
    /// The tenant's subscription was canceled.
    SubscriptionCanceled,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [Self; 8] = [
        Self::PurchaseReserved,
        Self::PurchaseCompleted,
        Self::PurchaseFailed,
        Self::ReleaseStarted,
        Self::ReleaseCompleted,
        Self::ChannelAttached,
        Self::ChannelDetached,
        Self::SubscriptionCanceled,
    ];

    /// The stable name stored in the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PurchaseReserved => "purchase.reserved",
            Self::PurchaseCompleted => "purchase.completed",
            Self::PurchaseFailed => "purchase.failed",
            Self::ReleaseStarted => "release.started",
            Self::ReleaseCompleted => "release.completed",
            Self::ChannelAttached => "channel.attached",
            Self::ChannelDetached => "channel.detached",
            Self::SubscriptionCanceled => "subscription.canceled",
        }
    }
}

impl FromStr for AuditAction {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| UnknownName(name.to_owned()))
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_and_source_reads_back_from_its_stored_name() {
        let mut names = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
            assert!(names.insert(action.as_str()), "{action} named twice");
        }
        for source in AuditSource::ALL {
            assert_eq!(source.as_str().parse::<AuditSource>(), Ok(source));
        }
        assert!("purchase.bought".parse::<AuditAction>().is_err());
        assert_eq!(AuditSource::parse("operator-console"), None);
    }
}
