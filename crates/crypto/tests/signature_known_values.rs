//! Self-contained signature tests: a few known signatures (facts taken from the Twilio SDKs'
//! own test suites) and the behaviour around them. Runs without any external file.

use numbers_crypto::signature::{
    PortEdit, QuoteEdit, SignatureError, SignatureValidator, append_body_sha256, compute_signature,
    compute_url_signature, validate_form, validate_get, validate_json,
};
use secrecy::SecretString;

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

/// The canonical form-POST vector shared by every official SDK.
const CLASSIC_PARAMS: [(&str, &str); 5] = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
];
const CLASSIC_SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

#[test]
fn classic_form_post_signature_is_reproduced_and_validates() {
    assert_eq!(
        compute_signature(TOKEN, URL, &CLASSIC_PARAMS),
        CLASSIC_SIGNATURE
    );
    let matched =
        validate_form(TOKEN, URL, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)).expect("valid");
    assert_eq!(matched.port_edit, PortEdit::AsGiven);
    assert_eq!(matched.quote_edit, QuoteEdit::AsGiven);
}

#[test]
fn param_order_on_the_wire_does_not_matter() {
    let mut reversed = CLASSIC_PARAMS;
    reversed.reverse();
    assert!(validate_form(TOKEN, URL, &reversed, Some(CLASSIC_SIGNATURE)).is_ok());
}

#[test]
fn owned_string_pairs_are_accepted() {
    let owned: Vec<(String, String)> = CLASSIC_PARAMS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(compute_signature(TOKEN, URL, &owned), CLASSIC_SIGNATURE);
}

