//! Twilio's webhooks over real HTTP (SPEC §7).
//!
//! The signatures of accepted and forged requests come from the official `twilio` package
//! (twilio-python's `RequestValidator`), produced by `scripts/twilio-signed-webhooks.py` and
//! checked in as `data/twilio_signed_webhooks.json`: a mistake shared by our signer and our
//! validator cannot pass. Every other signature here is made by the Twilio fake or by our
//! signer, for tests about what happens after verification.

mod support;

use numbers_crypto::{EncryptionKey, Keyring, compute_signature};
use numbers_persistence::{TwilioAccount, both_backends};
use secrecy::SecretString;
use serde_json::{Value, json};
use support::{TestServer, assert_error, logs};

fn doc() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(include_str!("data/twilio_signed_webhooks.json")).expect("JSON")
    })
}

fn account(which: &str) -> (&'static str, &'static str) {
    let a = &doc()["accounts"][which];
    (
        a["sid"].as_str().expect("sid"),
        a["token"].as_str().unwrap_or(""),
    )
}

fn channel_id() -> &'static str {
    doc()["channel_id"].as_str().expect("channel")
}

/// The keyring the subaccount's token is sealed with.
fn keyring() -> Keyring {
    Keyring::new(EncryptionKey::from_bytes(&[7; 32]), [])
}

/// One webhook request as the vectors describe it.
#[derive(Debug, Clone)]
struct Request {
    public_base_url: String,
    path: String,
    content_type: String,
    params: Vec<(String, String)>,
    raw_body: Option<String>,
    signature: Option<String>,
}

impl Request {
    fn vector(name: &str) -> Self {
        let v = doc()["vectors"]
            .as_array()
            .expect("vectors")
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no vector {name}"));
        let text = |key: &str| v[key].as_str().expect(key).to_owned();
        Self {
            public_base_url: text("public_base_url"),
            path: text("path"),
            content_type: text("content_type"),
            params: v["params"]
                .as_array()
                .map(|pairs| {
                    pairs
                        .iter()
                        .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                        .collect()
                })
                .unwrap_or_default(),
            raw_body: v["body"].as_str().map(str::to_owned),
            signature: Some(text("signature")),
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        for (k, v) in &mut self.params {
            if k == key {
                value.clone_into(v);
            }
        }
    }

    fn body(&self) -> Vec<u8> {
        match &self.raw_body {
            Some(body) => body.clone().into_bytes(),
            None => url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&self.params)
                .finish()
                .into_bytes(),
        }
    }

    async fn send(&self, server: &TestServer) -> (u16, Option<String>, String) {
        let mut request = server
            .http
            .post(server.url(&self.path))
            .header("Content-Type", &self.content_type)
            .body(self.body());
        if let Some(signature) = &self.signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, content_type, response.text().await.expect("body"))
    }
}

/// A server whose PUBLIC_BASE_URL is `public` (not the address it listens on), whose master
/// account is the vectors' master, and which holds the vectors' subaccount with its token
/// sealed under `sealed_with` and opens tokens with [`keyring`].
async fn server_for(
    db: numbers_persistence::testing::TestDb,
    public: &str,
    sealed_with: &Keyring,
) -> TestServer {
    let _ = logs();
    let (master_sid, master_token) = account("master");
    let public = public.to_owned();
    let server = TestServer::start_with(db, |builder, _| {
        builder
            .public_base_url(public)
            .master_account(master_sid, Some(SecretString::from(master_token)))
            .keyring(keyring())
    })
    .await;
    let (sub_sid, sub_token) = account("sub");
    let sealed = sealed_with
        .seal(sub_token.as_bytes(), sub_sid)
        .expect("seal");
    server
        .db
        .store
        .twilio_accounts()
        .insert(TwilioAccount {
            sid: sub_sid.to_owned(),
            tenant_id: None,
            kind: "subaccount".into(),
            sealed_auth_token: Some(sealed.to_base64()),
            key_id: Some(sealed_with.current_key_id().to_string()),
            created_at: chrono::Utc::now(),
        })
        .await
        .expect("subaccount");
    server
}

async fn server(db: numbers_persistence::testing::TestDb, public: &str) -> TestServer {
    server_for(db, public, &keyring()).await
}

