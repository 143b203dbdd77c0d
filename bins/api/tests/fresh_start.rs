//! The README's first command on a fresh machine: no configuration at all, an empty folder.
//! The service must create and migrate its SQLite file, say where it listens, serve health
//! and readiness, and stop cleanly on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn starts_with_no_configuration_migrates_sqlite_and_says_where_it_listens() {
    let dir = std::env::temp_dir().join(format!("numbers-fresh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");

    let mut child = Command::new(env!("CARGO_BIN_EXE_api"))
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // Port 0: the OS picks a free one, and the log line must tell which.
        .args(["serve", "--bind-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the api binary");

    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let base = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no 'listening on' line; the service printed: {seen:#?}"));
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().expect("url").to_owned();
        }
        seen.push(line);
    };
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(
        dir.join("data/numbers.sqlite3").is_file(),
        "the SQLite file is created under ./data/"
    );

    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let healthy = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(healthy.status(), 200);

    // Graceful stop on SIGTERM.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.expect("kill").success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let _ = std::fs::remove_dir_all(&dir);
}
