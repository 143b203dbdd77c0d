//! The error envelope of SPEC §5: `{ "code": "...", "message": "...", ...details }`, and
//! [`ApiError`], the one place HTTP statuses and codes are decided.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use numbers_domain::CarrierError;

/// The JSON body of every error answer: a stable code, a message, and details that depend on
/// the code (`field`, `used`/`quota`, `twilio_code`, `current_price`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code clients can branch on.
    pub code: String,
    /// Human-readable text; never database or Twilio internals.
    pub message: String,
    /// The request field at fault (`validation_failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Live numbers held (`phone_number_quota_exceeded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<u32>,
    /// Numbers the plan allows (`phone_number_quota_exceeded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<u32>,
    /// Twilio's error code, verbatim, whenever Twilio refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_code: Option<i32>,
    /// The current monthly price (`price_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_price: Option<String>,
}

/// Every failure the API reports.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request field is missing or malformed.
    #[error("{message}")]
    ValidationFailed {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// No credentials, or credentials that do not check out.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller's role may not do this.
    #[error("this needs the admin role")]
    Forbidden,
    /// Nothing of the caller's tenant at this address.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Twilio does not offer what was asked for (an unknown country or type).
    #[error("{message}")]
    TwilioNotFound {
        /// What was not found.
        message: String,
        /// Twilio's code.
        twilio_code: Option<i32>,
    },
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The plan is full.
    #[error("the plan allows {quota} phone numbers and {used} are in use")]
    QuotaExceeded {
        /// Live numbers held.
        used: u32,
        /// Numbers the plan allows.
        quota: u32,
    },
    /// No active or trialing subscription.
    #[error("the tenant has no active subscription")]
    SubscriptionInactive,
    /// The number cannot be bought (taken, or Twilio says it is gone).
    #[error("this phone number is no longer available")]
    NumberUnavailable {
        /// Twilio's code, when Twilio said so.
        twilio_code: Option<i32>,
    },
    /// Twilio wants regulatory documents the platform has not registered.
    #[error(
        "this phone number needs regulatory documents (a bundle or an address) the platform has not registered for its country and type"
    )]
    RegulatoryRequirementsMissing {
        /// Twilio's code.
        twilio_code: Option<i32>,
    },
    /// The client's price is not the current one.
    #[error("the monthly price has changed; check current_price and buy again")]
    PriceChanged {
        /// The current price as a decimal string, when known.
        current_price: Option<String>,
    },
    /// The number's status does not allow the operation.
    #[error("the phone number is {0}; this needs an active number")]
    NotActive(String),
    /// Another request changed the number at the same time.
    #[error("the phone number was changed by another request at the same time; try again")]
    ChangedConcurrently,
    /// The `Idempotency-Key` was used for another request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still running.
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyKeyInFlight,
    /// Twilio refused the request.
    #[error("Twilio refused the request")]
    Twilio {
        /// Twilio's code.
        twilio_code: Option<i32>,
    },
    /// Twilio could not be reached or is overloaded.
    #[error("Twilio is unavailable; try again shortly")]
    TwilioUnavailable,
    /// The database could not be reached in time.
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// The body is larger than allowed.
    #[error("the request body is too large (at most {limit} bytes)")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not JSON.
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// A webhook's `X-Twilio-Signature` does not verify.
    #[error("the X-Twilio-Signature does not match the request")]
    InvalidSignature,
    /// Anything unexpected: logged with detail, answered without.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A `validation_failed` error for `field`.
    #[must_use]
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::ValidationFailed {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable code of the envelope.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::ValidationFailed { .. } => "validation_failed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden | Self::InvalidSignature => "forbidden",
            Self::NotFound(_) | Self::TwilioNotFound { .. } => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::QuotaExceeded { .. } => "phone_number_quota_exceeded",
            Self::SubscriptionInactive => "subscription_inactive",
            Self::NumberUnavailable { .. } => "phone_number_unavailable",
            Self::RegulatoryRequirementsMissing { .. } => "regulatory_requirements_missing",
            Self::PriceChanged { .. } => "price_changed",
            Self::NotActive(_) => "phone_number_not_active",
            Self::ChangedConcurrently => "concurrent_change",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInFlight => "idempotency_key_in_flight",
            Self::Twilio { .. } => "twilio_error",
            Self::TwilioUnavailable => "twilio_unavailable",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Internal(_) => "internal",
        }
    }

    /// The envelope this error is answered with.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            field: None,
            used: None,
            quota: None,
            twilio_code: None,
            current_price: None,
        };
        match self {
            Self::ValidationFailed { field, .. } => body.field = Some(field.clone()),
            Self::QuotaExceeded { used, quota } => {
                body.used = Some(*used);
                body.quota = Some(*quota);
            }
            Self::Twilio { twilio_code }
            | Self::TwilioNotFound { twilio_code, .. }
            | Self::NumberUnavailable { twilio_code }
            | Self::RegulatoryRequirementsMissing { twilio_code } => {
                body.twilio_code = *twilio_code;
            }
            Self::PriceChanged { current_price } => body.current_price.clone_from(current_price),
            _ => {}
        }
        body
    }
}