/// Sends a forged variant of `vector` and expects 403 `forbidden`.
async fn assert_refused(server: &TestServer, request: &Request) {
    let (status, _, body) = request.send(server).await;
    let body: Value = serde_json::from_str(&body).expect("an error envelope");
    assert_error(&(status, body), 403, "forbidden");
}

#[test]
fn the_vectors_agree_with_our_signer() {
    // Not what the HTTP tests rely on (they use twilio-python's values as they are), but a
    // disagreement here points at the signer rather than at the service.
    for v in doc()["vectors"].as_array().unwrap() {
        let (_, token) = account(v["token"].as_str().unwrap());
        let request = Request::vector(v["name"].as_str().unwrap());
        let params = if request.raw_body.is_some() {
            Vec::new()
        } else {
            request.params.clone()
        };
        assert_eq!(
            compute_signature(token, v["signed_url"].as_str().unwrap(), &params),
            v["signature"].as_str().unwrap(),
            "{}",
            v["name"]
        );
    }
}

both_backends! {
    async fn requests_signed_by_twilio_python_are_accepted(db) {
        let _ = logs();
        let accepted = [
            "voice_master",
            "voice_subaccount",
            "voice_detached",
            "status_repeated_keys",
            "voice_signed_with_default_port",
            "voice_public_url_with_default_port",
            "voice_public_url_with_port_and_path",
            "status_json",
        ];
        // One server per PUBLIC_BASE_URL; each request is sent to the server's own loopback
        // address, so the Host it sees is never the signed one.
        let backend = db.store.backend();
        let mut servers: Vec<(String, TestServer)> = Vec::new();
        let mut db = Some(db);
        for name in accepted {
            let request = Request::vector(name);
            if !servers.iter().any(|(url, _)| *url == request.public_base_url) {
                let db = match db.take() {
                    Some(db) => db,
                    None => numbers_persistence::testing::TestDb::new(backend).await,
                };
                let s = server(db, &request.public_base_url).await;
                servers.push((request.public_base_url.clone(), s));
            }
            let (_, s) = servers.iter().find(|(url, _)| *url == request.public_base_url).unwrap();
            let (status, content_type, body) = request.send(s).await;
            if request.path.starts_with("/webhooks/twilio/voice") {
                assert_eq!(status, 200, "{name}: {body}");
                assert!(content_type.unwrap_or_default().starts_with("text/xml"), "{name}");
                assert!(body.contains("<Response>"), "{name}: {body}");
            } else {
                assert_eq!(status, 204, "{name}: {body}");
            }
        }
    }

    async fn a_changed_parameter_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("voice_master");
        request.set("CallStatus", "completed");
        assert_refused(&s, &request).await;
    }

    async fn an_added_parameter_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("voice_master");
        request.params.push(("Digits".into(), "1".into()));
        assert_refused(&s, &request).await;
    }

    async fn a_removed_parameter_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("voice_master");
        request.params.retain(|(k, _)| k != "Caller");
        assert_refused(&s, &request).await;
    }

    async fn a_changed_query_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("voice_master");
        request.path.push_str("&debug=1");
        assert_refused(&s, &request).await;
    }

    async fn another_accounts_token_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        assert_refused(&s, &Request::vector("forged_sub_token_master_sid")).await;
    }

    async fn a_wrong_account_sid_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        assert_refused(&s, &Request::vector("forged_master_token_sub_sid")).await;
    }

    async fn an_unknown_account_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        assert_refused(&s, &Request::vector("forged_unknown_account")).await;
    }

    async fn a_changed_json_body_is_refused(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("status_json");
        request.raw_body = Some(request.raw_body.unwrap().replace("completed", "failed"));
        assert_refused(&s, &request).await;
    }

    async fn a_valid_signature_replayed_against_another_channel_is_refused_and_logged(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("voice_master");
        let other = uuid::Uuid::new_v4().to_string();
        request.path = request.path.replace(channel_id(), &other);
        assert_refused(&s, &request).await;
        let lines = logs().lines_with(&other);
        assert!(
            lines.iter().any(|l| l.contains("Invalid Twilio signature")),
            "{lines:?}"
        );
        for line in &lines {
            for (_, token) in [account("master"), account("sub")] {
                assert!(!line.contains(token), "a token in the log: {line}");
            }
            assert!(!line.contains("+442071838750"), "an unmasked number: {line}");
        }
    }

    async fn a_missing_signature_is_400(db) {
        let s = server(db, "https://numbers.example.com").await;
        let mut request = Request::vector("voice_master");
        request.signature = None;
        let (status, _, body) = request.send(&s).await;
        let body = assert_error(&(status, serde_json::from_str(&body).unwrap()), 400, "validation_failed");
        assert_eq!(body["field"], "X-Twilio-Signature");
    }

    async fn a_sealed_token_that_cannot_be_opened_is_a_logged_500_never_acceptance(db) {
        // The subaccount's token was sealed under a key the service no longer has.
        let lost = Keyring::new(EncryptionKey::from_bytes(&[9; 32]), []);
        let s = server_for(db, "https://numbers.example.com", &lost).await;
        let (status, _, body) = Request::vector("voice_subaccount").send(&s).await;
        assert_error(&(status, serde_json::from_str(&body).unwrap()), 500, "internal");
        let (sub_sid, _) = account("sub");
        assert!(
            logs()
                .lines_with(sub_sid)
                .iter()
                .any(|l| l.contains("ERROR") && l.contains("cannot be opened")),
            "the error log names the account"
        );
    }

    async fn webhook_requests_are_counted_by_route_and_outcome(db) {
        let s = server(db, "https://numbers.example.com").await;
        Request::vector("voice_master").send(&s).await;
        let mut missing = Request::vector("voice_master");
        missing.signature = None;
        missing.send(&s).await;
        let mut forged = Request::vector("voice_master");
        forged.set("To", "+15005550006");
        forged.send(&s).await;
        forged.send(&s).await;
        Request::vector("status_repeated_keys").send(&s).await;
        let metrics = s.http.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
        for (route, outcome, count) in [
            ("voice", "verified", 1),
            ("voice", "missing", 1),
            ("voice", "invalid", 2),
            ("status", "verified", 1),
        ] {
            let line = format!(
                "twilio_webhooks_total{{route=\"/webhooks/twilio/{route}\",outcome=\"{outcome}\"}} {count}"
            );
            assert!(metrics.contains(&line), "{line} in\n{metrics}");
        }
    }
}

