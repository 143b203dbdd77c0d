//! A running service for HTTP tests: a fresh database (either backend), the Twilio fake,
//! the real server on an ephemeral loopback port, and a seeded tenant with tokens.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::net::TcpListener;
use std::sync::Arc;

use chrono::Utc;
use numbers_app::{App, AppBuilder, TwilioAuth, TwilioSettings};
use numbers_domain::{ChannelId, TenantId};
use numbers_http::auth::{Claims, Role, mint};
use numbers_persistence::testing::{self, TestDb};
use secrecy::SecretString;
use serde_json::Value;
use twilio_fake::{FakeConfig, TwilioFake};

/// The JWT secret of test servers.
pub const SECRET: &str = "http-tests-secret-0123456789abcdef";

/// One tenant with a plan, an active subscription and a voice channel.
#[derive(Debug, Clone)]
pub struct TestTenant {
    pub id: TenantId,
    pub channel_id: ChannelId,
    pub admin: String,
    pub member: String,
}

pub struct TestServer {
    pub base: String,
    pub app: App,
    pub fake: Arc<TwilioFake>,
    pub db: TestDb,
    pub http: reqwest::Client,
}

pub fn token(tenant: TenantId, role: Role, exp_offset_secs: i64) -> String {
    let claims = Claims {
        sub: format!("user-{}", role.as_str()),
        tenant_id: tenant,
        role,
        exp: Utc::now().timestamp() + exp_offset_secs,
    };
    mint(&SecretString::from(SECRET), &claims)
}

impl TestServer {
    /// A server whose PUBLIC_BASE_URL is its own loopback address, so the webhook URLs it
    /// writes on the fake's numbers reach it.
    pub async fn start(db: TestDb) -> Self {
        Self::start_with(db, |builder, _| builder).await
    }

    /// A server whose app is built by `configure` (given the default builder and the
    /// server's base URL) — e.g. another PUBLIC_BASE_URL, a master account, a keyring.
    pub async fn start_with(
        db: TestDb,
        configure: impl FnOnce(AppBuilder, &str) -> AppBuilder,
    ) -> Self {
        let fake = Arc::new(TwilioFake::start(FakeConfig::with_seed(7)).expect("fake"));
        let settings = TwilioSettings {
            account_sid: fake.account_sid().to_owned(),
            auth: TwilioAuth::AuthToken(SecretString::from(fake.auth_token().to_owned())),
            api_base_url: fake.api_base_url(),
            pricing_base_url: fake.pricing_base_url(),
        };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let builder = AppBuilder::new(db.store.clone(), db.url.clone())
            .twilio(&settings)
            .expect("twilio settings")
            .jwt_secret(SecretString::from(SECRET))
            .public_base_url(base.clone());
        let app = configure(builder, &base).build();
        tokio::spawn(numbers_http::serve(app.clone(), listener).expect("serve"));
        Self {
            base,
            app,
            fake,
            db,
            http: reqwest::Client::new(),
        }
    }

    /// A tenant with a plan allowing `quota` numbers.
    pub async fn tenant(&self, quota: u32) -> TestTenant {
        let store = &self.db.store;
        let (tenant, _) = testing::tenant_with_quota(store, quota).await;
        let channel = testing::voice_channel(store, tenant.id).await;
        TestTenant {
            id: tenant.id,
            channel_id: channel.id,
            admin: token(tenant.id, Role::Admin, 3600),
            member: token(tenant.id, Role::Member, 3600),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with a bearer token; returns status and JSON body.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POST a JSON body with a bearer token.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl TestServer {
    /// A request with a bearer token and optional JSON body; returns status and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Numbers the fake offers for sale in `(country, kind)`, first `count` of them.
    pub fn offers(
        &self,
        country: &str,
        kind: twilio_fake::NumberKind,
        count: usize,
    ) -> Vec<String> {
        self.fake
            .control()
            .available_numbers(country, kind)
            .expect("stocked")
            .into_iter()
            .take(count)
            .map(|n| n.phone_number)
            .collect()
    }
}

/// Asserts an error envelope with this status and code; returns the body.
#[track_caller]
pub fn assert_error(answer: &(u16, Value), status: u16, code: &str) -> Value {
    let (got_status, body) = answer;
    assert_eq!(
        (*got_status, body["code"].as_str()),
        (status, Some(code)),
        "body: {body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "an error carries a message: {body}"
    );
    body.clone()
}

/// Log lines of every test in this binary (the service's workers run on their own threads,
/// so one process-wide subscriber collects them); tests pick their own lines out by an id
/// only they use (a call sid, a channel id).
pub fn logs() -> &'static Logs {
    static LOGS: std::sync::OnceLock<&'static Logs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static Logs = Box::leak(Box::default());
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(logs))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

/// Collected log output.
#[derive(Default)]
pub struct Logs(std::sync::Mutex<Vec<u8>>);

impl Logs {
    /// The lines containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned();
        text.lines()
            .filter(|line| line.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

struct LogWriter(&'static Logs);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
