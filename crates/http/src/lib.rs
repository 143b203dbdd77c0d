//! The HTTP layer of the phone numbers service, on `actix-web`: routes, authentication, the
//! error envelope of SPEC §5, the OpenAPI document, metrics and request ids, and the server
//! start-up used by the `api` binary.
//!
//! Every failure is answered with the envelope `{ "code", "message", … }` ([`ErrorBody`]),
//! including the framework's own (malformed JSON, wrong content type, oversized bodies,
//! unknown routes and methods): no input produces a 5xx or a panic.

pub mod auth;
mod error;
pub mod middleware;
pub mod openapi;
mod params;
pub mod routes;
pub mod views;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{App as ActixApp, HttpRequest, HttpServer, ResponseError as _, web};
use numbers_app::App;

pub use error::{ApiError, ErrorBody};

/// How long readiness waits for the database before answering 503.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Registers every route, the body and query error handlers, and the fallbacks for unknown
/// routes and methods.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use routes::{
        channels, health, legacy, number, ops, phone_numbers, purchase, sandbox, subscriptions,
        webhooks,
    };
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::PayloadConfig::default().limit(MAX_BODY_BYTES))
    .service(resource("/healthz", "GET").route(web::get().to(health::healthz)))
    .service(resource("/readyz", "GET").route(web::get().to(health::readyz)))
    .service(resource("/metrics", "GET").route(web::get().to(ops::metrics)))
    .service(resource("/openapi.json", "GET").route(web::get().to(ops::openapi)))
    .service(resource("/v1/phone-numbers", "GET").route(web::get().to(phone_numbers::list)))
    .service(
        resource("/v1/phone-numbers/available", "GET")
            .route(web::get().to(phone_numbers::available)),
    )
    .service(
        resource("/v1/phone-numbers/pricing", "GET").route(web::get().to(phone_numbers::pricing)),
    )
    .service(
        resource("/v1/phone-numbers/purchase", "POST").route(web::post().to(purchase::purchase)),
    )
    .service(
        resource("/v1/phone-numbers/{id}", "GET, DELETE, PATCH")
            .route(web::get().to(number::get))
            .route(web::delete().to(number::release))
            .route(web::patch().to(number::attach)),
    )
    .service(resource("/v1/phone-numbers/{id}/calls", "GET").route(web::get().to(number::calls)))
    .service(resource("/webhooks/twilio/voice", "POST").route(web::post().to(webhooks::voice)))
    .service(resource("/webhooks/twilio/status", "POST").route(web::post().to(webhooks::status)))
    .service(resource("/sandbox/calls", "POST").route(web::post().to(sandbox::place_call)))
    .service(
        resource("/v1/channels", "GET, POST")
            .route(web::get().to(channels::list))
            .route(web::post().to(channels::create)),
    )
    .service(
        resource("/v1/subscriptions/{id}/cancel", "POST")
            .route(web::post().to(subscriptions::cancel)),
    )
    .service(
        resource("/v1/tenants/{tenant_id}/phone-numbers", "GET").route(web::get().to(legacy::list)),
    )
    .configure(routes::console::configure)
    .default_service(web::to(not_found));
}

/// A resource that answers any method it does not route with 405, the envelope, and
/// `Allow: <allow>` (which must list the methods routed on it; a test compares it with the
/// OpenAPI document over HTTP).
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || method_not_allowed(allow)))
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}

async fn method_not_allowed(allow: &'static str) -> actix_web::HttpResponse {
    let mut response = ApiError::MethodNotAllowed.error_response();
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    response
}

fn json_error(error: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &error {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            }
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::invalid("body", format!("the body is not valid JSON: {e}"))
        }
        _ => ApiError::invalid("body", "the body could not be read"),
    };
    api.into()
}

fn query_error(_error: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("query", "the query string is malformed").into()
}

fn path_error(_error: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("path", "a path segment is malformed").into()
}

/// Starts serving `app` on an already bound listener and returns the running server.
/// Awaiting it runs until SIGINT/SIGTERM, after which in-flight requests get up to 30 seconds
/// to finish.
///
/// # Errors
/// An I/O error when the listener cannot be used.
pub fn serve(app: App, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(app);
    let server = HttpServer::new(move || {
        ActixApp::new()
            .app_data(state.clone())
            .wrap(actix_web::middleware::from_fn(middleware::observe))
            .configure(configure)
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}
