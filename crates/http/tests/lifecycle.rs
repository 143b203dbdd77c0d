//! Buying, attaching, detaching and releasing numbers over real HTTP, on both backends, with
//! Twilio played by the fake.

mod support;

use numbers_domain::NumberStatus;
use numbers_persistence::{StatusFilter, both_backends};
use reqwest::Method;
use serde_json::json;
use support::{TestServer, assert_error};
use twilio_fake::NumberKind;

both_backends! {
    async fn a_number_is_bought_attached_detached_and_released(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let (status, bought) = server
            .post_json(
                "/v1/phone-numbers/purchase",
                &tenant.admin,
                &json!({"phone_number": number, "channel_id": tenant.channel_id.to_string()}),
            )
            .await;
        assert_eq!(status, 201, "{bought}");
        assert_eq!(bought["status"], "active");
        assert_eq!(bought["phone_number"], number.as_str());
        assert_eq!(bought["iso_country"], "US");
        assert_eq!(bought["number_type"], "local");
        assert_eq!(bought["channel_id"], tenant.channel_id.to_string());
        assert!(bought["monthly_price_usd"].is_string(), "{bought}");
        let on_fake = server.fake.control().owned_number(&number).expect("bought on the fake");
        let voice_url = on_fake.voice_url.expect("voice url");
        assert!(
            voice_url.ends_with(&format!("/webhooks/twilio/voice?channel_id={}", tenant.channel_id)),
            "{voice_url}"
        );
        let id = bought["id"].as_str().unwrap().to_owned();

        let path = format!("/v1/phone-numbers/{id}");
        let (status, detached) = server
            .send(Method::PATCH, &path, &tenant.admin, Some(&json!({"channel_id": null})))
            .await;
        assert_eq!(status, 200, "{detached}");
        assert_eq!(detached["channel_id"], serde_json::Value::Null);
        let on_fake = server.fake.control().owned_number(&number).unwrap();
        assert!(on_fake.voice_url.unwrap().ends_with("/webhooks/twilio/voice"));

        let (status, listed) = server.get("/v1/phone-numbers", &tenant.member).await;
        assert_eq!(status, 200);
        assert_eq!(listed["phone_numbers"][0]["id"], id.as_str());

        let (status, released) = server.send(Method::DELETE, &path, &tenant.admin, None).await;
        assert_eq!(status, 200, "{released}");
        assert_eq!(released["status"], "released");
        assert_eq!(released["release_reason"], "user");
        assert!(released["released_at"].is_string());
        assert!(server.fake.control().owned_number(&number).is_none());
        // Repeating it answers the released number.
        let (status, again) = server.send(Method::DELETE, &path, &tenant.admin, None).await;
        assert_eq!((status, &again["status"]), (200, &json!("released")));

        let rows = server
            .db
            .store
            .phone_numbers()
            .list_for_tenant(tenant.id, StatusFilter::All)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, NumberStatus::Released);
        let actions: Vec<_> = server
            .db
            .store
            .audit_events()
            .list_for_number(rows[0].id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(
            actions,
            ["purchase.reserved", "purchase.completed", "channel.detached", "release.started", "release.completed"]
        );
    }

    async fn purchases_over_quota_are_refused_with_used_and_quota(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(1).await;
        let numbers = server.offers("US", NumberKind::Local, 2);
        let (status, _) = server
            .post_json("/v1/phone-numbers/purchase", &tenant.admin, &json!({"phone_number": numbers[0]}))
            .await;
        assert_eq!(status, 201);
        let refused = server
            .post_json("/v1/phone-numbers/purchase", &tenant.admin, &json!({"phone_number": numbers[1]}))
            .await;
        let body = assert_error(&refused, 402, "phone_number_quota_exceeded");
        assert_eq!((body["used"].as_u64(), body["quota"].as_u64()), (Some(1), Some(1)));
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 1);
    }
}
