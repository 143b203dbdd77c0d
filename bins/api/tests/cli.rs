//! The `api` binary end to end: sandbox start-up, production refusals, operator commands,
//! JSON logs, and graceful shutdown with a request in flight.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// A fresh working folder per test.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("numbers-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn api(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    api(dir).args(args).output().expect("run api")
}

/// Starts `api serve` and collects its stdout and stderr lines.
fn spawn(dir: &Path, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = api(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start api");
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    (child, rx)
}

/// Reads lines until each of `wanted` has appeared in some line; returns every line read.
/// stdout and stderr arrive through two reader threads, so lines of one may come before
/// earlier lines of the other: wait for everything needed, not for one last line.
fn read_until(rx: &Receiver<String>, wanted: &[&str]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines: Vec<String> = Vec::new();
    while !wanted
        .iter()
        .all(|w| lines.iter().any(|line| line.contains(w)))
    {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| {
                panic!("timed out waiting for {wanted:?}; output so far: {lines:#?}")
            });
        lines.push(line);
    }
    lines
}

fn listening_url(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.split("listening on ").nth(1))
        .and_then(|rest| rest.split(['"', ' ']).next())
        .expect("a 'listening on' line")
        .to_owned()
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.expect("kill").success());
    child.wait().expect("wait")
}

