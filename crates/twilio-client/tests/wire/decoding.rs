//! Decoding of quirky but real-shaped Twilio bodies (written here from the wire facts).

use std::str::FromStr;

use rust_decimal::Decimal;
use twilio_client::{
    AddressRequirement, AvailableNumberSearch, Capabilities, NumberType, SearchType, TwilioError,
};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{PN, client};

async fn serve(server: &MockServer, verb: &str, status: u16, body: &'static str) {
    Mock::given(method(verb))
        .and(path_regex(".*"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn search_results_with_upper_case_sms_mms_string_coordinates_and_nulls() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GET",
        200,
        r#"{
          "uri": "/2010-04-01/Accounts/AC1/AvailablePhoneNumbers/US/Local.json",
          "available_phone_numbers": [
            {
              "friendly_name": "(808) 925-1571", "phone_number": "+18089251571",
              "lata": "834", "locality": "Hilo", "rate_center": "HILO",
              "latitude": "19.720000", "longitude": "-155.090000",
              "region": "HI", "postal_code": "96720", "iso_country": "US",
              "address_requirements": "none", "beta": false,
              "capabilities": { "voice": true, "SMS": true, "MMS": true },
              "something_new": {"nested": [1, 2]}
            },
            {
              "friendly_name": "+442071838750", "phone_number": "+442071838750",
              "lata": null, "locality": "London", "rate_center": null,
              "latitude": 51.5, "longitude": -0.12,
              "region": null, "postal_code": "", "iso_country": "GB",
              "address_requirements": "local", "beta": "true",
              "capabilities": { "voice": true, "SMS": false, "MMS": false, "fax": true }
            },
            {
              "phone_number": "+18005550000", "latitude": null, "longitude": "",
              "address_requirements": "somewhere-new", "capabilities": null
            }
          ]
        }"#,
    )
    .await;
    let found = client(&server)
        .search_available_phone_numbers("US", SearchType::Local, &AvailableNumberSearch::default())
        .await
        .unwrap();
    assert_eq!(found.len(), 3);

    let hilo = &found[0];
    assert_eq!(
        hilo.capabilities,
        Capabilities {
            voice: true,
            sms: true,
            mms: true,
            fax: false
        }
    );
    assert_eq!(hilo.latitude, Some(19.72));
    assert_eq!(hilo.longitude, Some(-155.09));
    assert_eq!(hilo.address_requirements, Some(AddressRequirement::None));
    assert_eq!(hilo.beta, Some(false));
    assert_eq!(hilo.postal_code.as_deref(), Some("96720"));

    let london = &found[1];
    assert_eq!(london.latitude, Some(51.5));
    assert_eq!(london.lata, None);
    assert_eq!(london.postal_code, None, "\"\" reads as unset");
    assert_eq!(london.beta, Some(true));
    assert!(london.capabilities.fax && !london.capabilities.sms);
    assert_eq!(london.address_requirements, Some(AddressRequirement::Local));
    assert!(
        london
            .address_requirements
            .as_ref()
            .unwrap()
            .needs_address()
    );

    let odd = &found[2];
    assert_eq!((odd.latitude, odd.longitude), (None, None));
    assert_eq!(odd.capabilities, Capabilities::default());
    assert_eq!(
        odd.address_requirements,
        Some(AddressRequirement::Other("somewhere-new".into()))
    );
}

