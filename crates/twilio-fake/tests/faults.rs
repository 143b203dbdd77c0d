//! Every injected fault against every twilio-client operation: the client's view of the
//! outcome (error kind, code, retries) must agree with what the fake did.

mod common;

use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use twilio_client::{
    AvailableNumberSearch, Credentials, IncomingPhoneNumberFilter, IncomingPhoneNumberUpdate,
    NewIncomingPhoneNumber, SearchType, SecretString, TwilioClient, TwilioError,
};
use twilio_fake::{FakeOperation, Fault, LostResponse, NumberKind, TwilioFake};

use common::{client_with, fake, quick_retries};

/// The client's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Search,
    Create,
    List,
    Fetch,
    Update,
    Delete,
    Pricing,
    PricingList,
    Account,
}

const ALL: [Op; 9] = [
    Op::Search,
    Op::Create,
    Op::List,
    Op::Fetch,
    Op::Update,
    Op::Delete,
    Op::Pricing,
    Op::PricingList,
    Op::Account,
];

impl Op {
    fn fake_op(self) -> FakeOperation {
        match self {
            Self::Search => FakeOperation::Search,
            Self::Create => FakeOperation::Create,
            Self::List => FakeOperation::List,
            Self::Fetch => FakeOperation::Fetch,
            Self::Update => FakeOperation::Update,
            Self::Delete => FakeOperation::Delete,
            Self::Pricing | Self::PricingList => FakeOperation::Pricing,
            Self::Account => FakeOperation::Account,
        }
    }

    /// POSTs are never retried after an ambiguous failure.
    fn is_post(self) -> bool {
        matches!(self, Self::Create | Self::Update)
    }
}

/// A fake with one owned number and one number on sale, and a client for it.
struct Case {
    fake: TwilioFake,
    client: TwilioClient,
    offer: String,
    owned_sid: String,
    owned_number: String,
}

const NEW_URL: &str = "https://example.test/after-update";

impl Case {
    fn new(timeout: Duration) -> Self {
        let fake = fake(77);
        let client = client_with(
            &fake,
            Credentials::auth_token(fake.account_sid(), SecretString::from(fake.auth_token())),
            quick_retries(3),
            timeout,
        );
        fake.control().seed_owned_numbers(None, 1, None).unwrap();
        let owned = fake.control().owned_numbers(None, 1).unwrap().remove(0);
        let offer = fake
            .control()
            .available_numbers("US", NumberKind::Local)
            .unwrap()[0]
            .phone_number
            .clone();
        Self {
            fake,
            client,
            offer,
            owned_sid: owned.sid,
            owned_number: owned.phone_number,
        }
    }

    async fn run(&self, op: Op) -> Result<(), TwilioError> {
        let c = &self.client;
        match op {
            Op::Search => c
                .search_available_phone_numbers(
                    "US",
                    SearchType::Local,
                    &AvailableNumberSearch::default(),
                )
                .await
                .map(drop),
            Op::Create => c
                .create_incoming_phone_number(&NewIncomingPhoneNumber::new(self.offer.clone()))
                .await
                .map(drop),
            Op::List => c
                .list_incoming_phone_numbers(&IncomingPhoneNumberFilter::default())
                .try_collect::<Vec<_>>()
                .await
                .map(drop),
            Op::Fetch => c
                .fetch_incoming_phone_number(&self.owned_sid)
                .await
                .map(drop),
            Op::Update => c
                .update_incoming_phone_number(
                    &self.owned_sid,
                    &IncomingPhoneNumberUpdate {
                        voice_url: Some(NEW_URL.into()),
                        ..Default::default()
                    },
                )
                .await
                .map(drop),
            Op::Delete => c.delete_incoming_phone_number(&self.owned_sid).await,
            Op::Pricing => c.fetch_phone_number_pricing("GB").await.map(drop),
            Op::PricingList => c
                .list_pricing_countries()
                .try_collect::<Vec<_>>()
                .await
                .map(drop),
            Op::Account => c.fetch_account().await.map(drop),
        }
    }

    /// Runs `op` with `fault` injected `times` times; returns the result and how many
    /// requests the fake saw.
    async fn run_with(&self, op: Op, fault: Fault, times: u32) -> (Result<(), TwilioError>, u64) {
        let fake_op = op.fake_op();
        let before = self.fake.control().request_count(fake_op);
        self.fake
            .control()
            .inject_fault(fake_op, fault, Some(times));
        let result = self.run(op).await;
        let seen = self.fake.control().request_count(fake_op) - before;
        (result, seen)
    }

