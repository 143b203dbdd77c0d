//! The keyring: one current key that seals, previous keys that still open.

use std::ffi::OsString;
use std::fmt;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use secrecy::SecretString;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::blob::{AAD_PREFIX_LEN, HEADER_LEN, MIN_LEN, NONCE_LEN, SealedSecret, VERSION};
use super::error::{KeyConfigError, KeyLocation, OpenError, ResealError, SealError};
use super::key::{EncryptionKey, KeyId, KeyVarNames};

/// A key ready for use: its id and the AES-GCM state `ring` expanded from it.
struct KeySlot {
    id: KeyId,
    // Boxed so moving the keyring does not move (and leave behind) the expanded key schedule.
    // That schedule is never wiped, and building it may leave copies on the stack: see
    // "Zeroisation, and its limits" in the module docs.
    aead: Box<LessSafeKey>,
}

impl KeySlot {
    fn new(key: &EncryptionKey) -> Self {
        // `UnboundKey::new` only fails for a key of the wrong length, which `EncryptionKey`
        // rules out by construction.
        let unbound = UnboundKey::new(&AES_256_GCM, key.bytes())
            .expect("an EncryptionKey always holds exactly 32 bytes, the AES-256 key length");
        Self {
            id: key.id(),
            aead: Box::new(LessSafeKey::new(unbound)),
        }
    }
}

/// A set of AES-256-GCM keys: the current key seals, every key (current and previous) opens.
///
/// Build it once at start-up ([`Keyring::from_env`] validates the configuration and stops with
/// a clear message if it is wrong), then share it (`Arc<Keyring>`; it is `Send + Sync`).
/// `Debug` shows only key ids.
pub struct Keyring {
    current: KeySlot,
    previous: Vec<KeySlot>,
    rng: SystemRandom,
}

impl Keyring {
    /// Builds a keyring from keys already in memory.
    ///
    /// A previous key identical to the current key or to an earlier previous key is ignored
    /// (listing a key twice is harmless). Cannot fail.
    pub fn new(current: EncryptionKey, previous: impl IntoIterator<Item = EncryptionKey>) -> Self {
        let mut kept: Vec<EncryptionKey> = Vec::new();
        for key in previous {
            let duplicate = std::iter::once(&current)
                .chain(kept.iter())
                .any(|seen| bool::from(seen.bytes().ct_eq(key.bytes())));
            if !duplicate {
                kept.push(key);
            }
        }
        Self {
            current: KeySlot::new(&current),
            previous: kept.iter().map(KeySlot::new).collect(),
            rng: SystemRandom::new(),
        }
    }

    /// Builds a keyring from configuration text, naming the variables
    /// [`KeyVarNames::DEFAULT`] (`SUBACCOUNT_ENCRYPTION_KEY`,
    /// `SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS`) in errors.
    ///
    /// `current` is base64 of 32 bytes; `previous` is a comma-separated list of such keys and
    /// may be empty. Padding is optional, whitespace around entries and empty entries are
    /// ignored.
    ///
    /// # Errors
    ///
    /// [`KeyConfigError::Missing`] if `current` is empty, [`KeyConfigError::NotBase64`] or
    /// [`KeyConfigError::WrongLength`] for the first bad key, naming the variable and, for the
    /// list, the 1-based entry.
    pub fn from_base64(current: &str, previous: &str) -> Result<Self, KeyConfigError> {
        Self::from_base64_with_names(current, previous, KeyVarNames::DEFAULT)
    }

