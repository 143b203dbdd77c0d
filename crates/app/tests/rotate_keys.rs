//! `api rotate-keys`: every stored Twilio token is re-sealed under the current key, on both
//! backends; tokens no configured key opens are reported and left untouched.

use chrono::Utc;
use numbers_app::admin::{RotationReport, rotate_keys};
use numbers_crypto::{EncryptionKey, Keyring, SealedSecret};
use numbers_persistence::{TwilioAccount, both_backends};

fn key(byte: u8) -> EncryptionKey {
    EncryptionKey::from_bytes(&[byte; 32])
}

async fn store_sealed(
    db: &numbers_persistence::testing::TestDb,
    sid: &str,
    ring: &Keyring,
    token: &str,
) {
    let sealed = ring.seal(token.as_bytes(), sid).unwrap();
    db.store
        .twilio_accounts()
        .insert(TwilioAccount {
            sid: sid.into(),
            tenant_id: None,
            kind: "subaccount".into(),
            sealed_auth_token: Some(sealed.to_base64()),
            key_id: Some(sealed.key_id().to_string()),
            created_at: Utc::now(),
        })
        .await
        .unwrap();
}

both_backends! {
    async fn rotation_reseals_every_token_under_the_current_key(db) {
        let old = Keyring::new(key(1), []);
        let stranger = Keyring::new(key(9), []);
        store_sealed(&db, "AC01", &old, "token-one").await;
        store_sealed(&db, "AC02", &old, "token-two").await;
        store_sealed(&db, "AC03", &stranger, "lost").await;

        let rotated = Keyring::new(key(2), [key(1)]);
        let report = rotate_keys(&db.store, &rotated).await.unwrap();
        assert_eq!(report, RotationReport { resealed: 2, already_current: 0, failed: vec!["AC03".into()] });

        // The new key alone now opens both tokens, bound to their own account.
        let new_only = Keyring::new(key(2), []);
        for (sid, token) in [("AC01", "token-one"), ("AC02", "token-two")] {
            let account = db.store.twilio_accounts().get(sid).await.unwrap().unwrap();
            let blob = SealedSecret::from_base64(account.sealed_auth_token.as_deref().unwrap()).unwrap();
            assert_eq!(new_only.open(&blob, sid).unwrap().as_slice(), token.as_bytes());
            assert_eq!(account.key_id, Some(new_only.current_key_id().to_string()));
        }
        // The unreadable one is untouched.
        let lost = db.store.twilio_accounts().get("AC03").await.unwrap().unwrap();
        let blob = SealedSecret::from_base64(lost.sealed_auth_token.as_deref().unwrap()).unwrap();
        assert_eq!(stranger.open(&blob, "AC03").unwrap().as_slice(), b"lost");

        // Running it again changes nothing.
        let again = rotate_keys(&db.store, &rotated).await.unwrap();
        assert_eq!((again.resealed, again.already_current), (0, 2));
    }
}
