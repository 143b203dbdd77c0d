//! Simulated inbound calls: the webhook requests are Twilio-shaped and correctly signed.

mod common;

use numbers_crypto::signature::{validate_form, validate_get};
use serde_json::json;
use twilio_fake::{CallError, NumberKind, TwilioFake};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::fake;

const TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>";

async fn webhook_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/webhooks/twilio/voice"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TWIML, "text/xml"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/webhooks/twilio/voice"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TWIML, "text/xml"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/webhooks/twilio/status"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

/// Buys a US local number with the given webhook settings through the Twilio API.
async fn buy(fake: &TwilioFake, form: &[(&str, String)], account: Option<(&str, &str)>) -> String {
    let number = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .unwrap()[0]
        .phone_number
        .clone();
    let (sid, token) = account.unwrap_or((fake.account_sid(), fake.auth_token()));
    let mut fields = vec![("PhoneNumber", number.clone())];
    fields.extend(form.iter().cloned());
    let response = reqwest::Client::new()
        .post(format!(
            "{}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json",
            fake.api_base_url()
        ))
        .basic_auth(sid, Some(token))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    number
}

fn path_and_query(url: &url::Url) -> String {
    format!("{}?{}", url.path(), url.query().unwrap_or(""))
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{key} not sent"))
}

#[tokio::test]
async fn an_inbound_call_posts_twilio_parameters_signed_with_the_account_token() {
    let fake = fake(30);
    let server = webhook_server().await;
    let voice_url = format!("{}/webhooks/twilio/voice?channel_id=0b3c", server.uri());
    let to = buy(&fake, &[("VoiceUrl", voice_url.clone())], None).await;
    let from = "+442071234567";

    let outcome = fake.control().place_call(&to, from).await.unwrap();
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.content_type.as_deref(), Some("text/xml"));
    assert_eq!(outcome.body, TWIML);
    assert_eq!(outcome.method, "POST");
    assert_eq!(outcome.url, voice_url);
    assert!(outcome.call_sid.starts_with("CA") && outcome.call_sid.len() == 34);

    // What the webhook received.
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    // wiremock rebuilds the URL with its own host; compare what was requested.
    assert_eq!(
        path_and_query(&request.url),
        path_and_query(&voice_url.parse().unwrap())
    );
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    assert_eq!(params, outcome.params);
    let header = request
        .headers
        .get("x-twilio-signature")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(header, outcome.signature);
    validate_form(fake.auth_token(), &voice_url, &params, Some(header)).expect("valid signature");
    assert!(validate_form(&"0".repeat(32), &voice_url, &params, Some(header)).is_err());
    assert!(
        request
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );

    for (key, value) in [
        ("AccountSid", fake.account_sid()),
        ("ApiVersion", "2010-04-01"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("From", from),
        ("Caller", from),
        ("To", to.as_str()),
        ("Called", to.as_str()),
        ("ToCountry", "US"),
        ("CalledCountry", "US"),
        ("FromCountry", "GB"),
        ("CallerCountry", "GB"),
        ("CallSid", outcome.call_sid.as_str()),
    ] {
        assert_eq!(param(&params, key), value, "{key}");
    }
    let offer = fake.control().owned_number(&to).unwrap();
    assert_eq!(offer.iso_country, "US");
    assert!(
        !param(&params, "ToCity").is_empty(),
        "US local numbers have a city"
    );
    assert!(!param(&params, "ToState").is_empty());
    assert!(!param(&params, "ToZip").is_empty());
    assert_eq!(param(&params, "ToCity"), param(&params, "CalledCity"));
    assert_eq!(param(&params, "FromCity"), "");
}

#[tokio::test]
async fn a_get_webhook_carries_the_parameters_in_the_signed_url() {
    let fake = fake(31);
    let server = webhook_server().await;
    let voice_url = format!("{}/webhooks/twilio/voice?channel_id=42", server.uri());
    let to = buy(
        &fake,
        &[
            ("VoiceUrl", voice_url.clone()),
            ("VoiceMethod", "GET".into()),
        ],
        None,
    )
    .await;
    let outcome = fake
        .control()
        .place_call(&to, "+14155550100")
        .await
        .unwrap();
    assert_eq!(outcome.method, "GET");
    assert!(outcome.url.starts_with(&format!("{voice_url}&")));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].method.as_str(), "GET");
    assert_eq!(
        path_and_query(&received[0].url),
        path_and_query(&outcome.url.parse().unwrap())
    );
    let header = received[0]
        .headers
        .get("x-twilio-signature")
        .unwrap()
        .to_str()
        .unwrap();
    validate_get(fake.auth_token(), &outcome.url, Some(header))
        .expect("GET signature covers the URL");
    assert!(
        received[0]
            .url
            .query_pairs()
            .any(|(k, v)| k == "Direction" && v == "inbound")
    );
}

