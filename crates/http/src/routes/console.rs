//! `GET /console`: the admin console (SPEC §11), static files embedded in the binary and
//! served with a strict Content-Security-Policy. The console talks only to the public `/v1`
//! API with a bearer token it keeps in the browser; the server knows nothing of it.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, web};
use numbers_app::App;

use crate::ApiError;

/// The Content-Security-Policy of every console file: everything from this origin only (no
/// inline scripts or styles, no external fonts, scripts or frames), and no framing by other
/// pages.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $name)),
        }
    };
}

/// The console's files (`crates/http/console/`); `index.html` is served at `/console/`.
static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("errors.js", "text/javascript; charset=utf-8"),
    asset!("calls.js", "text/javascript; charset=utf-8"),
    asset!("countries.json", "application/json"),
    asset!("icon.svg", "image/svg+xml"),
];

/// Registers `/console`, `/console/` and `/console/{file}` (GET only; other methods 405).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::resource("/console", "GET").route(web::get().to(redirect)))
        .service(crate::resource("/console/", "GET").route(web::get().to(index)))
        // Before `{file}`, which would otherwise take the name.
        .service(crate::resource("/console/config.json", "GET").route(web::get().to(config)))
        .service(crate::resource("/console/{file}", "GET").route(web::get().to(file)));
}

/// `GET /console`: redirects to `/console/`, so the files' relative addresses resolve under
/// it (browsers keep the URL fragment, and with it a sign-in token, across the redirect).
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

/// `GET /console/`: the console's page.
///
/// # Errors
/// None in practice: the page is embedded.
pub async fn index() -> Result<HttpResponse, ApiError> {
    serve("index.html").ok_or(ApiError::NotFound("route"))
}

/// `GET /console/{file}`: one of the console's files.
///
/// # Errors
/// `404 not_found` for a name that is not one of them.
pub async fn file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(&name).ok_or(ApiError::NotFound("route"))
}

/// `GET /console/config.json`: what the console needs to know of this server,
/// `{"sandbox": true|false}` (sandbox mode shows a banner and the simulated-call button).
pub async fn config(app: web::Data<App>) -> HttpResponse {
    let body = serde_json::json!({ "sandbox": app.sandbox().is_some() }).to_string();
    ok("application/json").body(body)
}

fn serve(name: &str) -> Option<HttpResponse> {
    let asset = ASSETS.iter().find(|a| a.name == name)?;
    Some(ok(asset.content_type).body(asset.body))
}

/// A 200 with the console's headers.
fn ok(content_type: &'static str) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        // Small files: always revalidated, so a new binary's console is used at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ));
    response
}
