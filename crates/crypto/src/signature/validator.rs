//! Validation against one or more auth tokens.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret as _, SecretString};
use subtle::ConstantTimeEq as _;

use super::url::{self, PortEdit, QuoteEdit};
use super::{DIGEST_LEN, Pair, SignatureError, body_sha256_hex, canonical_params, digest};

/// Which token and which URL form a valid signature matched.
///
/// Worth logging at debug level during a token rotation (`token_index` 1 means the request was
/// signed with the second token given to the validator); it contains nothing secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SignatureMatch {
    /// Position of the matching token: 0 for the first (primary) token.
    pub token_index: usize,
    /// How the URL's port was edited to match.
    pub port_edit: PortEdit,
    /// How apostrophes in the query were edited to match.
    pub quote_edit: QuoteEdit,
}

/// Validates Twilio webhook signatures against one or more auth tokens, for example the
/// account's primary token and, during a rotation, the secondary one.
///
/// Tokens are held as [`SecretString`] (wiped on drop); `Debug` shows only how many there are.
/// Every check is tried with every usable token, in the order given, the URL as received
/// first. A token that is empty or only whitespace is ignored (it would make signatures
/// anyone can compute valid); with no usable token at all, every validation answers
/// [`SignatureError::NoToken`].
///
/// ```
/// use numbers_crypto::{SignatureValidator, compute_signature};
/// use secrecy::SecretString;
///
/// let validator = SignatureValidator::new(SecretString::from("primary-token"))
///     .with_token(SecretString::from("secondary-token"));
/// let url = "https://example.com/webhooks/twilio/status?channel_id=7";
/// let params = [("CallSid", "CA1"), ("CallStatus", "completed")];
/// let header = compute_signature("secondary-token", url, &params);
/// let matched = validator.validate_form(url, &params, Some(&header)).expect("valid");
/// assert_eq!(matched.token_index, 1);
/// ```
#[derive(Clone)]
pub struct SignatureValidator {
    tokens: Vec<SecretString>,
}

impl SignatureValidator {
    /// A validator for one auth token.
    pub fn new(token: SecretString) -> Self {
        Self {
            tokens: vec![token],
        }
    }

    /// Adds another token (tried after the ones already present).
    #[must_use]
    pub fn with_token(mut self, token: SecretString) -> Self {
        self.tokens.push(token);
        self
    }

    /// How many tokens are tried: those given, minus any that are empty or only whitespace.
    /// `0` means every validation fails with [`SignatureError::NoToken`]; worth checking at
    /// start-up.
    pub fn token_count(&self) -> usize {
        self.tokens.iter().filter(|token| token.is_usable()).count()
    }

    /// Validates a form-POST webhook: `url` as Twilio requested it, `params` the decoded
    /// form fields as ordered pairs (repeats kept), `header` the `X-Twilio-Signature` value.
    ///
    /// # Errors
    ///
    /// Checked in this order: [`SignatureError::NoToken`] (no usable token configured),
    /// [`SignatureError::Missing`] (no or empty header), [`SignatureError::Malformed`] (not a
    /// base64 HMAC-SHA1), [`SignatureError::BodyNotChecked`] (the URL carries `bodySHA256`:
    /// a JSON webhook, to be checked with [`SignatureValidator::validate_json`]),
    /// [`SignatureError::Mismatch`] (no token and URL form matches).
    pub fn validate_form<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        header: Option<&str>,
    ) -> Result<SignatureMatch, SignatureError> {
        validate_form(&self.tokens, url, params, header)
    }

    /// Validates a GET webhook (the signature covers the URL alone).
    ///
    /// # Errors
    ///
    /// As [`SignatureValidator::validate_form`].
    pub fn validate_get(
        &self,
        url: &str,
        header: Option<&str>,
    ) -> Result<SignatureMatch, SignatureError> {
        validate_form::<_, &str, &str>(&self.tokens, url, &[], header)
    }

    /// Validates a JSON (non-form) webhook: the signature over the URL, which must carry
    /// `bodySHA256`, and that parameter against the SHA-256 of the raw `body` bytes.
    ///
    /// # Errors
    ///
    /// [`SignatureError::NoToken`], [`SignatureError::Missing`], [`SignatureError::Malformed`],
    /// [`SignatureError::BodyHashMissing`], [`SignatureError::Mismatch`] or
    /// [`SignatureError::BodyHashMismatch`], checked in that order.
    pub fn validate_json(
        &self,
        url: &str,
        body: &[u8],
        header: Option<&str>,
    ) -> Result<SignatureMatch, SignatureError> {
        validate_json(&self.tokens, url, body, header)
    }
}

impl fmt::Debug for SignatureValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureValidator")
            .field("tokens", &self.token_count())
            .finish()
    }
}

/// Anything that can lend an auth token's text.
pub(super) trait TokenText {
    fn token_str(&self) -> &str;

    /// A token that is empty or only whitespace is never used: an empty HMAC key is still a
    /// key, and validating with it would accept signatures anyone can compute. A token with
    /// surrounding whitespace is otherwise used exactly as given (never trimmed).
    fn is_usable(&self) -> bool {
        !self.token_str().trim().is_empty()
    }
}

impl TokenText for SecretString {
    fn token_str(&self) -> &str {
        self.expose_secret()
    }
}

