//! Errors of the sealed-secrets module.

use std::fmt;

use super::key::KeyId;

/// Where a key came from in the configuration: a variable and, for a comma-separated list,
/// which entry (1-based).
///
/// Used in [`KeyConfigError`] so the message names what the operator must fix. It never holds
/// any part of the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLocation {
    /// Name of the environment variable (or configuration field).
    pub var: String,
    /// 1-based position in a comma-separated list, `None` for a single-key variable.
    pub entry: Option<usize>,
}

impl fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry {
            Some(entry) => write!(f, "{} (entry {entry})", self.var),
            None => f.write_str(&self.var),
        }
    }
}

/// A key configuration that cannot be used. Start-up should stop on it.
///
/// Messages name the variable and say what is wrong; they never contain the key or any part of
/// it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyConfigError {
    /// The variable holding the current key is unset or empty.
    #[error(
        "{var} is not set or empty: it must hold base64 of exactly 32 random bytes \
         (for example the output of `openssl rand -base64 32`)"
    )]
    Missing {
        /// Name of the variable.
        var: String,
    },
    /// The variable is set but its value is not valid Unicode.
    #[error("{var} is not valid UTF-8 text; it must hold base64")]
    NotUnicode {
        /// Name of the variable.
        var: String,
    },
    /// The value is not valid base64 (standard alphabet, padding optional).
    #[error("{location} is not valid base64: it must be base64 of exactly 32 bytes")]
    NotBase64 {
        /// Which variable (and entry) is wrong.
        location: KeyLocation,
    },
    /// The value is base64 but does not decode to exactly 32 bytes.
    #[error("{location} must be base64 of exactly 32 bytes, got {got} bytes")]
    WrongLength {
        /// Which variable (and entry) is wrong.
        location: KeyLocation,
        /// How many bytes the base64 decoded to.
        got: usize,
    },
}

/// Sealing failed. Neither case depends on the input: both mean the machine is unwell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The operating system's random number generator did not answer.
    #[error("the system random number generator is unavailable")]
    RandomUnavailable,
    /// The AEAD refused to encrypt (only for inputs larger than GCM allows, about 64 GiB).
    #[error("AES-256-GCM refused to seal the secret")]
    Encryption,
}

/// A stored blob cannot be parsed as a sealed secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The text form is not valid base64.
    #[error("sealed secret is not valid base64")]
    NotBase64,
    /// The blob is shorter than a header plus an authentication tag.
    #[error("sealed secret is too short: {len} bytes, at least {min} expected")]
    TooShort {
        /// Length of the blob.
        len: usize,
        /// Minimum length of a blob of a known version.
        min: usize,
    },
    /// The first byte names a format this version of the crate does not know.
    #[error("sealed secret has unsupported format version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
}

/// A sealed secret could not be opened.
///
/// All of these are hard errors: the caller must not fall back to another secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The blob itself is unreadable (see [`BlobError`]).
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// No key of the keyring has the blob's key id: it was sealed with a key that has been
    /// removed from the configuration (or never was in it), or the key id bytes were altered.
    #[error("no key with id {key_id} in the keyring")]
    UnknownKey {
        /// The key id recorded in the blob.
        key_id: KeyId,
    },
    /// The key exists but authentication failed: the owner is not the one the blob was sealed
    /// for, or the blob was altered. The two cannot be told apart, by design.
    #[error("sealed secret failed authentication (wrong owner or altered blob), key id {key_id}")]
    AuthenticationFailed {
        /// The key id recorded in the blob.
        key_id: KeyId,
    },
    /// The secret opened but is not UTF-8 text (only from [`super::Keyring::open_string`]).
    #[error("sealed secret is not valid UTF-8 text")]
    NotUtf8,
}

/// Re-sealing under the current key failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResealError {
    /// The existing blob could not be opened.
    #[error("cannot re-seal: {0}")]
    Open(#[from] OpenError),
    /// The secret could not be sealed again.
    #[error("cannot re-seal: {0}")]
    Seal(#[from] SealError),
}
