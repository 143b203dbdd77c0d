//! Each endpoint's success shape and error codes, over real HTTP, on both backends, with the
//! Twilio fake behind the service.

mod support;

use numbers_domain::{Capabilities, NumberType, TenantId};
use numbers_http::auth::Role;
use numbers_persistence::{
    Actor, Changes, NewReservation, RegulatoryRequirement, Reservation, both_backends,
};
use serde_json::{Value, json};
use support::{TestServer, assert_error, token};
use twilio_fake::{FakeOperation, Fault};

async fn bought_number(server: &TestServer, tenant: TenantId, number: &str) -> Value {
    let store = &server.db.store;
    let Reservation::Reserved(row) = store
        .phone_numbers()
        .reserve(
            NewReservation {
                tenant_id: tenant,
                phone_number: number.parse().unwrap(),
                account_sid: server.fake.account_sid().to_owned(),
                iso_country: "US".parse().unwrap(),
                number_type: NumberType::Local,
                channel_id: None,
                monthly_price_usd: Some("1.15".parse().unwrap()),
            },
            &Actor::api("seed", None),
        )
        .await
        .unwrap()
    else {
        panic!("quota")
    };
    store
        .phone_numbers()
        .mark_active(
            row.id,
            Changes {
                twilio_sid: Some(format!("PN{}", uuid::Uuid::new_v4().simple())),
                friendly_name: Some("(415) 555-0100".into()),
                capabilities: Some(Capabilities {
                    voice: true,
                    sms: true,
                    mms: false,
                    fax: false,
                }),
                monthly_price_usd: Some("1.15".parse().unwrap()),
                voice_url: Some("https://x/voice".into()),
                status_callback_url: Some("https://x/status".into()),
                purchased_at: Some(chrono::Utc::now()),
                ..Changes::default()
            },
            &Actor::api("seed", None),
        )
        .await
        .unwrap();
    json!(row.id)
}

