//! Secrets stay out of `Debug` (logging is covered by `tests/tracing_spans.rs`).

use twilio_client::{Credentials, SecretString, TwilioClient};

use crate::common::{ACCOUNT, TOKEN};

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
