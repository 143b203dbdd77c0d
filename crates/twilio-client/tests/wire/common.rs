//! Shared helpers for the wire tests: client set-up against a loopback mock server,
//! decoding of what the mock received, and a tiny raw TCP server for connection faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use twilio_client::{Credentials, RetryPolicy, SecretString, TwilioClient, TwilioClientBuilder};
use wiremock::MockServer;

/// Account SID used by every test.
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
/// Auth token used by every test; must never show up in logs or `Debug`.
pub const TOKEN: &str = "s3cr3t-auth-token-value";
/// A phone-number SID.
pub const PN: &str = "PN0123456789abcdef0123456789abcdef";

/// Retries with tiny delays so tests stay fast.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    }
}

/// A builder pointed at `base` for both APIs, with fast retries.
pub fn builder(base: &str) -> TwilioClientBuilder {
    TwilioClient::builder(Credentials::auth_token(ACCOUNT, SecretString::from(TOKEN)))
        .api_base_url(base)
        .pricing_base_url(base)
        .retry_policy(fast_retries(3))
        .request_timeout(Duration::from_secs(5))
}

/// A client pointed at the mock server for both APIs.
pub fn client(server: &MockServer) -> TwilioClient {
    builder(&server.uri())
        .build()
        .expect("valid test configuration")
}

/// Decodes `a=b&c=d` (form body or query string) into ordered pairs.
pub fn pairs(encoded: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{encoded}"))
        .expect("a URL with that query parses")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Owned pairs from a literal list.
pub fn expect_pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The requests the mock received so far.
pub async fn received(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on by default")
}

/// JSON of an owned number, as Twilio sends it (lowercase capability keys, `""`/`null`).
pub fn incoming_json(sid: &str, number: &str) -> serde_json::Value {
    serde_json::json!({
        "sid": sid,
        "account_sid": ACCOUNT,
        "phone_number": number,
        "friendly_name": "(415) 555-0123",
        "capabilities": { "voice": true, "sms": true, "mms": false, "fax": false },
        "voice_url": "https://example.test/voice",
        "voice_method": "POST",
        "sms_url": "",
        "voice_application_sid": null,
        "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
        "date_updated": "Thu, 30 Jul 2015 23:19:04 +0000",
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{sid}.json")
    })
}

/// What a raw TCP connection does.
#[derive(Clone, Copy)]
pub enum Conn {
    /// Read the request, then close without answering (connection lost after sending).
    Drop,
    /// Read the request, wait, then answer 200 with the body.
    Answer(Duration, &'static str),
}

/// A loopback TCP server whose N-th connection behaves as `plan(N)` (0-based). Counts
/// connections and the most connections open at once.
pub struct RawServer {
    /// `http://127.0.0.1:port`.
    pub uri: String,
    /// Connections accepted.
    pub connections: Arc<AtomicUsize>,
    /// Highest number of connections being served at the same time.
    pub max_active: Arc<AtomicUsize>,
}

impl RawServer {
    /// Starts the server on a free loopback port.
    pub async fn start(plan: fn(usize) -> Conn) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        Self::serve(listener, plan)
    }

    /// Serves connections accepted by `listener`.
    pub fn serve(listener: TcpListener, plan: fn(usize) -> Conn) -> Self {
        let uri = format!(
            "http://{}",
            listener
                .local_addr()
                .expect("bound listener has an address")
        );
        let connections = Arc::new(AtomicUsize::new(0));
        let active = Arc::new(AtomicUsize::new(0));
        let max_active = Arc::new(AtomicUsize::new(0));
        let (c, a, m) = (connections.clone(), active, max_active.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let n = c.fetch_add(1, Ordering::SeqCst);
                let (a, m) = (a.clone(), m.clone());
                tokio::spawn(async move {
                    let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(now, Ordering::SeqCst);
                    read_request(&mut sock).await;
                    match plan(n) {
                        Conn::Drop => {
                            a.fetch_sub(1, Ordering::SeqCst);
                        }
                        Conn::Answer(delay, body) => {
                            tokio::time::sleep(delay).await;
                            // Count the request as finished before the client can see the
                            // answer, so its next request never overlaps this one here.
                            a.fetch_sub(1, Ordering::SeqCst);
                            let head = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = sock.write_all(head.as_bytes()).await;
                            let _ = sock.write_all(body.as_bytes()).await;
                            let _ = sock.flush().await;
                        }
                    }
                    drop(sock);
                });
            }
        });
        Self {
            uri,
            connections,
            max_active,
        }
    }
}

/// Reads one request: headers, then `content-length` bytes of body.
async fn read_request(sock: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let Ok(n) = sock.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return;
            }
        }
    }
}
