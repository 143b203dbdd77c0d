//! Each retry rule: 429 for any method (honouring `Retry-After`), 5xx / connection
//! failures / timeouts for GET and DELETE only, and never a blind repeat of a purchase.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use twilio_client::{IncomingPhoneNumberUpdate, NewIncomingPhoneNumber, RetryPolicy, TwilioError};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    ACCOUNT, Conn, PN, RawServer, builder, client, fast_retries, incoming_json, received,
};

fn too_many() -> ResponseTemplate {
    ResponseTemplate::new(429).set_body_json(json!({
        "code": 20429, "message": "Too Many Requests", "status": 429,
        "more_info": "https://www.twilio.com/docs/errors/20429"
    }))
}

fn server_error(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": 20500, "message": "Internal Server Error", "status": status
    }))
}

/// Answers `first` `times` times for `verb`, then `then`.
async fn mount_sequence(
    server: &MockServer,
    verb: &str,
    first: ResponseTemplate,
    times: u64,
    then: ResponseTemplate,
) {
    Mock::given(method(verb))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

fn purchase() -> NewIncomingPhoneNumber {
    NewIncomingPhoneNumber::new("+14155550123")
}

#[tokio::test]
async fn get_is_retried_after_429_and_succeeds() {
    let server = MockServer::start().await;
    let ok = ResponseTemplate::new(200).set_body_json(incoming_json(PN, "+14155550123"));
    mount_sequence(&server, "GET", too_many(), 2, ok).await;
    let n = client(&server)
        .fetch_incoming_phone_number(PN)
        .await
        .unwrap();
    assert_eq!(n.sid.as_deref(), Some(PN));
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn purchase_is_retried_after_429_because_twilio_never_processed_it() {
    let server = MockServer::start().await;
    let created = ResponseTemplate::new(201).set_body_json(incoming_json(PN, "+14155550123"));
    mount_sequence(&server, "POST", too_many(), 1, created).await;
    let n = client(&server)
        .create_incoming_phone_number(&purchase())
        .await
        .unwrap();
    assert_eq!(n.sid.as_deref(), Some(PN));
    let reqs = received(&server).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].body, reqs[1].body,
        "the same purchase is sent again"
    );
}

#[tokio::test]
async fn retry_after_longer_than_the_backoff_cap_is_still_honoured() {
    let server = MockServer::start().await;
    let ok = ResponseTemplate::new(200).set_body_json(json!({"sid": ACCOUNT}));
    mount_sequence(
        &server,
        "GET",
        too_many().insert_header("Retry-After", "1"),
        1,
        ok,
    )
    .await;
    // The backoff cap is 20 ms, far below the second asked for: the server's wait has its
    // own, separate limit (30 s by default).
    let c = builder(&server.uri())
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let started = Instant::now();
    c.fetch_account().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited only {:?} despite Retry-After: 1",
        started.elapsed()
    );
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn retry_after_longer_than_max_retry_after_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(too_many().insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).fetch_account().await.unwrap_err();
    assert!(err.is_rate_limited());
    assert!(err.is_definitely_not_processed());
    match err {
        TwilioError::Api {
            retry_after, code, ..
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
            assert_eq!(code, Some(20429));
        }
        other => panic!("unexpected {other:?}"),
    }

    // A lower limit set on the builder applies to short waits too.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(too_many().insert_header("Retry-After", "1"))
        .expect(1)
        .mount(&server)
        .await;
    let impatient = builder(&server.uri())
        .max_retry_after(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = impatient.fetch_account().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(
        err,
        TwilioError::Api {
            status: 429,
            retry_after: Some(wait),
            ..
        } if wait == Duration::from_secs(1)
    ));
}

#[tokio::test]
async fn persistent_429_gives_up_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(too_many())
        .expect(3)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_incoming_phone_number(&purchase())
        .await
        .unwrap_err();
    assert!(err.is_rate_limited() && err.is_definitely_not_processed());
}

#[tokio::test]
async fn get_and_delete_are_retried_after_5xx() {
    let server = MockServer::start().await;
    let ok = ResponseTemplate::new(200).set_body_json(incoming_json(PN, "+14155550123"));
    mount_sequence(&server, "GET", server_error(503), 2, ok).await;
    mount_sequence(
        &server,
        "DELETE",
        server_error(500),
        1,
        ResponseTemplate::new(204),
    )
    .await;
    let c = client(&server);
    c.fetch_incoming_phone_number(PN).await.unwrap();
    c.delete_incoming_phone_number(PN).await.unwrap();
    let reqs = received(&server).await;
    assert_eq!(
        reqs.iter().filter(|r| r.method.as_str() == "GET").count(),
        3
    );
    assert_eq!(
        reqs.iter()
            .filter(|r| r.method.as_str() == "DELETE")
            .count(),
        2
    );
}