    /// Like [`Keyring::from_base64`], with the variable names to use in error messages.
    ///
    /// # Errors
    ///
    /// As [`Keyring::from_base64`].
    pub fn from_base64_with_names(
        current: &str,
        previous: &str,
        names: KeyVarNames<'_>,
    ) -> Result<Self, KeyConfigError> {
        if current.trim().is_empty() {
            return Err(KeyConfigError::Missing {
                var: names.current.to_owned(),
            });
        }
        let current = EncryptionKey::from_base64(
            current,
            KeyLocation {
                var: names.current.to_owned(),
                entry: None,
            },
        )?;
        let mut previous_keys = Vec::new();
        for (index, entry) in previous.split(',').enumerate() {
            if entry.trim().is_empty() {
                continue;
            }
            let location = KeyLocation {
                var: names.previous.to_owned(),
                entry: Some(index + 1),
            };
            previous_keys.push(EncryptionKey::from_base64(entry, location)?);
        }
        Ok(Self::new(current, previous_keys))
    }

    /// Reads `SUBACCOUNT_ENCRYPTION_KEY` and `SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS` (optional)
    /// from the process environment.
    ///
    /// # Errors
    ///
    /// As [`Keyring::from_base64`], plus [`KeyConfigError::NotUnicode`] for a variable that
    /// is not valid Unicode.
    pub fn from_env() -> Result<Self, KeyConfigError> {
        Self::from_env_vars(KeyVarNames::DEFAULT)
    }

    /// Reads the keyring from the two named environment variables; the previous-keys
    /// variable may be unset.
    ///
    /// # Errors
    ///
    /// As [`Keyring::from_env`].
    pub fn from_env_vars(names: KeyVarNames<'_>) -> Result<Self, KeyConfigError> {
        let current = read_env(names.current)?.ok_or_else(|| KeyConfigError::Missing {
            var: names.current.to_owned(),
        })?;
        let previous = read_env(names.previous)?.unwrap_or_default();
        Self::from_base64_with_names(&current, &previous, names)
    }

    /// The id of the key that seals; store it beside blobs if a query needs it.
    pub fn current_key_id(&self) -> KeyId {
        self.current.id
    }

