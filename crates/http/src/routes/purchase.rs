//! `POST /v1/phone-numbers/purchase`: buy a number, optionally with an `Idempotency-Key`.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, ResponseError as _, web};
use numbers_app::idempotency::Rendered;
use numbers_app::numbers::{Purchase, PurchaseOutcome};
use numbers_app::{App, ServiceError};
use numbers_persistence::{Actor, StoredAnswer};
use serde_json::Value;
use sha2::Digest as _;

use crate::auth::Caller;
use crate::middleware::RequestId;
use crate::params::Body;
use crate::views::PhoneNumberView;
use crate::{ApiError, ErrorBody};

/// The body of a purchase: a JSON object with these fields only; `null` stands for an absent
/// optional field.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the handler reads the body field by field; this documents it"
)]
pub struct PurchaseRequest {
    /// The number to buy, in E.164 form (usually one a search offered).
    #[schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+442071838750")]
    phone_number: String,
    /// A voice channel of the tenant to attach the number to.
    #[schema(value_type = Option<uuid::Uuid>)]
    channel_id: Option<String>,
    /// The type it was offered as; by default what the numbering plan says, else `local`.
    #[schema(value_type = Option<crate::openapi::NumberTypeName>)]
    number_type: Option<String>,
    /// The country it was offered under (decides the regulatory bundle and the price); by
    /// default the numbering plan's. Must share the number's calling code.
    #[schema(pattern = "^[A-Za-z]{2}$")]
    iso_country: Option<String>,
    /// The monthly price the buyer saw, as a decimal string (at most four decimal places,
    /// below 100000000); when given it must equal the current price (else 409
    /// price_changed).
    #[schema(pattern = r"^[0-9]{1,8}(\.[0-9]{1,4})?$", example = "1.15")]
    monthly_price_usd: Option<String>,
}

/// The header that makes a purchase safe to repeat.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Buys a number for the tenant, wires its webhooks to the channel, and answers the number.
#[utoipa::path(
    post,
    path = "/v1/phone-numbers/purchase",
    tag = "phone numbers",
    request_body = PurchaseRequest,
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[ -~]*[!-~][ -~]*$", description = "1-255 printable ASCII characters, not all spaces. The same key with the same body (for 24 hours, per tenant) answers the first request's answer again, byte for byte, without buying again; with another body it is refused (422 idempotency_key_reused)."),
    ),
    responses(
        (status = 201, description = "Bought, wired and active", body = PhoneNumberView),
        (status = 202, description = "Twilio's answer was lost and the purchase could not be confirmed yet, or Twilio sold the number and the database would not record it: the number stays pending (holding a quota slot) until drift-sync settles it", body = PhoneNumberView),
        (status = 400, description = "validation_failed naming the field or header that breaks the rules stated here", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 402, description = "phone_number_quota_exceeded (with used and quota) or subscription_inactive", body = ErrorBody),
        (status = 403, description = "forbidden (members may only list)", body = ErrorBody),
        (status = 404, description = "not_found: channel_id names no voice channel of the tenant", body = ErrorBody),
        (status = 409, description = "phone_number_unavailable (Twilio 21422 with twilio_code; already held; or not offered in iso_country / any country), price_changed (with current_price), idempotency_key_in_flight", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 415, description = "unsupported_media_type", body = ErrorBody),
        (status = 422, description = "regulatory_requirements_missing (Twilio 21649/21631/21615/21650, with twilio_code), idempotency_key_reused", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 502, description = "twilio_error (with twilio_code)", body = ErrorBody),
        (status = 503, description = "twilio_unavailable or database_unavailable; nothing was bought", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn purchase(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let key = idempotency_key(&req)?;
    let purchase = parse(&body.into_inner())?;
    let actor = actor(&caller, &req);
    let tenant_id = caller.tenant_id();
    let answer = match key {
        None => render(app.purchase(tenant_id, purchase, actor).await).answer,
        Some(key) => {
            let fingerprint = fingerprint(&purchase);
            let run = {
                let app = app.clone();
                async move { app.purchase(tenant_id, purchase, actor).await }
            };
            app.once(tenant_id, key, fingerprint, run, render).await?
        }
    };
    Ok(respond(&answer))
}

/// The audit actor of a request: the token's subject, through the API, with the request id.
pub(crate) fn actor(caller: &Caller, req: &HttpRequest) -> Actor {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    Actor::api(caller.claims.sub.clone(), request_id)
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::invalid(
            "Idempotency-Key",
            format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"
            ),
        )
    };
    let key = value.to_str().map_err(|_| invalid())?;
    let printable = key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if key.trim().is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || !printable {
        return Err(invalid());
    }
    Ok(Some(key.to_owned()))
}

