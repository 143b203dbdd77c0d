//! `POST /sandbox/calls` (sandbox mode only; 404 otherwise): the in-process Twilio fake
//! places a simulated inbound call to one of the tenant's numbers and sends its status
//! callback, both signed and delivered over HTTP to this service's webhooks.

use actix_web::web;
use numbers_app::App;
use numbers_domain::E164;
use serde_json::{Value, json};

use crate::ApiError;
use crate::auth::Caller;
use crate::params::Body;

fn outcome(call: &numbers_app::sandbox::DeliveredWebhook) -> Value {
    json!({
        "call_sid": call.call_sid,
        "url": call.url,
        "status": call.status,
        "content_type": call.content_type,
        "body": call.body,
    })
}

/// Places a simulated call: body `{"phone_number": "+44…"}` (a live number of the tenant).
/// Answers what the voice webhook and the status callback answered.
pub async fn place_call(
    app: web::Data<App>,
    caller: Caller,
    body: web::Json<Value>,
) -> Result<web::Json<Value>, ApiError> {
    if app.sandbox().is_none() {
        return Err(ApiError::NotFound("route"));
    }
    caller.require_admin()?;
    let body = Body::new(body.into_inner(), &["phone_number"])?;
    let phone_number: E164 = body
        .required_str("phone_number")?
        .parse()
        .map_err(|_| ApiError::invalid("phone_number", "phone_number must be an E.164 number"))?;
    let call = app
        .simulate_inbound_call(caller.tenant_id(), &phone_number)
        .await?;
    Ok(web::Json(json!({
        "call_sid": call.voice.call_sid,
        "from": call.voice.from,
        "to": call.voice.to,
        "voice": outcome(&call.voice),
        "status_callback": outcome(&call.status_callback),
    })))
}
