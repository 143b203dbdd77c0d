//! The client: sending requests, retrying, decoding, paging.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tracing::Instrument;
use tracing::field::Empty;

use crate::config::{Credentials, RetryPolicy, TwilioClientBuilder};
use crate::de::parse_date;
use crate::error::TwilioError;
use crate::params::{
    AvailableNumberSearch, IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate,
    NewIncomingPhoneNumber, SearchType,
};
use crate::request::{self, ApiHost, HttpMethod, Operation, RequestSpec};
use crate::types::{
    Account, AvailablePhoneNumber, AvailablePhoneNumberList, ErrorBody, IncomingPhoneNumber,
    IncomingPhoneNumberPage, PhoneNumberPricing, PricingCountry, PricingCountryPage,
};

/// Async client for one Twilio account.
///
/// Cheap to clone: clones share the connection pool and the in-flight limit. Build one
/// per account with [`TwilioClient::builder`]. `Debug` shows no secret.
#[derive(Clone)]
pub struct TwilioClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    credentials: Credentials,
    api_base: String,
    pricing_base: String,
    retry: RetryPolicy,
    max_retry_after: Duration,
    max_pages: usize,
    in_flight: Semaphore,
    max_in_flight: usize,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("TwilioClient")
            .field("credentials", &i.credentials)
            .field("api_base", &i.api_base)
            .field("pricing_base", &i.pricing_base)
            .field("connect_timeout", &i.connect_timeout)
            .field("request_timeout", &i.request_timeout)
            .field("max_in_flight", &i.max_in_flight)
            .field("retry", &i.retry)
            .field("max_retry_after", &i.max_retry_after)
            .field("max_pages", &i.max_pages)
            .finish_non_exhaustive()
    }
}

