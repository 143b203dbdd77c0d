//! Encryption keys, their derived ids, and how they are read from configuration.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ring::rand::{SecureRandom as _, SystemRandom};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::error::{KeyConfigError, KeyLocation, SealError};

/// Length in bytes of an AES-256 key.
pub const KEY_LEN: usize = 32;

/// Length in bytes of a [`KeyId`].
pub(crate) const KEY_ID_LEN: usize = 8;

/// Domain separation for key ids, so the id of a key is not the plain hash of the key that
/// another system might also publish.
const KEY_ID_CONTEXT: &[u8] = b"numbers-crypto/key-id/v1";

/// Standard base64 alphabet; padding accepted but not required (operators paste keys by hand).
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A short, stable identifier of an encryption key, stored in every blob it seals.
///
/// Derived from the key (the first 8 bytes of `SHA-256("numbers-crypto/key-id/v1" || key)`), so
/// the same key always has the same id whatever its position in the configuration. It reveals
/// nothing useful about the key. Displayed as 16 lowercase hex digits, which is also the form to
/// store in a database column.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// Builds a key id from its 8 raw bytes (as found at offset 1 of a blob).
    pub const fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> Self {
        Self(bytes)
    }

    /// The 8 raw bytes of the id.
    pub const fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    fn derive(key: &[u8; KEY_LEN]) -> Self {
        let digest = Sha256::new()
            .chain_update(KEY_ID_CONTEXT)
            .chain_update(key)
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The text is not 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a key id is 16 hexadecimal digits")]
pub struct ParseKeyIdError;

impl FromStr for KeyId {
    type Err = ParseKeyIdError;

    /// Parses the 16-hex-digit form produced by `Display` (either case).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; KEY_ID_LEN];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| ParseKeyIdError)?;
        Ok(Self(bytes))
    }
}

/// One 256-bit AES key with its id.
///
/// This value's copy of the key bytes is wiped from memory when it is dropped (copies made
/// elsewhere are not: see "Zeroisation, and its limits" in the [`super`] module docs), and
/// `Debug` shows only the id.
pub struct EncryptionKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    id: KeyId,
}

impl EncryptionKey {
    /// Wraps 32 key bytes. The caller remains responsible for wiping its own copy.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let bytes = Zeroizing::new(*bytes);
        let id = KeyId::derive(&bytes);
        Self { bytes, id }
    }

    /// Generates a new random key from the operating system's CSPRNG.
    ///
    /// # Errors
    ///
    /// [`SealError::RandomUnavailable`] if the random number generator fails.
    pub fn generate() -> Result<Self, SealError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| SealError::RandomUnavailable)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// Parses one key from base64 (standard alphabet, padding optional, surrounding
    /// whitespace ignored). `location` names where the text came from, for the error.
    ///
    /// # Errors
    ///
    /// [`KeyConfigError::NotBase64`] or [`KeyConfigError::WrongLength`] (anything but 32
    /// bytes); the message names `location` and never shows the text.
    pub fn from_base64(text: &str, location: KeyLocation) -> Result<Self, KeyConfigError> {
        let mut decoded = Zeroizing::new(Vec::with_capacity(KEY_LEN + 3));
        if KEY_BASE64.decode_vec(text.trim(), &mut decoded).is_err() {
            return Err(KeyConfigError::NotBase64 { location });
        }
        let bytes: &[u8; KEY_LEN] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| KeyConfigError::WrongLength {
                    location,
                    got: decoded.len(),
                })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key encoded as standard base64 with padding (the configuration format), for
    /// tooling that generates keys. Wiped when dropped; do not log it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(44));
        base64::engine::general_purpose::STANDARD.encode_string(self.bytes.as_ref(), &mut text);
        text
    }

    /// The id recorded in blobs sealed with this key.
    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .field("bytes", &"[redacted]")
            .finish()
    }
}

/// Names of the two configuration variables a keyring is read from, used in error messages
/// and by [`super::Keyring::from_env_vars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyVarNames<'a> {
    /// Variable holding the current key (base64 of 32 bytes).
    pub current: &'a str,
    /// Variable holding previous keys, comma-separated (may be unset or empty).
    pub previous: &'a str,
}

impl KeyVarNames<'static> {
    /// The names this service uses: `SUBACCOUNT_ENCRYPTION_KEY` and
    /// `SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS`.
    pub const DEFAULT: Self = Self {
        current: "SUBACCOUNT_ENCRYPTION_KEY",
        previous: "SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS",
    };
}

impl Default for KeyVarNames<'static> {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> KeyLocation {
        KeyLocation {
            var: "K".to_owned(),
            entry: None,
        }
    }

    #[test]
    fn key_id_is_derived_from_the_key_and_round_trips_as_hex() {
        let a = EncryptionKey::from_bytes(&[7; KEY_LEN]);
        let b = EncryptionKey::from_bytes(&[7; KEY_LEN]);
        let c = EncryptionKey::from_bytes(&[8; KEY_LEN]);
        assert_eq!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
        let text = a.id().to_string();
        assert_eq!(text.len(), 16);
        assert_eq!(text.parse::<KeyId>(), Ok(a.id()));
        assert_eq!("xyz".parse::<KeyId>(), Err(ParseKeyIdError));
    }

    #[test]
    fn key_ids_are_shown_in_lowercase_and_parsed_in_either_case() {
        let id: KeyId = "009FABFF0123cdef".parse().unwrap();
        assert_eq!(id.0, [0x00, 0x9f, 0xab, 0xff, 0x01, 0x23, 0xcd, 0xef]);
        assert_eq!(id.to_string(), "009fabff0123cdef");
        for bad in [
            "",
            "009fabff0123cde",
            "009fabff0123cdef0",
            "009fabff0123cdeg",
            " 09fabff0123cdef",
        ] {
            assert_eq!(bad.parse::<KeyId>(), Err(ParseKeyIdError), "{bad:?}");
        }
    }

    #[test]
    fn base64_accepts_padding_or_not_and_surrounding_whitespace() {
        let key = EncryptionKey::from_bytes(&[0x5a; KEY_LEN]);
        let padded = key.to_base64();
        assert!(padded.ends_with('='));
        let unpadded = padded.trim_end_matches('=');
        for text in [
            padded.as_str(),
            unpadded,
            &format!(" {}\n", padded.as_str()),
        ] {
            let parsed = EncryptionKey::from_base64(text, location()).expect("valid key");
            assert_eq!(parsed.id(), key.id());
        }
    }

    #[test]
    fn debug_hides_the_key_bytes() {
        let key = EncryptionKey::from_bytes(&[0xab; KEY_LEN]);
        let shown = format!("{key:?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.contains(key.to_base64().as_str()), "{shown}");
    }
}
