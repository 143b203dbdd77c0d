//! Secrets and personal data stay out of `Debug` and error text (logging is covered by
//! `tests/tracing_spans.rs`).

use futures::StreamExt;
use twilio_client::{
    Credentials, IncomingPhoneNumberFilter, SecretString, TwilioClient, TwilioError,
};

use crate::common::{ACCOUNT, Conn, PN, RawServer, TOKEN, builder};

/// The number used as a list filter; none of its digits may show in an error.
const NUMBER: &str = "+14155550177";

/// Asserts that neither the error's `Display` nor its `Debug` (sources included) shows the
/// filter number (in any spelling), the account SID or the number SID.
fn assert_no_personal_data(e: &TwilioError) {
    let text = format!("{e} {e:?} {e:#?}");
    for leak in ["4155550177", "5550177", "%2B1", ACCOUNT, PN, TOKEN] {
        assert!(!text.contains(leak), "{leak:?} leaked into: {text}");
    }
}

#[tokio::test]
async fn connection_errors_carry_no_url_so_no_number_or_sid() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = builder(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let filter = IncomingPhoneNumberFilter {
        phone_number: Some(NUMBER.to_owned()),
        page_size: Some(50),
    };
    let results: Vec<_> = c.list_incoming_phone_numbers(&filter).collect().await;
    let [Err(e)] = results.as_slice() else {
        panic!("expected one error, got {results:?}");
    };
    assert!(matches!(e, TwilioError::Connect { .. }), "{e:?}");
    assert_no_personal_data(e);

    let e = c.fetch_incoming_phone_number(PN).await.unwrap_err();
    assert!(matches!(e, TwilioError::Connect { .. }), "{e:?}");
    assert_no_personal_data(&e);
}

#[tokio::test]
async fn transport_errors_carry_no_url_so_no_number_or_sid() {
    let raw = RawServer::start(|_| Conn::Drop).await;
    let c = builder(&raw.uri).build().unwrap();
    let filter = IncomingPhoneNumberFilter {
        phone_number: Some(NUMBER.to_owned()),
        page_size: None,
    };
    let results: Vec<_> = c.list_incoming_phone_numbers(&filter).collect().await;
    let [Err(e)] = results.as_slice() else {
        panic!("expected one error, got {results:?}");
    };
    assert!(matches!(e, TwilioError::Transport { .. }), "{e:?}");
    assert_no_personal_data(e);
}

#[test]
fn debug_output_never_shows_tokens_or_secrets() {
    let by_token = Credentials::auth_token(ACCOUNT, SecretString::from(TOKEN));
    let by_key = Credentials::api_key(ACCOUNT, "SK1", SecretString::from("key-secret-value"));
    for creds in [by_token, by_key] {
        let shown = format!("{creds:?}");
        assert!(shown.contains("REDACTED"), "{shown}");
        let c = TwilioClient::builder(creds).build().unwrap();
        let shown = format!("{c:?} {c:#?}");
        assert!(
            !shown.contains(TOKEN) && !shown.contains("key-secret-value"),
            "{shown}"
        );
        assert!(
            shown.contains(ACCOUNT),
            "the account SID is not a secret: {shown}"
        );
    }
}
