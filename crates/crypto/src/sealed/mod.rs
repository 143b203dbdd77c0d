//! Sealed secrets: AES-256-GCM with a rotating keyring.
//!
//! A *sealed secret* is a short secret (an auth token, an API secret) encrypted for storage in
//! a database row. Sealing binds the blob to an *owner* string (the identity of the row that
//! holds it, for example a Twilio account SID): the owner is not stored in the blob but is
//! authenticated as associated data, so the blob only opens for the same owner.
//!
//! # Blob format, version 1
//!
//! ```text
//! offset  length  field
//! 0       1       version, 0x01
//! 1       8       key id: first 8 bytes of SHA-256("numbers-crypto/key-id/v1" || key)
//! 9       12      nonce, fresh from the operating system's CSPRNG for every seal
//! 21      n       ciphertext (same length as the plaintext)
//! 21+n    16      GCM authentication tag
//! ```
//!
//! The associated data is `version || key id || owner` (the first 9 bytes of the blob followed
//! by the owner's UTF-8 bytes), so changing any byte of the blob, or opening it for another
//! owner, fails authentication. A blob is at least 37 bytes long (empty plaintext). For a text
//! column, [`SealedSecret::to_base64`] gives standard base64 with padding.
//!
//! # Keys and rotation
//!
//! Keys are 32 random bytes, configured as base64 (`openssl rand -base64 32`). The key id is
//! derived from the key itself, so the order in which previous keys are listed does not matter.
//! To rotate: generate a new key, move the old current key to the previous list, restart, then
//! [`Keyring::reseal`] every stored blob (or only those for which [`Keyring::needs_reseal`] is
//! true), and finally drop the old key from the configuration.
//!
//! # Zeroisation
//!
//! Raw key bytes are held in [`zeroize::Zeroizing`] buffers and wiped when dropped; opened
//! plaintexts are returned in `Zeroizing` (or [`secrecy::SecretString`]) for the same reason.
//! `ring` does not wipe the AES key schedule it expands from a key and offers no hook to do so
//! (this crate forbids `unsafe`), so each keyring keeps exactly one expanded schedule per key,
//! boxed at a fixed heap address, for its whole lifetime, rather than re-expanding keys on every
//! call and leaving copies behind.

mod blob;
mod error;
mod key;
mod keyring;

pub use blob::SealedSecret;
pub use error::{BlobError, KeyConfigError, KeyLocation, OpenError, ResealError, SealError};
pub use key::{EncryptionKey, KEY_LEN, KeyId, KeyVarNames, ParseKeyIdError};
pub use keyring::Keyring;
