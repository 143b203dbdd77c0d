//! Credentials, retry policy and the client builder.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::client::TwilioClient;
use crate::error::TwilioError;

/// Default base URL of the REST API.
pub const DEFAULT_API_BASE_URL: &str = "https://api.twilio.com";
/// Default base URL of the Pricing API.
pub const DEFAULT_PRICING_BASE_URL: &str = "https://pricing.twilio.com";
/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time allowed for a whole request, from connecting to reading the last byte.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit of requests in flight at once for one client (one account).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 10;
/// Default longest `Retry-After` the client waits before retrying a 429 itself.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Default most pages one list stream requests (10,000 pages of up to 1000 items).
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// How the client authenticates (HTTP Basic on every request).
///
/// The account SID always goes into request paths; with an API key it is *not* the Basic
/// user name. `Debug` never shows the token or secret.
#[derive(Clone)]
pub enum Credentials {
    /// Account SID (`AC…`) as user name and the account's auth token as password.
    AuthToken {
        /// The account (`AC…`) whose resources are addressed and which authenticates.
        account_sid: String,
        /// The account's auth token.
        auth_token: SecretString,
    },
    /// API key SID (`SK…`) as user name and the key's secret as password.
    ApiKey {
        /// The account (`AC…`) whose resources are addressed.
        account_sid: String,
        /// The API key SID (`SK…`).
        key_sid: String,
        /// The API key secret.
        secret: SecretString,
    },
}

impl Credentials {
    /// Account SID + auth token.
    #[must_use]
    pub fn auth_token(account_sid: impl Into<String>, auth_token: SecretString) -> Self {
        Self::AuthToken {
            account_sid: account_sid.into(),
            auth_token,
        }
    }

    /// API key SID + secret, acting on `account_sid`.
    #[must_use]
    pub fn api_key(
        account_sid: impl Into<String>,
        key_sid: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        Self::ApiKey {
            account_sid: account_sid.into(),
            key_sid: key_sid.into(),
            secret,
        }
    }

    /// The account whose resources requests address.
    #[must_use]
    pub fn account_sid(&self) -> &str {
        match self {
            Self::AuthToken { account_sid, .. } | Self::ApiKey { account_sid, .. } => account_sid,
        }
    }

    /// The Basic auth user name (account SID or API key SID).
    #[must_use]
    pub fn username(&self) -> &str {
        match self {
            Self::AuthToken { account_sid, .. } => account_sid,
            Self::ApiKey { key_sid, .. } => key_sid,
        }
    }

    pub(crate) fn password(&self) -> &SecretString {
        match self {
            Self::AuthToken { auth_token, .. } => auth_token,
            Self::ApiKey { secret, .. } => secret,
        }
    }

    fn validate(&self) -> Result<(), TwilioError> {
        let plain = |what: &str, v: &str| {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Err(TwilioError::InvalidConfig(format!(
                    "{what} must be a non-empty string of ASCII letters and digits"
                )))
            } else {
                Ok(())
            }
        };
        plain("account SID", self.account_sid())?;
        plain("Basic auth user name", self.username())?;
        if self.password().expose_secret().is_empty() {
            return Err(TwilioError::InvalidConfig(
                "auth token or API key secret is empty".into(),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthToken { account_sid, .. } => f
                .debug_struct("AuthToken")
                .field("account_sid", account_sid)
                .field("auth_token", &"[REDACTED]")
                .finish(),
            Self::ApiKey {
                account_sid,
                key_sid,
                ..
            } => f
                .debug_struct("ApiKey")
                .field("account_sid", account_sid)
                .field("key_sid", key_sid)
                .field("secret", &"[REDACTED]")
                .finish(),
        }
    }
}

/// When and how often failed requests are sent again.
///
/// What is retried (never anything else):
/// - HTTP 429, for every method: Twilio never processed it. A `Retry-After` header is
///   honoured up to [`TwilioClientBuilder::max_retry_after`] (default 30 s), which is a
///   separate limit from `max_delay`; when it asks for longer, the error is returned at once
///   (with the delay in [`crate::TwilioError::Api`]'s `retry_after`) for the caller to
///   decide.
/// - HTTP 5xx, connection failures, lost connections and timeouts, for `GET` and `DELETE`
///   only. A `POST` (purchase, update) failing that way is returned to the caller as an
///   "outcome unknown" error and never repeated.
///
/// Delays grow as `base_delay × 2^(attempt-1)`, capped at `max_delay`, with jitter: the
/// actual wait is uniformly drawn between half and all of that value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first; `1` disables retries. `0` is treated as `1`.
    pub max_attempts: u32,
    /// Delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// Longest backoff delay between two attempts. A server's `Retry-After` has its own
    /// limit, [`TwilioClientBuilder::max_retry_after`].
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// No retries at all.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff delay before retry number `retry` (1 for the first retry), with jitter.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        let cap = self
            .base_delay
            .saturating_mul(1_u32 << exp)
            .min(self.max_delay);
        let half = cap / 2;
        let spread = u64::try_from((cap - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=spread))
    }
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms base delay, 5 s cap.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// Builder for [`TwilioClient`]. Start with [`TwilioClient::builder`].
#[derive(Debug, Clone)]
pub struct TwilioClientBuilder {
    pub(crate) credentials: Credentials,
    pub(crate) api_base_url: String,
    pub(crate) pricing_base_url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_retry_after: Duration,
    pub(crate) max_pages: usize,
    pub(crate) user_agent: String,
}