    /// Ids of every key that can open: the current key first, then previous keys in
    /// configuration order.
    pub fn key_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.slots().map(|slot| slot.id)
    }

    /// Whether a key with this id is in the keyring.
    pub fn contains_key(&self, id: KeyId) -> bool {
        self.slots().any(|slot| slot.id == id)
    }

    /// Whether `sealed` was sealed with a key other than the current one, i.e. key rotation
    /// should [`Keyring::reseal`] it. Says nothing about whether it opens.
    pub fn needs_reseal(&self, sealed: &SealedSecret) -> bool {
        sealed.key_id() != self.current.id
    }

    /// Encrypts `plaintext` under the current key with a fresh random nonce, bound to
    /// `owner` (for example the SID of the account the token belongs to).
    ///
    /// # Errors
    ///
    /// [`SealError::RandomUnavailable`] if the system's random number generator fails;
    /// [`SealError::Encryption`] only for inputs over GCM's limit (about 64 GiB).
    pub fn seal(&self, plaintext: &[u8], owner: &str) -> Result<SealedSecret, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| SealError::RandomUnavailable)?;

        // The plaintext is copied into the buffer and encrypted in place; until that has
        // happened the buffer is wiped if we bail out.
        let mut bytes = Zeroizing::new(Vec::with_capacity(MIN_LEN + plaintext.len()));
        bytes.push(VERSION);
        bytes.extend_from_slice(self.current.id.as_bytes());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(plaintext);

        let (header, body) = bytes.split_at_mut(HEADER_LEN);
        let tag = with_associated_data(&header[..AAD_PREFIX_LEN], owner, |aad| {
            self.current.aead.seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                body,
            )
        })
        .map_err(|_| SealError::Encryption)?;
        bytes.extend_from_slice(tag.as_ref());
        Ok(SealedSecret::from_parts_unchecked(std::mem::take(
            &mut *bytes,
        )))
    }

    /// Decrypts `sealed` for `owner` with whichever key of the ring sealed it. The plaintext
    /// is wiped from memory when the returned buffer is dropped.
    ///
    /// # Errors
    ///
    /// [`OpenError::UnknownKey`] if no key has the blob's key id;
    /// [`OpenError::AuthenticationFailed`] if the owner differs from the one used to seal or
    /// the blob was altered.
    pub fn open(
        &self,
        sealed: &SealedSecret,
        owner: &str,
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let key_id = sealed.key_id();
        with_associated_data(sealed.aad_prefix(), owner, |aad| {
            let mut key_found = false;
            // Ids are 64-bit, so two configured keys sharing one is practically impossible; if
            // it ever happens, each candidate is tried and authentication picks the right one.
            for slot in self.slots().filter(|slot| slot.id == key_id) {
                key_found = true;
                let mut buffer = Zeroizing::new(sealed.ciphertext_and_tag().to_vec());
                let opened = slot.aead.open_in_place(
                    Nonce::assume_unique_for_key(sealed.nonce()),
                    Aad::from(aad),
                    &mut buffer,
                );
                if let Ok(plaintext) = opened {
                    let len = plaintext.len();
                    buffer.truncate(len);
                    return Ok(buffer);
                }
            }
            Err(if key_found {
                OpenError::AuthenticationFailed { key_id }
            } else {
                OpenError::UnknownKey { key_id }
            })
        })
    }

    /// Like [`Keyring::open`], for secrets that are text (auth tokens, API secrets).
    ///
    /// # Errors
    ///
    /// As [`Keyring::open`], plus [`OpenError::NotUtf8`] if the secret is not UTF-8.
    pub fn open_string(
        &self,
        sealed: &SealedSecret,
        owner: &str,
    ) -> Result<SecretString, OpenError> {
        let bytes = self.open(sealed, owner)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| OpenError::NotUtf8)?;
        // Copies into an exactly sized allocation owned by the secret; `bytes` is wiped on drop.
        Ok(SecretString::from(text))
    }

    /// Opens `sealed` with any key of the ring and seals it again under the current key, for
    /// the same owner, with a fresh nonce. Used by key rotation; the plaintext never leaves
    /// this function.
    ///
    /// # Errors
    ///
    /// [`ResealError::Open`] if the blob does not open (see [`Keyring::open`]),
    /// [`ResealError::Seal`] if sealing fails.
    pub fn reseal(&self, sealed: &SealedSecret, owner: &str) -> Result<SealedSecret, ResealError> {
        let plaintext = self.open(sealed, owner)?;
        Ok(self.seal(&plaintext, owner)?)
    }

    fn slots(&self) -> impl Iterator<Item = &KeySlot> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|slot| slot.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Calls `f` with the associated data `version || key id || owner`, which binds the blob's
/// header and its owner to the ciphertext. Built on the stack for the usual short owners
/// (account SIDs, row ids) so sealing and opening do not allocate for it.
fn with_associated_data<R>(prefix: &[u8], owner: &str, f: impl FnOnce(&[u8]) -> R) -> R {
    const INLINE: usize = 128;
    let len = prefix.len() + owner.len();
    if len <= INLINE {
        let mut inline = [0u8; INLINE];
        inline[..prefix.len()].copy_from_slice(prefix);
        inline[prefix.len()..len].copy_from_slice(owner.as_bytes());
        f(&inline[..len])
    } else {
        let mut heap = Vec::with_capacity(len);
        heap.extend_from_slice(prefix);
        heap.extend_from_slice(owner.as_bytes());
        f(&heap)
    }
}

/// Reads an environment variable into a buffer wiped on drop; `None` if unset.
fn read_env(var: &str) -> Result<Option<Zeroizing<String>>, KeyConfigError> {
    match std::env::var_os(var) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(|text| Some(Zeroizing::new(text)))
            .map_err(|raw: OsString| {
                drop(Zeroizing::new(raw.into_encoded_bytes()));
                KeyConfigError::NotUnicode {
                    var: var.to_owned(),
                }
            }),
    }
}
