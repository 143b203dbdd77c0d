//! `GET /v1/channels`, `POST /v1/channels`.

use actix_web::{HttpResponse, web};
use numbers_app::App;
use numbers_domain::ChannelKind;
use numbers_persistence::NewChannel;

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
    let channels = app.store().channels().list(caller.tenant_id()).await?;
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
    let name = body.required_str("name")?.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "name must be 1 to 100 characters",
        ));
    }
    let kind = match body.optional_str("kind")? {
        None | Some("voice") => ChannelKind::Voice,
        Some(other) if is_kind_name(other) => ChannelKind::Other(other.to_owned()),
        Some(_) => {
            return Err(ApiError::invalid(
                "kind",
                "kind must be voice or a lower-case name of letters, digits and _ (at most 32)",
            ));
        }
    };
    let agent_stream_url = body
        .optional_str("agent_stream_url")?
        .map(|raw| validate_stream_url(raw).map(str::to_owned))
        .transpose()?;
    let channel = app
        .store()
        .channels()
        .create(NewChannel {
            tenant_id: caller.tenant_id(),
            kind,
            name: name.to_owned(),
            agent_stream_url,
        })
        .await?;
    let view = ChannelView::from(channel);
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/channels/{}", view.id)))
        .json(view))
}

fn is_kind_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn validate_stream_url(raw: &str) -> Result<&str, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "agent_stream_url",
            "agent_stream_url must be a ws:// or wss:// URL of at most 2048 characters",
        )
    };
    if raw.len() > 2048 {
        return Err(invalid());
    }
    let url = url::Url::parse(raw).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "ws" | "wss") || url.host_str().is_none() {
        return Err(invalid());
    }
    Ok(raw)
}
