//! `GET /v1/phone-numbers`, `GET /v1/phone-numbers/available`, `GET /v1/phone-numbers/pricing`.

use actix_web::{HttpRequest, HttpResponse, web};
use numbers_app::App;
use numbers_domain::{AvailableQuery, ContainsPattern, IsoCountry, NumberStatus, NumberType};
use numbers_persistence::StatusFilter;

use crate::auth::Caller;
use crate::params::Query;
use crate::views::{AvailableNumberList, AvailableNumberView, PhoneNumberList, PricingView};
use crate::{ApiError, ErrorBody};

const COUNTRY_HINT: &str = "country must be an ISO-3166 alpha-2 code such as US or GB";
const TYPE_HINT: &str = "type must be one of local, toll_free, mobile";

fn country(query: &Query) -> Result<IsoCountry, ApiError> {
    query.required("country", COUNTRY_HINT, |v| v.parse().ok())
}

/// The tenant's phone numbers (not released, unless `status` says otherwise).
#[utoipa::path(
    get,
    path = "/v1/phone-numbers",
    tag = "phone numbers",
    params(crate::openapi::ListParams),
    responses(
        (status = 200, description = "The tenant's numbers, oldest first", body = PhoneNumberList),
        (status = 400, description = "validation_failed: a bad `status`, or an unknown or repeated parameter", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 503, description = "database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = Query::parse(req.query_string(), &["status"])?;
    let filter = query
        .parsed(
            "status",
            "status must be one of pending, active, releasing, released, failed, all",
            |v| match v {
                "all" => Some(StatusFilter::All),
                other => other.parse::<NumberStatus>().ok().map(StatusFilter::Only),
            },
        )?
        .unwrap_or_default();
    let rows = app
        .store()
        .phone_numbers()
        .list_for_tenant(caller.tenant_id(), filter)
        .await?;
    let list = PhoneNumberList {
        phone_numbers: rows.into_iter().map(Into::into).collect(),
    };
    Ok(HttpResponse::Ok().json(list))
}

/// Searches Twilio's inventory, with the monthly price and whether the platform can buy
/// each number.
#[utoipa::path(
    get,
    path = "/v1/phone-numbers/available",
    tag = "phone numbers",
    params(crate::openapi::AvailableParams),
    responses(
        (status = 200, description = "Numbers for sale", body = AvailableNumberList),
        (status = 400, description = "validation_failed naming the parameter", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "forbidden (members may only list)", body = ErrorBody),
        (status = 404, description = "not_found: Twilio offers no numbers of that type there (with twilio_code)", body = ErrorBody),
        (status = 500, description = "internal", body = ErrorBody),
        (status = 502, description = "twilio_error (with twilio_code)", body = ErrorBody),
        (status = 503, description = "twilio_unavailable or database_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn available(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<AvailableNumberList>, ApiError> {
    caller.require_admin()?;
    let query = Query::parse(
        req.query_string(),
        &["country", "type", "contains", "limit"],
    )?;
    let country = country(&query)?;
    let number_type: NumberType = query
        .parsed("type", TYPE_HINT, |v| v.parse().ok())?
        .unwrap_or(NumberType::Local);
    // A raw `+` in a query string means a space; say how to send the anchor.
    let contains_hint = match query.get("contains") {
        Some(raw) if raw.starts_with(' ') => {
            "contains: a leading '+' must be sent URL-encoded as %2B".to_owned()
        }
        _ => numbers_domain::ContainsPatternError.to_string(),
    };
    let contains: Option<ContainsPattern> =
        query.parsed("contains", &contains_hint, |v| v.parse().ok())?;
    let limit = query
        .parsed("limit", "limit must be an integer from 1 to 30", |v| {
            v.parse::<u8>().ok().filter(|n| (1..=30).contains(n))
        })?
        .unwrap_or(20);
    let search = AvailableQuery {
        country,
        number_type,
        contains,
        limit,
    };
    let found = app.search_available(&search).await?;
    Ok(web::Json(AvailableNumberList {
        country: country.to_string(),
        number_type: number_type.to_string(),
        currency: found.currency,
        available_phone_numbers: found
            .offers
            .into_iter()
            .map(|offer| {
                let price = offer.monthly_price.map(|m| m.to_string());
                AvailableNumberView::new(offer.number, price, offer.purchasable)
            })
            .collect(),
    }))
}

/// Monthly prices per number type for a country (cached).
#[utoipa::path(
    get,
    path = "/v1/phone-numbers/pricing",
    tag = "phone numbers",
    params(crate::openapi::PricingParams),
    responses(
        (status = 200, description = "Prices", body = PricingView),
        (status = 400, description = "validation_failed naming the parameter", body = ErrorBody),
        (status = 401, description = "unauthorized", body = ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found: Twilio has no prices for that country (with twilio_code)", body = ErrorBody),
        (status = 502, description = "twilio_error (with twilio_code)", body = ErrorBody),
        (status = 503, description = "twilio_unavailable", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn pricing(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<PricingView>, ApiError> {
    caller.require_admin()?;
    let query = Query::parse(req.query_string(), &["country"])?;
    let country = country(&query)?;
    let pricing = app.country_pricing(country).await?;
    Ok(web::Json(pricing.into()))
}