/// Our own signature for a form webhook to the service at `public` (tests of what happens
/// after verification; the fake signs the same way).
fn signed_status(s: &TestServer, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let path = "/webhooks/twilio/status";
    let url = format!("{}{path}", s.app.public_base_url());
    let signature = compute_signature(s.fake.auth_token(), &url, params);
    s.http
        .post(s.url(path))
        .header("X-Twilio-Signature", signature)
        .form(params)
}

/// Buys a US local number (no regulation) for the tenant through the API.
async fn buy(s: &TestServer, tenant: &support::TestTenant) -> (String, String) {
    let offer = s.offers("US", twilio_fake::NumberKind::Local, 1).remove(0);
    let (status, body) = s
        .post_json(
            "/v1/phone-numbers/purchase",
            &tenant.admin,
            &json!({ "phone_number": offer, "channel_id": tenant.channel_id }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_owned(), offer)
}

both_backends! {
    async fn status_callbacks_are_stored_once_and_never_move_a_call_backwards(db) {
        let s = TestServer::start(db).await;
        let tenant = s.tenant(5).await;
        let (id, number) = buy(&s, &tenant).await;
        let account = s.fake.account_sid().to_owned();
        let call_sid = format!("CA{}", "ab".repeat(16));
        let callback = |status: &'static str, sequence: &'static str, duration: Option<&'static str>| {
            let mut params = vec![
                ("AccountSid", account.as_str()),
                ("CallSid", call_sid.as_str()),
                ("CallStatus", status),
                ("Direction", "inbound"),
                ("From", "+14155550100"),
                ("To", number.as_str()),
                ("SequenceNumber", sequence),
            ];
            if let Some(d) = duration {
                params.push(("CallDuration", d));
            }
            signed_status(&s, &params)
        };
        // Out of order: the final status first, then earlier ones, then the final one again.
        for (status, sequence, duration) in [
            ("completed", "3", Some("42")),
            ("ringing", "1", None),
            ("in-progress", "2", None),
            ("completed", "3", Some("42")),
        ] {
            let response = callback(status, sequence, duration).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 204, "{status}");
        }
        let events = s.db.store.calls().events(&call_sid).await.unwrap();
        let mut stored: Vec<(String, i32)> = events;
        stored.sort();
        assert_eq!(
            stored,
            vec![("completed".into(), 3), ("in-progress".into(), 2), ("ringing".into(), 1)],
            "each event once, the repeat not stored"
        );
        let (status, page) = s.get(&format!("/v1/phone-numbers/{id}/calls"), &tenant.member).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["calls"].as_array().unwrap().len(), 1);
        let call = &page["calls"][0];
        assert_eq!(call["call_sid"], call_sid.as_str());
        assert_eq!(call["status"], "completed", "late callbacks never move it backwards");
        assert_eq!(call["duration_seconds"], 42);
        assert_eq!(call["from"], "+14155550100");
        assert_eq!(call["channel_id"], tenant.channel_id.to_string());
        assert_eq!(page["next_before"], Value::Null);
    }

    async fn a_numbers_calls_are_paged_newest_first_and_only_its_tenant_sees_them(db) {
        let s = TestServer::start(db).await;
        let tenant = s.tenant(5).await;
        let other = s.tenant(5).await;
        let (id, number) = buy(&s, &tenant).await;
        let mut placed = Vec::new();
        for _ in 0..3 {
            let call = s.fake.control().place_call(&number, "+14155550100").await.unwrap();
            assert_eq!(call.status, 200);
            let status = s.fake.control().send_status_callback(&call, "completed", 7).await.unwrap();
            assert_eq!(status.status, 204);
            placed.push(call.call_sid);
        }
        let path = format!("/v1/phone-numbers/{id}/calls");
        let (status, first) = s.get(&format!("{path}?limit=2"), &tenant.admin).await;
        assert_eq!(status, 200, "{first}");
        let sids = |page: &Value| -> Vec<String> {
            page["calls"].as_array().unwrap().iter().map(|c| c["call_sid"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(sids(&first), vec![placed[2].clone(), placed[1].clone()]);
        let before = first["next_before"].as_str().expect("a next page").to_owned();
        let (status, second) = s.get(&format!("{path}?limit=2&before={before}"), &tenant.member).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(sids(&second), vec![placed[0].clone()]);
        assert_eq!(second["next_before"], Value::Null);

        assert_error(&s.get(&path, &other.admin).await, 404, "not_found");
        let bad = assert_error(&s.get(&format!("{path}?limit=0"), &tenant.admin).await, 400, "validation_failed");
        assert_eq!(bad["field"], "limit");
        let bad = assert_error(&s.get(&format!("{path}?before=nope"), &tenant.admin).await, 400, "validation_failed");
        assert_eq!(bad["field"], "before");
        let unknown = format!("CA{}", "0".repeat(32));
        let bad = assert_error(&s.get(&format!("{path}?before={unknown}"), &tenant.admin).await, 400, "validation_failed");
        assert_eq!(bad["field"], "before");
        assert_error(&s.get(&format!("{path}?page=2"), &tenant.admin).await, 400, "validation_failed");
    }

    async fn a_number_without_an_agent_answers_not_in_service(db) {
        let s = TestServer::start(db).await;
        let tenant = s.tenant(5).await;
        let (id, number) = buy(&s, &tenant).await;
        // Detached: the fake's voice URL loses its channel id and the call is not connected.
        let (status, body) = s
            .send(reqwest::Method::PATCH, &format!("/v1/phone-numbers/{id}"), &tenant.admin, Some(&json!({"channel_id": null})))
            .await;
        assert_eq!(status, 200, "{body}");
        let call = s.fake.control().place_call(&number, "+14155550100").await.unwrap();
        assert_eq!(call.status, 200);
        assert!(call.body.contains("<Say>") && call.body.contains("<Hangup/>"), "{}", call.body);
        assert!(!call.body.contains("<Connect>"), "{}", call.body);
    }
}

both_backends! {
    // The runbook's QA scenario (TWIN-40.18), end to end over HTTP with the Twilio fake.
    async fn the_runbooks_qa_scenario_runs_end_to_end(db) {
        let _ = logs();
        let s = TestServer::start(db).await;
        let tenant = s.tenant(5).await;
        // The platform's UK bundle, as the sandbox registers it.
        numbers_app::sandbox::register_demo_documents(&s.db.store, &s.fake).await.unwrap();

        // A voice channel with an agent; its numbers list is empty.
        let (status, channel) = s
            .post_json("/v1/channels", &tenant.admin, &json!({
                "name": "Support line", "kind": "voice",
                "agent_stream_url": "wss://agents.example/support?lang=en&x=<1>"
            }))
            .await;
        assert_eq!(status, 201, "{channel}");
        let channel_id = channel["id"].as_str().unwrap().to_owned();
        let (status, list) = s.get("/v1/phone-numbers", &tenant.admin).await;
        assert_eq!((status, list["phone_numbers"].clone()), (200, json!([])));

        // Search GB local with no pattern; buy the first result attached to the channel.
        let (status, found) = s.get("/v1/phone-numbers/available?country=GB&type=local", &tenant.admin).await;
        assert_eq!(status, 200, "{found}");
        let first = &found["available_phone_numbers"][0];
        assert_eq!(first["purchasable"], true, "{first}");
        let number = first["phone_number"].as_str().unwrap().to_owned();
        let (status, bought) = s
            .post_json("/v1/phone-numbers/purchase", &tenant.admin, &json!({
                "phone_number": number, "channel_id": channel_id
            }))
            .await;
        assert_eq!(status, 201, "{bought}");
        let id = bought["id"].as_str().unwrap().to_owned();

        // Twilio has the number with the voice URL carrying the channel id.
        let on_fake = s.fake.control().owned_number(&number).expect("bought on the fake");
        assert_eq!(
            on_fake.voice_url.as_deref(),
            Some(format!("{}/webhooks/twilio/voice?channel_id={channel_id}", s.base).as_str())
        );

        // A call comes in: verified, logged, connected to the channel's agent.
        let call = s.fake.control().place_call(&number, "+447700900123").await.unwrap();
        assert_eq!(call.status, 200, "{}", call.body);
        assert!(call.content_type.as_deref().unwrap_or_default().starts_with("text/xml"));
        assert!(
            call.body.contains("<Connect><Stream url=\"wss://agents.example/support?lang=en&amp;x=&lt;1&gt;\">"),
            "{}",
            call.body
        );
        assert!(call.body.contains(&format!("<Parameter name=\"channel_id\" value=\"{channel_id}\"/>")), "{}", call.body);
        assert!(call.body.contains(&format!("<Parameter name=\"call_sid\" value=\"{}\"/>", call.call_sid)), "{}", call.body);
        let received = logs().lines_with(&call.call_sid);
        assert!(received.iter().any(|l| l.contains("Inbound call received")), "{received:?}");
        assert!(
            logs().lines_with(&channel_id).iter().all(|l| !l.contains("Invalid Twilio signature")),
            "no signature was refused"
        );

        // Hang up: the status callback is stored.
        let status = s.fake.control().send_status_callback(&call, "completed", 42).await.unwrap();
        assert_eq!(status.status, 204, "{}", status.body);
        let (_, calls) = s.get(&format!("/v1/phone-numbers/{id}/calls"), &tenant.member).await;
        assert_eq!(calls["calls"][0]["call_sid"], call.call_sid.as_str());
        assert_eq!(calls["calls"][0]["status"], "completed");
        assert_eq!(calls["calls"][0]["duration_seconds"], 42);

        // Release: the row is released with released_at, and the number is gone from Twilio.
        let (status, released) = s.send(reqwest::Method::DELETE, &format!("/v1/phone-numbers/{id}"), &tenant.admin, None).await;
        assert_eq!(status, 200, "{released}");
        let row = s
            .db
            .store
            .phone_numbers()
            .get_any(id.parse::<uuid::Uuid>().unwrap().into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, numbers_domain::NumberStatus::Released);
        assert!(row.released_at.is_some());
        assert!(s.fake.control().owned_number(&number).is_none(), "gone from the fake");
    }
}
