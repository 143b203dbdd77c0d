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
//! # Zeroisation, and its limits
//!
//! What this crate wipes when it is dropped:
//!
//! - its own copies of raw key bytes: each [`EncryptionKey`] keeps them in a
//!   [`zeroize::Zeroizing`] buffer, as do the buffers used while decoding a key from base64 or
//!   reading it from the environment, and [`EncryptionKey::to_base64`] returns one;
//! - opened plaintexts: [`Keyring::open`] returns a `Zeroizing` buffer and
//!   [`Keyring::open_string`] a [`secrecy::SecretString`]; the working buffers of sealing and
//!   opening are `Zeroizing` too.
//!
//! What it does not wipe, and cannot without `unsafe` code (which this crate forbids):
//!
//! - the AES-256 key schedule `ring` expands from each key (its first round keys are the raw
//!   key itself). A [`Keyring`] holds one per key for its whole lifetime, and `ring` erases
//!   none of them when the keyring is dropped;
//! - transient copies the compiler makes when values move: a key array passed by value, the
//!   `ring` key built on the stack before it is boxed, a keyring moved into an `Arc`. Stack
//!   and registers are reused soon, but nothing overwrites them on purpose;
//! - the SHA-256 state that derives a [`KeyId`] from a key, which has absorbed the key bytes;
//! - anything outside this crate: the process environment still holds the configured keys
//!   after [`Keyring::from_env`], and a caller's own copies are its own to wipe.
//!
//! So zeroisation here shortens the life of secrets in memory; it does not guarantee that a
//! memory dump or swap taken while (or after) a keyring was in use holds no key material.

mod blob;
mod error;
mod key;
mod keyring;

pub use blob::SealedSecret;
pub use error::{BlobError, KeyConfigError, KeyLocation, OpenError, ResealError, SealError};
pub use key::{EncryptionKey, KEY_LEN, KeyId, KeyVarNames, ParseKeyIdError};
pub use keyring::Keyring;
