//! The control API over HTTP, under `/_fake/` (no authentication; loopback only).

use std::sync::Arc;

use hyper::{Method, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::control::{ControlError, FakeControl, Shared};
use crate::faults::{FakeOperation, Fault};
use crate::model::{AddressRequirement, AvailableNumber, NumberKind, Regulation};
use crate::server::{Body, json_response, pairs};

fn json(status: u16, value: &serde_json::Value) -> Response<Body> {
    json_response(status, value.to_string().into_bytes())
}

fn bad_request(message: impl std::fmt::Display) -> Response<Body> {
    json(400, &serde_json::json!({ "error": message.to_string() }))
}

fn control_error(e: &ControlError) -> Response<Body> {
    match e {
        ControlError::UnknownAccount(_) => {
            json(404, &serde_json::json!({ "error": e.to_string() }))
        }
        ControlError::Invalid(_) => bad_request(e),
    }
}

/// An early answer for bad input (boxed: responses are large).
type Reject = Box<Response<Body>>;

fn reject(message: impl std::fmt::Display) -> Reject {
    Box::new(bad_request(message))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reject> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| reject(format!("invalid JSON body: {e}")))
}

fn done<T: serde::Serialize>(result: Result<T, ControlError>) -> Response<Body> {
    match result {
        Ok(v) => json(200, &serde_json::to_value(v).unwrap_or_default()),
        Err(e) => control_error(&e),
    }
}

#[derive(Deserialize)]
struct AccountBody {
    #[serde(default)]
    friendly_name: Option<String>,
}

#[derive(Deserialize)]
struct KeyBody {
    #[serde(default)]
    account_sid: Option<String>,
}

#[derive(Deserialize)]
struct PairBody {
    country: String,
    #[serde(rename = "type")]
    kind: NumberKind,
}

#[derive(Deserialize)]
struct SeedInventoryBody {
    country: String,
    #[serde(rename = "type")]
    kind: NumberKind,
    count: usize,
}

#[derive(Deserialize)]
struct NumberBody {
    phone_number: String,
}

#[derive(Deserialize)]
struct RegulationBody {
    country: String,
    #[serde(rename = "type")]
    kind: NumberKind,
    #[serde(default)]
    bundle_required: bool,
    #[serde(default)]
    address_requirement: AddressRequirement,
}

#[derive(Deserialize)]
struct BundleBody {
    sid: String,
    country: String,
    #[serde(rename = "type")]
    kind: NumberKind,
}

#[derive(Deserialize)]
struct AddressBody {
    sid: String,
    country: String,
}

#[derive(Deserialize)]
struct StrictBody {
    strict: bool,
}

#[derive(Deserialize)]
struct PriceBody {
    country: String,
    #[serde(rename = "type")]
    kind: NumberKind,
    base_price: String,
    current_price: String,
}

#[derive(Deserialize)]
struct SeedOwnedBody {
    #[serde(default)]
    account_sid: Option<String>,
    count: u64,
    #[serde(default)]
    voice_url: Option<String>,
}

#[derive(Deserialize)]
struct FaultBody {
    operation: FakeOperation,
    fault: Fault,
    #[serde(default)]
    times: Option<u32>,
}

#[derive(Deserialize)]
struct CallBody {
    to: String,
    from: String,
}

#[derive(Deserialize)]
struct StatusCallbackBody {
    call: crate::calls::CallOutcome,
    #[serde(default = "completed")]
    call_status: String,
    #[serde(default)]
    duration_secs: u32,
}

fn completed() -> String {
    "completed".to_owned()
}