    /// Whether the mutation of `op` happened, read from the fake's state.
    fn committed(&self, op: Op) -> bool {
        let control = self.fake.control();
        match op {
            Op::Create => control.owned_number(&self.offer).is_some(),
            Op::Update => control
                .owned_number(&self.owned_number)
                .is_some_and(|n| n.voice_url.as_deref() == Some(NEW_URL)),
            Op::Delete => control.owned_number(&self.owned_number).is_none(),
            _ => false,
        }
    }
}

#[tokio::test]
async fn an_injected_twilio_error_reaches_the_client_verbatim_and_is_not_retried() {
    for op in ALL {
        let case = Case::new(Duration::from_secs(10));
        let fault = Fault::Error {
            status: 400,
            code: 21452,
            message: Some("injected refusal".into()),
        };
        let (result, seen) = case.run_with(op, fault, 1).await;
        let e = result.expect_err("the fault applies");
        assert_eq!(e.http_status(), Some(400), "{op:?}");
        assert_eq!(e.twilio_code(), Some(21452), "{op:?}");
        assert!(e.to_string().contains("injected refusal"), "{op:?}: {e}");
        assert!(e.is_definitely_not_processed());
        assert_eq!(seen, 1, "{op:?}: 4xx is not retried");
        assert!(!case.committed(op), "{op:?}: an error fault does nothing");
        // The rule was used up: the next call succeeds.
        case.run(op)
            .await
            .unwrap_or_else(|e| panic!("{op:?} after the fault: {e}"));
    }
}

#[tokio::test]
async fn an_injected_5xx_is_retried_for_reads_and_deletes_but_not_for_posts() {
    for op in ALL {
        let case = Case::new(Duration::from_secs(10));
        let fault = Fault::Error {
            status: 503,
            code: 20503,
            message: None,
        };
        let (result, seen) = case.run_with(op, fault, 1).await;
        if op.is_post() {
            let e = result.expect_err("POSTs are not retried");
            assert_eq!(e.http_status(), Some(503), "{op:?}");
            assert!(e.is_outcome_unknown());
            assert_eq!(seen, 1, "{op:?}");
        } else {
            result.unwrap_or_else(|e| panic!("{op:?} should succeed on retry: {e}"));
            assert_eq!(seen, 2, "{op:?}");
        }
    }
}

#[tokio::test]
async fn a_429_burst_shorter_than_the_retry_budget_is_absorbed_and_a_longer_one_is_reported() {
    for op in ALL {
        let case = Case::new(Duration::from_secs(10));
        let (result, seen) = case
            .run_with(
                op,
                Fault::RateLimited {
                    retry_after_secs: Some(0),
                },
                2,
            )
            .await;
        result.unwrap_or_else(|e| panic!("{op:?} after two 429s: {e}"));
        assert_eq!(seen, 3, "{op:?}: two 429s then the real answer");
        if op == Op::Create {
            assert!(case.committed(op), "the third attempt bought it");
        }

        let case = Case::new(Duration::from_secs(10));
        let (result, seen) = case
            .run_with(
                op,
                Fault::RateLimited {
                    retry_after_secs: None,
                },
                3,
            )
            .await;
        let e = result.expect_err("three 429s exhaust three attempts");
        assert!(e.is_rate_limited(), "{op:?}: {e}");
        assert_eq!(e.twilio_code(), Some(20429));
        assert!(e.is_definitely_not_processed());
        assert_eq!(seen, 3, "{op:?}");
        assert!(!case.committed(op), "{op:?}: a 429 is never processed");
    }
}

#[tokio::test]
async fn retry_after_is_sent_and_the_client_honours_it() {
    // A client willing to wait up to 2 s waits the second Twilio asked for.
    let case = Case::new(Duration::from_secs(10));
    let patient = client_with(
        &case.fake,
        Credentials::auth_token(
            case.fake.account_sid(),
            SecretString::from(case.fake.auth_token()),
        ),
        twilio_client::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_secs(2),
        },
        Duration::from_secs(10),
    );
    let control = case.fake.control();
    control.inject_fault(
        FakeOperation::Fetch,
        Fault::RateLimited {
            retry_after_secs: Some(1),
        },
        Some(1),
    );
    let started = Instant::now();
    patient
        .fetch_incoming_phone_number(&case.owned_sid)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(control.request_count(FakeOperation::Fetch), 2);

    // When the burst outlasts the retries, the error carries the delay Twilio asked for.
    let (result, seen) = case
        .run_with(
            Op::Fetch,
            Fault::RateLimited {
                retry_after_secs: Some(0),
            },
            3,
        )
        .await;
    match result.unwrap_err() {
        TwilioError::Api {
            status: 429,
            retry_after,
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::ZERO));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen, 3);
}

