//! The stored form of a sealed secret (format described in the module docs of `sealed`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::BlobError;
use super::key::{KEY_ID_LEN, KeyId};

/// Current (and only) format version.
pub(crate) const VERSION: u8 = 1;
/// Length of the nonce.
pub(crate) const NONCE_LEN: usize = 12;
/// Length of the GCM tag.
pub(crate) const TAG_LEN: usize = 16;
/// Version byte plus key id: the part of the header that is also associated data.
pub(crate) const AAD_PREFIX_LEN: usize = 1 + KEY_ID_LEN;
/// Version, key id, nonce.
pub(crate) const HEADER_LEN: usize = AAD_PREFIX_LEN + NONCE_LEN;
/// Smallest valid blob: header and tag around an empty plaintext.
pub(crate) const MIN_LEN: usize = HEADER_LEN + TAG_LEN;

/// An encrypted secret as stored: version byte, key id, nonce, ciphertext and tag.
///
/// Obtained from [`super::Keyring::seal`], or parsed back from storage with
/// [`SealedSecret::from_bytes`] / [`SealedSecret::from_base64`], which check the version and
/// the minimum length but cannot check authenticity (only opening with the key can). The
/// ciphertext is not secret, but `Debug` shows only the version, key id and length anyway.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    bytes: Vec<u8>,
}

impl SealedSecret {
    /// Wraps a freshly built blob; only the keyring builds blobs, so no checks.
    pub(crate) fn from_parts_unchecked(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// Parses a blob from its binary form (a `bytea`/`blob` column).
    ///
    /// # Errors
    ///
    /// [`BlobError::UnsupportedVersion`] if the first byte is not a known version,
    /// [`BlobError::TooShort`] if it cannot hold a header and a tag.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, BlobError> {
        let bytes = bytes.into();
        match bytes.first() {
            None => Err(BlobError::TooShort {
                len: 0,
                min: MIN_LEN,
            }),
            Some(&version) if version != VERSION => Err(BlobError::UnsupportedVersion { version }),
            Some(_) if bytes.len() < MIN_LEN => Err(BlobError::TooShort {
                len: bytes.len(),
                min: MIN_LEN,
            }),
            Some(_) => Ok(Self { bytes }),
        }
    }

    /// Parses a blob from its text form (standard base64 with padding, as produced by
    /// [`SealedSecret::to_base64`]).
    ///
    /// # Errors
    ///
    /// [`BlobError::NotBase64`], then the same checks as [`SealedSecret::from_bytes`].
    pub fn from_base64(text: &str) -> Result<Self, BlobError> {
        let bytes = STANDARD.decode(text).map_err(|_| BlobError::NotBase64)?;
        Self::from_bytes(bytes)
    }

    /// The binary form, for a binary column.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the value and returns the binary form.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The text form (standard base64 with padding), for a text column.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.bytes)
    }

    /// The format version (currently always 1).
    pub fn version(&self) -> u8 {
        self.bytes[0]
    }

    /// The id of the key that sealed this blob.
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&self.bytes[1..AAD_PREFIX_LEN]);
        KeyId::from_bytes(id)
    }

    /// Version and key id, the header part that is authenticated as associated data.
    pub(crate) fn aad_prefix(&self) -> &[u8] {
        &self.bytes[..AAD_PREFIX_LEN]
    }

    /// The 96-bit nonce.
    pub(crate) fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&self.bytes[AAD_PREFIX_LEN..HEADER_LEN]);
        nonce
    }

    /// Ciphertext followed by the tag.
    pub(crate) fn ciphertext_and_tag(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..]
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret")
            .field("version", &self.version())
            .field("key_id", &self.key_id())
            .field("len", &self.bytes.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_checks_version_and_minimum_length() {
        assert_eq!(
            SealedSecret::from_bytes(Vec::new()),
            Err(BlobError::TooShort { len: 0, min: 37 })
        );
        assert_eq!(
            SealedSecret::from_bytes(vec![2; 40]),
            Err(BlobError::UnsupportedVersion { version: 2 })
        );
        assert_eq!(
            SealedSecret::from_bytes(vec![1; 36]),
            Err(BlobError::TooShort { len: 36, min: 37 })
        );
        let blob = SealedSecret::from_bytes(vec![1; 37]).expect("minimal blob");
        assert_eq!(blob.version(), 1);
        assert_eq!(blob.key_id(), KeyId::from_bytes([1; 8]));
        assert_eq!(
            SealedSecret::from_base64("not base64!"),
            Err(BlobError::NotBase64)
        );
    }
}
