//! Each operation's method, exact path, query or form fields and Basic auth header.

use futures::TryStreamExt;
use serde_json::json;
use twilio_client::request::{self, samples};
use twilio_client::{
    AvailableNumberSearch, Credentials, IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate,
    NewIncomingPhoneNumber, SearchType, SecretString, TwilioClient, TwilioError, WebhookMethod,
};
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{ACCOUNT, PN, TOKEN, client, expect_pairs, incoming_json, pairs, received};

const BASE: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn search_local_sends_every_filter_as_query_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/AvailablePhoneNumbers/US/Local.json")))
        .and(basic_auth(ACCOUNT, TOKEN))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "uri": "/x", "available_phone_numbers": []
        })))
        .expect(1)
        .mount(&server)
        .await;

    let search = AvailableNumberSearch {
        area_code: Some(415),
        contains: Some("+1415%".into()),
        sms_enabled: Some(true),
        mms_enabled: Some(false),
        voice_enabled: Some(true),
        fax_enabled: Some(false),
        exclude_all_address_required: Some(true),
        exclude_local_address_required: Some(true),
        exclude_foreign_address_required: Some(false),
        beta: Some(false),
        near_number: Some("+14155550100".into()),
        near_lat_long: Some((37.7749, -122.4194)),
        distance: Some(50),
        in_postal_code: Some("94103".into()),
        in_region: Some("CA".into()),
        in_rate_center: Some("SNFC CA".into()),
        in_lata: Some("722".into()),
        in_locality: Some("San Francisco".into()),
        page_size: Some(30),
    };
    // Lower-case country codes are accepted and sent upper-cased.
    let found = client(&server)
        .search_available_phone_numbers("us", SearchType::Local, &search)
        .await
        .unwrap();
    assert!(found.is_empty());

    let reqs = received(&server).await;
    let raw = reqs[0].url.query().unwrap();
    // `+` and `%` must be percent-encoded or Twilio reads them as a space / escape.
    assert!(raw.contains("Contains=%2B1415%25"), "{raw}");
    assert!(raw.contains("NearNumber=%2B14155550100"), "{raw}");
    assert_eq!(
        pairs(raw),
        expect_pairs(&[
            ("AreaCode", "415"),
            ("Contains", "+1415%"),
            ("SmsEnabled", "true"),
            ("MmsEnabled", "false"),
            ("VoiceEnabled", "true"),
            ("FaxEnabled", "false"),
            ("ExcludeAllAddressRequired", "true"),
            ("ExcludeLocalAddressRequired", "true"),
            ("ExcludeForeignAddressRequired", "false"),
            ("Beta", "false"),
            ("NearNumber", "+14155550100"),
            ("NearLatLong", "37.7749,-122.4194"),
            ("Distance", "50"),
            ("InPostalCode", "94103"),
            ("InRegion", "CA"),
            ("InRateCenter", "SNFC CA"),
            ("InLata", "722"),
            ("InLocality", "San Francisco"),
            ("PageSize", "30"),
        ])
    );
    assert!(reqs[0].body.is_empty());
}

#[tokio::test]
async fn search_toll_free_and_mobile_use_their_own_paths_and_send_no_unset_filter() {
    let server = MockServer::start().await;
    for kind in ["TollFree", "Mobile"] {
        Mock::given(method("GET"))
            .and(path(format!("{BASE}/AvailablePhoneNumbers/GB/{kind}.json")))
            .and(basic_auth(ACCOUNT, TOKEN))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"available_phone_numbers": []})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let only_contains = AvailableNumberSearch {
        contains: Some("800".into()),
        ..Default::default()
    };
    c.search_available_phone_numbers("GB", SearchType::TollFree, &only_contains)
        .await
        .unwrap();
    c.search_available_phone_numbers("GB", SearchType::Mobile, &AvailableNumberSearch::default())
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.query(), Some("Contains=800"));
    assert_eq!(reqs[1].url.query(), None);
}

