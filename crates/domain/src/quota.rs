//! The plan quota rule of SPEC §6 step 2.

/// The outcome of checking whether a tenant may reserve one more number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaDecision {
    /// There is room for one more number.
    Allowed,
    /// The plan is full.
    Exceeded {
        /// Live numbers (`pending` + `active` + `releasing`) the tenant holds.
        used: u32,
        /// Numbers the plan allows.
        quota: u32,
    },
}

/// Decides whether a tenant holding `used` live numbers may reserve one more under `quota`.
///
/// Numbers being released still count: until Twilio confirms the release the tenant still
/// holds (and pays for) them.
#[must_use]
pub fn check_quota(used: u32, quota: u32) -> QuotaDecision {
    if used < quota {
        QuotaDecision::Allowed
    } else {
        QuotaDecision::Exceeded { used, quota }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_below_the_quota_and_refuses_at_or_above_it() {
        assert_eq!(check_quota(0, 1), QuotaDecision::Allowed);
        assert_eq!(check_quota(4, 5), QuotaDecision::Allowed);
        assert_eq!(
            check_quota(5, 5),
            QuotaDecision::Exceeded { used: 5, quota: 5 }
        );
        assert_eq!(
            check_quota(7, 5),
            QuotaDecision::Exceeded { used: 7, quota: 5 }
        );
        assert_eq!(
            check_quota(0, 0),
            QuotaDecision::Exceeded { used: 0, quota: 0 }
        );
    }
}