/// A received answer, body fully read.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl TwilioClient {
    /// Starts configuring a client for the account in `credentials`.
    #[must_use]
    pub fn builder(credentials: Credentials) -> TwilioClientBuilder {
        TwilioClientBuilder::new(credentials)
    }

    pub(crate) fn from_parts(
        cfg: TwilioClientBuilder,
        http: reqwest::Client,
        api_base: String,
        pricing_base: String,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                credentials: cfg.credentials,
                api_base,
                pricing_base,
                retry: cfg.retry,
                max_retry_after: cfg.max_retry_after,
                max_pages: cfg.max_pages,
                in_flight: Semaphore::new(cfg.max_in_flight),
                max_in_flight: cfg.max_in_flight,
                connect_timeout: cfg.connect_timeout,
                request_timeout: cfg.request_timeout,
            }),
        }
    }

    /// The account this client addresses (the `AC…` SID in request paths).
    #[must_use]
    pub fn account_sid(&self) -> &str {
        self.inner.credentials.account_sid()
    }

    /// Searches numbers for sale: `GET …/AvailablePhoneNumbers/{country}/{kind}.json`.
    ///
    /// `country` is an ISO 3166-1 alpha-2 code (case-insensitive). Returns at most about
    /// 30 numbers; an empty list when nothing matches.
    ///
    /// # Errors
    /// [`TwilioError::Api`] with status 404 / code 20404 ([`TwilioError::is_not_found`])
    /// when Twilio does not stock that kind in that country; other API, transport,
    /// timeout and decode errors as for every call. Retried per [`RetryPolicy`].
    pub async fn search_available_phone_numbers(
        &self,
        country: &str,
        kind: SearchType,
        search: &AvailableNumberSearch,
    ) -> Result<Vec<AvailablePhoneNumber>, TwilioError> {
        let spec = request::search_available(self.account_sid(), country, kind, search)?;
        let list: AvailablePhoneNumberList = self.send_json(&spec).await?;
        Ok(list.available_phone_numbers)
    }

    /// Buys a number: `POST …/IncomingPhoneNumbers.json`. Twilio answers 201 with the
    /// new resource.
    ///
    /// Buying is not idempotent, so this call is only ever repeated after a 429 (which
    /// Twilio guarantees it did not process). After any error for which
    /// [`TwilioError::is_outcome_unknown`] is true (timeout, lost connection, 5xx,
    /// unreadable answer) the number may or may not be yours: list with
    /// `PhoneNumber` set to find out before doing anything else.
    ///
    /// # Errors
    /// [`TwilioError::Api`] with Twilio's code for refusals, e.g. 21422 (no longer
    /// available), 21649 (bundle needed), 21631/21615 (address needed), 21404 (trial
    /// limit); plus transport, timeout and decode errors.
    pub async fn create_incoming_phone_number(
        &self,
        number: &NewIncomingPhoneNumber,
    ) -> Result<IncomingPhoneNumber, TwilioError> {
        let spec = request::create_incoming(self.account_sid(), number)?;
        self.send_json(&spec).await
    }

    /// Lists owned numbers as a stream, following Twilio's `next_page_uri` until it is
    /// null. Pages are fetched lazily as the stream is polled.
    ///
    /// Each page request is retried per [`RetryPolicy`]; an error ends the stream after
    /// being yielded once. `filter.page_size` up to 1000 keeps the request count low.
    /// A next-page link leading back to a page already requested, or more pages than
    /// [`TwilioClientBuilder::max_pages`], ends the stream with a
    /// [`TwilioError::Decode`] instead of looping.
    pub fn list_incoming_phone_numbers(
        &self,
        filter: &IncomingPhoneNumberFilter,
    ) -> BoxStream<'static, Result<IncomingPhoneNumber, TwilioError>> {
        match request::list_incoming(self.account_sid(), filter) {
            Ok(first) => self.paginate(first, |page: IncomingPhoneNumberPage| {
                (page.incoming_phone_numbers, page.next_page_uri)
            }),
            Err(e) => stream::once(async { Err(e) }).boxed(),
        }
    }

    /// Reads one owned number: `GET …/IncomingPhoneNumbers/{sid}.json`.
    ///
    /// # Errors
    /// 404/20404 ([`TwilioError::is_not_found`]) when the number is not (or no longer)
    /// on the account; [`TwilioError::InvalidRequest`] for a malformed SID; plus the
    /// usual API, transport, timeout and decode errors.
    pub async fn fetch_incoming_phone_number(
        &self,
        sid: &str,
    ) -> Result<IncomingPhoneNumber, TwilioError> {
        let spec = request::fetch_incoming(self.account_sid(), sid)?;
        self.send_json(&spec).await
    }

    /// Changes an owned number: `POST …/IncomingPhoneNumbers/{sid}.json` with only the
    /// fields set in `update`. Returns the resource as Twilio now has it.
    ///
    /// Like every `POST`, only retried after a 429.
    ///
    /// # Errors
    /// 404/20404 when the number is gone; [`TwilioError::InvalidRequest`] for a
    /// malformed SID; plus the usual API, transport, timeout and decode errors.
    pub async fn update_incoming_phone_number(
        &self,
        sid: &str,
        update: &IncomingPhoneNumberUpdate,
    ) -> Result<IncomingPhoneNumber, TwilioError> {
        let spec = request::update_incoming(self.account_sid(), sid, update)?;
        self.send_json(&spec).await
    }

    /// Releases an owned number: `DELETE …/IncomingPhoneNumbers/{sid}.json` (Twilio
    /// answers 204).
    ///
    /// # Errors
    /// 404/20404 ([`TwilioError::is_not_found`]) when it was already released, which
    /// callers usually treat as success; plus the usual API, transport and timeout errors.
    pub async fn delete_incoming_phone_number(&self, sid: &str) -> Result<(), TwilioError> {
        let spec = request::delete_incoming(self.account_sid(), sid)?;
        self.execute(&spec).await.map(drop)
    }

    /// Reads one country's phone-number prices from the Pricing API:
    /// `GET /v1/PhoneNumbers/Countries/{iso_country}`.
    ///
    /// # Errors
    /// 404/20404 for a country Twilio does not price; plus the usual API, transport,
    /// timeout and decode errors (a price that is not a decimal is a decode error).
    pub async fn fetch_phone_number_pricing(
        &self,
        iso_country: &str,
    ) -> Result<PhoneNumberPricing, TwilioError> {
        let spec = request::fetch_pricing(iso_country)?;
        self.send_json(&spec).await
    }

    /// Lists the countries the Pricing API knows, as a stream following
    /// `meta.next_page_url` (re-joined to the configured Pricing base URL).
    ///
    /// The list carries no prices; use [`TwilioClient::fetch_phone_number_pricing`].
    /// An error ends the stream after being yielded once; paging loops and the page limit
    /// end it as for [`TwilioClient::list_incoming_phone_numbers`].
    pub fn list_pricing_countries(
        &self,
    ) -> BoxStream<'static, Result<PricingCountry, TwilioError>> {
        self.paginate(
            request::list_pricing_countries(),
            |page: PricingCountryPage| (page.countries, page.meta.and_then(|m| m.next_page_url)),
        )
    }

    /// Reads the account the client addresses: `GET /2010-04-01/Accounts/{sid}.json`.
    /// Useful to check credentials at start-up.
    ///
    /// # Errors
    /// 401/20003 ([`TwilioError::is_auth_failure`]) for wrong credentials; plus the usual
    /// API, transport, timeout and decode errors.
    pub async fn fetch_account(&self) -> Result<Account, TwilioError> {
        let spec = request::fetch_account(self.account_sid())?;
        self.send_json(&spec).await
    }

    /// Sends `spec` and decodes a success body as `T`.
    async fn send_json<T: DeserializeOwned>(&self, spec: &RequestSpec) -> Result<T, TwilioError> {
        let answer = self.execute(spec).await?;
        serde_json::from_slice(&answer.body).map_err(|e| TwilioError::Decode {
            operation: spec.operation,
            status: answer.status,
            reason: e.to_string(),
        })
    }

    /// Streams the items of `first` and of every following page.
    ///
    /// Every page requested is remembered (by its full URL), so a next-page link that
    /// leads back to any earlier page (p1 → p2 → p1) ends the stream with an error rather
    /// than looping; so does reaching the client's page limit, which bounds a server that
    /// keeps inventing new links.
    fn paginate<P, T>(
        &self,
        first: RequestSpec,
        split: fn(P) -> (Vec<T>, Option<String>),
    ) -> BoxStream<'static, Result<T, TwilioError>>
    where
        P: DeserializeOwned + Send + 'static,
        T: Send + 'static,
    {
        /// Where a list stream stands between two pages.
        struct Paging {
            next: Option<RequestSpec>,
            requested: HashSet<String>,
        }

        let client = self.clone();
        let start = Paging {
            next: Some(first),
            requested: HashSet::new(),
        };
        stream::unfold(start, move |mut paging| {
            let client = client.clone();
            async move {
                let spec = paging.next.take()?;
                if let Some(reason) = client.refuse_page(&spec, &mut paging.requested) {
                    let err = TwilioError::Decode {
                        operation: spec.operation,
                        status: 200,
                        reason,
                    };
                    return Some((vec![Err(err)], paging));
                }
                let page = match client.send_json::<P>(&spec).await {
                    Ok(page) => page,
                    Err(e) => return Some((vec![Err(e)], paging)),
                };
                let (items, next) = split(page);
                let mut out: Vec<Result<T, TwilioError>> = items.into_iter().map(Ok).collect();
                match next.map(|uri| request::next_page(&spec, &uri)) {
                    None => {}
                    Some(Ok(next)) => paging.next = Some(next),
                    Some(Err(e)) => out.push(Err(e)),
                }
                Some((out, paging))
            }
        })
        .flat_map(stream::iter)
        .boxed()
    }

    /// Why the page `spec` must not be requested (it was already, or the page limit is
    /// reached), or `None` after noting it as requested.
    fn refuse_page(&self, spec: &RequestSpec, requested: &mut HashSet<String>) -> Option<String> {
        // The URL exactly as it would be sent; if it cannot be built, sending reports that.
        let key = self
            .url_for(spec)
            .map_or_else(|_| spec.path.clone(), String::from);
        if requested.contains(&key) {
            return Some(
                "the next-page link leads back to a page already read (paging loop)".into(),
            );
        }
        if requested.len() >= self.inner.max_pages {
            return Some(format!(
                "the list goes on past {} pages, the client's limit; stopped",
                self.inner.max_pages
            ));
        }
        requested.insert(key);
        None
    }

    /// Sends `spec` with retries, inside a tracing span, and returns a 2xx answer.
    async fn execute(&self, spec: &RequestSpec) -> Result<Answer, TwilioError> {
        // The template holds no SIDs or phone numbers; query and form values are never
        // recorded, and neither are credentials.
        let span = tracing::info_span!(
            "twilio.request",
            operation = spec.operation.name(),
            http.method = spec.method.as_str(),
            url.path = spec.path_template,
            http.status_code = Empty,
            twilio.code = Empty,
            attempts = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let (result, attempts) = self
            .execute_with_retries(spec)
            .instrument(span.clone())
            .await;
        // Recorded once, at the end: a field recorded again is appended, not replaced, by
        // some subscribers (the `fmt` one among them).
        span.record("attempts", attempts);
        let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", elapsed);
        // The final outcome only: a status or code seen on an earlier attempt is not the
        // call's (a 503 followed by a timeout has no status, a cured 429 no code).
        let status = match &result {
            Ok(answer) => Some(answer.status),
            Err(e) => e.http_status(),
        };
        if let Some(status) = status {
            span.record("http.status_code", status);
        }
        if let Err(TwilioError::Api {
            code: Some(code), ..
        }) = &result
        {
            span.record("twilio.code", *code);
        }
        span.in_scope(|| match &result {
            Ok(_) => tracing::debug!("twilio request succeeded"),
            Err(e) => tracing::debug!(
                error.kind = error_kind(e),
                outcome_unknown = e.is_outcome_unknown(),
                "twilio request failed"
            ),
        });
        result
    }

    /// Sends `spec` until it succeeds or the retry rules say stop; also returns how many
    /// attempts were made.
    async fn execute_with_retries(&self, spec: &RequestSpec) -> (Result<Answer, TwilioError>, u32) {
        let policy = self.inner.retry;
        let max_attempts = policy.max_attempts.max(1);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(spec).await;
            let (result, delay) = match outcome {
                Ok(answer) if (200..300).contains(&answer.status) => return (Ok(answer), attempt),
                Ok(answer) => {
                    let err = api_error(spec.operation, &answer);
                    let delay = if answer.status == 429 {
                        match answer.retry_after {
                            // Twilio asked for a longer pause than we are willing to
                            // wait: let the caller decide.
                            Some(wait) if wait > self.inner.max_retry_after => None,
                            Some(wait) => Some(wait),
                            None => Some(policy.backoff(attempt)),
                        }
                    } else if answer.status >= 500 && spec.method.is_idempotent() {
                        Some(policy.backoff(attempt))
                    } else {
                        None
                    };
                    (err, delay)
                }
                Err(err) => {
                    let retryable = spec.method.is_idempotent()
                        && matches!(
                            err,
                            TwilioError::Connect { .. }
                                | TwilioError::Transport { .. }
                                | TwilioError::Timeout { .. }
                        );
                    let delay = retryable.then(|| policy.backoff(attempt));
                    (err, delay)
                }
            };
            match delay {
                Some(delay) if attempt < max_attempts => {
                    tracing::info!(
                        attempt,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        error.kind = error_kind(&result),
                        http.status_code = result.http_status(),
                        "retrying twilio request"
                    );
                    tokio::time::sleep(delay).await;
                }
                _ => return (Err(result), attempt),
            }
        }
    }

    /// One attempt: waits for an in-flight slot, sends, reads the whole body.
    async fn attempt(&self, spec: &RequestSpec) -> Result<Answer, TwilioError> {
        let op = spec.operation;
        let url = self.url_for(spec)?;
        let _permit =
            self.inner
                .in_flight
                .acquire()
                .await
                .map_err(|_| TwilioError::InvalidRequest {
                    operation: op,
                    reason: "the client's in-flight limiter was closed".into(),
                })?;
        let creds = &self.inner.credentials;
        let mut req = self
            .inner
            .http
            .request(spec.method.to_reqwest(), url)
            .basic_auth(creds.username(), Some(creds.password().expose_secret()))
            .header(ACCEPT, "application/json");
        if spec.method == HttpMethod::Post {
            req = req.form(&spec.form);
        }
        let response = req.send().await.map_err(|e| transport_error(op, e))?;
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| transport_error(op, e))?
            .to_vec();
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    fn url_for(&self, spec: &RequestSpec) -> Result<reqwest::Url, TwilioError> {
        let base = match spec.host {
            ApiHost::Api => &self.inner.api_base,
            ApiHost::Pricing => &self.inner.pricing_base,
        };
        let mut url = reqwest::Url::parse(&format!("{base}{}", spec.path)).map_err(|e| {
            TwilioError::InvalidRequest {
                operation: spec.operation,
                reason: format!("URL: {e}"),
            }
        })?;
        if !spec.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(spec.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }
}