#[tokio::test]
async fn create_posts_form_fields_to_incoming_numbers_json_and_reads_201() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers.json")))
        .and(basic_auth(ACCOUNT, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(201).set_body_json(incoming_json(PN, "+14155550123")))
        .expect(1)
        .mount(&server)
        .await;

    let purchase = NewIncomingPhoneNumber {
        phone_number: "+14155550123".into(),
        friendly_name: Some("tenant line".into()),
        voice_url: Some("https://hooks.test/voice?channel_id=abc&x=1".into()),
        voice_method: Some(WebhookMethod::Post),
        status_callback: Some("https://hooks.test/status?channel_id=abc".into()),
        status_callback_method: Some(WebhookMethod::Get),
        address_sid: Some("AD0123456789abcdef0123456789abcdef".into()),
        bundle_sid: Some("BU0123456789abcdef0123456789abcdef".into()),
        identity_sid: Some("RI0123456789abcdef0123456789abcdef".into()),
    };
    let bought = client(&server)
        .create_incoming_phone_number(&purchase)
        .await
        .unwrap();
    assert_eq!(bought.sid.as_deref(), Some(PN));

    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.query(), None);
    let body = String::from_utf8(reqs[0].body.clone()).unwrap();
    assert!(body.starts_with("PhoneNumber=%2B14155550123&"), "{body}");
    assert_eq!(
        pairs(&body),
        expect_pairs(&[
            ("PhoneNumber", "+14155550123"),
            ("FriendlyName", "tenant line"),
            ("VoiceUrl", "https://hooks.test/voice?channel_id=abc&x=1"),
            ("VoiceMethod", "POST"),
            ("StatusCallback", "https://hooks.test/status?channel_id=abc"),
            ("StatusCallbackMethod", "GET"),
            ("AddressSid", "AD0123456789abcdef0123456789abcdef"),
            ("BundleSid", "BU0123456789abcdef0123456789abcdef"),
            ("IdentitySid", "RI0123456789abcdef0123456789abcdef"),
        ])
    );
}

#[tokio::test]
async fn create_with_only_a_number_sends_only_phone_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers.json")))
        .respond_with(ResponseTemplate::new(201).set_body_json(incoming_json(PN, "+14155550123")))
        .mount(&server)
        .await;
    client(&server)
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .unwrap();
    let reqs = received(&server).await;
    assert_eq!(reqs[0].body, b"PhoneNumber=%2B14155550123");
}

#[tokio::test]
async fn list_sends_phone_number_and_page_size_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers.json")))
        .and(basic_auth(ACCOUNT, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "incoming_phone_numbers": [incoming_json(PN, "+14155550123")],
            "next_page_uri": null, "page": 0, "page_size": 1000
        })))
        .expect(1)
        .mount(&server)
        .await;
    let filter = IncomingPhoneNumberFilter {
        phone_number: Some("+14155550123".into()),
        page_size: Some(1000),
    };
    let all: Vec<_> = client(&server)
        .list_incoming_phone_numbers(&filter)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let reqs = received(&server).await;
    assert_eq!(
        reqs[0].url.query(),
        Some("PhoneNumber=%2B14155550123&PageSize=1000")
    );
}

