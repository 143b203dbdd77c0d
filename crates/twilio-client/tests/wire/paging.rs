//! Paging over several pages by following the server's next-page links.

use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use twilio_client::{IncomingPhoneNumberFilter, TwilioError};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{ACCOUNT, builder, client, incoming_json, received};

fn list_path(prefix: &str) -> String {
    format!("{prefix}/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json")
}

/// Mounts three pages of two, one and zero-then-end numbers behind `prefix`.
async fn mount_three_pages(server: &MockServer, prefix: &str) {
    let list = list_path("");
    let page = |items: Vec<serde_json::Value>, next: Option<String>| {
        ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": items, "next_page_uri": next,
            "first_page_uri": format!("{list}?PageSize=2&Page=0"), "page_size": 2,
            "previous_page_uri": null, "start": 0, "end": 1, "uri": list
        }))
    };
    // Twilio's links are relative to the API host and carry an opaque PageToken.
    let p2 = format!("{list}?PageSize=2&Page=1&PageToken=PAPN00%2B1");
    let p3 = format!("{list}?PageSize=2&Page=2&PageToken=PAPN00%2B2");
    Mock::given(method("GET"))
        .and(path(list_path(prefix)))
        .and(query_param("Page", "2"))
        .respond_with(page(vec![], None))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(list_path(prefix)))
        .and(query_param("Page", "1"))
        .respond_with(page(vec![incoming_json("PN03", "+14155550003")], Some(p3)))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(list_path(prefix)))
        .and(query_param("PageSize", "2"))
        .respond_with(page(
            vec![
                incoming_json("PN01", "+14155550001"),
                incoming_json("PN02", "+14155550002"),
            ],
            Some(p2),
        ))
        .with_priority(10)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn list_follows_next_page_uri_verbatim_across_pages() {
    let server = MockServer::start().await;
    mount_three_pages(&server, "").await;
    let filter = IncomingPhoneNumberFilter {
        phone_number: None,
        page_size: Some(2),
    };
    let numbers: Vec<_> = client(&server)
        .list_incoming_phone_numbers(&filter)
        .try_collect()
        .await
        .unwrap();
    let sids: Vec<_> = numbers.iter().map(|n| n.sid.clone().unwrap()).collect();
    assert_eq!(sids, ["PN01", "PN02", "PN03"]);

    let reqs = received(&server).await;
    let queries: Vec<_> = reqs
        .iter()
        .map(|r| r.url.query().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        queries,
        [
            "PageSize=2",
            "PageSize=2&Page=1&PageToken=PAPN00%2B1",
            "PageSize=2&Page=2&PageToken=PAPN00%2B2"
        ]
    );
}

#[tokio::test]
async fn next_page_uri_is_joined_to_a_base_url_with_a_path_prefix() {
    let server = MockServer::start().await;
    mount_three_pages(&server, "/twilio-proxy").await;
    let c = builder(&format!("{}/twilio-proxy/", server.uri()))
        .build()
        .unwrap();
    let filter = IncomingPhoneNumberFilter {
        phone_number: None,
        page_size: Some(2),
    };
    let numbers: Vec<_> = c
        .list_incoming_phone_numbers(&filter)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(numbers.len(), 3);
    for r in received(&server).await {
        assert!(
            r.url.path().starts_with("/twilio-proxy/2010-04-01/"),
            "{}",
            r.url
        );
    }
}

#[tokio::test]
async fn pages_are_fetched_lazily_and_an_error_ends_the_stream_after_the_items_read() {
    let server = MockServer::start().await;
    let list = list_path("");
    Mock::given(method("GET"))
        .and(path(list.clone()))
        .and(query_param("Page", "1"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21481, "message": "Invalid PageToken", "status": 400
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming_json("PN01", "+14155550001")],
            "next_page_uri": format!("{list}?Page=1&PageToken=stale")
        })))
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;

    let mut stream =
        client(&server).list_incoming_phone_numbers(&IncomingPhoneNumberFilter::default());
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.sid.as_deref(), Some("PN01"));
    assert_eq!(
        received(&server).await.len(),
        1,
        "the second page is not read before it is needed"
    );
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.twilio_code(), Some(21481));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn a_next_link_pointing_at_the_same_page_stops_instead_of_looping() {
    let server = MockServer::start().await;
    let list = list_path("");
    Mock::given(method("GET"))
        .and(path(list.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming_json("PN01", "+14155550001")],
            "next_page_uri": format!("{list}?Page=1&PageToken=same")
        })))
        .mount(&server)
        .await;
    let items: Vec<Result<_, TwilioError>> = client(&server)
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter::default())
        .collect()
        .await;
    // Page 0, page 1, then page 1 again is refused.
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(matches!(items[2], Err(TwilioError::Decode { .. })));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_cycle_of_next_links_across_pages_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    let list = list_path("");
    // First page → page 1 → page 2 → page 1 again: every link is new to the page it is on,
    // so only remembering every page requested can see the loop.
    let page = |sid: &str, number: &str, next: String| {
        ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming_json(sid, number)],
            "next_page_uri": next
        }))
    };
    let to_page_1 = format!("{list}?Page=1&PageToken=PA1");
    let to_page_2 = format!("{list}?Page=2&PageToken=PA2");
    Mock::given(method("GET"))
        .and(path(list.clone()))
        .and(query_param("Page", "2"))
        .respond_with(page("PN03", "+14155550003", to_page_1.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list.clone()))
        .and(query_param("Page", "1"))
        .respond_with(page("PN02", "+14155550002", to_page_2))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list.clone()))
        .respond_with(page("PN01", "+14155550001", to_page_1))
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;

    let items: Vec<Result<_, TwilioError>> = client(&server)
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter::default())
        .collect()
        .await;
    let sids: Vec<_> = items
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|n| n.sid.clone().unwrap())
        .collect();
    assert_eq!(sids, ["PN01", "PN02", "PN03"]);
    assert_eq!(items.len(), 4);
    match &items[3] {
        Err(TwilioError::Decode { reason, .. }) => assert!(reason.contains("loop"), "{reason}"),
        other => panic!("expected a paging-loop error, got {other:?}"),
    }
    assert_eq!(
        received(&server).await.len(),
        3,
        "no page is requested twice"
    );
}

