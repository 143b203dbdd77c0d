//! Benchmark of buying and releasing numbers through the API (issue 11), beside its floor.
//!
//! For each run, each concurrency (1 and 16 tenants, each a client doing its purchases one
//! after another) and each backend (PostgreSQL, SQLite), it starts a fresh database, a fresh
//! Twilio fake with no injected latency and the real HTTP server, and measures:
//! `POST /v1/phone-numbers/purchase` (p50, p99, purchases per second) then
//! `DELETE /v1/phone-numbers/{id}` of every number bought (p50, p99).
//!
//! The floor, measured in the same run against a fresh fake of its own: the bare
//! `twilio-client` doing the same Twilio calls the purchase and the release make
//! (`create_incoming_phone_number` with the same webhooks, `delete_incoming_phone_number`),
//! at the same concurrency. What the API adds on top of it is our cost: HTTP in, JWT, the
//! quota transaction, the row's transitions and audit events, the answer.
//!
//! ```text
//! cargo bench -p numbers-http --bench lifecycle
//! BENCH_RUNS=5 BENCH_PURCHASES=480 BENCH_BACKENDS=sqlite cargo bench -p numbers-http --bench lifecycle
//! ```
//!
//! Environment: `BENCH_RUNS` (default 3), `BENCH_PURCHASES` per measurement, split evenly
//! between the tenants (default 320), `BENCH_BACKENDS` (`postgres,sqlite`),
//! `BENCH_CONCURRENCY` (`1,16`), and `TEST_DATABASE_URL` for the PostgreSQL server (as the
//! tests). Prints one Markdown table per run and a summary of the ranges over the runs.

#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use numbers_app::AppBuilder;
use numbers_http::auth::{Claims, Role, mint};
use numbers_persistence::Backend;
use numbers_persistence::testing::{self, TestDb};
use secrecy::SecretString;
use serde_json::json;
use twilio_client::{Credentials, NewIncomingPhoneNumber, TwilioClient, WebhookMethod};
use twilio_fake::{FakeConfig, NumberKind, TwilioFake};

const SECRET: &str = "bench-secret-0123456789abcdef0123";
/// Purchases and releases per tenant before measuring (connections, pricing cache).
const WARM_UP: usize = 2;