#[tokio::test]
async fn fetch_update_and_delete_address_the_number_by_sid() {
    let server = MockServer::start().await;
    let one = format!("{BASE}/IncomingPhoneNumbers/{PN}.json");
    Mock::given(method("GET"))
        .and(path(one.clone()))
        .and(basic_auth(ACCOUNT, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming_json(PN, "+14155550123")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(one.clone()))
        .and(basic_auth(ACCOUNT, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming_json(PN, "+14155550123")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(one.clone()))
        .and(basic_auth(ACCOUNT, TOKEN))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let c = client(&server);
    let fetched = c.fetch_incoming_phone_number(PN).await.unwrap();
    assert_eq!(fetched.phone_number.as_deref(), Some("+14155550123"));
    let update = IncomingPhoneNumberUpdate {
        voice_url: Some(String::new()),
        status_callback: Some("https://hooks.test/status".into()),
        status_callback_method: Some(WebhookMethod::Post),
        ..Default::default()
    };
    c.update_incoming_phone_number(PN, &update).await.unwrap();
    c.delete_incoming_phone_number(PN).await.unwrap();

    let reqs = received(&server).await;
    assert_eq!(reqs[0].url.query(), None);
    assert!(reqs[0].body.is_empty());
    assert_eq!(
        pairs(std::str::from_utf8(&reqs[1].body).unwrap()),
        expect_pairs(&[
            ("VoiceUrl", ""),
            ("StatusCallback", "https://hooks.test/status"),
            ("StatusCallbackMethod", "POST"),
        ])
    );
    assert_eq!(reqs[2].url.query(), None);
    assert!(reqs[2].body.is_empty());
}

#[tokio::test]
async fn pricing_calls_go_to_the_pricing_host_without_json_suffix() {
    let api = MockServer::start().await;
    let pricing = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/PhoneNumbers/Countries/GB"))
        .and(basic_auth(ACCOUNT, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "country": "United Kingdom", "iso_country": "GB", "price_unit": "USD",
            "phone_number_prices": [{"number_type": "local", "base_price": "1.15", "current_price": "1.15"}]
        })))
        .expect(1)
        .mount(&pricing)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/PhoneNumbers/Countries"))
        .and(basic_auth(ACCOUNT, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "countries": [{"country": "Austria", "iso_country": "AT", "url": "https://pricing.twilio.com/v1/PhoneNumbers/Countries/AT"}],
            "meta": {"page": 0, "page_size": 1000, "next_page_url": null, "key": "countries"}
        })))
        .expect(1)
        .mount(&pricing)
        .await;

    let c = crate::common::builder(&api.uri())
        .pricing_base_url(format!("{}/", pricing.uri()))
        .build()
        .unwrap();
    let gb = c.fetch_phone_number_pricing("gb").await.unwrap();
    assert_eq!(gb.iso_country.as_deref(), Some("GB"));
    let countries: Vec<_> = c.list_pricing_countries().try_collect().await.unwrap();
    assert_eq!(countries[0].iso_country.as_deref(), Some("AT"));

    let reqs = received(&pricing).await;
    assert_eq!(reqs[0].url.query(), None);
    assert_eq!(reqs[1].url.query(), Some("PageSize=1000"));
    assert!(
        received(&api).await.is_empty(),
        "pricing calls must not reach the API host"
    );
}

