//! Liveness and readiness over real HTTP, on both backends and with the database down.

use std::net::TcpListener;
use std::time::Duration;

use numbers_app::App;
use numbers_http::ErrorBody;
use numbers_persistence::{DatabaseUrl, Store, StoreOptions, both_backends};

/// Serves `app` on an ephemeral loopback port and returns its base URL.
fn start(app: App) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let server = numbers_http::serve(app, listener).expect("serve");
    tokio::spawn(server);
    base
}

async fn get(url: String) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

both_backends! {
    async fn health_and_readiness_are_ok_with_a_live_database(db) {
        let base = start(App::from_store(db.store.clone(), db.url.clone()));
        assert_eq!(get(format!("{base}/healthz")).await, (200, serde_json::json!({"status": "ok"})));
        assert_eq!(get(format!("{base}/readyz")).await, (200, serde_json::json!({"status": "ready"})));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_503_and_liveness_200_when_the_database_is_unreachable() {
    // Port 1 on loopback: nothing listens there, so every connection is refused.
    let url = DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/none").expect("url");
    let options = StoreOptions {
        acquire_timeout: Duration::from_millis(300),
        ..StoreOptions::default()
    };
    let store = Store::connect(&url, &options).expect("pool");
    let base = start(App::from_store(store, url));

    assert_eq!(get(format!("{base}/healthz")).await.0, 200);
    let (status, body) = get(format!("{base}/readyz")).await;
    assert_eq!(status, 503);
    let body: ErrorBody = serde_json::from_value(body).expect("error envelope");
    assert_eq!(body.code, "database_unavailable");
    assert!(!body.message.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_data_route_answers_503_database_unavailable_when_the_database_is_down() {
    let url = DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/none").expect("url");
    let options = StoreOptions {
        acquire_timeout: Duration::from_millis(300),
        ..StoreOptions::default()
    };
    let store = Store::connect(&url, &options).expect("pool");
    let secret = secrecy::SecretString::from("db-down-secret");
    let app = numbers_app::AppBuilder::new(store, url)
        .jwt_secret(secret.clone())
        .build();
    let tenant = numbers_domain::TenantId::new();
    let token = numbers_http::auth::mint(
        &secret,
        &numbers_http::auth::Claims {
            sub: "u".into(),
            tenant_id: tenant,
            role: numbers_http::auth::Role::Admin,
            exp: chrono::Utc::now().timestamp() + 60,
        },
    );
    let base = start(app);
    let client = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/v1/phone-numbers".to_owned()),
        ("GET", "/v1/channels".to_owned()),
        ("POST", "/v1/channels".to_owned()),
        ("GET", format!("/v1/tenants/{tenant}/phone-numbers")),
    ] {
        let request = if method == "GET" {
            client.get(format!("{base}{path}"))
        } else {
            client
                .post(format!("{base}{path}"))
                .json(&serde_json::json!({"name": "x"}))
        };
        let response = request.bearer_auth(&token).send().await.expect("request");
        assert_eq!(response.status(), 503, "{method} {path}");
        let body: ErrorBody = response.json().await.expect("envelope");
        assert_eq!(body.code, "database_unavailable", "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_whose_folder_cannot_be_created_is_refused_at_start() {
    // The parent "folder" is a regular file, so the database cannot be created there.
    let dir = std::env::temp_dir().join(format!("numbers-readyz-{}", std::process::id()));
    std::fs::write(&dir, b"not a folder").expect("write");
    let url = DatabaseUrl::Sqlite(dir.join("db.sqlite3"));
    let store = Store::connect(&url, &StoreOptions::default());
    assert!(store.is_err(), "the folder cannot be created");
    std::fs::remove_file(&dir).expect("cleanup");
}
