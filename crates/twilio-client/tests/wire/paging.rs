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
