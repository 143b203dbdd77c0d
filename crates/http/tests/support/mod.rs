//! A running service for HTTP tests: a fresh database (either backend), the Twilio fake,
//! the real server on an ephemeral loopback port, and a seeded tenant with tokens.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::net::TcpListener;
use std::sync::Arc;

use chrono::Utc;
use futures::StreamExt as _;
use numbers_app::{App, AppBuilder, TwilioAuth, TwilioSettings};
use numbers_domain::PhoneNumberId;
use numbers_domain::reconcile::{LocalNumber, Plan, ReconcileSettings, reconcile};
use numbers_domain::{ChannelId, TenantId};
use numbers_http::auth::{Claims, Role, mint};
use numbers_persistence::testing::{self, TestDb};
use numbers_persistence::{DatabaseUrl, PhoneNumberRecord, StatusFilter};
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

    /// A server whose Twilio client is built by `configure` from the fake's settings (e.g.
    /// with a short request timeout).
    pub async fn start_with_client(
        db: TestDb,
        configure: impl FnOnce(twilio_client::TwilioClientBuilder) -> twilio_client::TwilioClientBuilder,
    ) -> Self {
        Self::start_inner(db, |builder, _, fake| {
            let credentials = twilio_client::Credentials::auth_token(
                fake.account_sid(),
                SecretString::from(fake.auth_token().to_owned()),
            );
            let client = configure(
                twilio_client::TwilioClient::builder(credentials)
                    .api_base_url(fake.api_base_url())
                    .pricing_base_url(fake.pricing_base_url()),
            )
            .build()
            .expect("twilio client");
            builder.twilio_client(client)
        })
        .await
    }

    /// A server whose app is built by `configure` (given the default builder and the
    /// server's base URL) — e.g. another PUBLIC_BASE_URL, a master account, a keyring.
    pub async fn start_with(
        db: TestDb,
        configure: impl FnOnce(AppBuilder, &str) -> AppBuilder,
    ) -> Self {
        Self::start_inner(db, |builder, base, _| configure(builder, base)).await
    }

    async fn start_inner(
        db: TestDb,
        configure: impl FnOnce(AppBuilder, &str, &TwilioFake) -> AppBuilder,
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
        let app = configure(builder, &base, &fake).build();
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

impl TestServer {
    /// Buys `number` for the tenant with its admin token; status and JSON body.
    pub async fn purchase(&self, tenant: &TestTenant, number: &str) -> (u16, Value) {
        self.post_json(
            "/v1/phone-numbers/purchase",
            &tenant.admin,
            &serde_json::json!({ "phone_number": number }),
        )
        .await
    }

    /// Every row of the tenant, whatever its status.
    pub async fn rows(&self, tenant: TenantId) -> Vec<PhoneNumberRecord> {
        let numbers = self.db.store.phone_numbers();
        let summaries = numbers
            .list_for_tenant(tenant, StatusFilter::All)
            .await
            .expect("rows");
        let mut rows = Vec::with_capacity(summaries.len());
        for summary in summaries {
            rows.push(
                numbers
                    .get(tenant, summary.id)
                    .await
                    .expect("row")
                    .expect("row exists"),
            );
        }
        rows
    }

    /// The one row of the tenant for `number`.
    pub async fn row(&self, tenant: TenantId, number: &str) -> PhoneNumberRecord {
        let mut rows: Vec<_> = self
            .rows(tenant)
            .await
            .into_iter()
            .filter(|r| r.phone_number.as_str() == number)
            .collect();
        assert_eq!(rows.len(), 1, "one row for the number: {rows:?}");
        rows.remove(0)
    }

    /// What drift-sync would plan now, an hour from now (past every pending row's grace
    /// period), from every live row and the fake's full listing, with the brake forced off.
    pub async fn drift_plan(&self) -> Plan {
        let rows = self
            .db
            .store
            .phone_numbers()
            .list_live()
            .await
            .expect("live rows")
            .into_iter()
            .map(|r| LocalNumber {
                id: r.id,
                tenant_id: r.tenant_id,
                phone_number: r.phone_number,
                status: r.status,
                twilio_sid: r.twilio_sid,
                account_sid: r.account_sid,
                voice_url: r.voice_url,
                status_callback_url: r.status_callback_url,
                release_reason: r.release_reason,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
            .collect();
        let listing: Vec<_> = self.app.carrier().list_owned().collect().await;
        let mut settings = ReconcileSettings::new(
            self.fake.account_sid(),
            Utc::now() + chrono::TimeDelta::hours(1),
        );
        settings.brake.force = true;
        reconcile(rows, listing, settings).expect("complete listing")
    }

    /// SPEC §6 step 5: every number the fake owns has a live row drift-sync can settle
    /// (no orphan, no duplicate). Returns the plan for further checks.
    pub async fn assert_drift_can_settle(&self) -> Plan {
        let plan = self.drift_plan().await;
        assert!(
            plan.orphans.is_empty(),
            "numbers on Twilio without a row: {:?}",
            plan.orphans
        );
        assert!(plan.duplicates.is_empty(), "{:?}", plan.duplicates);
        plan
    }

    /// The names of the actions drift-sync would take for the row.
    pub async fn drift_actions_for(&self, id: PhoneNumberId) -> Vec<&'static str> {
        self.drift_plan()
            .await
            .actions()
            .filter(|a| a.id == id)
            .map(|a| a.kind.name())
            .collect()
    }
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

/// A raw SQL connection to a test database, for what the store does not offer: installing
/// triggers that make the database fail, holding locks.
pub enum RawDb {
    Postgres(Box<diesel_async::AsyncPgConnection>),
    Sqlite(diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>),
}

impl RawDb {
    pub async fn connect(url: &DatabaseUrl) -> Self {
        use diesel_async::AsyncConnection as _;
        match url {
            DatabaseUrl::Postgres(url) => Self::Postgres(Box::new(
                diesel_async::AsyncPgConnection::establish(url)
                    .await
                    .expect("raw PostgreSQL connection"),
            )),
            DatabaseUrl::Sqlite(path) => {
                let conn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper::<
                    diesel::SqliteConnection,
                >::establish(&path.to_string_lossy())
                .await
                .expect("raw SQLite connection");
                let mut raw = Self::Sqlite(conn);
                raw.exec("PRAGMA busy_timeout = 15000").await;
                raw
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// Runs one statement (or, on SQLite, several separated by `;`).
    pub async fn exec(&mut self, sql: &str) {
        use diesel_async::SimpleAsyncConnection as _;
        let result = match self {
            Self::Postgres(conn) => conn.batch_execute(sql).await,
            Self::Sqlite(conn) => conn.batch_execute(sql).await,
        };
        if let Err(e) = result {
            panic!("`{sql}` failed: {e}");
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl RawDb {
    /// The `n` column of a one-row query.
    pub async fn count(&mut self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl as _;
        let query = diesel::sql_query(sql);
        let result = match self {
            Self::Postgres(conn) => query.get_result::<Count>(&mut **conn).await,
            Self::Sqlite(conn) => query.get_result::<Count>(conn).await,
        };
        result.unwrap_or_else(|e| panic!("`{sql}` failed: {e}")).n
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