impl ApiError {
    /// Logs what needs logging, once, where the error is answered (inside the request's
    /// span, so with its request id): the detail of internal errors, and outages.
    pub(crate) fn log(&self) {
        match self {
            Self::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            Self::DatabaseUnavailable => tracing::warn!("database unavailable"),
            Self::TwilioUnavailable => tracing::warn!("Twilio unavailable"),
            _ => {}
        }
    }
}

impl From<numbers_persistence::StoreError> for ApiError {
    fn from(error: numbers_persistence::StoreError) -> Self {
        if error.is_unavailable() {
            Self::DatabaseUnavailable
        } else {
            Self::Internal(error.to_string())
        }
    }
}

impl From<CarrierError> for ApiError {
    fn from(error: CarrierError) -> Self {
        match error {
            CarrierError::Refused { code, .. } => Self::Twilio { twilio_code: code },
            CarrierError::NotFound { code } => Self::TwilioNotFound {
                message: "Twilio does not offer that".into(),
                twilio_code: code,
            },
            CarrierError::Unavailable | CarrierError::OutcomeUnknown => Self::TwilioUnavailable,
            CarrierError::BadAnswer(detail) => {
                tracing::error!(error = %detail, "unreadable answer from Twilio");
                Self::Twilio { twilio_code: None }
            }
        }
    }
}

impl From<numbers_app::ServiceError> for ApiError {
    fn from(error: numbers_app::ServiceError) -> Self {
        use numbers_app::ServiceError as E;
        match error {
            E::Invalid { field, message } => Self::invalid(field, message),
            E::NotFound(what) => Self::NotFound(what),
            E::CarrierNotFound { message, code } => Self::TwilioNotFound {
                message,
                twilio_code: code,
            },
            E::QuotaExceeded { used, quota } => Self::QuotaExceeded { used, quota },
            E::SubscriptionInactive => Self::SubscriptionInactive,
            E::NumberUnavailable { code } => Self::NumberUnavailable { twilio_code: code },
            E::RegulatoryRequirementsMissing { code } => {
                Self::RegulatoryRequirementsMissing { twilio_code: code }
            }
            E::PriceChanged { current } => Self::PriceChanged {
                current_price: current.map(|m| m.to_string()),
            },
            E::NotActive { status } => Self::NotActive(status.to_string()),
            E::ChangedConcurrently => Self::ChangedConcurrently,
            E::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            E::IdempotencyKeyInFlight => Self::IdempotencyKeyInFlight,
            E::Carrier(error) => error.into(),
            E::Store(error) => error.into(),
            E::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<numbers_app::webhooks::WebhookError> for ApiError {
    fn from(error: numbers_app::webhooks::WebhookError) -> Self {
        use numbers_app::webhooks::WebhookError as E;
        match error {
            E::MissingSignature => Self::invalid(
                "X-Twilio-Signature",
                "the X-Twilio-Signature header is missing",
            ),
            E::InvalidSignature => Self::InvalidSignature,
            E::BadRequest(message) => Self::invalid("body", message),
            E::TokenUnavailable => {
                Self::Internal("a webhook's auth token is unavailable (logged above)".into())
            }
            E::Store(error) => error.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::ValidationFailed { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::InvalidSignature => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::TwilioNotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::QuotaExceeded { .. } | Self::SubscriptionInactive => StatusCode::PAYMENT_REQUIRED,
            Self::NumberUnavailable { .. }
            | Self::PriceChanged { .. }
            | Self::NotActive(_)
            | Self::ChangedConcurrently
            | Self::IdempotencyKeyInFlight => StatusCode::CONFLICT,
            Self::RegulatoryRequirementsMissing { .. } | Self::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Twilio { .. } => StatusCode::BAD_GATEWAY,
            Self::TwilioUnavailable | Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(self.body())
    }
}
