//! A corpus of malformed requests across every route: each must be answered with a 4xx and
//! the error envelope — never a 5xx, never a panic — and must change nothing.

mod support;

use numbers_persistence::both_backends;
use serde_json::Value;
use support::TestServer;

struct Case {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    authorization: Option<String>,
}

fn get(path: impl Into<String>) -> Case {
    Case {
        method: "GET",
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        authorization: None,
    }
}

fn post(body: impl Into<Vec<u8>>) -> Case {
    Case {
        method: "POST",
        path: "/v1/channels".into(),
        content_type: Some("application/json"),
        body: body.into(),
        authorization: None,
    }
}

fn corpus(tenant: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let long = "9".repeat(5000);
    for country in [
        "",
        "U",
        "USA",
        "us%00",
        "%ZZ",
        "1",
        "%C3%9CS",
        "U%20S",
        "%3Cscript%3E",
        &long,
        "US%00",
        "U*",
        "%FF%FE",
    ] {
        cases.push(get(format!(
            "/v1/phone-numbers/available?country={country}"
        )));
        cases.push(get(format!("/v1/phone-numbers/pricing?country={country}")));
    }
    for kind in [
        "",
        "LOCAL",
        "tollfree",
        "toll-free",
        "1",
        "local%20",
        "mobile%00",
        "national",
    ] {
        cases.push(get(format!(
            "/v1/phone-numbers/available?country=US&type={kind}"
        )));
    }
    for contains in [
        "",
        "5",
        "*",
        "%25",
        "%2B",
        "$",
        "55%2555",
        "%2B%2555",
        "55555555555555555",
        "55%2055",
        "55/55",
        "%C3%A9%C3%A9%C3%A9",
        "*%25",
        "%25*55",
        "5%2B5",
        "55$5",
        "%00%00",
    ] {
        cases.push(get(format!(
            "/v1/phone-numbers/available?country=US&contains={contains}"
        )));
    }
    for limit in [
        "",
        "-1",
        "0",
        "31",
        "1e1",
        "abc",
        "99999999999999999999",
        "1.5",
        "%205",
        "0x10",
        "256",
    ] {
        cases.push(get(format!(
            "/v1/phone-numbers/available?country=US&limit={limit}"
        )));
    }
    for status in ["", "ACTIVE", "x", "pending,active", "%00", "released%20"] {
        cases.push(get(format!("/v1/phone-numbers?status={status}")));
    }
    for query in [
        "country=US&country=US",
        "foo=bar",
        "=",
        "&&&=&",
        "country",
        "%",
        "country=US&limit=5&limit=6",
        "a[b]=c",
    ] {
        cases.push(get(format!("/v1/phone-numbers/available?{query}")));
    }
    for id in [
        "x",
        "123",
        "00000000-0000-0000-0000-00000000000g",
        "%00",
        "...",
        &long,
        "%2F",
        "{tenant_id}",
    ] {
        cases.push(get(format!("/v1/tenants/{id}/phone-numbers")));
    }
    // Another tenant (a valid UUID that is not the caller's).
    cases.push(get(
        "/v1/tenants/00000000-0000-4000-8000-00000000dead/phone-numbers".replace("dead", "0def"),
    ));
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"\"str\"",
        b"123",
        b"{",
        b"}",
        b"{\"name\":null}",
        b"{\"name\":[]}",
        b"{\"name\":{}}",
        b"{\"name\":true}",
        b"{\"name\":\"\"}",
        b"{\"name\":\"a\",\"kind\":\"\"}",
        b"{\"name\":\"a\",\"kind\":\"VOICE\"}",
        b"{\"name\":\"a\",\"kind\":5}",
        b"{\"name\":\"a\",\"agent_stream_url\":\"wss://\\u0000\"}",
        b"{\"name\":\"a\",\"agent_stream_url\":5}",
        b"{\"name\":\"a\",\"agent_stream_url\":\"ftp://x\"}",
        b"{\"name\":\"a\",\"extra\":1}",
        b"\xff\xfe\xfd",
        b"{\"name\":\"\xff\"}",
        b"{\"name\":\"a\"}{\"name\":\"b\"}",
        b"{'name':'a'}",
        b"{\"name\":\"a\",}",
        b"NaN",
    ] {
        cases.push(post(body.to_vec()));
    }
    cases.push(post(format!(
        "{}1{}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    )));
    cases.push(post(format!("{{\"name\":\"{}\"}}", "a".repeat(200))));
    cases.push(post(format!(
        "{{\"name\":\"a\",\"agent_stream_url\":\"wss://x/{}\"}}",
        "a".repeat(3000)
    )));
    cases.push(post(vec![b' '; 100_000]));
    for content_type in [
        Some("text/plain"),
        Some("application/xml"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data"),
        None,
    ] {
        let mut case = post(b"{\"name\":\"a\"}".to_vec());
        case.content_type = content_type;
        cases.push(case);
    }
    for authorization in [
        "Bearer",
        "Bearer  ",
        "Token abc",
        "Bearer a.b",
        "Bearer a.b.c.d",
        "bearer",
        "Basic Zm9vOmJhcg==",
        &format!("Bearer {}", "x".repeat(10_000)),
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ] {
        for path in [
            "/v1/phone-numbers",
            "/v1/channels",
            "/v1/phone-numbers/available?country=US",
        ] {
            let mut case = get(path);
            case.authorization = Some(authorization.to_owned());
            cases.push(case);
        }
    }
    for path in [
        "/v1/phone-numbers/123/extra",
        "/v1//phone-numbers",
        "/v1/phone-numbers/%ff",
        "/v2/phone-numbers",
        "/v1/channels/abc",
        "/V1/CHANNELS",
        "/v1/tenants//phone-numbers",
    ] {
        cases.push(get(path));
    }
    for (method, path) in [
        ("PUT", "/v1/channels"),
        ("DELETE", "/v1/phone-numbers"),
        ("PATCH", "/v1/phone-numbers/available"),
        ("POST", "/v1/phone-numbers/pricing"),
        ("POST", "/healthz"),
        ("PUT", &format!("/v1/tenants/{tenant}/phone-numbers")),
    ] {
        let mut case = get(path);
        case.method = method;
        cases.push(case);
    }
    cases
}

both_backends! {
    async fn every_malformed_request_gets_a_4xx_envelope_and_changes_nothing(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let channels_before = s.get("/v1/channels", &t.admin).await.1;
        let cases = corpus(&t.id.to_string());
        assert!(cases.len() >= 100, "the corpus has {} cases", cases.len());
        let mut failures = Vec::new();
        for case in &cases {
            let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
            let mut request = s.http.request(method, s.url(&case.path)).body(case.body.clone());
            if let Some(content_type) = case.content_type {
                request = request.header("content-type", content_type);
            }
            request = request.header("authorization", case.authorization.clone().unwrap_or_else(|| format!("Bearer {}", t.admin)));
            let response = request.send().await.expect("the server answers");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let envelope: Option<Value> = serde_json::from_str(&text).ok();
            let has_envelope = envelope.as_ref().is_some_and(|v| v["code"].is_string() && v["message"].is_string());
            if !(400..500).contains(&status) || !has_envelope {
                failures.push(format!("{} {} -> {status} {}", case.method, &case.path[..case.path.len().min(80)], &text[..text.len().min(200)]));
            }
        }
        assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
        assert_eq!(s.get("/v1/channels", &t.admin).await.1, channels_before, "nothing was created");
        assert_eq!(s.get("/readyz", "").await.0, 200, "the service is still healthy");
    }
}
