//! Listing 100k owned numbers in pages of 1000 while the fake holds one million, and the
//! memory those million numbers take.
//!
//! Run with `cargo bench -p twilio-fake --bench listing`. Figures are recorded in
//! `docs/benchmarks.md`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_main};
use futures::TryStreamExt as _;
use serde::Deserialize;
use twilio_client::{Credentials, IncomingPhoneNumberFilter, SecretString, TwilioClient};
use twilio_fake::{FakeConfig, TwilioFake};

/// Numbers listed per run (the master account's).
const LISTED: u64 = 100_000;
/// Numbers owned in total: the master's plus nine subaccounts' of the same size.
const TOTAL: u64 = 1_000_000;
const PAGE: u32 = 1000;

/// Resident set size of this process in KiB, from `/proc/self/status` (Linux only).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Only the link to the next page; the numbers are skipped, not decoded.
#[derive(Deserialize)]
struct NextLink {
    next_page_uri: Option<String>,
}

struct Setup {
    fake: TwilioFake,
    client: TwilioClient,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

fn setup() -> Setup {
    let before = rss_kib();
    let fake = TwilioFake::start(FakeConfig::with_seed(1)).expect("fake starts");
    let started = rss_kib();
    let control = fake.control();
    let seeding = Instant::now();
    control
        .seed_owned_numbers(
            None,
            LISTED,
            Some("https://example.test/webhooks/twilio/voice"),
        )
        .expect("master exists");
    for i in 0..(TOTAL / LISTED - 1) {
        let sub = control.create_subaccount(Some(&format!("tenant {i}")));
        control
            .seed_owned_numbers(Some(&sub.account_sid), LISTED, None)
            .expect("subaccount exists");
    }
    let seeded_in = seeding.elapsed();
    let after = rss_kib();
    assert_eq!(control.owned_count(None).unwrap(), TOTAL as usize);
    if let (Some(before), Some(started), Some(after)) = (before, started, after) {
        eprintln!(
            "memory: RSS {before} KiB before start, {started} KiB with an empty fake, {after} KiB \
             with {TOTAL} owned numbers: {:.1} MiB for the numbers, {:.0} bytes per number; \
             seeded in {:.2} s",
            after.saturating_sub(started) as f64 / 1024.0,
            after.saturating_sub(started) as f64 * 1024.0 / TOTAL as f64,
            seeded_in.as_secs_f64(),
        );
    }
    let client = TwilioClient::builder(Credentials::auth_token(
        fake.account_sid(),
        SecretString::from(fake.auth_token()),
    ))
    .api_base_url(fake.api_base_url())
    .pricing_base_url(fake.pricing_base_url())
    .build()
    .expect("client builds");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    Setup {
        fake,
        client,
        http: reqwest::Client::new(),
        runtime,
    }
}

fn listing(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("list_100k_of_1m_in_pages_of_1000");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    // What drift-sync does: the real client, decoding every number.
    group.bench_function("twilio_client_over_http", |b| {
        b.iter(|| {
            let numbers: Vec<_> = s
                .runtime
                .block_on(
                    s.client
                        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter {
                            phone_number: None,
                            page_size: Some(PAGE),
                        })
                        .try_collect(),
                )
                .expect("listing succeeds");
            assert_eq!(numbers.len() as u64, LISTED);
            black_box(numbers);
        });
    });

    // The fake and the transport alone: fetch every page, skip over the numbers.
    group.bench_function("raw_http_pages", |b| {
        b.iter(|| {
            s.runtime.block_on(async {
                let mut next = Some(format!(
                    "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json?PageSize={PAGE}",
                    s.fake.account_sid()
                ));
                let mut pages = 0;
                while let Some(path) = next {
                    let body = s
                        .http
                        .get(format!("{}{path}", s.fake.api_base_url()))
                        .basic_auth(s.fake.account_sid(), Some(s.fake.auth_token()))
                        .send()
                        .await
                        .expect("answer")
                        .bytes()
                        .await
                        .expect("body");
                    next = serde_json::from_slice::<NextLink>(&body)
                        .expect("page")
                        .next_page_uri;
                    pages += 1;
                }
                assert_eq!(pages, LISTED / u64::from(PAGE));
            });
        });
    });

    // The fake's own cost: the same page rendering in process, no HTTP.
    group.bench_function("in_process_render", |b| {
        let control = s.fake.control();
        let account = s.fake.account_sid().to_owned();
        b.iter(|| {
            let mut query = format!("PageSize={PAGE}");
            let mut pages = 0;
            loop {
                let body = control.render_list_page(&account, &query).expect("page");
                pages += 1;
                match serde_json::from_slice::<NextLink>(&body)
                    .expect("page")
                    .next_page_uri
                {
                    Some(uri) => query = uri.split_once('?').expect("query").1.to_owned(),
                    None => break,
                }
            }
            assert_eq!(pages, LISTED / u64::from(PAGE));
        });
    });

    // Snapshots through the control API (no JSON at all).
    group.bench_function("in_process_snapshots", |b| {
        let control = s.fake.control();
        let account = s.fake.account_sid().to_owned();
        b.iter(|| {
            let mut cursor = None;
            let mut total = 0;
            loop {
                let page = control
                    .list_owned_page(&account, PAGE as usize, cursor)
                    .expect("page");
                total += page.numbers.len();
                black_box(&page.numbers);
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            assert_eq!(total as u64, LISTED);
        });
    });
    group.finish();

    // One page deep in the listing costs what the first one does.
    let mut group = c.benchmark_group("one_page_of_1000");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    let control = s.fake.control();
    let account = s.fake.account_sid().to_owned();
    let first = control
        .render_list_page(&account, &format!("PageSize={PAGE}"))
        .expect("page");
    let mut deep_query = format!("PageSize={PAGE}");
    for _ in 0..90 {
        let body = control
            .render_list_page(&account, &deep_query)
            .expect("page");
        let uri = serde_json::from_slice::<NextLink>(&body)
            .expect("page")
            .next_page_uri
            .expect("more");
        deep_query = uri.split_once('?').expect("query").1.to_owned();
    }
    eprintln!(
        "one page of {PAGE} numbers is {} bytes of JSON",
        first.len()
    );
    group.bench_function("render_first_page", |b| {
        b.iter(|| black_box(control.render_list_page(&account, &format!("PageSize={PAGE}"))));
    });
    group.bench_function("render_page_91", |b| {
        b.iter(|| black_box(control.render_list_page(&account, &deep_query)));
    });
    group.finish();
}

// `criterion_group!` defines an undocumented `pub fn`; a private module keeps it out of
// the `missing_docs` lint's reach.
mod group {
    criterion::criterion_group!(benches, super::listing);
}
criterion_main!(group::benches);
