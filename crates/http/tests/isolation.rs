//! The tenant-isolation matrix: for every route, tenant B's token never reaches tenant A's
//! resources (404, or simply absent from B's lists), and a member token on an admin route is
//! 403. New routes must be added to the tables here.

mod support;

use numbers_persistence::both_backends;
use serde_json::json;
use support::{TestServer, assert_error};

/// Every route of the API with whether members may call it.
const ROUTES: &[(&str, &str, bool)] = &[
    ("GET", "/v1/phone-numbers", true),
    ("GET", "/v1/phone-numbers/available?country=US", false),
    ("GET", "/v1/phone-numbers/pricing?country=US", false),
    ("GET", "/v1/channels", true),
    ("POST", "/v1/channels", false),
    ("GET", "/v1/tenants/{tenant}/phone-numbers", true),
];

both_backends! {
    async fn members_are_refused_on_admin_routes_and_allowed_on_lists(db) {
        let s = TestServer::start(db).await;
        let t = s.tenant(5).await;
        for (method, path, member_allowed) in ROUTES {
            let path = path.replace("{tenant}", &t.id.to_string());
            let request = match *method {
                "GET" => s.http.get(s.url(&path)),
                _ => s.http.post(s.url(&path)).json(&json!({"name": "x"})),
            };
            let response = request.bearer_auth(&t.member).send().await.unwrap();
            let status = response.status().as_u16();
            if *member_allowed {
                assert_eq!(status, 200, "{method} {path}");
            } else {
                let body = response.json().await.unwrap();
                assert_error(&(status, body), 403, "forbidden");
            }
        }
    }

    async fn another_tenants_resources_are_never_visible(db) {
        let s = TestServer::start(db).await;
        let a = s.tenant(5).await;
        let b = s.tenant(5).await;
        s.db.store.shared_pool().add(Some(a.id), &"+14155550111".parse().unwrap(), None, "US".parse().unwrap()).await.unwrap();
        let (_, a_channel) = s.post_json("/v1/channels", &a.admin, &json!({"name": "A only"})).await;

        // Routes addressing a tenant's resource by id: B's token gets 404.
        for token in [&b.admin, &b.member] {
            assert_error(&s.get(&format!("/v1/tenants/{}/phone-numbers", a.id), token).await, 404, "not_found");
        }
        // Lists: B sees only B's own resources.
        let (_, channels) = s.get("/v1/channels", &b.admin).await;
        let ids: Vec<_> = channels["channels"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
        assert_eq!(ids, vec![json!(b.channel_id)]);
        assert!(!ids.contains(&a_channel["id"]));
        assert_eq!(s.get("/v1/phone-numbers?status=all", &b.admin).await.1["phone_numbers"], json!([]));
        assert_eq!(s.get(&format!("/v1/tenants/{}/phone-numbers", b.id), &b.admin).await.1, json!([]));
        // And A still sees its own.
        assert_eq!(s.get(&format!("/v1/tenants/{}/phone-numbers", a.id), &a.member).await.1.as_array().unwrap().len(), 1);
    }
}