#[test]
fn repeated_keys_are_sorted_and_deduplicated() {
    // Signed string: URL + "Digits1234Digits5678SidCA123SidAccountAC123".
    let params = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ];
    assert_eq!(
        compute_signature(TOKEN, URL, &params),
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    );
    // Keeping only the first value (twilio-go's behaviour) gives a different signature.
    let first_only = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
    ];
    assert_eq!(
        validate_form(
            TOKEN,
            URL,
            &first_only,
            Some("IK+Dwps556ElfBT0I3Rgjkr1wJU=")
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn custom_port_is_tolerated_when_twilio_signed_without_it() {
    let url = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
    let matched =
        validate_form(TOKEN, url, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)).expect("valid");
    assert_eq!(matched.port_edit, PortEdit::Removed);
}

#[test]
fn default_port_is_tolerated_both_ways() {
    let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    let signed_with_port = compute_signature(TOKEN, with_port, &CLASSIC_PARAMS);
    let matched =
        validate_form(TOKEN, URL, &CLASSIC_PARAMS, Some(&signed_with_port)).expect("valid");
    assert_eq!(matched.port_edit, PortEdit::DefaultAdded);
    let matched =
        validate_form(TOKEN, with_port, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)).expect("valid");
    assert_eq!(matched.port_edit, PortEdit::Removed);
    // A non-default port is not invented: a signature over :8443 does not match the bare URL.
    let signed_8443 = compute_signature(
        TOKEN,
        "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
        &CLASSIC_PARAMS,
    );
    assert_eq!(
        validate_form(TOKEN, URL, &CLASSIC_PARAMS, Some(&signed_8443)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn host_case_and_userinfo_are_hashed_as_received() {
    let mixed = "https://MyCompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(
        compute_signature(TOKEN, mixed, &CLASSIC_PARAMS),
        "g9IN/x4Cft2g517EjYvEvM/W7LU="
    );
    // The lowercase-host signature must not validate the mixed-case URL.
    assert_eq!(
        validate_form(TOKEN, mixed, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)),
        Err(SignatureError::Mismatch)
    );
    // Userinfo stays in, including in the default-port variant.
    let creds = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
    let signed = compute_signature(
        TOKEN,
        "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
        &CLASSIC_PARAMS,
    );
    assert_eq!(
        validate_form(TOKEN, creds, &CLASSIC_PARAMS, Some(&signed)).map(|m| m.port_edit),
        Ok(PortEdit::DefaultAdded)
    );
    assert_eq!(
        validate_form(TOKEN, creds, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn apostrophe_in_query_matches_a_signature_over_percent_27() {
    // twilio-node's test: Twilio signed the query with %27 while the URL arrives with '.
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing";
    let matched = validate_form(
        TOKEN,
        url,
        &CLASSIC_PARAMS,
        Some("TfZzewPq8wqrGlMfyAud8+/IvJ0="),
    )
    .expect("valid through the %27 variant");
    assert_eq!(matched.quote_edit, QuoteEdit::Encoded);
    assert_eq!(matched.port_edit, PortEdit::AsGiven);
}

#[test]
fn percent_27_in_query_matches_a_signature_over_a_raw_apostrophe() {
    let signed = compute_url_signature("s3cr3t", "https://example.com/path?test=param'WithQuote");
    let matched = validate_get(
        "s3cr3t",
        "https://example.com/path?test=param%27WithQuote",
        Some(&signed),
    )
    .expect("valid through the ' variant");
    assert_eq!(matched.quote_edit, QuoteEdit::Decoded);
}

#[test]
fn get_requests_sign_the_url_alone() {
    let url = "https://example.com/webhooks/twilio/voice?CallSid=CA1&From=%2B14155550100";
    let signed = compute_url_signature("s3cr3t", url);
    assert!(validate_get("s3cr3t", url, Some(&signed)).is_ok());
    // Changing one query character breaks it.
    let altered = url.replace("CA1", "CA2");
    assert_eq!(
        validate_get("s3cr3t", &altered, Some(&signed)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn json_body_is_checked_against_body_sha256_in_the_signed_url() {
    // twilio-node's empty-body vector: Twilio signed the URL with :443 inserted.
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2\
               &bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    let signature = "Ldidvp12m26NI7eqEvxnEpkd9Hc=";
    let matched = validate_json(TOKEN, url, b"{}", Some(signature)).expect("valid");
    assert_eq!(matched.port_edit, PortEdit::DefaultAdded);

    assert_eq!(
        validate_json(TOKEN, url, b"{ }", Some(signature)),
        Err(SignatureError::BodyHashMismatch)
    );
    assert_eq!(
        validate_json(TOKEN, URL, b"{}", Some(CLASSIC_SIGNATURE)),
        Err(SignatureError::BodyHashMissing)
    );
    let truncated_hash = &url[..url.len() - 1];
    assert_eq!(
        validate_json(TOKEN, truncated_hash, b"{}", Some(signature)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn json_url_built_with_append_body_sha256_round_trips() {
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = append_body_sha256("https://example.com/hook?x=1", body);
    let signed = compute_url_signature(TOKEN, &url);
    assert!(validate_json(TOKEN, &url, body, Some(&signed)).is_ok());
}

#[test]
fn missing_malformed_and_wrong_headers_are_distinct_errors() {
    let check = |header| validate_form(TOKEN, URL, &CLASSIC_PARAMS, header);
    assert_eq!(check(None), Err(SignatureError::Missing));
    assert_eq!(check(Some("")), Err(SignatureError::Missing));
    assert_eq!(
        check(Some("NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=")),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        check(Some("not base64 at all, 28 chars!")),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        check(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        validate_form("54321", URL, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn validator_accepts_any_of_its_tokens_and_reports_which() {
    let validator = SignatureValidator::new(SecretString::from("old-token"))
        .with_token(SecretString::from(TOKEN));
    let matched = validator
        .validate_form(URL, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE))
        .expect("second token matches");
    assert_eq!(matched.token_index, 1);

    let signed_old = compute_signature("old-token", URL, &CLASSIC_PARAMS);
    assert_eq!(
        validator
            .validate_form(URL, &CLASSIC_PARAMS, Some(&signed_old))
            .map(|m| m.token_index),
        Ok(0)
    );

    let other =
        SignatureValidator::new(SecretString::from("a")).with_token(SecretString::from("b"));
    assert_eq!(
        other.validate_form(URL, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(other.validate_get(URL, None), Err(SignatureError::Missing));
    assert_eq!(
        other.validate_json(URL, b"{}", Some(CLASSIC_SIGNATURE)),
        Err(SignatureError::BodyHashMissing)
    );
}

#[test]
fn error_messages_never_contain_the_token_or_signature() {
    let errors = [
        SignatureError::NoToken,
        SignatureError::Missing,
        SignatureError::BodyNotChecked,
        SignatureError::Malformed,
        SignatureError::Mismatch,
        SignatureError::BodyHashMissing,
        SignatureError::BodyHashMismatch,
    ];
    for error in errors {
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains(TOKEN) && !text.contains(CLASSIC_SIGNATURE),
            "{text}"
        );
    }
}

#[test]
fn an_empty_or_blank_token_never_validates_anything() {
    for blank in ["", " ", "\t\n", "\u{a0}"] {
        // HMAC accepts an empty key, so these signatures are well formed; they must still
        // be refused.
        let form_signature = compute_signature(blank, URL, &CLASSIC_PARAMS);
        assert_eq!(
            validate_form(blank, URL, &CLASSIC_PARAMS, Some(&form_signature)),
            Err(SignatureError::NoToken),
            "{blank:?}"
        );
        let get_signature = compute_url_signature(blank, URL);
        assert_eq!(
            validate_get(blank, URL, Some(&get_signature)),
            Err(SignatureError::NoToken)
        );
        let json_url = append_body_sha256(URL, b"{}");
        let json_signature = compute_url_signature(blank, &json_url);
        assert_eq!(
            validate_json(blank, &json_url, b"{}", Some(&json_signature)),
            Err(SignatureError::NoToken)
        );
        // Refused before the request is looked at, even without a header.
        assert_eq!(
            validate_form(blank, URL, &CLASSIC_PARAMS, None),
            Err(SignatureError::NoToken)
        );

        let validator = SignatureValidator::new(SecretString::from(blank));
        assert_eq!(validator.token_count(), 0);
        assert_eq!(
            validator.validate_form(URL, &CLASSIC_PARAMS, Some(&form_signature)),
            Err(SignatureError::NoToken)
        );
        assert_eq!(
            validator.validate_get(URL, Some(&get_signature)),
            Err(SignatureError::NoToken)
        );
        assert_eq!(
            validator.validate_json(&json_url, b"{}", Some(&json_signature)),
            Err(SignatureError::NoToken)
        );
    }
    // A token with surrounding whitespace is a real token, used exactly as given.
    let padded = " 12345 ";
    let signature = compute_signature(padded, URL, &CLASSIC_PARAMS);
    assert!(validate_form(padded, URL, &CLASSIC_PARAMS, Some(&signature)).is_ok());
    assert_eq!(
        validate_form(TOKEN, URL, &CLASSIC_PARAMS, Some(&signature)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_validator_with_a_blank_and_a_real_token_uses_only_the_real_one() {
    let validator =
        SignatureValidator::new(SecretString::from("")).with_token(SecretString::from(TOKEN));
    assert_eq!(validator.token_count(), 1);
    assert_eq!(format!("{validator:?}"), "SignatureValidator { tokens: 1 }");

    // The real token still works, reported at its position among the tokens given.
    let matched = validator
        .validate_form(URL, &CLASSIC_PARAMS, Some(CLASSIC_SIGNATURE))
        .expect("the real token matches");
    assert_eq!(matched.token_index, 1);

    // A signature made with the empty key is not accepted through the blank token.
    let forged = compute_signature("", URL, &CLASSIC_PARAMS);
    assert_eq!(
        validator.validate_form(URL, &CLASSIC_PARAMS, Some(&forged)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        validator.validate_get(URL, Some(&compute_url_signature("", URL))),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn a_json_webhook_url_is_refused_by_form_and_get_validation() {
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = append_body_sha256("https://example.com/hook?x=1", body);
    let signature = compute_url_signature(TOKEN, &url);
    // The signature over the URL is genuine, but only validate_json checks the body, so the
    // other two refuse instead of letting any body through.
    assert_eq!(
        validate_get(TOKEN, &url, Some(&signature)),
        Err(SignatureError::BodyNotChecked)
    );
    assert_eq!(
        validate_form::<&str, &str>(TOKEN, &url, &[], Some(&signature)),
        Err(SignatureError::BodyNotChecked)
    );
    assert_eq!(
        validate_form(TOKEN, &url, &[("Tampered", "yes")], Some(&signature)),
        Err(SignatureError::BodyNotChecked)
    );
    let validator = SignatureValidator::new(SecretString::from(TOKEN));
    assert_eq!(
        validator.validate_get(&url, Some(&signature)),
        Err(SignatureError::BodyNotChecked)
    );
    assert_eq!(
        validator.validate_form::<&str, &str>(&url, &[], Some(&signature)),
        Err(SignatureError::BodyNotChecked)
    );
    // Header problems are still reported as such first.
    assert_eq!(
        validate_get(TOKEN, &url, None),
        Err(SignatureError::Missing)
    );

    // Routed to the right function, the genuine body passes and a tampered one does not.
    assert!(validate_json(TOKEN, &url, body, Some(&signature)).is_ok());
    assert!(
        validator
            .validate_json(&url, body, Some(&signature))
            .is_ok()
    );
    assert_eq!(
        validate_json(TOKEN, &url, br#"{"property": "evil"}"#, Some(&signature)),
        Err(SignatureError::BodyHashMismatch)
    );
    // A parameter that only looks similar is not bodySHA256.
    let lookalike = "https://example.com/hook?xbodySHA256=1";
    let signed = compute_url_signature(TOKEN, lookalike);
    assert!(validate_get(TOKEN, lookalike, Some(&signed)).is_ok());
}