#[tokio::test]
async fn a_subaccount_number_is_signed_with_the_subaccount_token() {
    let fake = fake(32);
    let server = webhook_server().await;
    let sub = fake.control().create_subaccount(Some("legacy"));
    let voice_url = format!("{}/webhooks/twilio/voice", server.uri());
    let to = buy(
        &fake,
        &[("VoiceUrl", voice_url.clone())],
        Some((&sub.account_sid, &sub.auth_token)),
    )
    .await;
    let outcome = fake
        .control()
        .place_call(&to, "+14155550100")
        .await
        .unwrap();
    assert_eq!(outcome.account_sid, sub.account_sid);
    assert_eq!(param(&outcome.params, "AccountSid"), sub.account_sid);
    validate_form(
        &sub.auth_token,
        &voice_url,
        &outcome.params,
        Some(&outcome.signature),
    )
    .unwrap();
    assert!(
        validate_form(
            fake.auth_token(),
            &voice_url,
            &outcome.params,
            Some(&outcome.signature)
        )
        .is_err()
    );
}

#[tokio::test]
async fn the_status_callback_reports_completion_for_the_same_call() {
    let fake = fake(33);
    let server = webhook_server().await;
    let status_url = format!("{}/webhooks/twilio/status?channel_id=7", server.uri());
    let to = buy(
        &fake,
        &[
            (
                "VoiceUrl",
                format!("{}/webhooks/twilio/voice", server.uri()),
            ),
            ("StatusCallback", status_url.clone()),
        ],
        None,
    )
    .await;
    let call = fake
        .control()
        .place_call(&to, "+14155550100")
        .await
        .unwrap();
    let status = fake
        .control()
        .send_status_callback(&call, "completed", 42)
        .await
        .unwrap();
    assert_eq!(status.status, 204);
    assert_eq!(status.call_sid, call.call_sid);
    assert_eq!(status.url, status_url);
    assert_eq!(param(&status.params, "CallStatus"), "completed");
    assert_eq!(param(&status.params, "CallDuration"), "42");
    assert_eq!(param(&status.params, "CallSid"), call.call_sid);
    assert!(chrono::DateTime::parse_from_rfc2822(param(&status.params, "Timestamp")).is_ok());
    let received = server.received_requests().await.unwrap();
    let last = received.last().unwrap();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&last.body)
        .into_owned()
        .collect();
    let header = last
        .headers
        .get("x-twilio-signature")
        .unwrap()
        .to_str()
        .unwrap();
    validate_form(fake.auth_token(), &status_url, &params, Some(header)).unwrap();

    // And over the HTTP control API.
    let http = reqwest::Client::new();
    let outcome: serde_json::Value = http
        .post(format!("{}/calls", fake.control_base_url()))
        .json(&json!({ "to": to, "from": "+14155550100" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["status"], json!(200));
    assert_eq!(outcome["body"], json!(TWIML));
    let completed: serde_json::Value = http
        .post(format!("{}/calls/status", fake.control_base_url()))
        .json(&json!({ "call": outcome, "duration_secs": 5 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(completed["status"], json!(204));
    assert_eq!(completed["call_sid"], outcome["call_sid"]);
}

#[tokio::test]
async fn calls_to_unknown_or_unconfigured_numbers_or_dead_webhooks_fail_clearly() {
    let fake = fake(34);
    let control = fake.control();
    assert!(matches!(
        control.place_call("+14155550100", "+14155550101").await,
        Err(CallError::NotOwned(_))
    ));
    let bare = buy(&fake, &[], None).await;
    assert!(matches!(
        control.place_call(&bare, "+14155550101").await,
        Err(CallError::NoUrl {
            what: "voice_url",
            ..
        })
    ));
    assert!(matches!(
        control.place_call(&bare, "anonymous").await,
        Err(CallError::InvalidCaller(_))
    ));
    // A port nobody listens on.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let to = buy(&fake, &[("VoiceUrl", format!("http://{dead}/voice"))], None).await;
    assert!(matches!(
        control.place_call(&to, "+14155550101").await,
        Err(CallError::Http(_))
    ));
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/calls", fake.control_base_url()))
        .json(&json!({ "to": "+14155550100", "from": "+14155550101" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
}