#[tokio::test]
async fn sandbox_mode_seeds_a_demo_tenant_and_prints_a_working_token() {
    let dir = workdir("sandbox");
    let (mut child, rx) = spawn(&dir, &["serve", "--bind-addr", "127.0.0.1:0"]);
    let lines = read_until(&rx, &["/v1/channels -H", "listening on", "export TOKEN="]);
    let text = lines.join("\n");
    assert!(text.contains("SANDBOX MODE"), "{text}");
    let base = listening_url(&lines);
    let token = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("export TOKEN="))
        .expect("a token line")
        .to_owned();
    assert!(
        text.contains(&format!("curl -s {base}/v1/phone-numbers")),
        "curl lines use the real address: {text}"
    );
    let client = reqwest::Client::new();
    let channels: serde_json::Value = client
        .get(format!("{base}/v1/channels"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(channels["channels"][0]["kind"], "voice", "{channels}");
    let search = client
        .get(format!(
            "{base}/v1/phone-numbers/available?country=US&limit=2"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), 200, "searches reach the in-process fake");
    assert!(terminate(&mut child).success());

    // A second start reuses the demo records and the development JWT secret.
    let (mut child, rx) = spawn(&dir, &["serve", "--bind-addr", "127.0.0.1:0"]);
    let lines = read_until(&rx, &["listening on"]);
    let base = listening_url(&lines);
    let again = client
        .get(format!("{base}/v1/channels"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "the first start's token still works");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(
        again["channels"].as_array().map(Vec::len),
        Some(1),
        "nothing seeded twice"
    );
    assert!(terminate(&mut child).success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn production_mode_refuses_the_sandbox_and_missing_secrets() {
    let dir = workdir("production");
    let out = run(&dir, &["serve", "--production"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sandbox mode is refused"), "{stderr}");
    let out = api(&dir)
        .args(["serve"])
        .env("APP_ENV", "production")
        .env("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef")
        .env("TWILIO_AUTH_TOKEN", "token")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    assert!(
        !stderr.contains("token\n") && !stderr.contains("=token"),
        "secrets are never printed: {stderr}"
    );
    let out = api(&dir)
        .args(["serve"])
        .env("SUBACCOUNT_ENCRYPTION_KEY", "dG9vLXNob3J0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SUBACCOUNT_ENCRYPTION_KEY"),
        "the variable is named: {stderr}"
    );
    assert!(
        !stderr.contains("dG9vLXNob3J0"),
        "the key is never echoed: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn operator_commands_create_records_and_mint_tokens() {
    let dir = workdir("operator");
    let json = |out: Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON output")
    };
    let tenant = json(run(&dir, &["create-tenant", "--name", "Acme"]));
    let tenant_id = tenant["id"].as_str().unwrap().to_owned();
    let plan = json(run(
        &dir,
        &["create-plan", "--name", "pro", "--quota", "10"],
    ));
    assert_eq!(plan["quota_phone_numbers"], 10);
    let sub = json(run(
        &dir,
        &[
            "create-subscription",
            "--tenant",
            &tenant_id,
            "--plan",
            plan["id"].as_str().unwrap(),
            "--status",
            "trialing",
        ],
    ));
    assert_eq!(sub["status"], "trialing");
    let channel = json(run(
        &dir,
        &[
            "create-channel",
            "--tenant",
            &tenant_id,
            "--name",
            "Line 1",
            "--agent-stream-url",
            "wss://a.example/s",
        ],
    ));
    assert_eq!(channel["kind"], "voice");
    // The command enforces the rules of POST /v1/channels.
    for (flag, value, field) in [
        (
            "--agent-stream-url",
            "https://a.example/s",
            "agent_stream_url",
        ),
        ("--kind", "Not A Kind", "kind"),
        ("--name", "   ", "name"),
    ] {
        let mut args = vec!["create-channel", "--tenant", &tenant_id];
        if flag != "--name" {
            args.extend(["--name", "Line 2"]);
        }
        args.extend([flag, value]);
        let refused = run(&dir, &args);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{flag} {value:?} was accepted");
        assert!(stderr.contains(field), "{flag}: {stderr}");
    }
    let bad = run(
        &dir,
        &[
            "create-subscription",
            "--tenant",
            &tenant_id,
            "--plan",
            &tenant_id,
        ],
    );
    assert!(!bad.status.success(), "an unknown plan is refused");

    let token = run(
        &dir,
        &[
            "token", "--tenant", &tenant_id, "--role", "member", "--sub", "alice",
        ],
    );
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "{token}");
    let secret = std::fs::read_to_string(dir.join("data/dev-jwt-secret")).unwrap();
    let claims = numbers_http::auth::verify(
        &secrecy::SecretString::from(secret.trim().to_owned()),
        &token,
        chrono::Utc::now().timestamp(),
    )
    .unwrap();
    assert_eq!(
        (
            claims.sub.as_str(),
            claims.role,
            claims.tenant_id.to_string()
        ),
        ("alice", numbers_http::auth::Role::Member, tenant_id)
    );
    assert!(!run(&dir, &["token", "--tenant", "nope"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn json_logs_carry_request_ids_and_sigterm_lets_in_flight_requests_finish() {
    let dir = workdir("shutdown");
    let (mut child, rx) = {
        let mut child = api(&dir)
            .args([
                "serve",
                "--bind-addr",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ])
            .env("RUST_LOG", "info,numbers_http=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        (child, rx)
    };
    let lines = read_until(
        &rx,
        &["export TOKEN=", "listening on", "in-process fake at "],
    );
    let base = listening_url(&lines);
    let token = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("export TOKEN="))
        .unwrap()
        .to_owned();
    let fake_api = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| {
            let message = v["message"].as_str()?.to_owned();
            message
                .split("in-process fake at ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(|url| url.trim_end_matches('.').to_owned())
        });
    let fake_api = fake_api.expect("the sandbox says where its fake listens");
    // Slow Twilio down so a search is in flight when SIGTERM arrives.
    let client = reqwest::Client::new();
    let fault = client
        .post(format!("{fake_api}/_fake/faults"))
        .json(&serde_json::json!({"operation": "search", "fault": {"kind": "latency", "ms": 1500}, "times": 1}))
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success(), "{:?}", fault.text().await);
    let search = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/v1/phone-numbers/available?country=US&limit=1");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .header("x-request-id", "inflight-1")
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let response = search
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    assert!(child.wait().unwrap().success());
    // Every log line is JSON, and the request's lines carry its id.
    let rest: Vec<String> = rx.try_iter().collect();
    let logs: Vec<serde_json::Value> = lines
        .iter()
        .chain(rest.iter())
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("JSON log line"))
        .collect();
    assert!(
        logs.iter().any(|l| l.to_string().contains("inflight-1")),
        "a log line carries the request id: {logs:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
