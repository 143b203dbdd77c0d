//! One phone number: `GET`, `DELETE` (release) and `PATCH` (attach or detach)
//! `/v1/phone-numbers/{id}`.

use actix_web::{HttpRequest, web};
use numbers_app::App;
use numbers_domain::{ChannelId, PhoneNumberId};
use numbers_persistence::PhoneNumberSummary;
use serde_json::Value;

use crate::auth::Caller;
use crate::params::Body;
use crate::routes::purchase::actor;
use crate::views::{CallList, PhoneNumberView};
use crate::{ApiError, ErrorBody};

/// The body of `PATCH /v1/phone-numbers/{id}`: a JSON object with this field only.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the handler reads the body field by field; this documents it"
)]
pub struct AttachRequest {
    /// The voice channel to attach the number to, or `null` to detach it. Required.
    #[schema(value_type = Option<uuid::Uuid>, required = true)]
    channel_id: Option<String>,
}

fn number_id(path: &web::Path<String>) -> Result<PhoneNumberId, ApiError> {
    path.parse::<uuid::Uuid>()
        .map(PhoneNumberId::from)
        .map_err(|_| ApiError::invalid("id", "the phone number id must be a UUID"))
}

fn view(record: numbers_persistence::PhoneNumberRecord) -> web::Json<PhoneNumberView> {
    web::Json(PhoneNumberSummary::from(record).into())
}

/// One of the tenant's numbers.
#[utoipa::path(
    get,
    path = "/v1/phone-numbers/{id}",
    tag = "phone numbers",
    params(("id" = uuid::Uuid, Path, description = "The number's id")),
    responses(
        (status = 200, description = "The number", body = PhoneNumberView),
        (status = 400, description = "validation_failed (id)", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "not_found (also another tenant's number)", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<web::Json<PhoneNumberView>, ApiError> {
    let id = number_id(&path)?;
    let record = app
        .store()
        .phone_numbers()
        .get(caller.tenant_id(), id)
        .await?
        .ok_or(ApiError::NotFound("phone number"))?;
    Ok(view(record))
}

/// Releases the number on Twilio and marks it released. Repeating it answers the released
/// number.
#[utoipa::path(
    delete,
    path = "/v1/phone-numbers/{id}",
    tag = "phone numbers",
    params(("id" = uuid::Uuid, Path, description = "The number's id")),
    responses(
        (status = 200, description = "Released (or already released or failed)", body = PhoneNumberView),
        (status = 400, description = "validation_failed (id)", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "forbidden (members may only list)", body = ErrorBody),
        (status = 404, description = "not_found (also another tenant's number)", body = ErrorBody),
        (status = 409, description = "phone_number_not_active: its purchase is still being settled", body = ErrorBody),
        (status = 502, description = "twilio_error (with twilio_code); the number stays releasing and is retried", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "twilio_unavailable or database_unavailable; a started release stays releasing and is retried", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn release(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<PhoneNumberView>, ApiError> {
    caller.require_admin()?;
    let id = number_id(&path)?;
    let record = app
        .release(caller.tenant_id(), id, actor(&caller, &req))
        .await?;
    Ok(view(record))
}

/// Attaches the number to a voice channel (`{"channel_id": "…"}`) or detaches it
/// (`{"channel_id": null}`), rewriting its webhooks on Twilio.
#[utoipa::path(
    patch,
    path = "/v1/phone-numbers/{id}",
    tag = "phone numbers",
    params(("id" = uuid::Uuid, Path, description = "The number's id")),
    request_body = AttachRequest,
    responses(
        (status = 200, description = "Attached or detached", body = PhoneNumberView),
        (status = 400, description = "validation_failed (id, channel_id)", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "forbidden (members may only list)", body = ErrorBody),
        (status = 404, description = "not_found: no such number of the tenant, or channel_id names no voice channel of the tenant", body = ErrorBody),
        (status = 409, description = "phone_number_not_active or concurrent_change", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 502, description = "twilio_error (with twilio_code); nothing changed", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "twilio_unavailable or database_unavailable; nothing changed", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn attach(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<web::Json<PhoneNumberView>, ApiError> {
    caller.require_admin()?;
    let id = number_id(&path)?;
    let body = body.into_inner();
    let has_channel = body.get("channel_id").is_some();
    let body = Body::new(body, &["channel_id"])?;
    if !has_channel {
        return Err(ApiError::invalid(
            "channel_id",
            "channel_id is required: a voice channel's id, or null to detach",
        ));
    }
    let channel_id = body
        .optional_str("channel_id")?
        .map(|raw| {
            raw.parse::<uuid::Uuid>()
                .map(ChannelId::from)
                .map_err(|_| ApiError::invalid("channel_id", "channel_id must be a UUID or null"))
        })
        .transpose()?;
    let record = app
        .attach(caller.tenant_id(), id, channel_id, actor(&caller, &req))
        .await?;
    Ok(view(record))
}

/// The number's calls, newest first, one entry per call with its latest status.
#[utoipa::path(
    get,
    path = "/v1/phone-numbers/{id}/calls",
    tag = "phone numbers",
    params(("id" = uuid::Uuid, Path, description = "The number's id"), crate::openapi::CallsParams),
    responses(
        (status = 200, description = "A page of calls, newest first", body = CallList),
        (status = 400, description = "validation_failed (id, limit, before), or an unknown or repeated parameter", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "not_found (also another tenant's number)", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn calls(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<CallList>, ApiError> {
    let id = number_id(&path)?;
    let query = crate::params::Query::parse(req.query_string(), &["limit", "before"])?;
    let limit = query
        .parsed("limit", "limit must be an integer from 1 to 100", |v| {
            v.parse::<u32>().ok().filter(|n| (1..=100).contains(n))
        })?
        .unwrap_or(20);
    let before = query.parsed(
        "before",
        "before must be a call sid (CA followed by 32 hexadecimal characters)",
        |v| is_call_sid(v).then(|| v.to_owned()),
    )?;
    let page = app
        .number_calls(caller.tenant_id(), id, before.as_deref(), limit)
        .await?;
    Ok(web::Json(CallList {
        calls: page.calls.into_iter().map(Into::into).collect(),
        next_before: page.next_before,
    }))
}

/// `CA` followed by 32 hexadecimal digits.
fn is_call_sid(raw: &str) -> bool {
    raw.len() == 34 && raw.starts_with("CA") && raw[2..].bytes().all(|b| b.is_ascii_hexdigit())
}
