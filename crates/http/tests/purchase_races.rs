//! Purchases that race, over real HTTP on both backends with Twilio played by the fake: the
//! quota holds under 200 parallel purchases, one number goes to one tenant, and an
//! `Idempotency-Key` buys once however many times the request is sent at the same time.

mod support;

use std::collections::BTreeMap;

use futures::future::join_all;
use numbers_domain::NumberStatus;
use numbers_persistence::both_backends;
use serde_json::json;
use support::{TestServer, assert_error};
use twilio_fake::{FakeOperation, NumberKind};

/// A purchase sent with an `Idempotency-Key`; status and the body's raw bytes.
async fn keyed_purchase(
    server: &TestServer,
    token: &str,
    key: &str,
    body: &serde_json::Value,
) -> (u16, Vec<u8>) {
    let response = server
        .http
        .post(server.url("/v1/phone-numbers/purchase"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

both_backends! {
    async fn two_hundred_parallel_purchases_on_a_plan_of_five_buy_exactly_five(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let numbers = server.offers("US", NumberKind::Local, 200);
        assert_eq!(numbers.len(), 200, "the fake stocks 200 US local numbers");

        let answers = join_all(numbers.iter().map(|n| server.purchase(&tenant, n))).await;

        let mut by_status = BTreeMap::<u16, usize>::new();
        for (status, body) in &answers {
            *by_status.entry(*status).or_default() += 1;
            match status {
                201 => assert_eq!(body["status"], "active", "{body}"),
                402 => {
                    let body = assert_error(&(*status, body.clone()), 402, "phone_number_quota_exceeded");
                    assert_eq!((body["used"].as_u64(), body["quota"].as_u64()), (Some(5), Some(5)));
                }
                _ => panic!("unexpected answer {status}: {body}"),
            }
        }
        assert_eq!(by_status, BTreeMap::from([(201, 5), (402, 195)]));
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 5);
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 5);
        let rows = server.rows(tenant.id).await;
        assert_eq!(rows.len(), 5, "a refused purchase writes no row: {rows:?}");
        assert!(rows.iter().all(|r| r.status == NumberStatus::Active), "{rows:?}");
        let bought: Vec<_> = answers
            .iter()
            .filter(|(s, _)| *s == 201)
            .map(|(_, b)| b["phone_number"].as_str().unwrap().to_owned())
            .collect();
        for number in &bought {
            assert!(server.fake.control().owned_number(number).is_some(), "{number} on the fake");
        }
        server.assert_drift_can_settle().await;
    }

    async fn two_tenants_racing_for_one_number_one_gets_it_the_other_409(db) {
        let server = TestServer::start(db).await;
        let a = server.tenant(5).await;
        let b = server.tenant(5).await;
        // Several rounds, so the two requests really meet in more than one order.
        for number in server.offers("US", NumberKind::Local, 5) {
            let (first, second) =
                tokio::join!(server.purchase(&a, &number), server.purchase(&b, &number));
            let mut statuses = [first.0, second.0];
            statuses.sort_unstable();
            assert_eq!(statuses, [201, 409], "{first:?} {second:?}");
            let (winner, loser) = if first.0 == 201 { (&a, second) } else { (&b, first) };
            assert_error(&loser, 409, "phone_number_unavailable");
            let on_fake = server.fake.control().owned_number(&number).expect("bought once");
            let row = server.row(winner.id, &number).await;
            assert_eq!(row.status, NumberStatus::Active);
            assert_eq!(row.twilio_sid.as_deref(), Some(on_fake.sid.as_str()));
        }
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 5);
        let live_rows = server.db.store.phone_numbers().list_live().await.unwrap();
        assert_eq!(live_rows.len(), 5, "{live_rows:?}");
        server.assert_drift_can_settle().await;
    }

    async fn twenty_parallel_purchases_with_one_key_buy_once_and_answer_the_same_bytes(db) {
        let server = TestServer::start(db).await;
        let tenant = server.tenant(5).await;
        let number = server.offers("US", NumberKind::Local, 1).remove(0);
        let body = json!({ "phone_number": number, "channel_id": tenant.channel_id.to_string() });

        let answers = join_all(
            (0..20).map(|_| keyed_purchase(&server, &tenant.admin, "order-7", &body)),
        )
        .await;

        assert_eq!(answers[0].0, 201, "{}", String::from_utf8_lossy(&answers[0].1));
        for answer in &answers {
            assert_eq!(answer, &answers[0], "every answer is the first one, byte for byte");
        }
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 1);
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 1);
        let rows = server.rows(tenant.id).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        let first: serde_json::Value = serde_json::from_slice(&answers[0].1).unwrap();
        assert_eq!(first["id"], rows[0].id.to_string());

        // Later, with the body's fields in another order: the same request, the same answer.
        let reordered = json!({ "channel_id": tenant.channel_id.to_string(), "phone_number": number });
        assert_eq!(keyed_purchase(&server, &tenant.admin, "order-7", &reordered).await, answers[0]);
        assert_eq!(server.fake.control().request_count(FakeOperation::Create), 1);
    }

    async fn a_key_reused_with_another_body_is_refused_and_keys_are_per_tenant(db) {
        let server = TestServer::start(db).await;
        let a = server.tenant(5).await;
        let b = server.tenant(5).await;
        let numbers = server.offers("US", NumberKind::Local, 2);

        let (status, _) =
            keyed_purchase(&server, &a.admin, "k1", &json!({ "phone_number": numbers[0] })).await;
        assert_eq!(status, 201);
        let (status, body) =
            keyed_purchase(&server, &a.admin, "k1", &json!({ "phone_number": numbers[1] })).await;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_error(&(status, body), 422, "idempotency_key_reused");
        assert!(server.fake.control().owned_number(&numbers[1]).is_none(), "nothing bought");

        // The same key is another tenant's own: it buys, and replays only to that tenant.
        let (status, b_answer) =
            keyed_purchase(&server, &b.admin, "k1", &json!({ "phone_number": numbers[1] })).await;
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&b_answer));
        let b_body: serde_json::Value = serde_json::from_slice(&b_answer).unwrap();
        assert_eq!(b_body["phone_number"], numbers[1].as_str());
        assert_eq!(server.rows(b.id).await.len(), 1);
        assert_eq!(server.rows(a.id).await.len(), 1);
        assert_eq!(server.fake.control().owned_count(None).unwrap(), 2);
        assert_eq!(
            keyed_purchase(&server, &b.admin, "k1", &json!({ "phone_number": numbers[1] })).await,
            (201, b_answer)
        );
    }
}