#[tokio::test]
async fn persistent_5xx_on_get_gives_up_after_max_attempts_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(server_error(502))
        .expect(4)
        .mount(&server)
        .await;
    let c = builder(&server.uri())
        .retry_policy(fast_retries(4))
        .build()
        .unwrap();
    let err = c.fetch_account().await.unwrap_err();
    assert_eq!(err.http_status(), Some(502));
    assert!(err.is_outcome_unknown());
}

#[tokio::test]
async fn purchase_is_not_retried_after_5xx_and_reports_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(server_error(500))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_incoming_phone_number(&purchase())
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(500));
    assert!(err.is_outcome_unknown());
    assert!(!err.is_definitely_not_processed());
}

#[tokio::test]
async fn update_post_is_not_retried_after_5xx_either() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(server_error(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .update_incoming_phone_number(PN, &IncomingPhoneNumberUpdate::default())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown());
}

#[tokio::test]
async fn client_errors_other_than_429_are_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"code": 20404, "message": "nf"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .fetch_incoming_phone_number(PN)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn a_purchase_that_times_out_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(incoming_json(PN, "+14155550123"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let c = builder(&server.uri())
        .request_timeout(Duration::from_millis(200))
        .retry_policy(fast_retries(5))
        .build()
        .unwrap();
    let err = c
        .create_incoming_phone_number(&purchase())
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::Timeout { .. }), "{err:?}");
    assert!(err.is_outcome_unknown());
    // Give a (wrong) retry time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_get_that_times_out_is_retried() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json(json!({"sid": ACCOUNT}))
        .set_delay(Duration::from_secs(10));
    let fast = ResponseTemplate::new(200).set_body_json(json!({"sid": ACCOUNT}));
    mount_sequence(&server, "GET", slow, 1, fast).await;
    let c = builder(&server.uri())
        .request_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let account = c.fetch_account().await.unwrap();
    assert_eq!(account.sid.as_deref(), Some(ACCOUNT));
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_delete_that_times_out_is_retried() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(204).set_delay(Duration::from_secs(10));
    mount_sequence(&server, "DELETE", slow, 1, ResponseTemplate::new(204)).await;
    let c = builder(&server.uri())
        .request_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    c.delete_incoming_phone_number(PN).await.unwrap();
    let deletes = received(&server)
        .await
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .count();
    assert_eq!(deletes, 2, "the timed-out DELETE is sent again");
}

#[tokio::test]
async fn a_get_whose_connection_is_refused_is_retried() {
    // A socket bound to a port but not listening yet: connecting to it is refused (a
    // connect error, not a dropped connection), and the port stays ours.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let uri = format!("http://{}", socket.local_addr().unwrap());
    // Backoff of 0.75–1.5 s: the first attempt is refused at once, and the server starts
    // listening well before the retry.
    let c = builder(&uri)
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1500),
            max_delay: Duration::from_millis(1500),
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let call = tokio::spawn(async move { c.fetch_account().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let raw = RawServer::serve(socket.listen(16).unwrap(), |_| {
        Conn::Answer(Duration::ZERO, r#"{"sid":"AC1"}"#)
    });
    let account = call.await.unwrap().unwrap();
    assert_eq!(account.sid.as_deref(), Some("AC1"));
    assert_eq!(raw.connections.load(Ordering::SeqCst), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "answered after {:?}: the first attempt was not the refused one",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_get_whose_connection_drops_is_retried() {
    let raw = RawServer::start(|n| {
        if n == 0 {
            Conn::Drop
        } else {
            Conn::Answer(Duration::ZERO, r#"{"sid":"AC1"}"#)
        }
    })
    .await;
    let c = builder(&raw.uri).build().unwrap();
    let account = c.fetch_account().await.unwrap();
    assert_eq!(account.sid.as_deref(), Some("AC1"));
    assert_eq!(raw.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_purchase_whose_connection_drops_is_not_retried_and_outcome_is_unknown() {
    let raw = RawServer::start(|_| Conn::Drop).await;
    let c = builder(&raw.uri).build().unwrap();
    let err = c
        .create_incoming_phone_number(&purchase())
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::Transport { .. }), "{err:?}");
    assert!(err.is_outcome_unknown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(raw.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_definitely_not_processed() {
    // Bind then drop a listener so the port is (almost certainly) closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = builder(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = c
        .create_incoming_phone_number(&purchase())
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::Connect { .. }), "{err:?}");
    assert!(err.is_definitely_not_processed());
}

#[tokio::test]
async fn requests_in_flight_never_exceed_the_configured_limit() {
    let raw =
        RawServer::start(|_| Conn::Answer(Duration::from_millis(300), r#"{"sid":"AC1"}"#)).await;
    let c = builder(&raw.uri).max_in_flight(2).build().unwrap();
    let calls = (0..6).map(|_| {
        let c = c.clone();
        async move { c.fetch_account().await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(raw.connections.load(Ordering::SeqCst), 6);
    assert_eq!(raw.max_active.load(Ordering::SeqCst), 2);
}