impl TwilioClientBuilder {
    pub(crate) fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            pricing_base_url: DEFAULT_PRICING_BASE_URL.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            retry: RetryPolicy::default(),
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            max_pages: DEFAULT_MAX_PAGES,
            user_agent: concat!("twilio-client-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// Base URL of the REST API (default [`DEFAULT_API_BASE_URL`]), e.g. a fake or a
    /// proxy. May carry a path prefix; a trailing `/` is ignored.
    #[must_use]
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = url.into();
        self
    }

    /// Base URL of the Pricing API (default [`DEFAULT_PRICING_BASE_URL`]).
    #[must_use]
    pub fn pricing_base_url(mut self, url: impl Into<String>) -> Self {
        self.pricing_base_url = url.into();
        self
    }

    /// Time allowed to open a connection (default 5 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from connecting to reading the whole body
    /// (default 30 s). Retries each get this much again.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Most requests in flight at once through this client and its clones (default 10).
    /// Twilio limits concurrency per account; use one client per account. `0` is treated
    /// as `1`.
    #[must_use]
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = limit.max(1);
        self
    }

    /// Retry policy (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Longest `Retry-After` (on a 429) the client waits out before sending the request
    /// again itself (default 30 s, [`DEFAULT_MAX_RETRY_AFTER`]). A longer one ends the call
    /// at once with the 429 and its `retry_after`. Independent of
    /// [`RetryPolicy::max_delay`], which only caps the client's own backoff; the number of
    /// attempts is still [`RetryPolicy::max_attempts`].
    #[must_use]
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Most pages one list stream requests (default 10,000, [`DEFAULT_MAX_PAGES`]). A
    /// stream that would need more ends with an error instead, so a server that keeps
    /// handing out new next-page links cannot keep it going forever. `0` is treated as `1`.
    #[must_use]
    pub fn max_pages(mut self, limit: usize) -> Self {
        self.max_pages = limit.max(1);
        self
    }

    /// `User-Agent` header value.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`TwilioError::InvalidConfig`] when a base URL is not an absolute `http(s)` URL
    /// without query or fragment, a SID is empty or not alphanumeric, the secret is empty,
    /// or the HTTP stack cannot be initialised.
    pub fn build(self) -> Result<TwilioClient, TwilioError> {
        self.credentials.validate()?;
        let api = normalise_base_url("API", &self.api_base_url)?;
        let pricing = normalise_base_url("Pricing", &self.pricing_base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            // Twilio does not redirect API calls; following a redirect would resend the
            // Basic credentials (and a purchase's form) to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(self.user_agent.clone())
            .build()
            .map_err(|e| TwilioError::InvalidConfig(format!("HTTP client: {e}")))?;
        Ok(TwilioClient::from_parts(self, http, api, pricing))
    }
}

/// Checks a base URL and strips its trailing `/`.
fn normalise_base_url(which: &str, raw: &str) -> Result<String, TwilioError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| TwilioError::InvalidConfig(format!("{which} base URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(TwilioError::InvalidConfig(format!(
            "{which} base URL must be http(s)://host[:port][/prefix] without credentials, query or fragment"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_half_to_full() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        };
        for _ in 0..200 {
            let d1 = p.backoff(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.backoff(3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d9 = p.backoff(9);
            assert!(
                d9 >= Duration::from_millis(350) && d9 <= Duration::from_millis(700),
                "{d9:?}"
            );
        }
        assert!(p.backoff(u32::MAX) <= Duration::from_millis(700));
    }

    #[test]
    fn bad_base_urls_and_credentials_are_refused() {
        let creds = Credentials::auth_token("AC123", SecretString::from("tok"));
        for bad in [
            "api.twilio.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/?a=1",
            "",
        ] {
            let r = TwilioClientBuilder::new(creds.clone())
                .api_base_url(bad)
                .build();
            assert!(
                matches!(r, Err(TwilioError::InvalidConfig(_))),
                "{bad:?} accepted"
            );
        }
        for creds in [
            Credentials::auth_token("", SecretString::from("tok")),
            Credentials::auth_token("AC 1", SecretString::from("tok")),
            Credentials::auth_token("AC1", SecretString::from("")),
            Credentials::api_key("AC1", "SK:1", SecretString::from("s")),
        ] {
            assert!(TwilioClientBuilder::new(creds).build().is_err());
        }
        assert!(
            TwilioClientBuilder::new(creds)
                .api_base_url("http://127.0.0.1:9/prefix/")
                .build()
                .is_ok()
        );
    }
}