#[tokio::test]
async fn owned_number_with_lower_case_keys_empty_strings_nulls_and_rfc2822_dates() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GET",
        200,
        r#"{
          "account_sid": "AC0123456789abcdef0123456789abcdef",
          "address_requirements": "none", "address_sid": "", "api_version": "2010-04-01",
          "beta": false, "bundle_sid": null, "identity_sid": "",
          "capabilities": { "fax": false, "mms": true, "sms": true, "voice": true },
          "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
          "date_updated": "Fri, 31 Jul 2015 01:02:03 +0000",
          "emergency_status": "Active", "emergency_address_sid": null,
          "emergency_address_status": "registered",
          "friendly_name": "(808) 925-5327", "origin": "twilio",
          "phone_number": "+18089255327", "sid": "PN0123456789abcdef0123456789abcdef",
          "sms_application_sid": "", "sms_fallback_method": "POST", "sms_fallback_url": "",
          "sms_method": "POST", "sms_url": "",
          "status_callback": "", "status_callback_method": "POST",
          "trunk_sid": null, "uri": "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers/PN1.json",
          "voice_application_sid": "", "voice_caller_id_lookup": false,
          "voice_fallback_method": "POST", "voice_fallback_url": null,
          "voice_method": "POST", "voice_url": null, "voice_receive_mode": "voice",
          "status": "in-use", "type": "toll-free",
          "subresource_uris": { "assigned_add_ons": "/x.json" }
        }"#,
    )
    .await;
    let n = client(&server)
        .fetch_incoming_phone_number(PN)
        .await
        .unwrap();
    assert_eq!(
        n.capabilities,
        Capabilities {
            voice: true,
            sms: true,
            mms: true,
            fax: false
        }
    );
    assert_eq!(n.voice_url, None);
    assert_eq!(n.sms_url, None);
    assert_eq!(n.status_callback, None);
    assert_eq!(n.address_sid, None);
    assert_eq!(n.bundle_sid, None);
    assert_eq!(n.voice_application_sid, None);
    assert_eq!(n.number_type, Some(NumberType::TollFree));
    assert_eq!(n.status.as_deref(), Some("in-use"));
    assert_eq!(
        n.date_created.unwrap().to_rfc3339(),
        "2015-07-30T23:19:04+00:00"
    );
    assert_eq!(
        n.date_updated.unwrap().to_rfc3339(),
        "2015-07-31T01:02:03+00:00"
    );
    assert_eq!(n.emergency_status.as_deref(), Some("Active"));
}

#[tokio::test]
async fn pricing_is_exact_decimal_and_number_types_are_normalised() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GET",
        200,
        r#"{
          "country": "United States", "iso_country": "US", "price_unit": "USD",
          "url": "https://pricing.twilio.com/v1/PhoneNumbers/Countries/US",
          "phone_number_prices": [
            { "number_type": "local", "base_price": "1.15", "current_price": "1.150" },
            { "number_type": "toll free", "base_price": "2.15", "current_price": "2.00" },
            { "number_type": "mobile", "base_price": 3.5, "current_price": 3 },
            { "number_type": "shared cost", "base_price": null, "current_price": "" },
            { "number_type": "satellite", "base_price": "0.10", "current_price": "0.10" }
          ]
        }"#,
    )
    .await;
    let p = client(&server)
        .fetch_phone_number_pricing("US")
        .await
        .unwrap();
    assert_eq!(p.price_unit.as_deref(), Some("USD"));
    let prices = &p.phone_number_prices;
    assert_eq!(prices[0].number_type, NumberType::Local);
    // Exact: the scale is kept, and 1.15 is not 1.149999…
    assert_eq!(prices[0].current_price.unwrap().to_string(), "1.150");
    assert_eq!(
        prices[0].base_price,
        Some(Decimal::from_str("1.15").unwrap())
    );
    assert_eq!(prices[1].number_type, NumberType::TollFree);
    assert_eq!(
        prices[1].current_price,
        Some(Decimal::from_str("2.00").unwrap())
    );
    assert_eq!(prices[2].number_type, NumberType::Mobile);
    assert_eq!(
        prices[2].base_price,
        Some(Decimal::from_str("3.5").unwrap())
    );
    assert_eq!(prices[2].current_price, Some(Decimal::from(3)));
    assert_eq!(prices[3].number_type, NumberType::SharedCost);
    assert_eq!(
        (prices[3].base_price, prices[3].current_price),
        (None, None)
    );
    assert_eq!(prices[4].number_type, NumberType::Other("satellite".into()));
}

#[tokio::test]
async fn an_unreadable_success_body_is_a_decode_error_with_unknown_outcome() {
    let server = MockServer::start().await;
    // The SID, a key field, is an object: the answer cannot be used.
    serve(
        &server,
        "POST",
        201,
        r#"{"sid": {"unexpected": true}, "phone_number": "+14155550123"}"#,
    )
    .await;
    let err = client(&server)
        .create_incoming_phone_number(&twilio_client::NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwilioError::Decode { status: 201, .. }),
        "{err:?}"
    );
    assert!(
        err.is_outcome_unknown(),
        "a 201 we cannot read may still be a purchase"
    );
}

