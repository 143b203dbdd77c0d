//! The error envelope of SPEC §5: `{ "code": "...", "message": "...", ...details }`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// Stable snake_case code clients can branch on.
    pub code: String,
    /// Human-readable text; never database or Twilio internals.
    pub message: String,
}

/// Every failure the API reports, each mapped to one status and code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The database could not be reached in time.
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// Anything unexpected: logged with detail, answered without.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code of the envelope.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::DatabaseUnavailable => "database_unavailable",
            Self::Internal(_) => "internal",
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

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(detail) = self {
            tracing::error!(error = %detail, "request failed");
        }
        HttpResponse::build(self.status_code()).json(ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        })
    }
}