/// Classifies a `reqwest` failure by what it says about the request's fate.
///
/// The URL is dropped from the error first: it holds the account SID, resource SIDs and
/// query values such as a `PhoneNumber` filter, and the error's `Display` and `Debug`
/// would otherwise show it wherever the error is logged.
fn transport_error(operation: Operation, e: reqwest::Error) -> TwilioError {
    let e = e.without_url();
    if e.is_connect() {
        TwilioError::Connect {
            operation,
            source: e,
        }
    } else if e.is_timeout() {
        TwilioError::Timeout { operation }
    } else if e.is_builder() {
        TwilioError::InvalidRequest {
            operation,
            reason: e.to_string(),
        }
    } else {
        TwilioError::Transport {
            operation,
            source: e,
        }
    }
}

/// Builds the API error for a non-2xx answer from Twilio's error body, if any.
fn api_error(operation: Operation, answer: &Answer) -> TwilioError {
    let body: ErrorBody = serde_json::from_slice(&answer.body).unwrap_or_default();
    let code = body
        .code
        .as_deref()
        .and_then(|c| c.trim().parse::<u32>().ok());
    let message = body
        .message
        .or(body.detail)
        .or(body.title)
        .unwrap_or_else(|| format!("HTTP {} without a Twilio error body", answer.status));
    TwilioError::Api {
        operation,
        status: answer.status,
        code,
        message,
        more_info: body.more_info,
        retry_after: answer.retry_after,
    }
}

