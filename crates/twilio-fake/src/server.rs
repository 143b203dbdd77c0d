//! The HTTP server: accept loop, Twilio routes, authentication, fault application.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::control::Shared;
use crate::control_http;
use crate::faults::{FakeOperation, Fault, LostResponse};
use crate::model::{ApiError, NumberKind, codes};

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// A "hang" with no duration lasts this long at most (the fake normally stops first).
const HANG_FOREVER: Duration = Duration::from_secs(24 * 3600);

pub(crate) type Body = Full<Bytes>;

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// Serves connections until `stop` changes or its sender is dropped; then aborts every open
/// connection (including requests held by a hang fault).
pub(crate) async fn serve(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "twilio-fake could not register its listener");
            return;
        }
    };
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(Arc::clone(&shared), req));
                    // Errors here are clients going away or deliberate drops: nothing to do.
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = stop.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

pub(crate) fn json_response(status: u16, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub(crate) fn error_response(err: &ApiError) -> Response<Body> {
    let mut response = json_response(err.status, err.body().to_string().into_bytes());
    if err.status == 401 {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
    }
    response
}

fn value_response(status: u16, value: &serde_json::Value) -> Response<Body> {
    json_response(status, value.to_string().into_bytes())
}

/// Query or form pairs, decoded.
pub(crate) fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(error_response(&ApiError::invalid_parameter(
                "request body unreadable or larger than 1 MiB",
            )));
        }
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    if path == "/_fake" || path.starts_with("/_fake/") {
        return Ok(control_http::handle(shared, &parts.method, &path, &query, &body).await);
    }
    let auth = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    twilio(shared, &parts.method, &path, &query, auth, &body).await
}

fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// A recognised Twilio resource.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Account {
        sid: String,
    },
    Countries {
        account: String,
    },
    Country {
        account: String,
        iso: String,
    },
    Search {
        account: String,
        iso: String,
        kind: Option<NumberKind>,
    },
    Incoming {
        account: String,
        kind: Option<NumberKind>,
    },
    IncomingNumber {
        account: String,
        sid: String,
    },
    PricingRoot,
    PricingCountries,
    PricingCountry {
        iso: String,
    },
}

