//! Subscription statuses.

use std::fmt;
use std::str::FromStr;

/// The state of a tenant's subscription to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Paid and running.
    Active,
    /// In a trial period.
    Trialing,
    /// A payment failed; the tenant may not buy.
    PastDue,
    /// Canceled, now or at the end of the period.
    Canceled,
}

/// A stored status this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a subscription status must be one of active, trialing, past_due, canceled")]
pub struct SubscriptionStatusError;

impl SubscriptionStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [Self::Active, Self::Trialing, Self::PastDue, Self::Canceled];

    /// The stable name used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Trialing => "trialing",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
        }
    }

    /// Whether a tenant with this subscription may buy numbers.
    #[must_use]
    pub fn allows_purchases(self) -> bool {
        matches!(self, Self::Active | Self::Trialing)
    }
}

impl FromStr for SubscriptionStatus {
    type Err = SubscriptionStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(SubscriptionStatusError)
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_and_trialing_may_buy() {
        let buyers: Vec<_> = SubscriptionStatus::ALL
            .into_iter()
            .filter(|s| s.allows_purchases())
            .collect();
        assert_eq!(
            buyers,
            [SubscriptionStatus::Active, SubscriptionStatus::Trialing]
        );
        for status in SubscriptionStatus::ALL {
            assert_eq!(status.as_str().parse::<SubscriptionStatus>(), Ok(status));
        }
    }
}