#[tokio::test]
async fn latency_delays_every_operation_without_failing_it() {
    for op in ALL {
        let case = Case::new(Duration::from_secs(10));
        let started = Instant::now();
        let (result, seen) = case.run_with(op, Fault::Latency { ms: 250 }, 1).await;
        result.unwrap_or_else(|e| panic!("{op:?}: {e}"));
        assert!(started.elapsed() >= Duration::from_millis(250), "{op:?}");
        assert_eq!(seen, 1, "{op:?}");
        if op.fake_op().is_mutation() {
            assert!(case.committed(op), "{op:?} still happens");
        }
    }
}

#[tokio::test]
async fn a_hang_times_the_client_out_reads_are_retried_and_nothing_is_done() {
    for op in ALL {
        let case = Case::new(Duration::from_millis(300));
        let (result, seen) = case.run_with(op, Fault::Hang { ms: Some(10_000) }, 1).await;
        if op.is_post() {
            let e = result.expect_err("a POST is not retried after a timeout");
            assert!(matches!(e, TwilioError::Timeout { .. }), "{op:?}: {e}");
            assert!(e.is_outcome_unknown());
            assert_eq!(seen, 1, "{op:?}");
            assert!(!case.committed(op), "{op:?}: a hang does nothing");
        } else {
            result.unwrap_or_else(|e| panic!("{op:?} should succeed on retry: {e}"));
            assert_eq!(seen, 2, "{op:?}");
        }
    }
}

/// "Bought but the answer was lost", in its three forms.
#[tokio::test]
async fn commit_then_lose_does_the_operation_and_leaves_the_client_unsure() {
    for lose in [
        LostResponse::DropConnection,
        LostResponse::ServerError,
        LostResponse::Hang { ms: Some(10_000) },
    ] {
        for op in ALL {
            let case = Case::new(Duration::from_millis(400));
            let (result, seen) = case.run_with(op, Fault::CommitThenLose { lose }, 1).await;
            match op {
                Op::Create | Op::Update => {
                    let e = result.expect_err("the answer was lost");
                    assert!(e.is_outcome_unknown(), "{lose:?} {op:?}: {e}");
                    match lose {
                        LostResponse::DropConnection => {
                            assert!(matches!(e, TwilioError::Transport { .. }), "{op:?}: {e:?}");
                        }
                        LostResponse::ServerError => assert_eq!(e.http_status(), Some(500)),
                        LostResponse::Hang { .. } => {
                            assert!(matches!(e, TwilioError::Timeout { .. }), "{op:?}: {e:?}");
                        }
                    }
                    assert_eq!(seen, 1);
                    assert!(case.committed(op), "{lose:?} {op:?}: it happened anyway");
                }
                Op::Delete => {
                    // The client retries the DELETE and learns the number is already gone.
                    let e = result.expect_err("the retry finds nothing to delete");
                    assert!(e.is_not_found(), "{lose:?}: {e}");
                    assert_eq!(seen, 2);
                    assert!(case.committed(op));
                }
                _ => {
                    result
                        .unwrap_or_else(|e| panic!("{lose:?} {op:?} should succeed on retry: {e}"));
                    assert_eq!(seen, 2, "{lose:?} {op:?}");
                }
            }
        }
    }
    // After a lost purchase, the caller can settle it by listing with PhoneNumber.
    let case = Case::new(Duration::from_secs(5));
    let (result, _) = case
        .run_with(
            Op::Create,
            Fault::CommitThenLose {
                lose: LostResponse::DropConnection,
            },
            1,
        )
        .await;
    assert!(result.is_err());
    let found: Vec<_> = case
        .client
        .list_incoming_phone_numbers(&IncomingPhoneNumberFilter {
            phone_number: Some(case.offer.clone()),
            page_size: Some(1000),
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].phone_number.as_deref(), Some(case.offer.as_str()));
}

#[tokio::test]
async fn faults_until_cleared_apply_to_every_request_and_clearing_stops_them() {
    let case = Case::new(Duration::from_secs(10));
    let control = case.fake.control();
    control.inject_fault(
        FakeOperation::Account,
        Fault::Error {
            status: 403,
            code: 20403,
            message: None,
        },
        None,
    );
    for _ in 0..3 {
        assert_eq!(
            case.run(Op::Account).await.unwrap_err().twilio_code(),
            Some(20403)
        );
    }
    assert_eq!(control.pending_faults(FakeOperation::Account).len(), 1);
    // Other operations are untouched.
    case.run(Op::Fetch).await.unwrap();
    control.clear_faults(Some(FakeOperation::Account));
    case.run(Op::Account).await.unwrap();
    assert!(control.pending_faults(FakeOperation::Account).is_empty());
}
