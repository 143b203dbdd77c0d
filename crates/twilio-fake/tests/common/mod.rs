//! Helpers shared by the integration tests: a fake per test and a client pointed at it.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use std::time::Duration;

use twilio_client::{Credentials, RetryPolicy, SecretString, TwilioClient};
use twilio_fake::{FakeConfig, TwilioFake};

/// A fresh fake with a small inventory (fast to start) and the given seed.
pub fn fake(seed: u64) -> TwilioFake {
    TwilioFake::start(FakeConfig {
        seed,
        inventory_scale: 0.2,
        ..FakeConfig::default()
    })
    .expect("fake starts")
}

/// Retries quick enough for tests.
pub fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

/// A client for the master account of `fake`.
pub fn client(fake: &TwilioFake) -> TwilioClient {
    client_with(
        fake,
        Credentials::auth_token(fake.account_sid(), SecretString::from(fake.auth_token())),
        quick_retries(3),
        Duration::from_secs(10),
    )
}

/// A client with explicit credentials, retries and timeout.
pub fn client_with(
    fake: &TwilioFake,
    credentials: Credentials,
    retry: RetryPolicy,
    timeout: Duration,
) -> TwilioClient {
    TwilioClient::builder(credentials)
        .api_base_url(fake.api_base_url())
        .pricing_base_url(fake.pricing_base_url())
        .retry_policy(retry)
        .request_timeout(timeout)
        .build()
        .expect("client builds")
}

/// A well-formed SID with the given prefix.
pub fn sid(prefix: &str, n: u8) -> String {
    format!("{prefix}{}", format!("{n:02x}").repeat(16))
}
