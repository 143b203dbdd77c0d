//! `GET /v1/tenants/{tenant_id}/phone-numbers`: the legacy shared-pool list, in its legacy
//! shape (a bare array), under the same tenant rule as everything else.

use actix_web::web;
use numbers_app::App;
use numbers_domain::TenantId;

use crate::auth::Caller;
use crate::views::LegacyPoolNumber;
use crate::{ApiError, ErrorBody};

/// The shared-pool numbers assigned to the caller's tenant.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/phone-numbers",
    tag = "legacy",
    params(("tenant_id" = uuid::Uuid, Path, description = "Must be the token's tenant; any other is 404")),
    responses(
        (status = 200, description = "Pool numbers, by number", body = [LegacyPoolNumber]),
        (status = 400, description = "validation_failed: tenant_id is not a UUID", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "not_found: another tenant", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<Vec<LegacyPoolNumber>>, ApiError> {
    let tenant_id: TenantId = path
        .parse()
        .map_err(|_| ApiError::invalid("tenant_id", "tenant_id must be a UUID"))?;
    if tenant_id != caller.tenant_id() {
        return Err(ApiError::NotFound("tenant"));
    }
    let numbers = app.store().shared_pool().list_for_tenant(tenant_id).await?;
    Ok(web::Json(numbers.into_iter().map(Into::into).collect()))
}