/// What makes two purchases "the same request": what the validated body asks for, in a
/// fixed order, hashed (so key order, white space and `null` for an absent field do not
/// matter).
fn fingerprint(purchase: &Purchase) -> String {
    let canonical = serde_json::json!([
        purchase.phone_number.as_str(),
        purchase.channel_id.map(|id| id.to_string()),
        purchase.number_type.map(|t| t.as_str()),
        purchase.iso_country.map(|c| c.to_string()),
        purchase
            .monthly_price_usd
            .map(|m| m.amount().normalize().to_string()),
    ]);
    hex::encode(sha2::Sha256::digest(canonical.to_string().as_bytes()))
}

fn parse(body: &Value) -> Result<Purchase, ApiError> {
    let body = Body::new(
        body.clone(),
        &[
            "phone_number",
            "channel_id",
            "number_type",
            "iso_country",
            "monthly_price_usd",
        ],
    )?;
    let phone_number =
        body.required_str("phone_number")?
            .parse()
            .map_err(|e: numbers_domain::E164Error| {
                ApiError::invalid(
                    "phone_number",
                    format!("phone_number: {e} (E.164, e.g. +14155550123)"),
                )
            })?;
    let channel_id = body
        .optional_str("channel_id")?
        .map(|raw| {
            raw.parse::<uuid::Uuid>()
                .map(numbers_domain::ChannelId::from)
                .map_err(|_| ApiError::invalid("channel_id", "channel_id must be a UUID or null"))
        })
        .transpose()?;
    let number_type = body
        .optional_str("number_type")?
        .map(|raw| {
            raw.parse().map_err(|_| {
                ApiError::invalid(
                    "number_type",
                    "number_type must be one of local, toll_free, mobile",
                )
            })
        })
        .transpose()?;
    let iso_country = body
        .optional_str("iso_country")?
        .map(|raw| {
            raw.parse().map_err(|_| {
                ApiError::invalid(
                    "iso_country",
                    "iso_country must be an ISO-3166 alpha-2 code such as US or GB",
                )
            })
        })
        .transpose()?;
    let monthly_price_usd = body
        .optional_str("monthly_price_usd")?
        .map(|raw| {
            raw.parse().map_err(|_| {
                ApiError::invalid(
                    "monthly_price_usd",
                    "monthly_price_usd must be a non-negative decimal string such as \"1.15\"",
                )
            })
        })
        .transpose()?;
    Ok(Purchase {
        phone_number,
        channel_id,
        number_type,
        iso_country,
        monthly_price_usd,
    })
}

/// The HTTP answer of a purchase, as stored for repeats.
fn render(result: Result<PurchaseOutcome, ServiceError>) -> Rendered {
    let (status, body) = match result {
        Ok(PurchaseOutcome::Bought(record)) => (StatusCode::CREATED, view_json(record)),
        Ok(PurchaseOutcome::Unsettled(record)) => (StatusCode::ACCEPTED, view_json(record)),
        Err(error) => {
            let error = ApiError::from(error);
            error.log();
            (error.status_code(), json(&error.body()))
        }
    };
    Rendered {
        keep: status != StatusCode::SERVICE_UNAVAILABLE,
        answer: StoredAnswer {
            status: status.as_u16(),
            body,
        },
    }
}

fn view_json(record: numbers_persistence::PhoneNumberRecord) -> String {
    json(&PhoneNumberView::from(
        numbers_persistence::PhoneNumberSummary::from(record),
    ))
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, "an answer could not be serialised");
        r#"{"code":"internal","message":"internal error"}"#.to_owned()
    })
}

fn respond(answer: &StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.content_type(ContentType::json());
    response.body(answer.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str) -> Purchase {
        parse(&serde_json::from_str(body).unwrap()).unwrap()
    }

    #[test]
    fn the_fingerprint_is_what_the_body_asks_for() {
        let a = parsed(r#"{"phone_number":"+14155550100","monthly_price_usd":"1.15"}"#);
        let b = parsed(
            r#"{ "monthly_price_usd": "1.150", "channel_id": null, "phone_number": "+14155550100" }"#,
        );
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = parsed(r#"{"phone_number":"+14155550100","monthly_price_usd":"1.16"}"#);
        assert_ne!(fingerprint(&a), fingerprint(&c));
        let d = parsed(r#"{"phone_number":"+14155550100","number_type":"local"}"#);
        assert_ne!(fingerprint(&a), fingerprint(&d));
        assert_eq!(fingerprint(&a).len(), 64);
    }
}