#[tokio::test]
async fn fetch_account_reads_accounts_sid_json() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}.json")))
        .and(basic_auth(ACCOUNT, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": ACCOUNT, "owner_account_sid": ACCOUNT, "friendly_name": "Main",
            "status": "active", "type": "Full", "auth_token": "never-decoded",
            "date_created": "Wed, 04 Aug 2010 21:37:41 +0000", "date_updated": null,
            "subresource_uris": {"incoming_phone_numbers": "/x.json"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let account = client(&server).fetch_account().await.unwrap();
    assert_eq!(account.status, Some(twilio_client::AccountStatus::Active));
    assert_eq!(account.account_type, Some(twilio_client::AccountType::Full));
    assert!(!format!("{account:?}").contains("never-decoded"));
}

#[tokio::test]
async fn api_key_auth_sends_key_sid_as_user_and_keeps_account_sid_in_path() {
    let server = MockServer::start().await;
    let key = "SK0123456789abcdef0123456789abcdef";
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers/{PN}.json")))
        .and(basic_auth(key, "key-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming_json(PN, "+14155550123")))
        .expect(1)
        .mount(&server)
        .await;
    let c = TwilioClient::builder(Credentials::api_key(
        ACCOUNT,
        key,
        SecretString::from("key-secret"),
    ))
    .api_base_url(server.uri())
    .build()
    .unwrap();
    c.fetch_incoming_phone_number(PN).await.unwrap();
}

#[tokio::test]
async fn twilio_refusal_carries_status_code_message_and_more_info() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers.json")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21422, "message": "PhoneNumber is not available", "status": 400,
            "more_info": "https://www.twilio.com/docs/errors/21422"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .unwrap_err();
    match &err {
        TwilioError::Api {
            status,
            code,
            message,
            more_info,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(*code, Some(21422));
            assert_eq!(message, "PhoneNumber is not available");
            assert_eq!(
                more_info.as_deref(),
                Some("https://www.twilio.com/docs/errors/21422")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_definitely_not_processed());
    assert!(!err.is_outcome_unknown());
}

#[tokio::test]
async fn deleting_a_released_number_is_reported_as_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "code": 20404, "message": "The requested resource was not found", "status": 404
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .delete_incoming_phone_number(PN)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.twilio_code(), Some(20404));
}

#[tokio::test]
async fn a_redirect_is_returned_as_an_error_and_never_followed() {
    let server = MockServer::start().await;
    // Were the redirect followed, the client would send its credentials (and the purchase)
    // to the Location; here that would be this mock, answering 201.
    Mock::given(method("POST"))
        .and(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(201).set_body_json(incoming_json(PN, "+14155550123")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers.json")))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/elsewhere", server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", format!("{}/elsewhere", server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c
        .create_incoming_phone_number(&NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(302), "{err:?}");
    assert!(err.is_outcome_unknown());
    let err = c.fetch_account().await.unwrap_err();
    assert_eq!(err.http_status(), Some(301), "{err:?}");
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2, "only the two original requests were sent");
    assert!(reqs.iter().all(|r| r.url.path() != "/elsewhere"));
}

#[tokio::test]
async fn malformed_sids_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let c = client(&server);
    let err = c
        .fetch_incoming_phone_number("../Accounts")
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::InvalidRequest { .. }));
    let err = c
        .search_available_phone_numbers("U S", SearchType::Local, &AvailableNumberSearch::default())
        .await
        .unwrap_err();
    assert!(err.is_definitely_not_processed());
    assert!(received(&server).await.is_empty());
}

/// Ties the conformance test to reality: sending every operation with the sample inputs
/// puts on the wire exactly the method, path, query and form that `describe_requests`
/// reports (and that the conformance test checks against Twilio's OpenAPI documents).
#[tokio::test]
async fn requests_on_the_wire_are_exactly_the_described_ones() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("AvailablePhoneNumbers"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"available_phone_numbers": []})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/IncomingPhoneNumbers.json")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"incoming_phone_numbers": []})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/PhoneNumbers/Countries"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"countries": [], "meta": {}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/PhoneNumbers/Countries/US"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"phone_number_prices": []})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming_json(PN, "+14155550123")))
        .with_priority(10)
        .mount(&server)
        .await;

    let c = crate::common::builder(&server.uri()).build().unwrap();
    assert_eq!(c.account_sid(), samples::ACCOUNT_SID);
    // Same order as `describe_requests`.
    for kind in SearchType::ALL {
        c.search_available_phone_numbers(samples::COUNTRY, kind, &samples::search())
            .await
            .unwrap();
    }
    c.create_incoming_phone_number(&samples::purchase())
        .await
        .unwrap();
    let _: Vec<_> = c
        .list_incoming_phone_numbers(&samples::list_filter())
        .try_collect()
        .await
        .unwrap();
    c.fetch_incoming_phone_number(samples::NUMBER_SID)
        .await
        .unwrap();
    c.update_incoming_phone_number(samples::NUMBER_SID, &samples::update())
        .await
        .unwrap();
    c.delete_incoming_phone_number(samples::NUMBER_SID)
        .await
        .unwrap();
    c.fetch_phone_number_pricing(samples::COUNTRY)
        .await
        .unwrap();
    let _: Vec<_> = c.list_pricing_countries().try_collect().await.unwrap();
    c.fetch_account().await.unwrap();

    let described = request::describe_requests().unwrap();
    let sent = received(&server).await;
    assert_eq!(sent.len(), described.len());
    for (spec, req) in described.iter().zip(&sent) {
        assert_eq!(
            req.method.as_str(),
            spec.method.as_str(),
            "{:?}",
            spec.operation
        );
        assert_eq!(req.url.path(), spec.path, "{:?}", spec.operation);
        let query = req.url.query().map(pairs).unwrap_or_default();
        let want_query: Vec<_> = spec
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        assert_eq!(query, want_query, "{:?}", spec.operation);
        let form = pairs(std::str::from_utf8(&req.body).unwrap());
        let want_form: Vec<_> = spec
            .form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        assert_eq!(form, want_form, "{:?}", spec.operation);
    }
}
