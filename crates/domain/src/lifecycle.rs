//! The number lifecycle state machine of SPEC §6.
//!
//! ```text
//! pending ──► active ──► releasing ──► released
//!    │                      ▲  │
//!    └──► failed            │  └─(retry stays releasing)
//!                  active ──┘
//! ```
//! `pending` can also become `released` directly when drift-sync finds that an ambiguous
//! purchase never happened on Twilio and `failed` is not the honest word (it is used for
//! definite refusals).

use std::fmt;
use std::str::FromStr;

/// Where a phone number row is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    /// A slot is reserved and the purchase is under way (or its outcome is unknown).
    Pending,
    /// Bought on Twilio and owned by the tenant.
    Active,
    /// A release was started; Twilio may or may not have deleted it yet.
    Releasing,
    /// Gone from Twilio. Final.
    Released,
    /// The purchase was definitely refused. Final.
    Failed,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a phone number cannot go from {from} to {to}")]
pub struct TransitionError {
    /// The current status.
    pub from: NumberStatus,
    /// The refused target status.
    pub to: NumberStatus,
}

impl NumberStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Active,
        Self::Releasing,
        Self::Released,
        Self::Failed,
    ];

    /// The statuses that hold a number (and count against the quota): at most one row per
    /// phone number may be in one of these.
    pub const LIVE: [Self; 3] = [Self::Pending, Self::Active, Self::Releasing];

    /// The stable name used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Releasing => "releasing",
            Self::Released => "released",
            Self::Failed => "failed",
        }
    }

    /// True for `pending`, `active` and `releasing`.
    #[must_use]
    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }

    /// True when no further transition is possible.
    #[must_use]
    pub fn is_final(self) -> bool {
        !self.is_live()
    }

    /// Whether the lifecycle allows going from `self` to `to`.
    #[must_use]
    pub fn can_become(self, to: Self) -> bool {
        use NumberStatus::{Active, Failed, Pending, Released, Releasing};
        matches!(
            (self, to),
            (Pending, Active | Failed | Released)
                | (Active, Releasing)
                | (Releasing, Released | Releasing)
        )
    }

    /// Checks a transition.
    ///
    /// # Errors
    /// [`TransitionError`] when [`NumberStatus::can_become`] is false.
    pub fn transition(self, to: Self) -> Result<Self, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl FromStr for NumberStatus {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

impl fmt::Display for NumberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored name this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownName(pub String);

/// Why a number was released. Serialised as its stable name (see [`ReleaseReason::as_str`]),
/// an unknown name included.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReleaseReason {
    /// A tenant admin asked for it.
    User,
    /// The tenant's subscription was canceled.
    SubscriptionCanceled,
    /// Drift-sync found the number gone from Twilio.
    Drift,
    /// Drift-sync found that an unsettled purchase never happened.
    PurchaseNotCompleted,
    /// Any other reason, kept by name.
    Other(String),
}

impl ReleaseReason {
    /// The stable name stored in the database.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::User => "user",
            Self::SubscriptionCanceled => "subscription_canceled",
            Self::Drift => "drift",
            Self::PurchaseNotCompleted => "purchase_not_completed",
            Self::Other(name) => name,
        }
    }

    /// Reads a stored name.
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        match name {
            "user" => Self::User,
            "subscription_canceled" => Self::SubscriptionCanceled,
            "drift" => Self::Drift,
            "purchase_not_completed" => Self::PurchaseNotCompleted,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl FromStr for ReleaseReason {
    type Err = std::convert::Infallible;

    /// Never fails: see [`ReleaseReason::from_name`].
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_name(name))
    }
}

impl serde::Serialize for ReleaseReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ReleaseReason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::from_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_reasons_serialise_as_their_stored_names() {
        for reason in [
            ReleaseReason::User,
            ReleaseReason::SubscriptionCanceled,
            ReleaseReason::Drift,
            ReleaseReason::PurchaseNotCompleted,
            ReleaseReason::Other("ported_out".to_owned()),
        ] {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
            assert_eq!(
                serde_json::from_str::<ReleaseReason>(&json).unwrap(),
                reason
            );
        }
    }

    #[test]
    fn only_lifecycle_transitions_are_allowed() {
        use NumberStatus::*;
        let allowed = [
            (Pending, Active),
            (Pending, Failed),
            (Pending, Released),
            (Active, Releasing),
            (Releasing, Released),
            (Releasing, Releasing),
        ];
        for from in NumberStatus::ALL {
            for to in NumberStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert_eq!(
            Released.transition(Active),
            Err(TransitionError {
                from: Released,
                to: Active
            })
        );
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for from in NumberStatus::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(NumberStatus::ALL.iter().all(|to| !from.can_become(*to)));
        }
    }

    #[test]
    fn names_round_trip() {
        for status in NumberStatus::ALL {
            assert_eq!(status.as_str().parse::<NumberStatus>(), Ok(status));
        }
        for reason in [
            "user",
            "subscription_canceled",
            "drift",
            "purchase_not_completed",
            "x",
        ] {
            assert_eq!(ReleaseReason::from_name(reason).as_str(), reason);
        }
    }
}
