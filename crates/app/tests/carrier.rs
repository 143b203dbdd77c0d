//! `TwilioCarrier`, the carrier port over `twilio-client`, against the Twilio fake over real
//! HTTP: what each Twilio answer means for the lifecycle (a definite refusal, nothing
//! happened, or an unknown outcome).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use numbers_app::{Metrics, TwilioCarrier};
use numbers_domain::{Carrier, CarrierError, E164, PurchaseOrder, Webhooks};
use secrecy::SecretString;
use twilio_client::{Credentials, RetryPolicy, TwilioClient};
use twilio_fake::{FakeConfig, FakeOperation, Fault, LostResponse, NumberKind, TwilioFake};

struct Setup {
    fake: TwilioFake,
    carrier: TwilioCarrier,
}

fn setup() -> Setup {
    let fake = TwilioFake::start(FakeConfig::with_seed(11)).expect("fake");
    let client = TwilioClient::builder(Credentials::auth_token(
        fake.account_sid(),
        SecretString::from(fake.auth_token().to_owned()),
    ))
    .api_base_url(fake.api_base_url())
    .pricing_base_url(fake.pricing_base_url())
    .request_timeout(Duration::from_millis(500))
    .retry_policy(RetryPolicy::none())
    .build()
    .expect("client");
    let carrier = TwilioCarrier::new(client, Arc::new(Metrics::new()));
    Setup { fake, carrier }
}

fn us_local(fake: &TwilioFake, index: usize) -> E164 {
    let offers = fake
        .control()
        .available_numbers("US", NumberKind::Local)
        .expect("inventory");
    offers[index].phone_number.parse().expect("E.164")
}

fn order(phone_number: E164) -> PurchaseOrder {
    PurchaseOrder {
        phone_number,
        webhooks: Webhooks {
            voice_url: "https://api.example/webhooks/twilio/voice?channel_id=c1".into(),
            status_callback_url: "https://api.example/webhooks/twilio/status?channel_id=c1".into(),
        },
        bundle_sid: None,
        address_sid: None,
    }
}

#[tokio::test]
async fn a_purchase_is_wired_found_rewired_listed_and_released() {
    let Setup { fake, carrier } = setup();
    let number = us_local(&fake, 0);
    let bought = carrier.buy(&order(number.clone())).await.unwrap();
    assert!(bought.sid.starts_with("PN"), "{}", bought.sid);
    assert_eq!(bought.phone_number, number);
    assert_eq!(bought.account_sid, fake.account_sid());
    assert_eq!(
        bought.voice_url.as_deref(),
        Some("https://api.example/webhooks/twilio/voice?channel_id=c1")
    );
    let on_fake = fake.control().owned_number(number.as_str()).unwrap();
    assert_eq!(on_fake.voice_method, "POST");
    assert_eq!(on_fake.status_callback_method, "POST");

    let found = carrier.find_owned(&number).await.unwrap().unwrap();
    assert_eq!(found.sid, bought.sid);
    assert_eq!(carrier.find_owned(&us_local(&fake, 1)).await.unwrap(), None);

    let detached = Webhooks {
        voice_url: "https://api.example/webhooks/twilio/voice".into(),
        status_callback_url: "https://api.example/webhooks/twilio/status".into(),
    };
    let rewired = carrier.set_webhooks(&bought.sid, &detached).await.unwrap();
    assert_eq!(
        rewired.voice_url.as_deref(),
        Some(detached.voice_url.as_str())
    );
    assert_eq!(
        fake.control()
            .owned_number(number.as_str())
            .unwrap()
            .status_callback
            .as_deref(),
        Some(detached.status_callback_url.as_str())
    );

    let listed: Vec<_> = carrier.list_owned().collect().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].as_ref().unwrap().sid, bought.sid);

    carrier.release(&bought.sid).await.unwrap();
    assert!(fake.control().owned_number(number.as_str()).is_none());
    // Releasing again: Twilio says it is gone.
    assert!(matches!(
        carrier.release(&bought.sid).await,
        Err(CarrierError::NotFound { .. })
    ));
}

#[tokio::test]
async fn refusals_are_definite_and_carry_twilios_code() {
    let Setup { fake, carrier } = setup();
    let number = us_local(&fake, 0);
    fake.control().inject_fault(
        FakeOperation::Create,
        Fault::Error {
            status: 400,
            code: 21422,
            message: None,
        },
        Some(1),
    );
    assert_eq!(
        carrier.buy(&order(number.clone())).await,
        Err(CarrierError::Refused {
            status: 400,
            code: Some(21422)
        })
    );
    fake.control().inject_fault(
        FakeOperation::Create,
        Fault::RateLimited {
            retry_after_secs: None,
        },
        Some(1),
    );
    assert_eq!(
        carrier.buy(&order(number.clone())).await,
        Err(CarrierError::Unavailable)
    );
    assert_eq!(fake.control().owned_count(None).unwrap(), 0);
}

#[tokio::test]
async fn a_5xx_a_timeout_or_a_lost_answer_leave_the_outcome_unknown() {
    let Setup { fake, carrier } = setup();
    let control = fake.control();
    let faults = [
        Fault::Error {
            status: 500,
            code: 20500,
            message: None,
        },
        Fault::Hang { ms: Some(2_000) },
        Fault::CommitThenLose {
            lose: LostResponse::DropConnection,
        },
        Fault::CommitThenLose {
            lose: LostResponse::Hang { ms: Some(2_000) },
        },
    ];
    // Picked before buying: a bought number leaves the inventory.
    let numbers: Vec<E164> = (0..faults.len()).map(|i| us_local(&fake, i)).collect();
    for (number, fault) in numbers.iter().zip(faults) {
        control.inject_fault(FakeOperation::Create, fault.clone(), Some(1));
        assert_eq!(
            carrier.buy(&order(number.clone())).await,
            Err(CarrierError::OutcomeUnknown),
            "{fault:?}"
        );
    }
    // The two lost answers did buy: only looking tells.
    assert_eq!(control.owned_count(None).unwrap(), 2);
    for (number, bought) in numbers.iter().zip([false, false, true, true]) {
        assert_eq!(
            carrier.find_owned(number).await.unwrap().is_some(),
            bought,
            "{number}"
        );
    }
}

#[tokio::test]
async fn nothing_listening_is_unavailable_and_a_failed_listing_ends_with_an_error() {
    let Setup { fake, carrier } = setup();
    let number = us_local(&fake, 0);
    carrier.buy(&order(number)).await.unwrap();
    fake.control().inject_fault(
        FakeOperation::List,
        Fault::Error {
            status: 500,
            code: 20500,
            message: None,
        },
        None,
    );
    let listed: Vec<_> = carrier.list_owned().collect().await;
    assert!(matches!(listed.last(), Some(Err(_))), "{listed:?}");

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = TwilioClient::builder(Credentials::auth_token(
        fake.account_sid(),
        SecretString::from("token".to_owned()),
    ))
    .api_base_url(format!("http://{closed}"))
    .retry_policy(RetryPolicy::none())
    .build()
    .unwrap();
    let nowhere = TwilioCarrier::new(client, Arc::new(Metrics::new()));
    assert_eq!(
        nowhere.buy(&order(us_local(&fake, 1))).await,
        Err(CarrierError::Unavailable)
    );
}