impl Route {
    fn parse(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
        let json = |s: &str| {
            s.strip_suffix(".json")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Some(match segments.as_slice() {
            ["2010-04-01", "Accounts", sid] => Self::Account { sid: json(sid)? },
            [
                "2010-04-01",
                "Accounts",
                account,
                "AvailablePhoneNumbers.json",
            ] => Self::Countries {
                account: (*account).to_owned(),
            },
            [
                "2010-04-01",
                "Accounts",
                account,
                "AvailablePhoneNumbers",
                iso,
            ] => Self::Country {
                account: (*account).to_owned(),
                iso: json(iso)?,
            },
            [
                "2010-04-01",
                "Accounts",
                account,
                "AvailablePhoneNumbers",
                iso,
                kind,
            ] => Self::Search {
                account: (*account).to_owned(),
                iso: (*iso).to_owned(),
                kind: NumberKind::from_path_segment(&json(kind)?),
            },
            [
                "2010-04-01",
                "Accounts",
                account,
                "IncomingPhoneNumbers.json",
            ] => Self::Incoming {
                account: (*account).to_owned(),
                kind: None,
            },
            [
                "2010-04-01",
                "Accounts",
                account,
                "IncomingPhoneNumbers",
                last,
            ] => {
                let name = json(last)?;
                match NumberKind::from_path_segment(&name) {
                    Some(kind) => Self::Incoming {
                        account: (*account).to_owned(),
                        kind: Some(kind),
                    },
                    None => Self::IncomingNumber {
                        account: (*account).to_owned(),
                        sid: name,
                    },
                }
            }
            ["v1", "PhoneNumbers"] => Self::PricingRoot,
            ["v1", "PhoneNumbers", "Countries"] => Self::PricingCountries,
            ["v1", "PhoneNumbers", "Countries", iso] if !iso.is_empty() => Self::PricingCountry {
                iso: (*iso).to_owned(),
            },
            _ => return None,
        })
    }

    /// The operation a method on this route performs; `None` when the method is not allowed.
    fn operation(&self, method: &Method) -> Option<FakeOperation> {
        use FakeOperation as Op;
        match (self, method.as_str()) {
            (Self::Account { .. }, "GET") => Some(Op::Account),
            (Self::Countries { .. } | Self::Country { .. } | Self::Search { .. }, "GET") => {
                Some(Op::Search)
            }
            (Self::Incoming { .. }, "GET") => Some(Op::List),
            (Self::Incoming { .. }, "POST") => Some(Op::Create),
            (Self::IncomingNumber { .. }, "GET") => Some(Op::Fetch),
            (Self::IncomingNumber { .. }, "POST") => Some(Op::Update),
            (Self::IncomingNumber { .. }, "DELETE") => Some(Op::Delete),
            (Self::PricingRoot | Self::PricingCountries | Self::PricingCountry { .. }, "GET") => {
                Some(Op::Pricing)
            }
            _ => None,
        }
    }

    fn path_account(&self) -> Option<&str> {
        match self {
            Self::Account { sid } => Some(sid),
            Self::Countries { account }
            | Self::Country { account, .. }
            | Self::Search { account, .. }
            | Self::Incoming { account, .. }
            | Self::IncomingNumber { account, .. } => Some(account),
            Self::PricingRoot | Self::PricingCountries | Self::PricingCountry { .. } => None,
        }
    }
}

/// Serves one Twilio request.
async fn twilio(
    shared: Arc<Shared>,
    method: &Method,
    path: &str,
    query: &str,
    auth: Option<(String, String)>,
    body: &[u8],
) -> Result<Response<Body>, DropConnection> {
    // Credentials first, for every path (Twilio answers 401 before anything else).
    let principal = {
        let state = shared.read();
        match auth.as_ref().map(|(u, p)| state.authenticate(u, p)) {
            Some(Ok(idx)) => idx,
            Some(Err(e)) => return Ok(error_response(&e)),
            None => return Ok(error_response(&ApiError::authenticate())),
        }
    };
    let Some(route) = Route::parse(path) else {
        return Ok(error_response(&ApiError::not_found(path)));
    };
    let Some(op) = route.operation(method) else {
        return Ok(error_response(&ApiError::new(
            405,
            codes::METHOD_NOT_ALLOWED,
            format!("Method {method} not allowed on {path}"),
        )));
    };
    let account = match route.path_account() {
        None => principal,
        Some(sid) => match shared.read().authorize(principal, sid, path) {
            Ok(idx) => idx,
            Err(e) => return Ok(error_response(&e)),
        },
    };
    let _serving = shared.serving(op);
    let plan = shared.begin(op);
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let query = pairs(query.as_bytes());
    let form = pairs(body);
    let run = || execute(&shared, &route, op, principal, account, path, &query, &form);
    match plan.action {
        None => Ok(run()),
        Some(Fault::Error {
            status,
            code,
            message,
        }) => Ok(error_response(&ApiError::new(
            status,
            code,
            message.unwrap_or_else(|| format!("Injected fault: Twilio error {code}")),
        ))),
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut response = error_response(&ApiError::new(
                429,
                codes::TOO_MANY_REQUESTS,
                "Too Many Requests",
            ));
            if let Some(secs) = retry_after_secs
                && let Ok(value) = HeaderValue::from_str(&secs.to_string())
            {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            Ok(response)
        }
        Some(Fault::Latency { .. }) => Ok(run()),
        Some(Fault::Hang { ms }) => {
            tokio::time::sleep(ms.map_or(HANG_FOREVER, Duration::from_millis)).await;
            Err(DropConnection)
        }
        Some(Fault::CommitThenLose { lose }) => {
            // The operation happens; only its answer is lost.
            drop(run());
            match lose {
                LostResponse::DropConnection => Err(DropConnection),
                LostResponse::ServerError => Ok(error_response(&ApiError::new(
                    500,
                    codes::INTERNAL,
                    "Internal Server Error",
                ))),
                LostResponse::Hang { ms } => {
                    tokio::time::sleep(ms.map_or(HANG_FOREVER, Duration::from_millis)).await;
                    Err(DropConnection)
                }
            }
        }
    }
}

/// Runs `op` on `route` against the state and renders Twilio's answer.
#[expect(
    clippy::too_many_arguments,
    reason = "the pieces of one parsed request, passed once"
)]
fn execute(
    shared: &Shared,
    route: &Route,
    op: FakeOperation,
    principal: u32,
    account: u32,
    path: &str,
    query: &[(String, String)],
    form: &[(String, String)],
) -> Response<Body> {
    let pricing_base = shared.base_url.as_str();
    let result: Result<Response<Body>, ApiError> = match (route, op) {
        (Route::Account { .. }, _) => {
            let state = shared.read();
            let a = state.account(account);
            let owner = a
                .parent
                .map_or(a.sid.as_str(), |p| state.account(p).sid.as_str());
            Ok(value_response(
                200,
                &crate::wire::account_resource(
                    &a.sid,
                    owner,
                    &a.token,
                    &a.friendly_name,
                    a.created,
                ),
            ))
        }
        (Route::Countries { .. }, _) => {
            Ok(value_response(200, &shared.read().countries_json(account)))
        }
        (Route::Country { iso, .. }, _) => shared
            .read()
            .country_json(account, iso, path)
            .map(|v| value_response(200, &v)),
        (Route::Search { kind: None, .. }, _) => Err(ApiError::not_found(path)),
        (
            Route::Search {
                iso,
                kind: Some(kind),
                ..
            },
            _,
        ) => shared
            .read()
            .search(account, iso, *kind, query, path)
            .map(|b| json_response(200, b)),
        (Route::Incoming { kind, .. }, FakeOperation::Create) => {
            let mut state = shared.write();
            state
                .create(account, *kind, form)
                .and_then(|key| state.owned_json(key))
                .map(|b| json_response(201, b))
        }
        (Route::Incoming { kind, .. }, _) => shared
            .read()
            .list(account, *kind, path, query)
            .map(|b| json_response(200, b)),
        (Route::IncomingNumber { sid, .. }, FakeOperation::Update) => {
            let mut state = shared.write();
            state
                .update(principal, account, sid, form, path)
                .and_then(|key| state.owned_json(key))
                .map(|b| json_response(200, b))
        }
        (Route::IncomingNumber { sid, .. }, FakeOperation::Delete) => shared
            .write()
            .delete(account, sid, path)
            .map(|()| empty_response(204)),
        (Route::IncomingNumber { sid, .. }, _) => shared
            .read()
            .fetch(account, sid, path)
            .map(|b| json_response(200, b)),
        (Route::PricingRoot, _) => Ok(value_response(
            200,
            &serde_json::json!({
                "name": "PhoneNumbers",
                "url": format!("{pricing_base}/v1/PhoneNumbers"),
                "links": { "countries": format!("{pricing_base}/v1/PhoneNumbers/Countries") },
            }),
        )),
        (Route::PricingCountries, _) => shared
            .read()
            .pricing_countries(query, pricing_base)
            .map(|v| value_response(200, &v)),
        (Route::PricingCountry { iso }, _) => shared
            .read()
            .pricing_country(iso, pricing_base, path.strip_prefix("/v1").unwrap_or(path))
            .map(|v| value_response(200, &v)),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

fn empty_response(status: u16) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    response
}
