//! Tracing spans carry each call's shape (operation, method, path template, status, Twilio
//! code, duration) but no secrets, SIDs or phone numbers.
//!
//! Kept alone in its own test binary: `tracing` caches per-callsite interest process-wide,
//! so a thread-local subscriber only sees every span reliably when no other test runs
//! the same callsites concurrently.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use twilio_client::{
    Credentials, NewIncomingPhoneNumber, RetryPolicy, SecretString, TwilioClient, TwilioError,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "s3cr3t-auth-token-value";
const PN: &str = "PN0123456789abcdef0123456789abcdef";

fn client(server: &MockServer) -> TwilioClient {
    TwilioClient::builder(Credentials::auth_token(ACCOUNT, SecretString::from(TOKEN)))
        .api_base_url(server.uri())
        .build()
        .expect("valid test configuration")
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().expect("log buffer lock").clone();
        String::from_utf8(bytes).expect("logs are UTF-8")
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock")
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

// The subscriber is installed for this thread only; `tokio::test` runs everything of this
// test on its one thread.
#[tokio::test]
async fn spans_record_method_template_status_code_and_duration_but_no_secrets_or_numbers() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .with_env_filter(EnvFilter::new("twilio_client=trace"))
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": PN, "account_sid": ACCOUNT, "phone_number": "+14155550123",
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{PN}.json")
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21422, "message": "+14155550123 is not available", "status": 400
        })))
        .mount(&server)
        .await;
    let c = client(&server);
    c.fetch_incoming_phone_number(PN).await.unwrap();
    c.create_incoming_phone_number(&NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .unwrap_err();

    let logs = out.text();
    assert!(logs.contains("twilio.request"), "{logs}");
    assert!(
        logs.contains("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"),
        "{logs}"
    );
    assert!(
        logs.contains("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"),
        "{logs}"
    );
    assert!(logs.contains("fetch_incoming_phone_number"), "{logs}");
    assert!(logs.contains("GET") && logs.contains("POST"), "{logs}");
    assert!(logs.contains("http.status_code=200"), "{logs}");
    assert!(logs.contains("http.status_code=400"), "{logs}");
    assert!(logs.contains("twilio.code=21422"), "{logs}");
    assert!(logs.contains("duration_ms="), "{logs}");
    for secret_or_pii in [TOKEN, "4155550123", PN, ACCOUNT] {
        assert!(
            !logs.contains(secret_or_pii),
            "{secret_or_pii:?} leaked into logs: {logs}"
        );
    }
    drop(_guard);

    // Second part, with a fresh log: the span carries the final outcome only. A 503 that a
    // timed-out retry follows leaves no status on the call's span (the retry event still
    // says what happened on the way).
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .with_env_filter(EnvFilter::new("twilio_client=trace"))
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "code": 20500, "message": "Internal Server Error", "status": 503
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"sid": ACCOUNT}))
                .set_delay(Duration::from_secs(10)),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let c = TwilioClient::builder(Credentials::auth_token(ACCOUNT, SecretString::from(TOKEN)))
        .api_base_url(server.uri())
        .request_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .build()
        .expect("valid test configuration");
    let err = c.fetch_account().await.unwrap_err();
    assert!(matches!(err, TwilioError::Timeout { .. }), "{err:?}");

    let logs = out.text();
    let closed: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("twilio.request{") && line.contains("client: close"))
        .collect();
    assert_eq!(closed.len(), 1, "{logs}");
    let span_line = closed[0];
    assert!(
        span_line.contains("attempts=2") && !span_line.contains("attempts=1"),
        "{span_line}"
    );
    assert!(
        !span_line.contains("http.status_code") && !span_line.contains("twilio.code"),
        "an earlier attempt's status or code was left on the span: {span_line}"
    );
    assert!(logs.contains("retrying twilio request"), "{logs}");
}
