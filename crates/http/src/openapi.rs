//! The OpenAPI 3 document, generated from the handlers' annotations. Served at
//! `GET /openapi.json` and committed as `docs/openapi.json` (a test fails when it is stale;
//! regenerate with `cargo run --bin api -- openapi > docs/openapi.json`).
//!
//! The document states every rule the server enforces on its input (SPEC §5): the names it
//! accepts as enums built from the domain's own lists, patterns and lengths of strings, ranges
//! of numbers, required fields, and every status each route can answer, so that a client
//! generated from it sends nothing the server refuses. `tests/openapi_constraints.rs` holds
//! the document to that, against the running server.

use std::borrow::Cow;

use numbers_domain::{AddressRequirement, NumberStatus, NumberType};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _, PartialSchema, ToSchema};

use crate::routes::{
    channels, health, legacy, number, ops, phone_numbers, purchase, subscriptions,
};
use crate::{ErrorBody, views};

/// The API's OpenAPI description.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Phone numbers service",
        description = "Buy, wire and release a tenant's Twilio phone numbers. Every error answer is the envelope `ErrorBody` with a stable `code`. Query strings accept only the parameters listed for their route, each at most once; anything else is answered 400 `validation_failed` naming the parameter.",
    ),
    paths(
        phone_numbers::list,
        phone_numbers::available,
        phone_numbers::pricing,
        purchase::purchase,
        number::get,
        number::release,
        number::attach,
        number::calls,
        channels::list,
        channels::create,
        subscriptions::cancel,
        legacy::list,
        health::healthz,
        health::readyz,
        ops::metrics,
        ops::openapi,
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
        views::CallList,
        views::CallView,
        purchase::PurchaseRequest,
        number::AttachRequest,
        subscriptions::CancelRequest,
        subscriptions::SubscriptionView,
        health::Status,
        NumberStatusName,
        NumberStatusFilter,
        NumberTypeName,
        AddressRequirementName,
    )),
    modifiers(&BearerAuth, &MethodNotAllowed),
)]
pub struct ApiDoc;

/// The query parameters of `GET /v1/phone-numbers`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only numbers in this status, or `all`; without it, every number but the released ones.
    pub status: Option<NumberStatusFilter>,
}

/// The query parameters of `GET /v1/phone-numbers/available`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailableParams {
    /// ISO-3166 alpha-2 country, in either case (`US`, `us`). Any two letters are read;
    /// a country Twilio does not serve is answered 404.
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country: String,
    /// The number type to search; `local` when absent.
    #[param(rename = "type", default = "local")]
    pub number_type: Option<NumberTypeName>,
    /// Twilio's `Contains` pattern: 2–16 characters of digits, letters (keypad vanity) and `*`
    /// (any one character), with at least two digits or letters, optionally opened by `+`
    /// (anchored at the start) or a run of `%`, and closed by `$` (anchored at the end) or a
    /// run of `%` (any run of characters). Two different symbols never touch. A leading `+`
    /// must be sent URL-encoded (`%2B`).
    #[param(
        min_length = 2,
        max_length = 16,
        pattern = r"^(?:\+|%+|\**)[0-9A-Za-z][0-9A-Za-z*]*[0-9A-Za-z](?:\$|%+|\**)$"
    )]
    pub contains: Option<String>,
    /// How many offers at most.
    #[param(minimum = 1, maximum = 30, default = 20)]
    pub limit: Option<i32>,
}

/// The query parameters of `GET /v1/phone-numbers/{id}/calls`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallsParams {
    /// How many calls at most.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i32>,
    /// The `next_before` of the previous page: the calls older than that call.
    #[param(pattern = "^CA[0-9A-Fa-f]{32}$")]
    pub before: Option<String>,
}

/// The query parameters of `GET /v1/phone-numbers/pricing`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PricingParams {
    /// ISO-3166 alpha-2 country, in either case (`GB`, `gb`). Any two letters are read;
    /// a country Twilio has no prices for is answered 404.
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country: String,
}

/// A string schema with exactly these values.
fn names<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

/// A number's status, as answered (`NumberStatus` in the document; the domain's own list).
pub struct NumberStatusName;

impl PartialSchema for NumberStatusName {
    fn schema() -> RefOr<Schema> {
        names(
            NumberStatus::ALL.map(NumberStatus::as_str),
            "Where a number is in its lifecycle.",
        )
    }
}

impl ToSchema for NumberStatusName {
    fn name() -> Cow<'static, str> {
        "NumberStatus".into()
    }
}

/// The `status` filter of the list: a status, or `all`.
pub struct NumberStatusFilter;

impl PartialSchema for NumberStatusFilter {
    fn schema() -> RefOr<Schema> {
        names(
            NumberStatus::ALL
                .map(NumberStatus::as_str)
                .into_iter()
                .chain(["all"]),
            "A number status, or `all` for every number including released ones.",
        )
    }
}

impl ToSchema for NumberStatusFilter {}

/// A number type, as read and answered (`NumberType` in the document; the domain's own list).
pub struct NumberTypeName;

impl PartialSchema for NumberTypeName {
    fn schema() -> RefOr<Schema> {
        names(
            NumberType::ALL.map(NumberType::as_str),
            "The kind of number.",
        )
    }
}

impl ToSchema for NumberTypeName {
    fn name() -> Cow<'static, str> {
        "NumberType".into()
    }
}

/// The address Twilio requires to buy a number (`AddressRequirement` in the document).
pub struct AddressRequirementName;

impl PartialSchema for AddressRequirementName {
    fn schema() -> RefOr<Schema> {
        names(
            [
                AddressRequirement::None,
                AddressRequirement::Any,
                AddressRequirement::Local,
                AddressRequirement::Foreign,
            ]
            .map(views::address_requirement_name),
            "`none`, or where the address Twilio requires must be: `any`, `local` (in the number's country) or `foreign`.",
        )
    }
}

impl ToSchema for AddressRequirementName {
    fn name() -> Cow<'static, str> {
        "AddressRequirement".into()
    }
}

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

/// Adds to every operation the `405` its path answers to any other method, with the `Allow`
/// header listing the path's methods (the same list the server sends).
struct MethodNotAllowed;

impl Modify for MethodNotAllowed {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations: [(&str, &mut Option<Operation>); 8] = [
                ("GET", &mut item.get),
                ("PUT", &mut item.put),
                ("POST", &mut item.post),
                ("DELETE", &mut item.delete),
                ("OPTIONS", &mut item.options),
                ("HEAD", &mut item.head),
                ("PATCH", &mut item.patch),
                ("TRACE", &mut item.trace),
            ];
            let allow = operations
                .iter()
                .filter(|(_, operation)| operation.is_some())
                .map(|(method, _)| *method)
                .collect::<Vec<_>>()
                .join(", ");
            for (_, operation) in operations {
                let Some(operation) = operation else { continue };
                let response = ResponseBuilder::new()
                    .description(format!(
                        "method_not_allowed: the answer to any other method on this path; `Allow` lists this path's methods ({allow})"
                    ))
                    .header(
                        "Allow",
                        HeaderBuilder::new()
                            .schema(
                                ObjectBuilder::new()
                                    .schema_type(SchemaType::Type(Type::String))
                                    .enum_values(Some([allow.as_str()])),
                            )
                            .description(Some("The methods this path answers"))
                            .build(),
                    )
                    .content(
                        "application/json",
                        Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "ErrorBody",
                        )))),
                    )
                    .build();
                operation
                    .responses
                    .responses
                    .insert("405".to_owned(), RefOr::T(response));
            }
        }
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