/// `Retry-After` as delay-seconds or an HTTP date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_date(raw)?;
    Some((at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

fn error_kind(e: &TwilioError) -> &'static str {
    match e {
        TwilioError::Api { .. } => "api",
        TwilioError::Timeout { .. } => "timeout",
        TwilioError::Connect { .. } => "connect",
        TwilioError::Transport { .. } => "transport",
        TwilioError::Decode { .. } => "decode",
        TwilioError::InvalidRequest { .. } => "invalid_request",
        TwilioError::InvalidConfig(_) => "invalid_config",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn api_error_reads_twilio_body_and_falls_back_without_one() {
        let answer = Answer {
            status: 400,
            retry_after: None,
            body: br#"{"code":21422,"message":"not available","more_info":"https://www.twilio.com/docs/errors/21422","status":400}"#.to_vec(),
        };
        let e = api_error(Operation::CreateIncomingPhoneNumber, &answer);
        assert_eq!(e.twilio_code(), Some(21422));
        assert!(e.is_definitely_not_processed());
        assert!(e.to_string().contains("not available"));

        let answer = Answer {
            status: 502,
            retry_after: None,
            body: b"<html>bad gateway</html>".to_vec(),
        };
        let e = api_error(Operation::FetchAccount, &answer);
        // No code in the body: the helper falls back to the status, the field keeps None.
        assert_eq!(e.twilio_code(), Some(502));
        assert!(matches!(e, TwilioError::Api { code: None, .. }));
        assert_eq!(e.http_status(), Some(502));
        assert!(e.is_outcome_unknown());
    }
}
