//! The admin console's files over real HTTP: served from the binary under `/console` with a
//! strict Content-Security-Policy, nothing inline or external, a country list the fake stocks
//! whole, and an error-code map that words every code the API can answer.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::time::Duration;

use numbers_app::App;
use numbers_http::{ApiError, ErrorBody};
use numbers_persistence::{DatabaseUrl, Store, StoreOptions};
use twilio_fake::{FakeConfig, NumberKind, TwilioFake};

const CSP: &str = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A server without a database: the console needs none.
fn start() -> String {
    let url = DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/none").expect("url");
    let options = StoreOptions {
        acquire_timeout: Duration::from_millis(200),
        ..StoreOptions::default()
    };
    let store = Store::connect(&url, &options).expect("pool");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let server = numbers_http::serve(App::from_store(store, url), listener).expect("serve");
    tokio::spawn(server);
    base
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Served {
    status: u16,
    content_type: String,
    csp: Option<String>,
    body: String,
}

async fn fetch(base: &str, path: &str) -> Served {
    let response = client()
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Served {
        status: response.status().as_u16(),
        content_type: header("content-type").unwrap_or_default(),
        csp: header("content-security-policy"),
        body: response.text().await.expect("body"),
    }
}

/// The values of `attribute="…"` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The modules a script imports (`from './x.js'`).
fn imports(script: &str) -> Vec<&str> {
    script
        .match_indices("from '")
        .filter_map(|(at, _)| {
            let rest = &script[at + 6..];
            rest.find('\'').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_and_every_file_it_loads_are_served_with_a_strict_csp() {
    let base = start();

    let redirect = client()
        .get(format!("{base}/console"))
        .send()
        .await
        .expect("request");
    assert_eq!(redirect.status().as_u16(), 308);
    assert_eq!(redirect.headers()["location"], "/console/");

    let page = fetch(&base, "/console/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert_eq!(page.csp.as_deref(), Some(CSP));

    // Every file the page names, and every module those scripts import, is served.
    let mut wanted: BTreeSet<String> = attribute_values(&page.body, "src")
        .into_iter()
        .chain(attribute_values(&page.body, "href"))
        .filter(|v| !v.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert!(
        wanted.contains("app.js") && wanted.contains("console.css"),
        "{wanted:?}"
    );
    let mut seen = BTreeSet::new();
    while let Some(name) = wanted.pop_first() {
        assert!(
            !name.contains(':') && !name.starts_with('/'),
            "{name}: only files of the console itself"
        );
        let name = name.trim_start_matches("./").to_owned();
        if !seen.insert(name.clone()) {
            continue;
        }
        let file = fetch(&base, &format!("/console/{name}")).await;
        assert_eq!(file.status, 200, "{name}");
        assert_eq!(file.csp.as_deref(), Some(CSP), "{name}");
        let expected = match name.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected file type {other:?}"),
        };
        assert_eq!(file.content_type, expected, "{name}");
        if name.ends_with(".js") {
            wanted.extend(imports(&file.body).into_iter().map(str::to_owned));
        }
    }
    assert!(
        seen.contains("api.js") && seen.contains("errors.js"),
        "{seen:?}"
    );

    let countries = fetch(&base, "/console/countries.json").await;
    assert_eq!(countries.status, 200);
    assert_eq!(countries.content_type, "application/json");

    // Outside sandbox mode the console is told so (no banner, no simulated calls).
    let config = fetch(&base, "/console/config.json").await;
    assert_eq!(config.status, 200);
    assert_eq!(config.csp.as_deref(), Some(CSP));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&config.body).expect("json"),
        serde_json::json!({ "sandbox": false })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_console_files_are_404_and_other_methods_405_with_the_envelope() {
    let base = start();
    for path in [
        "/console/nope.js",
        "/console/..%2Fsrc%2Flib.rs",
        "/console/index.html/x",
    ] {
        let missing = fetch(&base, path).await;
        assert_eq!(missing.status, 404, "{path}");
        let body: ErrorBody = serde_json::from_str(&missing.body).expect("envelope");
        assert_eq!(body.code, "not_found");
    }
    let post = client()
        .post(format!("{base}/console/app.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(post.status().as_u16(), 405);
    assert_eq!(post.headers()["allow"], "GET");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_markup_has_no_inline_code_or_style_and_nothing_external() {
    let base = start();
    let page = fetch(&base, "/console/").await.body;
    let css = fetch(&base, "/console/console.css").await.body;
    for (at, _) in page.match_indices("<script") {
        let tag = &page[at..at + page[at..].find('>').expect("tag end")];
        assert!(tag.contains(" src=\""), "inline script: {tag}");
    }
    assert!(!page.contains("<style"), "inline style element");
    assert!(!page.contains(" style=\""), "style attribute");
    assert!(
        !page.contains(" onclick=") && !page.contains(" onsubmit="),
        "inline handler"
    );
    for text in [&page, &css] {
        assert!(!text.contains("http://") && !text.contains("https://"));
        assert!(!text.contains("@import") && !text.contains("url("));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_country_the_console_offers_is_stocked_by_the_fake() {
    let base = start();
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&fetch(&base, "/console/countries.json").await.body).expect("json");
    let codes: Vec<&str> = list
        .iter()
        .map(|c| {
            assert!(c["name"].as_str().is_some_and(|n| !n.is_empty()), "{c}");
            c["code"].as_str().expect("code")
        })
        .collect();
    assert!(codes.contains(&"GB") && codes.contains(&"CZ"), "{codes:?}");
    let fake = TwilioFake::start(FakeConfig::with_seed(14)).expect("fake");
    for code in codes {
        let stocked: usize = [NumberKind::Local, NumberKind::TollFree, NumberKind::Mobile]
            .into_iter()
            .filter_map(|kind| fake.control().available_numbers(code, kind).ok())
            .map(|offers| offers.len())
            .sum();
        assert!(
            stocked > 0,
            "the console offers {code} but the fake stocks none"
        );
    }
}

/// One of each error the API answers; the `match` makes a new variant a compile error here
/// until it is listed (and so worded in the console's map).
fn every_api_error() -> Vec<ApiError> {
    let all = vec![
        ApiError::invalid("country", "bad"),
        ApiError::Unauthorized("no token"),
        ApiError::Forbidden,
        ApiError::NotFound("phone number"),
        ApiError::TwilioNotFound {
            message: "none".into(),
            twilio_code: Some(20404),
        },
        ApiError::MethodNotAllowed,
        ApiError::QuotaExceeded { used: 5, quota: 5 },
        ApiError::SubscriptionInactive,
        ApiError::NumberUnavailable {
            twilio_code: Some(21422),
        },
        ApiError::RegulatoryRequirementsMissing {
            twilio_code: Some(21649),
        },
        ApiError::PriceChanged {
            current_price: Some("1.25".into()),
        },
        ApiError::NotActive("pending".into()),
        ApiError::ChangedConcurrently,
        ApiError::IdempotencyKeyReused,
        ApiError::IdempotencyKeyInFlight,
        ApiError::Twilio {
            twilio_code: Some(21452),
        },
        ApiError::TwilioUnavailable,
        ApiError::DatabaseUnavailable,
        ApiError::PayloadTooLarge { limit: 1 },
        ApiError::UnsupportedMediaType,
        ApiError::InvalidSignature,
        ApiError::Internal("x".into()),
    ];
    for error in &all {
        match error {
            ApiError::ValidationFailed { .. }
            | ApiError::Unauthorized(_)
            | ApiError::Forbidden
            | ApiError::InvalidSignature
            | ApiError::NotFound(_)
            | ApiError::TwilioNotFound { .. }
            | ApiError::MethodNotAllowed
            | ApiError::QuotaExceeded { .. }
            | ApiError::SubscriptionInactive
            | ApiError::NumberUnavailable { .. }
            | ApiError::RegulatoryRequirementsMissing { .. }
            | ApiError::PriceChanged { .. }
            | ApiError::NotActive(_)
            | ApiError::ChangedConcurrently
            | ApiError::IdempotencyKeyReused
            | ApiError::IdempotencyKeyInFlight
            | ApiError::Twilio { .. }
            | ApiError::TwilioUnavailable
            | ApiError::DatabaseUnavailable
            | ApiError::PayloadTooLarge { .. }
            | ApiError::UnsupportedMediaType
            | ApiError::Internal(_) => {}
        }
    }
    all
}

/// The keys of `export const NAME = { key: '…', … };` in a module.
fn map_keys(script: &str, name: &str) -> BTreeSet<String> {
    let start = script
        .find(&format!("export const {name} = {{"))
        .unwrap_or_else(|| panic!("{name} not found"));
    let body = &script[start..];
    let body = &body[..body.find("\n};").expect("end of map")];
    body.lines()
        .skip(1)
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(key, _)| key.trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_map_words_every_code_the_api_answers_and_twilios_regulatory_codes() {
    let base = start();
    let script = fetch(&base, "/console/errors.js").await.body;
    let ours = map_keys(&script, "CODE_MESSAGES");
    for error in every_api_error() {
        assert!(
            ours.contains(error.code()),
            "errors.js has no words for {}",
            error.code()
        );
    }
    let twilio = map_keys(&script, "TWILIO_MESSAGES");
    // The codes SPEC §5 names, and the race after a search.
    for code in [
        "21422", "21649", "21631", "21615", "21650", "20404", "20429",
    ] {
        assert!(
            twilio.contains(code),
            "errors.js has no words for Twilio {code}"
        );
    }
}
