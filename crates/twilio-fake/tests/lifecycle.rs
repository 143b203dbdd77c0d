//! Starting and stopping: from any runtime or none, shutdown on drop, explicit shutdown
//! cutting hanging requests, and the binary.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use twilio_client::{Credentials, SecretString};
use twilio_fake::{FakeConfig, FakeOperation, Fault, TwilioFake};

use common::{client, client_with, fake, quick_retries};

/// A raw HTTP/1.1 GET, so no async runtime is needed at all.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn starts_and_serves_without_any_async_runtime() {
    let fake = fake(40);
    let answer = raw_get(fake.local_addr(), "/_fake/health").unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("{\"ok\":true}"), "{answer}");
}

#[test]
fn dropping_the_handle_stops_the_server() {
    let fake = fake(41);
    let addr = fake.local_addr();
    assert!(raw_get(addr, "/_fake/health").is_ok());
    drop(fake);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still accepting connections after drop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// actix-web runs each worker on a current-thread tokio runtime inside a `LocalSet`; the
/// fake must start and answer from there.
#[tokio::test(flavor = "current_thread")]
async fn starts_from_inside_a_current_thread_runtime_with_a_local_set() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let fake = fake(42);
            let handle = tokio::task::spawn_local({
                let client = client(&fake);
                async move { client.fetch_account().await }
            });
            let account = handle.await.unwrap().unwrap();
            assert_eq!(account.sid.as_deref(), Some(fake.account_sid()));
            fake.shutdown().await;
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cuts_hanging_requests_and_frees_the_port() {
    let fake = fake(43);
    let addr = fake.local_addr();
    fake.control()
        .inject_fault(FakeOperation::Account, Fault::Hang { ms: None }, None);
    let client = client_with(
        &fake,
        Credentials::auth_token(fake.account_sid(), SecretString::from(fake.auth_token())),
        quick_retries(1),
        Duration::from_secs(30),
    );
    let pending = tokio::spawn(async move { client.fetch_account().await });
    // Wait until the request is being held.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.control().request_count(FakeOperation::Account) == 0 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    fake.shutdown().await;
    let result = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .expect("the held request ends with the fake")
        .unwrap();
    let e = result.unwrap_err();
    assert!(e.is_outcome_unknown(), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The port is free again.
    let again = TwilioFake::start(FakeConfig {
        port: addr.port(),
        ..FakeConfig::with_seed(43)
    })
    .expect("port reusable after shutdown");
    assert_eq!(again.local_addr(), addr);
}

#[test]
fn a_taken_port_is_reported_as_an_error() {
    let fake = fake(44);
    let err = TwilioFake::start(FakeConfig {
        port: fake.local_addr().port(),
        ..FakeConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("could not start"), "{err}");
}

#[test]
fn the_binary_prints_its_urls_and_credentials_and_serves_them() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twilio-fake"))
        .args(["--port", "0", "--seed", "99"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut vars = std::collections::HashMap::new();
    for line in lines.by_ref().take(7) {
        let line = line.unwrap();
        if let Some((k, v)) = line.split_once('=') {
            vars.insert(k.to_owned(), v.to_owned());
        }
    }
    let result = (|| {
        let api = vars.get("TWILIO_API_BASE_URL").expect("API URL printed");
        let addr: std::net::SocketAddr = api.strip_prefix("http://").unwrap().parse().unwrap();
        let credentials = raw_get(addr, "/_fake/credentials").unwrap();
        let reference = TwilioFake::start(FakeConfig::with_seed(99)).unwrap();
        assert_eq!(
            vars.get("TWILIO_ACCOUNT_SID").map(String::as_str),
            Some(reference.account_sid())
        );
        assert_eq!(
            vars.get("TWILIO_AUTH_TOKEN").map(String::as_str),
            Some(reference.auth_token())
        );
        assert!(
            credentials.contains(reference.account_sid()),
            "{credentials}"
        );
        assert_eq!(vars.get("TWILIO_PRICING_BASE_URL"), Some(api));
    })
    .catch_unwind_silently();
    // Stop only the process this test started.
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Runs a closure, returning its panic instead of unwinding (so the child is always killed).
trait CatchUnwindSilently {
    fn catch_unwind_silently(self) -> std::thread::Result<()>;
}

impl<F: FnOnce()> CatchUnwindSilently for F {
    fn catch_unwind_silently(self) -> std::thread::Result<()> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(self))
    }
}
