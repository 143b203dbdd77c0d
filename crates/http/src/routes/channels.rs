//! `GET /v1/channels`, `POST /v1/channels`.

use actix_web::{HttpResponse, web};
use numbers_app::App;

use crate::auth::Caller;
use crate::params::Body;
use crate::views::{ChannelList, ChannelView, CreateChannelRequest};
use crate::{ApiError, ErrorBody};

/// The tenant's channels.
#[utoipa::path(
    get,
    path = "/v1/channels",
    tag = "channels",
    responses(
        (status = 200, description = "The tenant's channels, oldest first", body = ChannelList),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(app: web::Data<App>, caller: Caller) -> Result<web::Json<ChannelList>, ApiError> {
    let channels = app.channels(caller.tenant_id()).await?;
    Ok(web::Json(ChannelList {
        channels: channels.into_iter().map(Into::into).collect(),
    }))
}

/// Creates a channel of the tenant (numbers attach to voice channels).
#[utoipa::path(
    post,
    path = "/v1/channels",
    tag = "channels",
    request_body(content = CreateChannelRequest, content_type = "application/json", description = "At most 16 KiB"),
    responses(
        (status = 201, description = "Created", body = ChannelView, headers(("Location" = String, description = "`/v1/channels/{id}`"))),
        (status = 400, description = "validation_failed naming the field (`body` when it is not a JSON object)", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 413, description = "payload_too_large: more than 16 KiB", body = ErrorBody),
        (status = 415, description = "unsupported_media_type: not `application/json`", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    app: web::Data<App>,
    caller: Caller,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let body = Body::new(body.into_inner(), &["name", "kind", "agent_stream_url"])?;
    let channel = app
        .create_channel(
            caller.tenant_id(),
            body.required_str("name")?,
            body.optional_str("kind")?,
            body.optional_str("agent_stream_url")?,
        )
        .await?;
    let view = ChannelView::from(channel);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/channels/{}", view.id)))
        .json(view))
}
