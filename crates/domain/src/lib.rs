//! Domain of the phone numbers service: the types, rules and state machine that decide what
//! may happen to a tenant's phone numbers.
//!
//! This crate does no I/O and knows no framework. The persistence crate stores these types,
//! the HTTP layer validates input into them, and the use cases (written against ports) live
//! here so that every rule is tested without a database or a network.
//!
//! ```
//! use numbers_domain::{E164, IsoCountry, NumberStatus};
//!
//! let number: E164 = "+14155550123".parse().expect("valid E.164");
//! assert_eq!(number.masked(), "+*******0123");
//! let country: IsoCountry = "gb".parse().expect("valid ISO-3166 alpha-2");
//! assert_eq!(country.as_str(), "GB");
//! assert!(NumberStatus::Pending.can_become(NumberStatus::Active));
//! assert!(!NumberStatus::Released.can_become(NumberStatus::Active));
//! ```

mod audit;
mod call;
pub mod carrier;
mod channel;
mod ids;
mod lifecycle;
mod money;
mod number;
mod quota;
pub mod reconcile;
mod subscription;

pub use audit::{AuditAction, AuditSource};
pub use call::call_status_rank;
pub use carrier::{
    AddressRequirement, AvailableNumber, AvailableQuery, Carrier, CarrierError, ContainsPattern,
    ContainsPatternError, CountryPricing, OwnedNumber, OwnedNumbers, PurchaseOrder, TypePrice,
    Webhooks, bundle_required, purchasable,
};
pub use channel::{ChannelDraft, ChannelRuleError};
pub use ids::{ChannelId, PhoneNumberId, PlanId, SubscriptionId, TenantId};
pub use lifecycle::{NumberStatus, ReleaseReason, TransitionError, UnknownName};
pub use money::{Money, MoneyError};
pub use number::{
    Capabilities, E164, E164Error, IsoCountry, IsoCountryError, NumberType, NumberTypeError,
    Numbering, mask_phone,
};
pub use quota::{QuotaDecision, check_quota};
pub use subscription::{SubscriptionStatus, SubscriptionStatusError};

/// The kind of a channel. Only voice channels can have phone numbers attached.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A voice channel: inbound calls are connected to its agent.
    Voice,
    /// Any other kind of channel (chat, e-mail, …), kept by name.
    Other(String),
}

impl ChannelKind {
    /// The stable name stored in the database.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Voice => "voice",
            Self::Other(name) => name,
        }
    }

    /// Reads a stored name; anything but `voice` is [`ChannelKind::Other`].
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        if name == "voice" {
            Self::Voice
        } else {
            Self::Other(name.to_owned())
        }
    }
}

impl std::str::FromStr for ChannelKind {
    type Err = std::convert::Infallible;

    /// Never fails: see [`ChannelKind::from_name`].
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_name(name))
    }
}
