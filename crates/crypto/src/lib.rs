//! Sealed secrets and Twilio webhook signatures.
//!
//! This crate is reusable on its own: it knows nothing of tenants, databases or HTTP
//! frameworks. It offers two things.
//!
//! - [`sealed`]: an AES-256-GCM [`Keyring`] for secrets stored at rest (for example a Twilio
//!   auth token in a database row). Every seal draws a fresh random 96-bit nonce, records which
//!   key sealed it, and binds the blob to its owner (the row's identity) so a blob copied to
//!   another row does not open. The keyring holds one current key and any number of previous
//!   keys, so keys can be rotated without downtime; [`Keyring::reseal`] moves a blob to the
//!   current key.
//! - [`signature`]: the `X-Twilio-Signature` algorithm exactly as the official Twilio SDKs
//!   compute it (form POSTs with repeated keys, GET requests, JSON bodies with `bodySHA256`,
//!   the port and apostrophe variants), with constant-time comparison and validation against
//!   several auth tokens at once (current and rotating).
//!
//! Secrets never appear in `Debug` output or in error messages. The crate wipes its own copies
//! of raw key bytes and the plaintexts it opens when they are dropped, but not everything
//! derived from them: `ring`'s expanded AES key schedules, the HMAC and SHA-256 states that
//! have absorbed a key or token, and transient copies left by moves are not wiped (see
//! "Zeroisation, and its limits" in [`sealed`]).
//!
//! The crate's own tests are self-contained. `tests/conformance_vectors.rs` additionally checks
//! the 55 signature vectors collected from the official SDKs when `NUMBERS_CONFORMANCE_DIR`
//! points at the folder holding `reference/twilio-signature-vectors.json` (a relative path is
//! taken from the workspace root); without it those tests say they were skipped.
//!
//! # Example
//!
//! ```
//! use numbers_crypto::{EncryptionKey, Keyring, SignatureValidator, compute_signature};
//! use secrecy::SecretString;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Sealed secrets: in a service the key comes from `Keyring::from_env()`.
//! let keyring = Keyring::new(EncryptionKey::generate()?, []);
//! let sealed = keyring.seal(b"twilio-auth-token", "AC0123456789abcdef0123456789abcdef")?;
//! let stored: String = sealed.to_base64(); // fits a text column
//!
//! let blob = numbers_crypto::SealedSecret::from_base64(&stored)?;
//! let token = keyring.open(&blob, "AC0123456789abcdef0123456789abcdef")?;
//! assert_eq!(&token[..], b"twilio-auth-token");
//! // The same blob does not open for another owner.
//! assert!(keyring.open(&blob, "ACffffffffffffffffffffffffffffffff").is_err());
//!
//! // Webhook signatures.
//! let url = "https://example.com/webhooks/twilio/voice?channel_id=42";
//! let params = [("CallSid", "CA123"), ("From", "+14155550100")];
//! let header = compute_signature("auth-token", url, &params);
//!
//! let validator = SignatureValidator::new(SecretString::from("auth-token"));
//! assert!(validator.validate_form(url, &params, Some(&header)).is_ok());
//! assert!(validator.validate_form(url, &params, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")).is_err());
//! # Ok(())
//! # }
//! ```

pub mod sealed;
pub mod signature;

pub use sealed::{
    BlobError, EncryptionKey, KeyConfigError, KeyId, KeyLocation, KeyVarNames, Keyring, OpenError,
    ParseKeyIdError, ResealError, SealError, SealedSecret,
};
pub use signature::{
    PortEdit, QuoteEdit, SignatureError, SignatureMatch, SignatureValidator, append_body_sha256,
    body_sha256_hex, compute_signature, compute_url_signature, validate_form, validate_get,
    validate_json,
};