#[tokio::test]
async fn a_purchase_with_malformed_cosmetic_fields_still_decodes() {
    let server = MockServer::start().await;
    serve(
        &server,
        "POST",
        201,
        r#"{
          "sid": "PN0123456789abcdef0123456789abcdef",
          "account_sid": "AC0123456789abcdef0123456789abcdef",
          "phone_number": "+14155550123",
          "date_created": "not a date", "date_updated": 17,
          "friendly_name": {"first": "x"}, "beta": "perhaps", "type": ["local"],
          "capabilities": {"voice": true, "sms": "sometimes"},
          "voice_url": "https://example.test/voice"
        }"#,
    )
    .await;
    let n = client(&server)
        .create_incoming_phone_number(&twilio_client::NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .expect("a completed purchase is reported as such");
    assert_eq!(n.sid.as_deref(), Some(PN));
    assert_eq!(n.phone_number.as_deref(), Some("+14155550123"));
    assert_eq!(n.date_created, None);
    assert_eq!(n.date_updated, None);
    assert_eq!(n.friendly_name, None);
    assert_eq!(n.beta, None);
    assert_eq!(n.number_type, None);
    assert_eq!(
        n.capabilities,
        Capabilities {
            voice: true,
            sms: false,
            mms: false,
            fax: false
        }
    );
    assert_eq!(n.voice_url.as_deref(), Some("https://example.test/voice"));
}

#[tokio::test]
async fn search_rows_with_malformed_cosmetic_fields_are_all_kept() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GET",
        200,
        r#"{"available_phone_numbers": [
            {"phone_number": "+18005550001", "latitude": "north", "beta": 7,
             "capabilities": "voice", "address_requirements": {"x": 1}},
            {"phone_number": "+18005550002", "latitude": "19.5"}
        ]}"#,
    )
    .await;
    let found = client(&server)
        .search_available_phone_numbers(
            "US",
            SearchType::TollFree,
            &AvailableNumberSearch::default(),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].latitude, None);
    assert_eq!(found[0].beta, None);
    assert_eq!(found[0].capabilities, Capabilities::default());
    assert_eq!(found[0].address_requirements, None);
    assert_eq!(found[1].latitude, Some(19.5));
}

#[tokio::test]
async fn a_search_body_without_its_list_is_a_decode_error_not_an_empty_result() {
    let server = MockServer::start().await;
    serve(&server, "GET", 200, r#"{"hello": "proxy page"}"#).await;
    let err = client(&server)
        .search_available_phone_numbers("US", SearchType::Mobile, &AvailableNumberSearch::default())
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn error_bodies_that_are_not_json_still_give_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .mount(&server)
        .await;
    let err = client(&server)
        .create_incoming_phone_number(&twilio_client::NewIncomingPhoneNumber::new("+14155550123"))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(502));
    // No code in the body: like Twilio's SDKs, the code falls back to the HTTP status
    // (reference §6.1); the variant's own field says the body had none.
    assert_eq!(err.twilio_code(), Some(502));
    assert!(matches!(err, TwilioError::Api { code: None, .. }));
    assert!(err.is_outcome_unknown());

    // Same for a JSON body without a code.
    let server = MockServer::start().await;
    serve(
        &server,
        "GET",
        403,
        r#"{"message": "Forbidden", "status": 403}"#,
    )
    .await;
    let err = client(&server).fetch_account().await.unwrap_err();
    assert_eq!(err.twilio_code(), Some(403));
    assert!(err.to_string().contains("Forbidden"), "{err}");

    // A code sent as a string is still read.
    let server = MockServer::start().await;
    serve(
        &server,
        "GET",
        401,
        r#"{"code": "20003", "message": "Authenticate", "status": 401}"#,
    )
    .await;
    let err = client(&server).fetch_account().await.unwrap_err();
    assert_eq!(err.twilio_code(), Some(20003));
    assert!(err.is_auth_failure());
}
