//! The OpenAPI 3 document, generated from the handlers' annotations. Served at
//! `GET /openapi.json` and committed as `docs/openapi.json` (a test fails when it is stale;
//! regenerate with `cargo run --bin api -- openapi > docs/openapi.json`).

use utoipa::Modify;
use utoipa::OpenApi as _;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::routes::{channels, health, legacy, number, phone_numbers, purchase};
use crate::{ErrorBody, views};

/// The API's OpenAPI description.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Phone numbers service",
        description = "Buy, wire and release a tenant's Twilio phone numbers. Every error answer is the envelope `ErrorBody` with a stable `code`.",
    ),
    paths(
        phone_numbers::list,
        phone_numbers::available,
        phone_numbers::pricing,
        purchase::purchase,
        number::get,
        number::release,
        number::attach,
        channels::list,
        channels::create,
        legacy::list,
        health::healthz,
        health::readyz,
    ),
    components(schemas(
        ErrorBody,
        views::PhoneNumberList,
        views::PhoneNumberView,
        views::CapabilitiesView,
        views::AvailableNumberList,
        views::AvailableNumberView,
        views::PricingView,
        views::PriceView,
        views::ChannelList,
        views::ChannelView,
        views::CreateChannelRequest,
        views::LegacyPoolNumber,
        purchase::PurchaseRequest,
        number::AttachRequest,
        health::Status,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "HS256 JWT signed with JWT_SECRET; claims sub, tenant_id (UUID), role (admin | member), exp",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as pretty-printed JSON, with a trailing newline.
#[must_use]
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the OpenAPI document");
        "{}".to_owned()
    });
    json.push('\n');
    json
}
