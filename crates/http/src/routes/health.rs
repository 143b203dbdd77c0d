//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use numbers_app::App;

use crate::{ApiError, READINESS_TIMEOUT};

/// Status body of the health endpoints.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: String,
}

/// `GET /healthz`: 200 while the process serves requests, whatever the database does.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process is up", body = Status)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status {
        status: "ok".into(),
    })
}

/// `GET /readyz`: 200 when the database answers within [`READINESS_TIMEOUT`], otherwise
/// 503 `database_unavailable`.
///
/// # Errors
/// [`ApiError::DatabaseUnavailable`] when the database does not answer in time.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "The database answers", body = Status),
    (status = 503, description = "database_unavailable", body = crate::ErrorBody),
))]
pub async fn readyz(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(READINESS_TIMEOUT, app.store().ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Status {
            status: "ready".into(),
        })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            Err(ApiError::DatabaseUnavailable)
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(ApiError::DatabaseUnavailable)
        }
    }
}
