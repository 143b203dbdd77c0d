//! Sealed secrets through the public API: rotation, typed open errors, and configuration
//! errors that name the variable.

use numbers_crypto::sealed::{
    BlobError, EncryptionKey, KeyConfigError, KeyLocation, KeyVarNames, Keyring, OpenError,
    ResealError, SealedSecret,
};
use secrecy::ExposeSecret as _;

const OWNER: &str = "AC0123456789abcdef0123456789abcdef";

fn key(byte: u8) -> EncryptionKey {
    EncryptionKey::from_bytes(&[byte; 32])
}

fn base64_key(byte: u8) -> String {
    key(byte).to_base64().as_str().to_owned()
}

#[test]
fn sealed_token_opens_for_its_owner_as_bytes_text_and_after_a_base64_trip() {
    let keyring = Keyring::new(key(1), []);
    let sealed = keyring.seal(b"auth-token-value", OWNER).expect("seal");
    assert_eq!(sealed.version(), 1);
    assert_eq!(sealed.key_id(), keyring.current_key_id());
    assert_eq!(sealed.as_bytes().len(), 1 + 8 + 12 + 16 + 16);

    let stored = SealedSecret::from_base64(&sealed.to_base64()).expect("parse");
    assert_eq!(stored, sealed);
    assert_eq!(
        &keyring.open(&stored, OWNER).expect("open")[..],
        b"auth-token-value"
    );
    assert_eq!(
        keyring
            .open_string(&stored, OWNER)
            .expect("open")
            .expose_secret(),
        "auth-token-value"
    );
    let from_bytes = SealedSecret::from_bytes(sealed.clone().into_bytes()).expect("parse");
    assert_eq!(
        &keyring.open(&from_bytes, OWNER).expect("open")[..],
        b"auth-token-value"
    );
}

#[test]
fn two_seals_of_the_same_secret_differ() {
    let keyring = Keyring::new(key(1), []);
    let a = keyring.seal(b"same", OWNER).expect("seal");
    let b = keyring.seal(b"same", OWNER).expect("seal");
    assert_ne!(a, b);
}

#[test]
fn wrong_owner_fails_authentication() {
    let keyring = Keyring::new(key(1), []);
    let sealed = keyring.seal(b"secret", OWNER).expect("seal");
    assert_eq!(
        keyring.open(&sealed, "ACffffffffffffffffffffffffffffffff"),
        Err(OpenError::AuthenticationFailed {
            key_id: key(1).id()
        })
    );
}

#[test]
fn blob_from_a_key_outside_the_ring_is_an_unknown_key() {
    let sealed = Keyring::new(key(9), [])
        .seal(b"secret", OWNER)
        .expect("seal");
    let keyring = Keyring::new(key(1), [key(2)]);
    assert_eq!(
        keyring.open(&sealed, OWNER),
        Err(OpenError::UnknownKey {
            key_id: key(9).id()
        })
    );
}

#[test]
fn rotation_opens_with_the_previous_key_and_reseals_under_the_current_one() {
    let before = Keyring::new(key(1), []);
    let sealed = before.seal(b"token", OWNER).expect("seal");

    let during = Keyring::new(key(2), [key(1)]);
    assert!(during.needs_reseal(&sealed));
    assert_eq!(
        &during.open(&sealed, OWNER).expect("previous key opens")[..],
        b"token"
    );
    let resealed = during.reseal(&sealed, OWNER).expect("reseal");
    assert_eq!(resealed.key_id(), key(2).id());
    assert!(!during.needs_reseal(&resealed));

    // Once the old key is gone, the re-sealed blob still opens and the old one does not.
    let after = Keyring::new(key(2), []);
    assert_eq!(&after.open(&resealed, OWNER).expect("open")[..], b"token");
    assert!(matches!(
        after.open(&sealed, OWNER),
        Err(OpenError::UnknownKey { .. })
    ));
}

#[test]
fn a_blob_relabelled_with_another_keys_id_fails_authentication_under_that_key() {
    let sealed = Keyring::new(key(1), [])
        .seal(b"secret", OWNER)
        .expect("seal");
    // Rewrite the key id (bytes 1..9) to name key 2, then open with a ring holding only key 2:
    // the id now matches, but the ciphertext was made with key 1 and the id is part of the
    // authenticated data, so it must fail cleanly rather than open or panic.
    let mut bytes = sealed.into_bytes();
    bytes[1..9].copy_from_slice(key(2).id().as_bytes());
    let relabelled = SealedSecret::from_bytes(bytes).expect("still a well-formed blob");
    assert_eq!(relabelled.key_id(), key(2).id());

    let keyring = Keyring::new(key(2), []);
    assert_eq!(
        keyring.open(&relabelled, OWNER),
        Err(OpenError::AuthenticationFailed {
            key_id: key(2).id()
        })
    );
    assert!(matches!(
        keyring.reseal(&relabelled, OWNER),
        Err(ResealError::Open(OpenError::AuthenticationFailed { .. }))
    ));
}

#[test]
fn reseal_reports_why_it_could_not_open() {
    let keyring = Keyring::new(key(1), []);
    let sealed = keyring.seal(b"token", OWNER).expect("seal");
    assert!(matches!(
        keyring.reseal(&sealed, "someone-else"),
        Err(ResealError::Open(OpenError::AuthenticationFailed { .. }))
    ));
}

#[test]
fn non_utf8_secret_is_refused_as_text_but_opens_as_bytes() {
    let keyring = Keyring::new(key(1), []);
    let sealed = keyring.seal(&[0xff, 0xfe], OWNER).expect("seal");
    assert_eq!(
        keyring.open_string(&sealed, OWNER).map(|_| ()),
        Err(OpenError::NotUtf8)
    );
    assert_eq!(
        &keyring.open(&sealed, OWNER).expect("open")[..],
        &[0xff, 0xfe]
    );
}