/// What one measurement gives.
#[derive(Debug, Clone, Copy)]
struct Figures {
    purchase_p50: Duration,
    purchase_p99: Duration,
    purchases_per_sec: f64,
    release_p50: Duration,
    release_p99: Duration,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The `q`-th percentile (nearest rank) of sorted samples.
fn percentile(sorted: &[Duration], q: usize) -> Duration {
    let rank = (sorted.len() * q).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn figures(mut purchases: Vec<Duration>, wall: Duration, mut releases: Vec<Duration>) -> Figures {
    purchases.sort_unstable();
    releases.sort_unstable();
    Figures {
        purchase_p50: percentile(&purchases, 50),
        purchase_p99: percentile(&purchases, 99),
        purchases_per_sec: purchases.len() as f64 / wall.as_secs_f64(),
        release_p50: percentile(&releases, 50),
        release_p99: percentile(&releases, 99),
    }
}

/// A fake with enough US local numbers for the measurement.
fn fake(seed: u64, numbers: usize) -> TwilioFake {
    let fake = TwilioFake::start(FakeConfig::with_seed(seed)).expect("fake");
    fake.control()
        .seed_inventory("US", NumberKind::Local, numbers)
        .expect("inventory");
    fake
}

fn client(fake: &TwilioFake) -> TwilioClient {
    let credentials = Credentials::auth_token(
        fake.account_sid(),
        SecretString::from(fake.auth_token().to_owned()),
    );
    TwilioClient::builder(credentials)
        .api_base_url(fake.api_base_url())
        .pricing_base_url(fake.pricing_base_url())
        .build()
        .expect("client")
}

/// Splits the fake's numbers between `tenants` lists of `each`.
fn shares(fake: &TwilioFake, tenants: usize, each: usize) -> Vec<Vec<String>> {
    let numbers: Vec<String> = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .expect("stocked")
        .into_iter()
        .map(|n| n.phone_number)
        .collect();
    assert!(numbers.len() >= tenants * each, "inventory too small");
    numbers
        .chunks(each)
        .take(tenants)
        .map(<[String]>::to_vec)
        .collect()
}

/// Runs `work` for every share at once; the samples of all, and the wall time.
async fn in_parallel<F, Fut>(
    shares: Vec<Vec<String>>,
    work: F,
) -> (Vec<Duration>, Duration, Vec<Vec<String>>)
where
    F: Fn(usize, Vec<String>) -> Fut,
    Fut: Future<Output = (Vec<Duration>, Vec<String>)> + Send + 'static,
{
    let start = Instant::now();
    let tasks: Vec<_> = shares
        .into_iter()
        .enumerate()
        .map(|(i, share)| tokio::spawn(work(i, share)))
        .collect();
    let mut samples = Vec::new();
    let mut outputs = Vec::new();
    for task in tasks {
        let (times, output) = task.await.expect("task");
        samples.extend(times);
        outputs.push(output);
    }
    (samples, start.elapsed(), outputs)
}

/// The floor: the bare client buying and deleting the same way the service does.
async fn floor(seed: u64, tenants: usize, each: usize) -> Figures {
    let fake = fake(seed, tenants * (each + WARM_UP) + 100);
    let client = client(&fake);
    let all = shares(&fake, tenants, each + WARM_UP);
    let webhook = |kind: &str| {
        format!(
            "http://127.0.0.1:8080/webhooks/twilio/{kind}?channel_id={}",
            uuid::Uuid::new_v4()
        )
    };
    let buy = {
        let client = client.clone();
        let voice = webhook("voice");
        let status = webhook("status");
        move |number: String| {
            let client = client.clone();
            let new = NewIncomingPhoneNumber {
                voice_url: Some(voice.clone()),
                voice_method: Some(WebhookMethod::Post),
                status_callback: Some(status.clone()),
                status_callback_method: Some(WebhookMethod::Post),
                ..NewIncomingPhoneNumber::new(number)
            };
            async move {
                client
                    .create_incoming_phone_number(&new)
                    .await
                    .expect("create")
                    .sid
                    .expect("sid")
            }
        }
    };
    // Warm-up.
    for share in &all {
        for number in &share[..WARM_UP] {
            let sid = buy(number.clone()).await;
            client
                .delete_incoming_phone_number(&sid)
                .await
                .expect("delete");
        }
    }
    let measured: Vec<Vec<String>> = all.into_iter().map(|s| s[WARM_UP..].to_vec()).collect();
    let (purchases, wall, sids) = in_parallel(measured, |_, share| {
        let buy = buy.clone();
        async move {
            let mut times = Vec::with_capacity(share.len());
            let mut sids = Vec::with_capacity(share.len());
            for number in share {
                let start = Instant::now();
                sids.push(buy(number).await);
                times.push(start.elapsed());
            }
            (times, sids)
        }
    })
    .await;
    let (releases, _, _) = in_parallel(sids, |_, sids| {
        let client = client.clone();
        async move {
            let mut times = Vec::with_capacity(sids.len());
            for sid in sids {
                let start = Instant::now();
                client
                    .delete_incoming_phone_number(&sid)
                    .await
                    .expect("delete");
                times.push(start.elapsed());
            }
            (times, Vec::new())
        }
    })
    .await;
    assert_eq!(fake.control().owned_count(None).expect("count"), 0);
    figures(purchases, wall, releases)
}

/// One tenant with an admin token and a voice channel.
struct BenchTenant {
    token: String,
    channel: String,
}

async fn api(backend: Backend, seed: u64, tenants: usize, each: usize) -> Figures {
    let db = TestDb::new(backend).await;
    let fake = fake(seed, tenants * (each + WARM_UP) + 100);
    let app = AppBuilder::new(db.store.clone(), db.url.clone())
        .twilio_client(client(&fake))
        .jwt_secret(SecretString::from(SECRET))
        .build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = numbers_http::serve(app, listener).expect("serve");
    let handle = server.handle();
    tokio::spawn(server);
    let http = reqwest::Client::new();
    let mut accounts = Vec::new();
    for _ in 0..tenants {
        let (tenant, _) =
            testing::tenant_with_quota(&db.store, u32::try_from(each + WARM_UP).expect("quota"))
                .await;
        let channel = testing::voice_channel(&db.store, tenant.id).await;
        let claims = Claims {
            sub: "bench-admin".into(),
            tenant_id: tenant.id,
            role: Role::Admin,
            exp: Utc::now().timestamp() + 3600,
        };
        accounts.push(BenchTenant {
            token: mint(&SecretString::from(SECRET), &claims),
            channel: channel.id.to_string(),
        });
    }
    let accounts = Arc::new(accounts);
    let purchase = {
        let http = http.clone();
        let base = base.clone();
        move |tenant: &BenchTenant, number: String| {
            let request = http
                .post(format!("{base}/v1/phone-numbers/purchase"))
                .bearer_auth(&tenant.token)
                .json(&json!({ "phone_number": number, "channel_id": tenant.channel }));
            async move {
                let response = request.send().await.expect("purchase");
                let status = response.status();
                let body: serde_json::Value = response.json().await.expect("json");
                assert_eq!(status.as_u16(), 201, "{body}");
                body["id"].as_str().expect("id").to_owned()
            }
        }
    };
    let release = {
        let http = http.clone();
        let base = base.clone();
        move |tenant: &BenchTenant, id: String| {
            let request = http
                .delete(format!("{base}/v1/phone-numbers/{id}"))
                .bearer_auth(&tenant.token);
            async move {
                let response = request.send().await.expect("release");
                assert_eq!(response.status().as_u16(), 200);
                let _ = response.bytes().await;
            }
        }
    };
    let all = shares(&fake, tenants, each + WARM_UP);
    for (tenant, share) in accounts.iter().zip(&all) {
        for number in &share[..WARM_UP] {
            let id = purchase(tenant, number.clone()).await;
            release(tenant, id).await;
        }
    }
    let measured: Vec<Vec<String>> = all.into_iter().map(|s| s[WARM_UP..].to_vec()).collect();
    let (purchases, wall, ids) = in_parallel(measured, |i, share| {
        let purchase = purchase.clone();
        let accounts = Arc::clone(&accounts);
        async move {
            let tenant = &accounts[i];
            let mut times = Vec::with_capacity(share.len());
            let mut ids = Vec::with_capacity(share.len());
            for number in share {
                let start = Instant::now();
                ids.push(purchase(tenant, number).await);
                times.push(start.elapsed());
            }
            (times, ids)
        }
    })
    .await;
    let (releases, _, _) = in_parallel(ids, |i, ids| {
        let release = release.clone();
        let accounts = Arc::clone(&accounts);
        async move {
            let tenant = &accounts[i];
            let mut times = Vec::with_capacity(ids.len());
            for id in ids {
                let start = Instant::now();
                release(tenant, id).await;
                times.push(start.elapsed());
            }
            (times, Vec::new())
        }
    })
    .await;
    assert_eq!(fake.control().owned_count(None).expect("count"), 0);
    handle.stop(true).await;
    figures(purchases, wall, releases)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn range(values: &[f64], decimals: usize) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{min:.decimals$}–{max:.decimals$}")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let runs: u64 = env_or("BENCH_RUNS", 3);
    let total: usize = env_or("BENCH_PURCHASES", 320);
    let backends: Vec<Backend> = env_list("BENCH_BACKENDS", "postgres,sqlite")
        .iter()
        .map(|b| match b.as_str() {
            "postgres" => Backend::Postgres,
            "sqlite" => Backend::Sqlite,
            other => panic!("BENCH_BACKENDS: unknown backend {other}"),
        })
        .collect();
    let concurrency: Vec<usize> = env_list("BENCH_CONCURRENCY", "1,16")
        .iter()
        .map(|c| c.parse().expect("BENCH_CONCURRENCY: numbers"))
        .collect();

    // (what, tenants) → figures of every run.
    let mut all: BTreeMap<(String, usize), Vec<Figures>> = BTreeMap::new();
    for run in 1..=runs {
        println!("\n### run {run}\n");
        println!(
            "| what | tenants | purchase p50 ms | purchase p99 ms | purchases/s | release p50 ms | release p99 ms | p50 purchase / floor |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        for &tenants in &concurrency {
            let each = (total / tenants).max(1);
            let floor = floor(run, tenants, each).await;
            let mut rows = vec![("floor (twilio-client)".to_owned(), floor)];
            for &backend in &backends {
                rows.push((
                    format!("API, {}", backend.name()),
                    api(backend, run, tenants, each).await,
                ));
            }
            for (what, f) in rows {
                println!(
                    "| {what} | {tenants} | {} | {} | {:.0} | {} | {} | {:.2} |",
                    ms(f.purchase_p50),
                    ms(f.purchase_p99),
                    f.purchases_per_sec,
                    ms(f.release_p50),
                    ms(f.release_p99),
                    f.purchase_p50.as_secs_f64() / floor.purchase_p50.as_secs_f64(),
                );
                all.entry((what, tenants)).or_default().push(f);
            }
        }
    }

    println!("\n### ranges over {runs} runs (lowest–highest)\n");
    println!(
        "| what | tenants | purchase p50 ms | purchase p99 ms | purchases/s | release p50 ms | release p99 ms | p50 purchase / floor (same run) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((what, tenants), runs_figures) in &all {
        let floor_key = ("floor (twilio-client)".to_owned(), *tenants);
        let floors = &all[&floor_key];
        let pick = |f: fn(&Figures) -> f64| runs_figures.iter().map(f).collect::<Vec<_>>();
        let ratios: Vec<f64> = runs_figures
            .iter()
            .zip(floors)
            .map(|(f, floor)| f.purchase_p50.as_secs_f64() / floor.purchase_p50.as_secs_f64())
            .collect();
        println!(
            "| {what} | {tenants} | {} | {} | {} | {} | {} | {} |",
            range(&pick(|f| f.purchase_p50.as_secs_f64() * 1000.0), 2),
            range(&pick(|f| f.purchase_p99.as_secs_f64() * 1000.0), 2),
            range(&pick(|f| f.purchases_per_sec), 0),
            range(&pick(|f| f.release_p50.as_secs_f64() * 1000.0), 2),
            range(&pick(|f| f.release_p99.as_secs_f64() * 1000.0), 2),
            range(&ratios, 2),
        );
    }
}