impl TokenText for &str {
    fn token_str(&self) -> &str {
        self
    }
}

/// [`SignatureError::NoToken`] unless at least one token is usable.
fn require_usable_token<T: TokenText>(tokens: &[T]) -> Result<(), SignatureError> {
    if tokens.iter().any(TokenText::is_usable) {
        Ok(())
    } else {
        Err(SignatureError::NoToken)
    }
}

pub(super) fn validate_form<T: TokenText, K: AsRef<str>, V: AsRef<str>>(
    tokens: &[T],
    url: &str,
    params: &[(K, V)],
    header: Option<&str>,
) -> Result<SignatureMatch, SignatureError> {
    require_usable_token(tokens)?;
    let expected = decode_header(header)?;
    // The signature of a JSON webhook covers the URL (and so the claimed hash) but not the
    // body; only `validate_json` compares the two.
    if url::body_sha256_param(url).is_some() {
        return Err(SignatureError::BodyNotChecked);
    }
    let pairs = canonical_params(params);
    find_match(tokens, url, &pairs, &expected).ok_or(SignatureError::Mismatch)
}

pub(super) fn validate_json<T: TokenText>(
    tokens: &[T],
    url: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<SignatureMatch, SignatureError> {
    require_usable_token(tokens)?;
    let expected = decode_header(header)?;
    let claimed_hash = url::body_sha256_param(url).ok_or(SignatureError::BodyHashMissing)?;
    // The signature authenticates the URL, hence the claimed hash; then the body must match it.
    let matched = find_match(tokens, url, &[], &expected).ok_or(SignatureError::Mismatch)?;
    let actual_hash = body_sha256_hex(body);
    if bool::from(actual_hash.as_bytes().ct_eq(claimed_hash.as_bytes())) {
        Ok(matched)
    } else {
        Err(SignatureError::BodyHashMismatch)
    }
}

/// Decodes the header into the 20 digest bytes. Strict base64 (canonical padding and trailing
/// bits), so each digest has exactly one accepted spelling, like the SDKs' string comparison.
fn decode_header(header: Option<&str>) -> Result<[u8; DIGEST_LEN], SignatureError> {
    let header = match header {
        Some(header) if !header.is_empty() => header,
        _ => return Err(SignatureError::Missing),
    };
    // 20 bytes are 28 base64 characters; anything else cannot be a signature.
    if header.len() != 28 {
        return Err(SignatureError::Malformed);
    }
    // `decode_slice` wants room for its estimate (21 bytes for 28 characters).
    let mut buffer = [0u8; DIGEST_LEN + 1];
    match STANDARD.decode_slice(header, &mut buffer) {
        Ok(DIGEST_LEN) => {
            let mut digest = [0u8; DIGEST_LEN];
            digest.copy_from_slice(&buffer[..DIGEST_LEN]);
            Ok(digest)
        }
        _ => Err(SignatureError::Malformed),
    }
}

/// Tries every token on the URL as given, then on each URL variant.
fn find_match<T: TokenText>(
    tokens: &[T],
    url: &str,
    pairs: &[Pair<'_>],
    expected: &[u8; DIGEST_LEN],
) -> Option<SignatureMatch> {
    let matching_token = |candidate: &str| {
        // Positions count every token given, so `token_index` keeps meaning "the n-th
        // token passed in" even when a blank one before it is skipped.
        tokens.iter().position(|token| {
            token.is_usable()
                && bool::from(
                    digest(token.token_str().as_bytes(), candidate, pairs).ct_eq(expected),
                )
        })
    };
    if let Some(token_index) = matching_token(url) {
        return Some(SignatureMatch {
            token_index,
            port_edit: PortEdit::AsGiven,
            quote_edit: QuoteEdit::AsGiven,
        });
    }
    // The variants are only built when the common case (URL as given) failed.
    url::candidates(url)
        .into_iter()
        .skip(1)
        .find_map(|(candidate, port_edit, quote_edit)| {
            matching_token(&candidate).map(|token_index| SignatureMatch {
                token_index,
                port_edit,
                quote_edit,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_must_be_present_non_empty_and_28_base64_characters() {
        assert_eq!(decode_header(None), Err(SignatureError::Missing));
        assert_eq!(decode_header(Some("")), Err(SignatureError::Missing));
        assert_eq!(
            decode_header(Some("RSOYDt4T1cUTdK1PDd93/VVr8B8")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            decode_header(Some("RSOYDt4T1cUTdK1PDd93/VVr8B8==")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            decode_header(Some("RSOYDt4T1cUTdK1PDd93/VVr8B!=")),
            Err(SignatureError::Malformed)
        );
        // Non-zero trailing bits: decodes to the same bytes under lax decoders, refused here.
        assert_eq!(
            decode_header(Some("RSOYDt4T1cUTdK1PDd93/VVr8B9=")),
            Err(SignatureError::Malformed)
        );
        assert!(decode_header(Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")).is_ok());
    }

    #[test]
    fn debug_shows_only_the_number_of_tokens() {
        let validator = SignatureValidator::new(SecretString::from("tok-secret-1"))
            .with_token(SecretString::from("tok-secret-2"));
        let shown = format!("{validator:?}");
        assert_eq!(shown, "SignatureValidator { tokens: 2 }");
        assert_eq!(validator.token_count(), 2);
    }
}