#[test]
fn blob_parse_errors_surface_as_open_errors() {
    let error: OpenError = SealedSecret::from_base64("%%%")
        .expect_err("not base64")
        .into();
    assert_eq!(error, OpenError::Blob(BlobError::NotBase64));
}

#[test]
fn key_ids_do_not_depend_on_the_order_of_previous_keys() {
    let sealed = Keyring::new(key(3), []).seal(b"x", OWNER).expect("seal");
    let previous = format!("{},{}", base64_key(2), base64_key(3));
    let reordered = format!("{},{}", base64_key(3), base64_key(2));
    for list in [previous, reordered] {
        let keyring = Keyring::from_base64(&base64_key(1), &list).expect("valid config");
        assert_eq!(&keyring.open(&sealed, OWNER).expect("open")[..], b"x");
    }
}

#[test]
fn config_tolerates_whitespace_empty_entries_and_repeated_keys() {
    let previous = format!(
        " {} ,, {},{} ,",
        base64_key(2),
        base64_key(1),
        base64_key(2)
    );
    let keyring = Keyring::from_base64(&format!("{}\n", base64_key(1)), &previous).expect("valid");
    let ids: Vec<_> = keyring.key_ids().collect();
    assert_eq!(ids, vec![key(1).id(), key(2).id()]);
    assert!(keyring.contains_key(key(2).id()));
    assert!(!keyring.contains_key(key(3).id()));
    assert!(Keyring::from_base64(&base64_key(1), "").is_ok());
}

#[test]
fn short_key_error_names_the_variable_and_the_length() {
    let sixteen_bytes = "AAAAAAAAAAAAAAAAAAAAAA==";
    let error = Keyring::from_base64(sixteen_bytes, "").expect_err("too short");
    assert_eq!(
        error.to_string(),
        "SUBACCOUNT_ENCRYPTION_KEY must be base64 of exactly 32 bytes, got 16 bytes"
    );
}

#[test]
fn bad_base64_error_names_the_variable() {
    let error = Keyring::from_base64("not*base64", "").expect_err("not base64");
    assert_eq!(
        error,
        KeyConfigError::NotBase64 {
            location: KeyLocation {
                var: "SUBACCOUNT_ENCRYPTION_KEY".to_owned(),
                entry: None
            }
        }
    );
    assert!(
        error
            .to_string()
            .starts_with("SUBACCOUNT_ENCRYPTION_KEY is not valid base64")
    );
}

#[test]
fn bad_previous_key_error_names_the_variable_and_the_entry() {
    let thirty_three_bytes = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let previous = format!("{},{thirty_three_bytes}", base64_key(2));
    let error = Keyring::from_base64(&base64_key(1), &previous).expect_err("too long");
    assert_eq!(
        error.to_string(),
        "SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS (entry 2) must be base64 of exactly 32 bytes, got 33 bytes"
    );
    assert!(!error.to_string().contains(thirty_three_bytes));
}

#[test]
fn empty_current_key_is_missing_and_custom_names_are_used() {
    let names = KeyVarNames {
        current: "MY_KEY",
        previous: "MY_OLD_KEYS",
    };
    assert_eq!(
        Keyring::from_base64_with_names("  ", "", names).expect_err("empty"),
        KeyConfigError::Missing {
            var: "MY_KEY".to_owned()
        }
    );
    let error = Keyring::from_base64_with_names(&base64_key(1), "@", names).expect_err("bad");
    assert!(
        error
            .to_string()
            .starts_with("MY_OLD_KEYS (entry 1) is not valid base64"),
        "{error}"
    );
}

#[test]
fn environment_variables_are_read_and_named_in_errors() {
    let unset = KeyVarNames {
        current: "NUMBERS_CRYPTO_TEST_SURELY_UNSET_KEY",
        previous: "NUMBERS_CRYPTO_TEST_SURELY_UNSET_PREVIOUS",
    };
    let error = Keyring::from_env_vars(unset).expect_err("unset");
    assert!(
        error
            .to_string()
            .starts_with("NUMBERS_CRYPTO_TEST_SURELY_UNSET_KEY is not set")
    );

    // Cargo sets CARGO_PKG_NAME ("numbers-crypto") for test processes; '-' is not base64.
    let set = KeyVarNames {
        current: "CARGO_PKG_NAME",
        previous: unset.previous,
    };
    assert!(matches!(
        Keyring::from_env_vars(set),
        Err(KeyConfigError::NotBase64 { location }) if location.var == "CARGO_PKG_NAME"
    ));
}

#[test]
fn debug_output_shows_key_ids_but_never_key_material() {
    let keyring = Keyring::from_base64(&base64_key(1), &base64_key(2)).expect("valid");
    let shown = format!("{keyring:?} {:?}", key(1));
    assert!(shown.contains(&key(1).id().to_string()), "{shown}");
    assert!(shown.contains(&key(2).id().to_string()), "{shown}");
    assert!(
        !shown.contains(&base64_key(1)) && !shown.contains(&base64_key(2)),
        "{shown}"
    );

    let sealed = keyring.seal(b"plaintext-marker", OWNER).expect("seal");
    let shown = format!("{sealed:?}");
    assert!(!shown.contains("plaintext-marker") && !shown.contains(&sealed.to_base64()));
}

#[test]
fn keyring_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Keyring>();
    assert_send_sync::<numbers_crypto::SignatureValidator>();
}