fn query_value(query: &str, name: &str) -> Option<String> {
    pairs(query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Serves one `/_fake/...` request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Response<Body> {
    let control = FakeControl { shared };
    match route(&control, method, path, query, body).await {
        Ok(r) => r,
        Err(r) => *r,
    }
}

async fn route(
    c: &FakeControl,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Result<Response<Body>, Reject> {
    let rest = path.strip_prefix("/_fake").unwrap_or(path);
    let ok = || json(200, &serde_json::json!({ "ok": true }));
    Ok(match (method.as_str(), rest) {
        ("GET", "" | "/" | "/health") => ok(),
        ("GET", "/credentials") => json(
            200,
            &serde_json::json!({
                "account_sid": c.account_sid(),
                "auth_token": c.auth_token(),
                "api_base_url": c.base_url(),
                "pricing_base_url": c.base_url(),
                "seed": c.seed(),
            }),
        ),
        ("GET", "/stats") => {
            let counts: serde_json::Map<_, _> = c
                .request_counts()
                .into_iter()
                .map(|(op, n)| (op.name().to_owned(), n.into()))
                .collect();
            json(
                200,
                &serde_json::json!({
                    "owned_numbers": c.owned_count(None).unwrap_or(0),
                    "requests": counts,
                }),
            )
        }
        ("POST", "/accounts") => {
            let b: AccountBody = parse(body)?;
            json(
                201,
                &serde_json::to_value(c.create_subaccount(b.friendly_name.as_deref()))
                    .unwrap_or_default(),
            )
        }
        ("POST", "/keys") => {
            let b: KeyBody = parse(body)?;
            done(c.create_api_key(b.account_sid.as_deref()))
        }
        ("POST", "/inventory/seed") => {
            let b: SeedInventoryBody = parse(body)?;
            done(
                c.seed_inventory(&b.country, b.kind, b.count)
                    .map(|n| serde_json::json!({ "count": n })),
            )
        }
        ("GET", "/inventory") => {
            let country = query_value(query, "country").unwrap_or_default();
            let kind = query_value(query, "type")
                .unwrap_or_else(|| "local".into())
                .parse::<NumberKind>()
                .map_err(reject)?;
            done(c.available_numbers(&country, kind))
        }
        ("POST", "/inventory/numbers") => {
            let b: AvailableNumber = parse(body)?;
            done(
                c.add_available_number(b)
                    .map(|()| serde_json::json!({ "ok": true })),
            )
        }
        ("POST", "/inventory/taken") => {
            let b: NumberBody = parse(body)?;
            done(
                c.mark_taken(&b.phone_number)
                    .map(|()| serde_json::json!({ "ok": true })),
            )
        }
        ("GET", "/regulations") => {
            let b = PairBody {
                country: query_value(query, "country").unwrap_or_default(),
                kind: query_value(query, "type")
                    .unwrap_or_else(|| "local".into())
                    .parse()
                    .map_err(reject)?,
            };
            match c.regulation(&b.country, b.kind) {
                Some(r) => json(200, &serde_json::to_value(r).unwrap_or_default()),
                None => bad_request(format!(
                    "the fake does not stock {} numbers in {}",
                    b.kind, b.country
                )),
            }
        }
        ("PUT" | "POST", "/regulations") => {
            let b: RegulationBody = parse(body)?;
            let rule = Regulation {
                bundle_required: b.bundle_required,
                address_requirement: b.address_requirement,
            };
            done(c.set_regulation(&b.country, b.kind, rule).map(|()| rule))
        }
        ("POST", "/regulatory/bundles") => {
            let b: BundleBody = parse(body)?;
            done(
                c.register_bundle(&b.sid, &b.country, b.kind)
                    .map(|()| serde_json::json!({ "ok": true })),
            )
        }
        ("POST", "/regulatory/addresses") => {
            let b: AddressBody = parse(body)?;
            done(
                c.register_address(&b.sid, &b.country)
                    .map(|()| serde_json::json!({ "ok": true })),
            )
        }
        ("PUT" | "POST", "/regulatory/strict") => {
            let b: StrictBody = parse(body)?;
            c.set_strict_regulatory(b.strict);
            ok()
        }
        ("PUT" | "POST", "/prices") => {
            let b: PriceBody = parse(body)?;
            done(
                c.set_price(&b.country, b.kind, &b.base_price, &b.current_price)
                    .map(|()| serde_json::json!({ "ok": true })),
            )
        }
        ("GET", "/numbers") => {
            let limit = query_value(query, "limit")
                .map(|v| v.parse::<usize>().map_err(reject))
                .transpose()?
                .unwrap_or(1000);
            let account = query_value(query, "account_sid");
            done(c.owned_numbers(account.as_deref(), limit))
        }
        ("GET", "/numbers/count") => {
            let account = query_value(query, "account_sid");
            done(
                c.owned_count(account.as_deref())
                    .map(|n| serde_json::json!({ "count": n })),
            )
        }
        ("POST", "/numbers/seed") => {
            let b: SeedOwnedBody = parse(body)?;
            done(
                c.seed_owned_numbers(b.account_sid.as_deref(), b.count, b.voice_url.as_deref())
                    .map(|n| serde_json::json!({ "count": n })),
            )
        }
        ("GET", number) if number.starts_with("/numbers/") => {
            // The number is a raw path segment: `+` stays `+`; `%2B` is accepted too.
            let phone = number
                .trim_start_matches("/numbers/")
                .replace("%2B", "+")
                .replace("%2b", "+");
            match c.owned_number(&phone) {
                Some(n) => json(200, &serde_json::to_value(n).unwrap_or_default()),
                None => json(
                    404,
                    &serde_json::json!({ "error": format!("{phone} is not owned") }),
                ),
            }
        }
        ("GET", "/faults") => {
            let all: serde_json::Map<_, _> = FakeOperation::ALL
                .into_iter()
                .map(|op| {
                    (
                        op.name().to_owned(),
                        serde_json::to_value(c.pending_faults(op)).unwrap_or_default(),
                    )
                })
                .collect();
            json(200, &serde_json::Value::Object(all))
        }
        ("POST", "/faults") => {
            let b: FaultBody = parse(body)?;
            c.inject_fault(b.operation, b.fault, b.times);
            ok()
        }
        ("DELETE", "/faults") => {
            let op = query_value(query, "operation")
                .map(|v| v.parse::<FakeOperation>().map_err(reject))
                .transpose()?;
            c.clear_faults(op);
            ok()
        }
        ("POST", "/calls") => {
            let b: CallBody = parse(body)?;
            match c.place_call(&b.to, &b.from).await {
                Ok(outcome) => json(200, &serde_json::to_value(outcome).unwrap_or_default()),
                Err(e) => json(422, &serde_json::json!({ "error": e.to_string() })),
            }
        }
        ("POST", "/calls/status") => {
            let b: StatusCallbackBody = parse(body)?;
            match c
                .send_status_callback(&b.call, &b.call_status, b.duration_secs)
                .await
            {
                Ok(outcome) => json(200, &serde_json::to_value(outcome).unwrap_or_default()),
                Err(e) => json(422, &serde_json::json!({ "error": e.to_string() })),
            }
        }
        _ => json(
            404,
            &serde_json::json!({ "error": format!("no control endpoint {method} {path}") }),
        ),
    })
}
