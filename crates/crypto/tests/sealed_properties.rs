//! Property tests of sealed secrets: round trips for any secret and owner; any single-byte
//! change, another owner, or a key outside the ring fails; nonces never repeat.

use std::collections::HashSet;

use numbers_crypto::sealed::{EncryptionKey, Keyring, OpenError, SealedSecret};
use proptest::collection::vec;
use proptest::prelude::*;

fn keyring(seed: u8) -> Keyring {
    Keyring::new(EncryptionKey::from_bytes(&[seed; 32]), [])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn seal_then_open_returns_the_secret(
        secret in vec(any::<u8>(), 0..512), owner in "\\PC{0,48}"
    ) {
        let keyring = keyring(1);
        let sealed = keyring.seal(&secret, &owner).expect("seal");
        prop_assert_eq!(sealed.as_bytes().len(), 37 + secret.len());
        let stored = SealedSecret::from_base64(&sealed.to_base64()).expect("parse");
        prop_assert_eq!(&keyring.open(&stored, &owner).expect("open")[..], &secret[..]);
    }

    #[test]
    fn any_single_byte_change_fails(
        secret in vec(any::<u8>(), 0..64), owner in "\\PC{0,24}",
        index in any::<usize>(), flip in 1u8..=255
    ) {
        let keyring = keyring(1);
        let mut bytes = keyring.seal(&secret, &owner).expect("seal").into_bytes();
        let at = index % bytes.len();
        bytes[at] ^= flip;
        // Either the blob no longer parses (version byte) or it does not open.
        let outcome = SealedSecret::from_bytes(bytes)
            .map_err(OpenError::from)
            .and_then(|blob| keyring.open(&blob, &owner));
        prop_assert!(outcome.is_err(), "byte {} changed and the blob still opened", at);
    }

    #[test]
    fn a_different_owner_fails(
        secret in vec(any::<u8>(), 0..64), owner in "\\PC{0,24}", other in "\\PC{0,24}"
    ) {
        prop_assume!(owner != other);
        let keyring = keyring(1);
        let sealed = keyring.seal(&secret, &owner).expect("seal");
        prop_assert_eq!(
            keyring.open(&sealed, &other).map(|_| ()),
            Err(OpenError::AuthenticationFailed { key_id: sealed.key_id() })
        );
    }

    #[test]
    fn a_key_outside_the_ring_fails(
        secret in vec(any::<u8>(), 0..64), owner in "\\PC{0,24}", seed in 2u8..=255
    ) {
        let sealed = keyring(1).seal(&secret, &owner).expect("seal");
        let others = Keyring::new(
            EncryptionKey::from_bytes(&[seed; 32]),
            [EncryptionKey::from_bytes(&[seed.wrapping_add(1).max(2); 32])],
        );
        prop_assert_eq!(
            others.open(&sealed, &owner).map(|_| ()),
            Err(OpenError::UnknownKey { key_id: sealed.key_id() })
        );
    }
}

#[test]
fn one_hundred_thousand_seals_never_repeat_a_nonce() {
    let keyring = keyring(1);
    let mut nonces = HashSet::with_capacity(100_000);
    for _ in 0..100_000 {
        let sealed = keyring
            .seal(b"32-byte-token-0123456789abcdefgh", "owner")
            .expect("seal");
        let nonce: [u8; 12] = sealed.as_bytes()[9..21].try_into().expect("12 bytes");
        assert!(
            nonces.insert(nonce),
            "nonce repeated after {} seals",
            nonces.len()
        );
    }
    assert_eq!(nonces.len(), 100_000);
}
