//! Releasing (`DELETE /v1/phone-numbers/{id}`) and attaching/detaching (`PATCH`) over real
//! HTTP on both backends with Twilio played by the fake: success, Twilio failures, repeats,
//! other tenants, members, and malformed input (always a 4xx, never a 5xx).

mod support;

use numbers_domain::{ChannelKind, NumberStatus};
use numbers_persistence::{NewChannel, both_backends};
use reqwest::Method;
use serde_json::{Value, json};
use support::{TestServer, TestTenant, assert_error};
use twilio_fake::{FakeOperation, Fault, NumberKind};

/// Buys a number for the tenant, attached to its voice channel; its id and number.
async fn bought(server: &TestServer, tenant: &TestTenant) -> (String, String) {
    let number = server.offers("US", NumberKind::Local, 1).remove(0);
    let (status, body) = server
        .post_json(
            "/v1/phone-numbers/purchase",
            &tenant.admin,
            &json!({ "phone_number": number, "channel_id": tenant.channel_id.to_string() }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_owned(), number)
}

fn error_with(status: u16, code: u32) -> Fault {
    Fault::Error {
        status,
        code,
        message: None,
    }
}

/// What the fake holds for a number that matters here: its sid and webhooks.
fn on_fake(server: &TestServer, number: &str) -> Option<(String, Option<String>, Option<String>)> {
    server
        .fake
        .control()
        .owned_number(number)
        .map(|n| (n.sid, n.voice_url, n.status_callback))
}

both_backends! {
    async fn a_release_twilio_refuses_stays_releasing_and_a_retry_finishes_it(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        let path = format!("/v1/phone-numbers/{id}");
        let before = on_fake(&server, &number).expect("owned");
        server.fake.control().inject_fault(FakeOperation::Delete, error_with(400, 20003), Some(1));

        let refused = server.send(Method::DELETE, &path, &tenant.admin, None).await;

        let body = assert_error(&refused, 502, "twilio_error");
        assert_eq!(body["twilio_code"], 20003);
        assert_eq!(on_fake(&server, &number), Some(before), "still on Twilio, untouched");
        // SPEC §6: a failed release stays `releasing`, which drift-sync retries.
        let row = server.row(tenant.id, &number).await;
        assert_eq!(row.status, NumberStatus::Releasing);
        assert_eq!(server.drift_actions_for(row.id).await, ["retry_release"]);

        // Twilio unreachable (5xx on every attempt): the same.
        server.fake.control().inject_fault(FakeOperation::Delete, error_with(500, 20500), None);
        let unavailable = server.send(Method::DELETE, &path, &tenant.admin, None).await;
        server.fake.control().clear_faults(None);
        assert_error(&unavailable, 503, "twilio_unavailable");
        assert!(on_fake(&server, &number).is_some());
        assert_eq!(server.row(tenant.id, &number).await.status, NumberStatus::Releasing);

        let (status, released) = server.send(Method::DELETE, &path, &tenant.admin, None).await;
        assert_eq!(status, 200, "{released}");
        assert_eq!((&released["status"], &released["release_reason"]), (&json!("released"), &json!("user")));
        assert!(on_fake(&server, &number).is_none());
        assert_eq!(server.row(tenant.id, &number).await.status, NumberStatus::Released);
        server.assert_drift_can_settle().await;
    }

    async fn a_release_twilio_already_forgot_is_released(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        server.fake.control().inject_fault(FakeOperation::Delete, error_with(404, 20404), Some(1));

        let (status, body) = server
            .send(Method::DELETE, &format!("/v1/phone-numbers/{id}"), &tenant.admin, None)
            .await;

        assert_eq!((status, &body["status"]), (200, &json!("released")), "{body}");
        assert_eq!(server.row(tenant.id, &number).await.status, NumberStatus::Released);
    }

    async fn repeating_a_release_answers_the_released_number_and_touches_nothing(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, _) = bought(&server, &tenant).await;
        let path = format!("/v1/phone-numbers/{id}");
        let first = server.send(Method::DELETE, &path, &tenant.admin, None).await;
        assert_eq!(first.0, 200);
        let deletes = server.fake.control().request_count(FakeOperation::Delete);

        let again = server.send(Method::DELETE, &path, &tenant.admin, None).await;

        assert_eq!(again, first);
        assert_eq!(server.fake.control().request_count(FakeOperation::Delete), deletes);
        // A released number cannot be attached.
        let attach = server
            .send(Method::PATCH, &path, &tenant.admin, Some(&json!({ "channel_id": null })))
            .await;
        assert_error(&attach, 409, "phone_number_not_active");
    }

    async fn an_attach_twilio_refuses_changes_nothing_on_either_side(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        let path = format!("/v1/phone-numbers/{id}");
        let before_fake = on_fake(&server, &number);
        let before_row = server.row(tenant.id, &number).await;

        server.fake.control().inject_fault(FakeOperation::Update, error_with(400, 21502), Some(1));
        let refused = server
            .send(Method::PATCH, &path, &tenant.admin, Some(&json!({ "channel_id": null })))
            .await;
        let body = assert_error(&refused, 502, "twilio_error");
        assert_eq!(body["twilio_code"], 21502);
        assert_eq!(on_fake(&server, &number), before_fake);
        assert_eq!(server.row(tenant.id, &number).await, before_row);

        // An unknown outcome (5xx to the update): the old webhooks are written back.
        server.fake.control().inject_fault(
            FakeOperation::Update,
            Fault::CommitThenLose { lose: twilio_fake::LostResponse::ServerError },
            Some(1),
        );
        let lost = server
            .send(Method::PATCH, &path, &tenant.admin, Some(&json!({ "channel_id": null })))
            .await;
        assert_error(&lost, 503, "twilio_unavailable");
        assert_eq!(on_fake(&server, &number), before_fake, "put back as the row says");
        assert_eq!(server.row(tenant.id, &number).await, before_row);
        server.assert_drift_can_settle().await;
        assert!(server.drift_actions_for(before_row.id).await.is_empty(), "no webhook drift");
    }

    async fn attaching_twice_answers_the_same_and_calls_twilio_once(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        let path = format!("/v1/phone-numbers/{id}");

        let detached = server
            .send(Method::PATCH, &path, &tenant.admin, Some(&json!({ "channel_id": null })))
            .await;
        assert_eq!(detached.0, 200, "{}", detached.1);
        let updates = server.fake.control().request_count(FakeOperation::Update);
        let again = server
            .send(Method::PATCH, &path, &tenant.admin, Some(&json!({ "channel_id": null })))
            .await;
        assert_eq!(again, detached);
        assert_eq!(server.fake.control().request_count(FakeOperation::Update), updates);

        let body = json!({ "channel_id": tenant.channel_id.to_string() });
        let attached = server.send(Method::PATCH, &path, &tenant.admin, Some(&body)).await;
        assert_eq!((attached.0, &attached.1["channel_id"]), (200, &json!(tenant.channel_id.to_string())));
        let (_, voice_url, status_callback) = on_fake(&server, &number).unwrap();
        let query = format!("?channel_id={}", tenant.channel_id);
        assert!(voice_url.unwrap().ends_with(&format!("/webhooks/twilio/voice{query}")));
        assert!(status_callback.unwrap().ends_with(&format!("/webhooks/twilio/status{query}")));
        assert_eq!(server.send(Method::PATCH, &path, &tenant.admin, Some(&body)).await, attached);
        assert_eq!(server.fake.control().request_count(FakeOperation::Update), updates + 1);
    }

    async fn another_tenants_number_is_not_found_and_untouched(db) {
        let server = TestServer::start(db).await;
        let owner = server.tenant(5).await;
        let other = server.tenant(5).await;
        let (id, number) = bought(&server, &owner).await;
        let path = format!("/v1/phone-numbers/{id}");
        let before = server.row(owner.id, &number).await;
        let before_fake = on_fake(&server, &number);

        assert_error(&server.send(Method::GET, &path, &other.admin, None).await, 404, "not_found");
        assert_error(&server.send(Method::DELETE, &path, &other.admin, None).await, 404, "not_found");
        let attach = json!({ "channel_id": other.channel_id.to_string() });
        assert_error(&server.send(Method::PATCH, &path, &other.admin, Some(&attach)).await, 404, "not_found");

        // Nor can the owner attach its number to the other tenant's channel.
        assert_error(&server.send(Method::PATCH, &path, &owner.admin, Some(&attach)).await, 404, "not_found");
        assert_eq!(server.row(owner.id, &number).await, before);
        assert_eq!(on_fake(&server, &number), before_fake);
    }

    async fn a_members_token_may_not_release_or_attach(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        let path = format!("/v1/phone-numbers/{id}");
        let before = server.row(tenant.id, &number).await;

        assert_error(&server.send(Method::DELETE, &path, &tenant.member, None).await, 403, "forbidden");
        let detach = json!({ "channel_id": null });
        assert_error(&server.send(Method::PATCH, &path, &tenant.member, Some(&detach)).await, 403, "forbidden");
        let other = server.offers("US", NumberKind::Local, 2).remove(1);
        assert_error(
            &server.post_json("/v1/phone-numbers/purchase", &tenant.member, &json!({ "phone_number": other })).await,
            403,
            "forbidden",
        );
        assert_eq!(server.row(tenant.id, &number).await, before);
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 1);
        // Members may still read it.
        assert_eq!(server.send(Method::GET, &path, &tenant.member, None).await.0, 200);
    }

    async fn a_channel_that_is_not_a_voice_channel_is_not_found(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        let chat = server
            .db
            .store
            .channels()
            .create(NewChannel {
                tenant_id: tenant.id,
                kind: ChannelKind::Other("chat".into()),
                name: "Chat".into(),
                agent_stream_url: None,
            })
            .await
            .unwrap();
        let body = json!({ "channel_id": chat.id.to_string() });
        let path = format!("/v1/phone-numbers/{id}");
        assert_error(&server.send(Method::PATCH, &path, &tenant.admin, Some(&body)).await, 404, "not_found");
        let unknown = json!({ "channel_id": uuid::Uuid::new_v4().to_string() });
        assert_error(&server.send(Method::PATCH, &path, &tenant.admin, Some(&unknown)).await, 404, "not_found");
        let other = server.offers("US", NumberKind::Local, 2).remove(1);
        let purchase = json!({ "phone_number": other, "channel_id": chat.id.to_string() });
        assert_error(
            &server.post_json("/v1/phone-numbers/purchase", &tenant.admin, &purchase).await,
            404,
            "not_found",
        );
        assert_eq!(server.row(tenant.id, &number).await.channel_id, Some(tenant.channel_id));
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 1);
    }

    async fn a_number_whose_country_does_not_match_is_unavailable(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let body = json!({ "phone_number": number, "iso_country": "GB" });
        assert_error(
            &server.post_json("/v1/phone-numbers/purchase", &tenant.admin, &body).await,
            409,
            "phone_number_unavailable",
        );
        assert!(server.rows(tenant.id).await.is_empty());
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 0);
    }

    async fn malformed_ids_and_bodies_are_400_never_5xx(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let (id, number) = bought(&server, &tenant).await;
        let before = server.row(tenant.id, &number).await;

        for bad_id in ["not-a-uuid", "123", "%20", "00000000-0000-0000-0000-00000000000g", &"a".repeat(300), "%E2%98%83", "..%2F..%2Fetc"] {
            let path = format!("/v1/phone-numbers/{bad_id}");
            for method in [Method::GET, Method::DELETE] {
                let answer = server.send(method.clone(), &path, &tenant.admin, None).await;
                assert_error(&answer, 400, "validation_failed");
            }
            let answer = server
                .send(Method::PATCH, &path, &tenant.admin, Some(&json!({ "channel_id": null })))
                .await;
            assert_error(&answer, 400, "validation_failed");
        }

        let path = format!("/v1/phone-numbers/{id}");
        let bodies: [Value; 9] = [
            json!({}),
            json!({ "channel_id": 5 }),
            json!({ "channel_id": "nope" }),
            json!({ "channel_id": true }),
            json!({ "channel_id": [] }),
            json!({ "channel_id": null, "extra": 1 }),
            json!([]),
            json!("channel"),
            json!(null),
        ];
        for body in &bodies {
            let answer = server.send(Method::PATCH, &path, &tenant.admin, Some(body)).await;
            assert_error(&answer, 400, "validation_failed");
        }
        for raw in ["", "{", "{\"channel_id\":", "\u{0}", "{\"channel_id\": nul}"] {
            let response = server
                .http
                .patch(server.url(&path))
                .bearer_auth(&tenant.admin)
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_error(&(status, body), 400, "validation_failed");
        }
        let response = server
            .http
            .patch(server.url(&path))
            .bearer_auth(&tenant.admin)
            .header("content-type", "text/plain")
            .body("{\"channel_id\": null}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 415);
        assert_eq!(server.row(tenant.id, &number).await, before, "nothing changed");
        assert_eq!(server.fake.control().request_count(FakeOperation::Update), 0);
    }
}
