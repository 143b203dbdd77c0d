//! [`ServiceError`]: why an application operation did not do what was asked. The HTTP layer
//! maps it to its envelope in one place; operator commands print it.

use numbers_domain::{CarrierError, ChannelRuleError, Money, NumberStatus};
use numbers_persistence::StoreError;

/// Why an operation of the service (search, pricing, channels, and the number lifecycle)
/// was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A value the caller gave breaks a rule; `field` names it.
    #[error("{message}")]
    Invalid {
        /// The request field at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Nothing of the caller's tenant by that id.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Twilio does not offer what was asked for (an unknown country or number type).
    #[error("{message}")]
    CarrierNotFound {
        /// What was not found, in words.
        message: String,
        /// Twilio's code, verbatim.
        code: Option<i32>,
    },
    /// The tenant's plan is full.
    #[error("the plan allows {quota} phone numbers and {used} are in use")]
    QuotaExceeded {
        /// Live numbers the tenant holds.
        used: u32,
        /// Numbers its plan allows.
        quota: u32,
    },
    /// The tenant has no `active` or `trialing` subscription (none, past due or canceled).
    #[error("the tenant has no active subscription")]
    SubscriptionInactive,
    /// The number cannot be bought: another row holds it, or Twilio says it is gone
    /// (21422).
    #[error("this phone number is no longer available")]
    NumberUnavailable {
        /// Twilio's code, when Twilio said so.
        code: Option<i32>,
    },
    /// Twilio wants a regulatory bundle or address the platform has not registered for the
    /// number's country and type (21649, 21631, 21615, 21650).
    #[error("this phone number needs regulatory documents the platform has not registered")]
    RegulatoryRequirementsMissing {
        /// Twilio's code.
        code: Option<i32>,
    },
    /// The monthly price the buyer agreed to is not the current one.
    #[error("the monthly price has changed")]
    PriceChanged {
        /// The current price, when Twilio publishes one for the number's type.
        current: Option<Money>,
    },
    /// The number is not in a status that allows the operation (attaching a number that is
    /// not active, releasing one whose purchase is still being settled).
    #[error("the phone number is {status}; this needs an active number")]
    NotActive {
        /// Its status.
        status: NumberStatus,
    },
    /// Someone else changed the number at the same time; nothing was changed.
    #[error("the phone number was changed by another request at the same time; try again")]
    ChangedConcurrently,
    /// The `Idempotency-Key` was used before with a different request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still being processed.
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyKeyInFlight,
    /// Twilio refused, failed or could not be reached.
    #[error(transparent)]
    Carrier(#[from] CarrierError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug: an operation's task panicked. Logged where it is answered.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Runs an operation to its end on a task of its own, so a caller that stops waiting (a
/// client that disconnects cancels its HTTP handler) cannot cut it between two steps.
pub(crate) async fn run_whole<T: Send + 'static>(
    operation: impl Future<Output = Result<T, ServiceError>> + Send + 'static,
) -> Result<T, ServiceError> {
    use tracing::Instrument as _;
    // The task keeps the caller's span, so its log lines carry the request id.
    tokio::spawn(operation.in_current_span())
        .await
        .map_err(|e| ServiceError::Internal(format!("the operation did not finish: {e}")))?
}

impl From<ChannelRuleError> for ServiceError {
    fn from(error: ChannelRuleError) -> Self {
        Self::Invalid {
            field: error.field(),
            message: error.to_string(),
        }
    }
}
