//! `POST /v1/subscriptions/{id}/cancel`.

use actix_web::{HttpRequest, web};
use chrono::{DateTime, Utc};
use numbers_app::App;
use numbers_domain::SubscriptionId;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Caller;
use crate::params::Body;
use crate::routes::purchase::actor;
use crate::{ApiError, ErrorBody};

/// The body of `POST /v1/subscriptions/{id}/cancel`: a JSON object with this field only.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the handler reads the body field by field; this documents it"
)]
pub struct CancelRequest {
    /// `true`: canceled now, and every active number of the tenant is released in the
    /// background. `false`: canceled at the end of the current period; the numbers are kept
    /// until then.
    immediate: bool,
}

/// A subscription after its cancellation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    /// Its id.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// `canceled`.
    #[schema(value_type = String, example = "canceled")]
    pub status: String,
    /// End of the paid period.
    pub current_period_end: DateTime<Utc>,
    /// When the cancellation takes (or took) effect.
    pub canceled_at: Option<DateTime<Utc>>,
    /// How many numbers this request started releasing in the background (0 when the
    /// cancellation takes effect at the end of the period: drift-sync releases them on its
    /// first run after `canceled_at`).
    pub numbers_releasing: u64,
}

/// Cancels one of the tenant's subscriptions (SPEC §8). Purchases are refused from now on.
#[utoipa::path(
    post,
    path = "/v1/subscriptions/{id}/cancel",
    tag = "subscriptions",
    params(("id" = uuid::Uuid, Path, description = "The subscription's id")),
    request_body(content = CancelRequest, content_type = "application/json", description = "At most 16 KiB"),
    responses(
        (status = 200, description = "Canceled. With `immediate`, the numbers are being released in the background: the answer does not wait for Twilio, and a release that fails is retried by drift-sync", body = SubscriptionView),
        (status = 400, description = "validation_failed (id, immediate, body)", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "forbidden (members may only list)", body = ErrorBody),
        (status = 404, description = "not_found (also another tenant's subscription)", body = ErrorBody),
        (status = 413, description = "payload_too_large: more than 16 KiB", body = ErrorBody),
        (status = 415, description = "unsupported_media_type: not `application/json`", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<web::Json<SubscriptionView>, ApiError> {
    caller.require_admin()?;
    let id = path
        .parse::<Uuid>()
        .map(SubscriptionId::from)
        .map_err(|_| ApiError::invalid("id", "the subscription id must be a UUID"))?;
    let body = Body::new(body.into_inner(), &["immediate"])?;
    let immediate = body.required_bool("immediate")?;
    let done = app
        .cancel_subscription(caller.tenant_id(), id, immediate, actor(&caller, &req))
        .await?;
    let s = done.subscription;
    Ok(web::Json(SubscriptionView {
        id: s.id.as_uuid(),
        tenant_id: s.tenant_id.as_uuid(),
        status: s.status.as_str().to_owned(),
        current_period_end: s.current_period_end,
        canceled_at: s.canceled_at,
        numbers_releasing: u64::try_from(done.releasing).unwrap_or(u64::MAX),
    }))
}