both_backends! {
    async fn listing_numbers_shows_the_tenants_rows_and_filters_by_status(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let (status, body) = s.get("/v1/phone-numbers", &t.member).await;
        assert_eq!((status, body.clone()), (200, json!({"phone_numbers": []})));
        let id = bought_number(&s, t.id, "+14155550100").await;
        let (status, body) = s.get("/v1/phone-numbers", &t.member).await;
        assert_eq!(status, 200);
        let row = &body["phone_numbers"][0];
        assert_eq!(row["id"], id);
        assert_eq!(row["phone_number"], "+14155550100");
        assert_eq!(row["status"], "active");
        assert_eq!(row["number_type"], "local");
        assert_eq!(row["iso_country"], "US");
        assert_eq!(row["monthly_price_usd"], "1.15");
        assert_eq!(row["capabilities"], json!({"voice": true, "sms": true, "mms": false, "fax": false}));
        assert!(row["purchased_at"].is_string());
        assert_eq!(s.get("/v1/phone-numbers?status=active", &t.admin).await.1["phone_numbers"].as_array().unwrap().len(), 1);
        assert_eq!(s.get("/v1/phone-numbers?status=released", &t.admin).await.1["phone_numbers"], json!([]));
        assert_eq!(s.get("/v1/phone-numbers?status=all", &t.admin).await.1["phone_numbers"].as_array().unwrap().len(), 1);
        let bad = assert_error(&s.get("/v1/phone-numbers?status=gone", &t.admin).await, 400, "validation_failed");
        assert_eq!(bad["field"], "status");
        let unknown = assert_error(&s.get("/v1/phone-numbers?sort=asc", &t.admin).await, 400, "validation_failed");
        assert_eq!(unknown["field"], "sort");
    }

    async fn searching_returns_offers_with_price_and_purchasability(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let (status, body) = s.get("/v1/phone-numbers/available?country=US&type=local&contains=555&limit=5", &t.admin).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["country"].as_str(), body["type"].as_str(), body["currency"].as_str()), (Some("US"), Some("local"), Some("USD")));
        let offers = body["available_phone_numbers"].as_array().unwrap();
        assert!(!offers.is_empty() && offers.len() <= 5, "{body}");
        for offer in offers {
            assert!(offer["phone_number"].as_str().unwrap().contains("555"), "{offer}");
            assert_eq!(offer["iso_country"], "US");
            assert_eq!(offer["purchasable"], true);
            assert!(offer["monthly_price_usd"].as_str().is_some_and(|p| p.parse::<f64>().is_ok()), "{offer}");
            assert!(offer["capabilities"]["voice"].is_boolean());
            assert!(offer["address_requirements"].is_string());
        }
        // Default type is local, default limit 20.
        let (status, body) = s.get("/v1/phone-numbers/available?country=US", &t.admin).await;
        assert_eq!((status, body["type"].as_str()), (200, Some("local")));
        assert!(body["available_phone_numbers"].as_array().unwrap().len() <= 20);
    }

    async fn regulated_numbers_are_purchasable_only_with_a_bundle_on_file(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let path = "/v1/phone-numbers/available?country=GB&type=mobile&limit=3";
        let (status, body) = s.get(path, &t.admin).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["available_phone_numbers"].as_array().unwrap().iter().all(|o| o["purchasable"] == false), "{body}");
        s.db.store.regulatory().upsert(RegulatoryRequirement {
            iso_country: "GB".parse().unwrap(),
            number_type: NumberType::Mobile,
            bundle_sid: Some("BU0123456789abcdef0123456789abcdef".into()),
            address_sid: Some("AD0123456789abcdef0123456789abcdef".into()),
        }).await.unwrap();
        let (_, body) = s.get(path, &t.admin).await;
        assert!(body["available_phone_numbers"].as_array().unwrap().iter().all(|o| o["purchasable"] == true), "{body}");
    }

    async fn search_errors_have_their_codes(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        for (query, field) in [
            ("", "country"),
            ("country=USA", "country"),
            ("country=U1", "country"),
            ("country=US&type=TollFree", "type"),
            ("country=US&contains=5", "contains"),
            ("country=US&contains=55%255", "contains"),
            ("country=US&limit=0", "limit"),
            ("country=US&limit=31", "limit"),
            ("country=US&limit=ten", "limit"),
            ("country=US&country=GB", "country"),
            ("country=US&page=2", "page"),
        ] {
            let answer = s.get(&format!("/v1/phone-numbers/available?{query}"), &t.admin).await;
            let body = assert_error(&answer, 400, "validation_failed");
            assert_eq!(body["field"], field, "{query}");
        }
        // An unencoded `+` arrives as a space: the answer says how to send it.
        let plus = assert_error(&s.get("/v1/phone-numbers/available?country=US&contains=+1415", &t.admin).await, 400, "validation_failed");
        assert!(plus["message"].as_str().unwrap().contains("%2B"), "{plus}");
        let (status, _) = s.get("/v1/phone-numbers/available?country=US&contains=%2B1415", &t.admin).await;
        assert_eq!(status, 200);
        // Twilio has no US mobile inventory: 404 with Twilio's code.
        let body = assert_error(&s.get("/v1/phone-numbers/available?country=US&type=mobile", &t.admin).await, 404, "not_found");
        assert_eq!(body["twilio_code"], 20404);
        // Members may only list.
        assert_error(&s.get("/v1/phone-numbers/available?country=US", &t.member).await, 403, "forbidden");
        // A Twilio refusal carries its code; an outage is 503.
        s.fake.control().inject_fault(FakeOperation::Search, Fault::Error { status: 400, code: 21452, message: None }, Some(1));
        let body = assert_error(&s.get("/v1/phone-numbers/available?country=US", &t.admin).await, 502, "twilio_error");
        assert_eq!(body["twilio_code"], 21452);
        s.fake.control().inject_fault(FakeOperation::Search, Fault::Error { status: 503, code: 20503, message: None }, Some(5));
        assert_error(&s.get("/v1/phone-numbers/available?country=US", &t.admin).await, 503, "twilio_unavailable");
    }

    async fn pricing_is_normalised_and_cached_per_country(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let (status, body) = s.get("/v1/phone-numbers/pricing?country=GB", &t.admin).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["country"].as_str(), body["currency"].as_str()), (Some("GB"), Some("USD")));
        let types: Vec<&str> = body["prices"].as_array().unwrap().iter().map(|p| p["number_type"].as_str().unwrap()).collect();
        assert!(types.contains(&"local") && types.contains(&"toll_free"), "{body}");
        for price in body["prices"].as_array().unwrap() {
            assert!(price["current_price"].as_str().unwrap().contains('.'), "decimal strings: {price}");
        }
        let before = s.fake.control().request_count(FakeOperation::Pricing);
        // A burst of searches and price lookups for one country makes no further Pricing
        // call (cached), and a burst for a new country makes exactly one.
        let burst = (0..20).map(|i| {
            let path = if i % 2 == 0 { "/v1/phone-numbers/available?country=GB&type=local&limit=1" } else { "/v1/phone-numbers/pricing?country=GB" };
            s.get(path, &t.admin)
        });
        assert!(futures::future::join_all(burst).await.iter().all(|(status, _)| *status == 200));
        assert_eq!(s.fake.control().request_count(FakeOperation::Pricing), before);
        let burst = (0..20).map(|_| s.get("/v1/phone-numbers/available?country=CA&type=local&limit=1", &t.admin));
        assert!(futures::future::join_all(burst).await.iter().all(|(status, _)| *status == 200));
        assert_eq!(s.fake.control().request_count(FakeOperation::Pricing), before + 1);

        assert_error(&s.get("/v1/phone-numbers/pricing", &t.admin).await, 400, "validation_failed");
        assert_error(&s.get("/v1/phone-numbers/pricing?country=GB", &t.member).await, 403, "forbidden");
        let body = assert_error(&s.get("/v1/phone-numbers/pricing?country=ZZ", &t.admin).await, 404, "not_found");
        assert!(body["twilio_code"].is_number(), "{body}");
        // Failures are not cached: a refusal, an outage, then success for the same country.
        s.fake.control().inject_fault(FakeOperation::Pricing, Fault::Error { status: 403, code: 20008, message: None }, Some(1));
        let body = assert_error(&s.get("/v1/phone-numbers/pricing?country=DE", &t.admin).await, 502, "twilio_error");
        assert_eq!(body["twilio_code"], 20008);
        s.fake.control().inject_fault(FakeOperation::Pricing, Fault::Error { status: 500, code: 20500, message: None }, Some(5));
        assert_error(&s.get("/v1/phone-numbers/pricing?country=DE", &t.admin).await, 503, "twilio_unavailable");
        s.fake.control().clear_faults(None);
        assert_eq!(s.get("/v1/phone-numbers/pricing?country=DE", &t.admin).await.0, 200);
    }

    async fn channels_are_listed_and_created(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let (status, body) = s.get("/v1/channels", &t.member).await;
        assert_eq!(status, 200);
        assert_eq!(body["channels"][0]["id"], json!(t.channel_id));
        let response = s.http.post(s.url("/v1/channels")).bearer_auth(&t.admin)
            .json(&json!({"name": "Support line", "agent_stream_url": "wss://agents.example/support"}))
            .send().await.unwrap();
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = response.json().await.unwrap();
        assert_eq!(location, format!("/v1/channels/{}", created["id"].as_str().unwrap()));
        assert_eq!((created["kind"].as_str(), created["name"].as_str()), (Some("voice"), Some("Support line")));
        let chat = s.post_json("/v1/channels", &t.admin, &json!({"name": "Chat", "kind": "web_chat"})).await;
        assert_eq!((chat.0, chat.1["kind"].as_str(), chat.1["agent_stream_url"].clone()), (201, Some("web_chat"), Value::Null));
        assert_eq!(s.get("/v1/channels", &t.admin).await.1["channels"].as_array().unwrap().len(), 3);

        for (body, field) in [
            (json!({}), "name"),
            (json!({"name": ""}), "name"),
            (json!({"name": "   "}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": 5}), "name"),
            (json!({"name": "a", "kind": "Voice!"}), "kind"),
            (json!({"name": "a", "agent_stream_url": "https://not-a-socket"}), "agent_stream_url"),
            (json!({"name": "a", "agent_stream_url": "wss://"}), "agent_stream_url"),
            (json!({"name": "a", "tenant_id": "x"}), "tenant_id"),
            (json!(["name"]), "body"),
        ] {
            let answer = s.post_json("/v1/channels", &t.admin, &body).await;
            assert_eq!(assert_error(&answer, 400, "validation_failed")["field"], field, "{body}");
        }
        assert_error(&s.post_json("/v1/channels", &t.member, &json!({"name": "a"})).await, 403, "forbidden");
        let text = s.http.post(s.url("/v1/channels")).bearer_auth(&t.admin).header("content-type", "text/plain").body("name=a").send().await.unwrap();
        assert_eq!(text.status(), 415);
        assert_eq!(text.json::<Value>().await.unwrap()["code"], "unsupported_media_type");
        let huge = json!({"name": "a", "agent_stream_url": format!("wss://x/{}", "a".repeat(20_000))});
        assert_error(&s.post_json("/v1/channels", &t.admin, &huge).await, 413, "payload_too_large");
        let broken = s.http.post(s.url("/v1/channels")).bearer_auth(&t.admin).header("content-type", "application/json").body("{\"name\": ").send().await.unwrap();
        assert_eq!(broken.status(), 400);
        assert_eq!(broken.json::<Value>().await.unwrap()["code"], "validation_failed");
        assert_eq!(s.get("/v1/channels", &t.admin).await.1["channels"].as_array().unwrap().len(), 3, "refusals created nothing");
    }

    async fn the_legacy_list_serves_the_shared_pool_under_the_tenant_rule(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let other = s.tenant(5).await;
        s.db.store.shared_pool().add(Some(t.id), &"+14155550999".parse().unwrap(), Some("Front".into()), "US".parse().unwrap()).await.unwrap();
        let (status, body) = s.get(&format!("/v1/tenants/{}/phone-numbers", t.id), &t.member).await;
        assert_eq!(status, 200);
        assert_eq!(body[0]["phone_number"], "+14155550999");
        assert_eq!(body[0]["country"], "US");
        assert_eq!(body.as_array().unwrap().len(), 1);
        assert_error(&s.get(&format!("/v1/tenants/{}/phone-numbers", other.id), &t.admin).await, 404, "not_found");
        let bad = assert_error(&s.get("/v1/tenants/not-a-uuid/phone-numbers", &t.admin).await, 400, "validation_failed");
        assert_eq!(bad["field"], "tenant_id");
    }

    async fn tokens_are_checked(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let no_token = s.http.get(s.url("/v1/phone-numbers")).send().await.unwrap();
        assert_eq!(no_token.status(), 401);
        assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
        assert_eq!(no_token.json::<Value>().await.unwrap()["code"], "unauthorized");
        let expired = token(t.id, Role::Admin, -3600);
        let wrong_secret = numbers_http::auth::mint(&secrecy::SecretString::from("another-secret"), &numbers_http::auth::Claims { sub: "u".into(), tenant_id: t.id, role: Role::Admin, exp: chrono::Utc::now().timestamp() + 60 });
        for bad in [expired.as_str(), wrong_secret.as_str(), "abc", "a.b.c", ""] {
            assert_error(&s.get("/v1/phone-numbers", bad).await, 401, "unauthorized");
        }
        let basic = s.http.get(s.url("/v1/channels")).header("authorization", "Basic dXNlcjpwYXNz").send().await.unwrap();
        assert_eq!(basic.status(), 401);
    }

    async fn forged_expired_and_foreign_tokens_are_401_with_their_reason(db) {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use jsonwebtoken::{Algorithm, EncodingKey, Header};

        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": "u", "tenant_id": t.id, "role": "admin", "exp": now + 600});
        let key = EncodingKey::from_secret(support::SECRET.as_bytes()).unwrap();
        let with = |alg| jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap();
        let valid = with(Algorithm::HS256);
        assert_eq!(s.get("/v1/phone-numbers", &valid).await.0, 200, "the reference token is good");

        let part = |json: &Value| URL_SAFE_NO_PAD.encode(json.to_string());
        let (header, rest) = valid.split_once('.').unwrap();
        let signature = rest.split_once('.').unwrap().1;
        let other_tenant = json!({"sub": "u", "tenant_id": TenantId::new(), "role": "admin", "exp": now + 600});
        let other_secret = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"another-secret").unwrap()).unwrap();
        for (token, reason) in [
            (format!("{}.{}.", part(&json!({"alg": "none", "typ": "JWT"})), part(&claims)), "HS256"),
            (format!("{}.{}.{signature}", part(&json!({"alg": "RS256", "typ": "JWT"})), part(&claims)), "HS256"),
            (with(Algorithm::HS384), "HS256"),
            (format!("{header}.{}.{signature}", part(&other_tenant)), "signature"),
            (other_secret, "signature"),
            (token(t.id, Role::Admin, -3600), "expired"),
            ("not-a-token".to_owned(), "malformed"),
        ] {
            let body = assert_error(&s.get("/v1/phone-numbers", &token).await, 401, "unauthorized");
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(reason), "{token}: {message}");
        }
    }

    async fn operational_endpoints_answer(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        let _ = s.get("/v1/phone-numbers/available?country=US&limit=1", &t.admin).await;
        let response = s.http.get(s.url("/v1/phone-numbers")).bearer_auth(&t.admin).header("x-request-id", "trace-123").send().await.unwrap();
        assert_eq!(response.headers()["x-request-id"], "trace-123", "a sane incoming id is kept");
        assert_eq!(response.headers()["content-type"], "application/json");
        let listed = response.bytes().await.unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&listed).unwrap(), json!({"phone_numbers": []}));
        let generated = s.http.get(s.url("/healthz")).header("x-request-id", "bad id with spaces").send().await.unwrap();
        let id = generated.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "a fresh id replaces an odd one: {id}");
        let metrics = s.http.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains(r#"http_requests_total{route="/v1/phone-numbers",method="GET",status="200"} 1"#), "{metrics}");
        assert!(metrics.contains(r#"twilio_calls_total{operation="search",outcome="ok"} 1"#), "{metrics}");
        assert!(metrics.contains("http_request_duration_seconds_bucket"), "{metrics}");
        let openapi: Value = s.http.get(s.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
        assert_eq!(openapi["paths"]["/v1/phone-numbers/available"]["get"]["parameters"][0]["name"], "country");
        assert_error(&s.get("/v1/unknown", &t.admin).await, 404, "not_found");
        let wrong_method = s.http.delete(s.url("/v1/channels")).bearer_auth(&t.admin).send().await.unwrap();
        assert_eq!(wrong_method.status(), 405);
        assert_eq!(wrong_method.json::<Value>().await.unwrap()["code"], "method_not_allowed");
    }
}
