//! [`ServiceError`]: why an application operation did not do what was asked. The HTTP layer
//! maps it to its envelope in one place; operator commands print it.

use numbers_domain::{CarrierError, ChannelRuleError};
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
    /// Twilio refused, failed or could not be reached.
    #[error(transparent)]
    Carrier(#[from] CarrierError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ChannelRuleError> for ServiceError {
    fn from(error: ChannelRuleError) -> Self {
        Self::Invalid {
            field: error.field(),
            message: error.to_string(),
        }
    }
}