#[tokio::test]
async fn endless_pages_with_fresh_links_stop_at_the_page_limit() {
    let server = MockServer::start().await;
    let list = list_path("");
    let next_list = list.clone();
    // Every page is empty and links to a page never seen before.
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(move |req: &wiremock::Request| {
            let page: u64 = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "Page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let next = page + 1;
            ResponseTemplate::new(200).set_body_json(json!({
                "incoming_phone_numbers": [],
                "next_page_uri": format!("{next_list}?Page={next}&PageToken=PA{next}")
            }))
        })
        .mount(&server)
        .await;
    let c = builder(&server.uri()).max_pages(5).build().unwrap();
    let items: Vec<Result<_, TwilioError>> = c
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter::default())
        .collect()
        .await;
    assert_eq!(items.len(), 1, "{items:?}");
    match &items[0] {
        Err(TwilioError::Decode { reason, .. }) => assert!(reason.contains("5 pages"), "{reason}"),
        other => panic!("expected the page-limit error, got {other:?}"),
    }
    assert_eq!(received(&server).await.len(), 5);
}

#[tokio::test]
async fn a_malformed_date_in_one_row_does_not_end_the_list() {
    let server = MockServer::start().await;
    let mut odd = incoming_json("PN02", "+14155550002");
    odd["date_created"] = json!("not a date");
    odd["date_updated"] = json!({"unexpected": "object"});
    odd["beta"] = json!("perhaps");
    Mock::given(method("GET"))
        .and(path(list_path("")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [
                incoming_json("PN01", "+14155550001"),
                odd,
                incoming_json("PN03", "+14155550003")
            ],
            "next_page_uri": null
        })))
        .mount(&server)
        .await;
    let numbers: Vec<_> = client(&server)
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter::default())
        .try_collect()
        .await
        .unwrap();
    let sids: Vec<_> = numbers.iter().map(|n| n.sid.clone().unwrap()).collect();
    assert_eq!(sids, ["PN01", "PN02", "PN03"]);
    assert_eq!(numbers[1].date_created, None);
    assert_eq!(numbers[1].date_updated, None);
    assert_eq!(numbers[1].beta, None);
    assert_eq!(numbers[1].phone_number.as_deref(), Some("+14155550002"));
    assert!(numbers[0].date_created.is_some() && numbers[2].date_created.is_some());
}

#[tokio::test]
async fn pricing_country_list_follows_absolute_next_page_url_on_the_configured_host() {
    let server = MockServer::start().await;
    // Twilio's v1 links are absolute and name the real host; the client must stay on the
    // configured base URL (and never send credentials elsewhere).
    Mock::given(method("GET"))
        .and(path("/v1/PhoneNumbers/Countries"))
        .and(query_param("Page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countries": [{"country": "Belgium", "iso_country": "BE"}],
            "meta": {"page": 1, "page_size": 1, "next_page_url": null, "key": "countries"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/PhoneNumbers/Countries"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countries": [{"country": "Austria", "iso_country": "AT"}],
            "meta": {
                "page": 0, "page_size": 1, "key": "countries",
                "next_page_url": "https://pricing.twilio.com/v1/PhoneNumbers/Countries?PageSize=1&Page=1&PageToken=DNAT"
            }
        })))
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;
    let countries: Vec<_> = client(&server)
        .list_pricing_countries()
        .try_collect()
        .await
        .unwrap();
    let codes: Vec<_> = countries
        .iter()
        .map(|c| c.iso_country.clone().unwrap())
        .collect();
    assert_eq!(codes, ["AT", "BE"]);
    let reqs = received(&server).await;
    assert_eq!(
        reqs[1].url.query(),
        Some("PageSize=1&Page=1&PageToken=DNAT")
    );
}
