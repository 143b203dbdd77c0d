//! The one error type returned by every operation of the client.

use std::time::Duration;

use crate::request::Operation;

/// Everything that can go wrong when talking to Twilio.
///
/// The variants say *where* it went wrong; the helper methods say what a caller may
/// conclude about the request's effect on Twilio, which matters for non-idempotent calls
/// such as buying a number:
///
/// - [`TwilioError::is_definitely_not_processed`]: Twilio did not act on the request
///   (it refused it with a 4xx, it throttled it with a 429, or it never reached Twilio).
/// - [`TwilioError::is_outcome_unknown`]: the request may or may not have taken effect
///   (timeout, connection lost after sending, 5xx, unreadable success body). Settle it
///   by reading the resource back, never by blindly repeating a purchase.
///
/// Exactly one of the two is true for every error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TwilioError {
    /// Twilio (or a proxy in front of it) answered with a non-success HTTP status.
    ///
    /// `code`, `message` and `more_info` come from Twilio's JSON error body when there
    /// is one; `code` is Twilio's own integer error code (e.g. 21422, 20404), verbatim.
    ///
    /// Redirects are not followed (Twilio does not redirect API calls, and following one
    /// would send the credentials to wherever it points), so a `3xx` answer ends up here
    /// too, as an error whose outcome is unknown.
    #[error("Twilio answered HTTP {status} (code {code:?}) to {operation}: {message}")]
    Api {
        /// Which operation was refused.
        operation: Operation,
        /// HTTP status code of the final attempt.
        status: u16,
        /// Twilio's error code, when the body carried one; `None` otherwise. The
        /// [`TwilioError::twilio_code`] helper then falls back to `status`, as Twilio's
        /// SDKs do.
        code: Option<u32>,
        /// Twilio's human-readable message, or a generic text when the body had none.
        ///
        /// Twilio's text may contain personal data: it often quotes the request's phone
        /// number or other values sent (e.g. "+14155550123 is not available"). Handle it
        /// like the request itself, not like a log-safe constant; the `Display` of this
        /// variant includes it.
        message: String,
        /// Link to Twilio's documentation page for the error code.
        more_info: Option<String>,
        /// The `Retry-After` delay Twilio asked for, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The request did not complete within the configured total timeout.
    ///
    /// The request may have reached Twilio and taken effect.
    #[error("request for {operation} timed out")]
    Timeout {
        /// Which operation timed out.
        operation: Operation,
    },
    /// No connection to the server could be made (refused, DNS failure, TLS handshake
    /// failure, connect timeout). The request was never sent.
    #[error("could not connect to Twilio for {operation}: {source}")]
    Connect {
        /// Which operation could not be sent.
        operation: Operation,
        /// The underlying transport error, with the request URL removed (it holds the
        /// account SID, resource SIDs and query values such as a `PhoneNumber` filter).
        #[source]
        source: reqwest::Error,
    },
    /// The connection failed after the request may have been sent (reset, closed early,
    /// broken body). The outcome is unknown.
    #[error("transport error during {operation}: {source}")]
    Transport {
        /// Which operation failed.
        operation: Operation,
        /// The underlying transport error, with the request URL removed (see
        /// [`TwilioError::Connect`]).
        #[source]
        source: reqwest::Error,
    },
    /// Twilio answered but the body could not be understood.
    ///
    /// For a success status this means Twilio most likely acted on the request even though
    /// the client cannot report the result.
    #[error("could not decode Twilio's HTTP {status} answer to {operation}: {reason}")]
    Decode {
        /// Which operation's answer was unreadable.
        operation: Operation,
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong with the body.
        reason: String,
    },
    /// The request was rejected by the client before anything was sent (bad input such as
    /// an unusable `next_page_uri`).
    #[error("invalid request for {operation}: {reason}")]
    InvalidRequest {
        /// Which operation was refused.
        operation: Operation,
        /// Why the request could not be built.
        reason: String,
    },
    /// The client configuration is unusable (bad base URL, empty account SID, ...).
    ///
    /// Only returned by [`crate::TwilioClientBuilder::build`].
    #[error("invalid Twilio client configuration: {0}")]
    InvalidConfig(String),
}

impl TwilioError {
    /// The HTTP status Twilio answered with, when an answer was received.
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Twilio's integer error code (e.g. `21422`) for an API error.
    ///
    /// When the error body carried no code (an empty or non-JSON body, say from a proxy),
    /// this is the HTTP status instead, as Twilio's SDKs report it (twilio-python sets the
    /// code to the status in that case). Twilio's documented codes all have five digits, so
    /// a value below 600 is always such a fallback; the `code` field of
    /// [`TwilioError::Api`] keeps what the body said, `None` included. `None` for every
    /// other variant.
    #[must_use]
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            Self::Api { code, status, .. } => Some(code.unwrap_or(u32::from(*status))),
            _ => None,
        }
    }

    /// The operation that failed, when the error is tied to one.
    #[must_use]
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Self::Api { operation, .. }
            | Self::Timeout { operation }
            | Self::Connect { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Decode { operation, .. }
            | Self::InvalidRequest { operation, .. } => Some(*operation),
            Self::InvalidConfig(_) => None,
        }
    }

    /// True when Twilio certainly did not act on the request, so that repeating it
    /// (after fixing the cause, or after a delay for 429) cannot do anything twice.
    ///
    /// That holds for 4xx answers (including 429, which Twilio documents as never
    /// processed), for failures to connect, and for requests refused client-side.
    #[must_use]
    pub fn is_definitely_not_processed(&self) -> bool {
        match self {
            Self::Api { status, .. } => (400..500).contains(status),
            Self::Connect { .. } | Self::InvalidRequest { .. } | Self::InvalidConfig(_) => true,
            Self::Timeout { .. } | Self::Transport { .. } | Self::Decode { .. } => false,
        }
    }

    /// True when the request may or may not have taken effect on Twilio: a timeout, a
    /// connection lost after sending, a 5xx answer, or an unreadable answer.
    ///
    /// After such an error on a purchase, look the number up (list with `PhoneNumber`)
    /// before deciding anything. Always the opposite of
    /// [`TwilioError::is_definitely_not_processed`].
    #[must_use]
    pub fn is_outcome_unknown(&self) -> bool {
        !self.is_definitely_not_processed()
    }

    /// True for HTTP 404 or Twilio code 20404: the resource (or, for searches, the
    /// country/number type) does not exist. On delete this means "already gone".
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. }) || self.twilio_code() == Some(20404)
    }

    /// True for HTTP 429 or Twilio code 20429: too many concurrent requests for the
    /// account. Such a request was not processed and may be sent again later.
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::Api { status: 429, .. }) || self.twilio_code() == Some(20429)
    }

    /// True for HTTP 401 or Twilio code 20003: the credentials were refused.
    #[must_use]
    pub fn is_auth_failure(&self) -> bool {
        matches!(self, Self::Api { status: 401, .. }) || self.twilio_code() == Some(20003)
    }
}
