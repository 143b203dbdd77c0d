//! `POST /v1/subscriptions/{id}/cancel` over real HTTP, on both backends, with Twilio played
//! by the fake: the immediate cancellation answers before Twilio's (slowed) deletes finish
//! and releases every number in the background; purchases are refused from then on; the
//! input rules.

mod support;

use std::time::{Duration, Instant};

use numbers_domain::{NumberStatus, TenantId};
use numbers_persistence::{StatusFilter, both_backends};
use serde_json::json;
use support::{TestServer, TestTenant, assert_error};
use twilio_fake::{FakeOperation, Fault, NumberKind};

async fn buy(server: &TestServer, tenant: &TestTenant, count: usize) -> Vec<String> {
    let numbers = server.offers("US", NumberKind::Local, count);
    for number in &numbers {
        let (status, body) = server
            .post_json(
                "/v1/phone-numbers/purchase",
                &tenant.admin,
                &json!({"phone_number": number}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        // The next search result must not be this one again.
        server.fake.control().mark_taken(number).ok();
    }
    numbers
}

async fn subscription_id(server: &TestServer, tenant: TenantId) -> String {
    server
        .db
        .store
        .subscriptions()
        .list_for_tenant(tenant)
        .await
        .unwrap()[0]
        .id
        .to_string()
}

async fn statuses(server: &TestServer, tenant: TenantId) -> Vec<NumberStatus> {
    let mut out = Vec::new();
    for row in server
        .db
        .store
        .phone_numbers()
        .list_for_tenant(tenant, StatusFilter::All)
        .await
        .unwrap()
    {
        out.push(row.status);
    }
    out
}

both_backends! {
    async fn immediate_cancellation_answers_at_once_and_releases_every_number(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(10).await;
        let other = server.tenant(10).await;
        let numbers = buy(&server, &tenant, 3).await;
        let kept = buy(&server, &other, 1).await;
        let sub = subscription_id(&server, tenant.id).await;
        // Twilio's deletes are slow: each takes 1.5 s.
        server.fake.control().inject_fault(FakeOperation::Delete, Fault::Latency { ms: 1500 }, None);

        let (status, body) = server
            .post_json(&format!("/v1/subscriptions/{sub}/cancel"), &tenant.admin, &json!({"immediate": true}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "canceled");
        assert_eq!(body["numbers_releasing"], 3);
        assert!(body["canceled_at"].is_string());
        // The answer came before any delete finished: every row is releasing, Twilio still
        // has every number.
        assert_eq!(statuses(&server, tenant.id).await, vec![NumberStatus::Releasing; 3]);
        for number in &numbers {
            assert!(server.fake.control().owned_number(number).is_some());
        }
        // Purchases are refused from now on.
        let next = server.offers("US", NumberKind::Local, 1).remove(0);
        let refused = server
            .post_json("/v1/phone-numbers/purchase", &tenant.admin, &json!({"phone_number": next}))
            .await;
        assert_error(&refused, 402, "subscription_inactive");

        // The background task releases them all.
        let deadline = Instant::now() + Duration::from_secs(60);
        while statuses(&server, tenant.id).await != vec![NumberStatus::Released; 3] {
            assert!(Instant::now() < deadline, "the background release did not finish");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for number in &numbers {
            assert!(server.fake.control().owned_number(number).is_none());
        }
        for row in server.db.store.phone_numbers().list_for_tenant(tenant.id, StatusFilter::All).await.unwrap() {
            let row = server.db.store.phone_numbers().get_any(row.id).await.unwrap().unwrap();
            assert_eq!(row.release_reason, Some(numbers_domain::ReleaseReason::SubscriptionCanceled));
        }
        // Another tenant's numbers are untouched.
        assert_eq!(statuses(&server, other.id).await, vec![NumberStatus::Active]);
        assert!(server.fake.control().owned_number(&kept[0]).is_some());
    }

    async fn end_of_period_cancellation_keeps_the_numbers(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(10).await;
        buy(&server, &tenant, 2).await;
        let sub = subscription_id(&server, tenant.id).await;
        let (status, body) = server
            .post_json(&format!("/v1/subscriptions/{sub}/cancel"), &tenant.admin, &json!({"immediate": false}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "canceled");
        assert_eq!(body["numbers_releasing"], 0);
        assert_eq!(body["canceled_at"], body["current_period_end"]);
        assert_eq!(statuses(&server, tenant.id).await, vec![NumberStatus::Active; 2]);
        // Canceling at once afterwards moves the effective time to now and releases.
        let (status, body) = server
            .post_json(&format!("/v1/subscriptions/{sub}/cancel"), &tenant.admin, &json!({"immediate": true}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["numbers_releasing"], 2);
        assert_ne!(body["canceled_at"], body["current_period_end"]);
    }

    async fn cancellation_input_is_checked(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(10).await;
        let other = server.tenant(10).await;
        let sub = subscription_id(&server, tenant.id).await;
        let path = format!("/v1/subscriptions/{sub}/cancel");
        let member = server.post_json(&path, &tenant.member, &json!({"immediate": true})).await;
        assert_error(&member, 403, "forbidden");
        let foreign = server.post_json(&path, &other.admin, &json!({"immediate": true})).await;
        assert_error(&foreign, 404, "not_found");
        for (body, field) in [
            (json!({}), "immediate"),
            (json!({"immediate": "yes"}), "immediate"),
            (json!({"immediate": null}), "immediate"),
            (json!({"immediate": true, "at": 1}), "at"),
            (json!([true]), "body"),
        ] {
            let answer = server.post_json(&path, &tenant.admin, &body).await;
            let error = assert_error(&answer, 400, "validation_failed");
            assert_eq!(error["field"], field, "{body}: {error}");
        }
        let bad_id = server
            .post_json("/v1/subscriptions/nope/cancel", &tenant.admin, &json!({"immediate": true}))
            .await;
        assert_error(&bad_id, 400, "validation_failed");
        let unknown = server
            .post_json(&format!("/v1/subscriptions/{}/cancel", uuid::Uuid::new_v4()), &tenant.admin, &json!({"immediate": true}))
            .await;
        assert_error(&unknown, 404, "not_found");
        // Nothing was canceled by the refused requests.
        let subs = server.db.store.subscriptions().list_for_tenant(tenant.id).await.unwrap();
        assert_eq!(subs[0].status, numbers_domain::SubscriptionStatus::Active);
    }
}
