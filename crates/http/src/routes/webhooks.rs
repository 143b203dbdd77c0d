//! `POST /webhooks/twilio/voice` and `POST /webhooks/twilio/status` (SPEC §7): the raw
//! request goes to [`App::twilio_webhook`], which verifies it before anything else.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use numbers_app::App;
use numbers_app::webhooks::{WebhookAnswer, WebhookBody, WebhookKind, WebhookRequest};
use numbers_crypto::signature::SIGNATURE_HEADER;

use crate::ApiError;

async fn handle(
    app: &App,
    kind: WebhookKind,
    req: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    // The path and query exactly as in the request line: Twilio signed them that way.
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path(), |pq| pq.as_str());
    let request = WebhookRequest {
        kind,
        path_and_query,
        body_kind: if form {
            WebhookBody::Form
        } else {
            WebhookBody::Raw
        },
        body,
        signature: req
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok()),
    };
    Ok(match app.twilio_webhook(request).await? {
        WebhookAnswer::Twiml(twiml) => HttpResponse::Ok()
            .content_type("text/xml; charset=utf-8")
            .body(twiml),
        WebhookAnswer::NoContent => HttpResponse::NoContent().finish(),
    })
}

/// An inbound call: verified, then answered with TwiML.
pub async fn voice(
    app: web::Data<App>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    handle(&app, WebhookKind::Voice, &req, &body).await
}

/// A call's status callback: verified, then stored once; `204`.
pub async fn status(
    app: web::Data<App>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    handle(&app, WebhookKind::Status, &req, &body).await
}
