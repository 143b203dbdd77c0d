//! Twilio webhook signatures (`X-Twilio-Signature`), computed and validated exactly as the
//! official Twilio SDKs do.
//!
//! # Algorithm
//!
//! The signature is `base64(HMAC-SHA1(auth token, url || params))` where:
//!
//! - `url` is the full URL Twilio requested, exactly as configured on the number: scheme, any
//!   `user:pass@`, host (case kept), any port, path, and the query string as sent
//!   (percent-encoding kept). It is hashed as the string received; nothing here lowercases,
//!   decodes or re-serialises it.
//! - `params` (form POSTs only) are the decoded form fields, sorted by key in code-point
//!   order (case-sensitive, so `CALLSID < CallSid < callSid`, and `Sid < SidAccount`), each
//!   appended as `key` immediately followed by `value`. A key sent several times contributes
//!   its values sorted and de-duplicated, as twilio-python, twilio-node and twilio-php do.
//!   Pass the raw ordered pairs from the body parser: a map would silently drop repeats.
//! - For GET requests nothing is appended; Twilio's parameters are already in the URL.
//! - For JSON (or other non-form) bodies Twilio adds `bodySHA256=<hex SHA-256 of the body>` to
//!   the query, signs the URL alone, and the validator also compares the body's hash with that
//!   parameter ([`validate_json`]). Since such a signature says nothing about the body by
//!   itself, [`validate_form`] and [`validate_get`] refuse any URL carrying `bodySHA256`
//!   ([`SignatureError::BodyNotChecked`]) rather than accept a body they cannot check.
//!
//! An auth token that is empty or only whitespace is never used (an empty HMAC key would make
//! signatures anyone can compute valid): with no other token, validation fails with
//! [`SignatureError::NoToken`].
//!
//! # Accepted URL variants
//!
//! Twilio is not consistent about ports, so, like every SDK, validation accepts a signature
//! made over the URL as given, over the URL with its explicit port removed, or over the URL
//! with the scheme's default port (`:443` for https, `:80` otherwise) inserted when it has
//! none ([`PortEdit`]). These are string edits: nothing else in the URL changes.
//!
//! twilio-node also accepts a URL whose query spells an apostrophe as `'` where the signature
//! was made over `%27`, and the reverse, because Node's URL serialisers rewrite it. This crate
//! implements that too ([`QuoteEdit`]), combined with each port variant: both spellings decode
//! to the same query, so accepting either gives an attacker nothing, and a rejected genuine
//! webhook is worse than the two extra HMACs it costs on the failure path. At most six URL
//! forms are tried per token, the URL as given first.
//!
//! # What the caller supplies
//!
//! The URL must be the *public* URL Twilio called (for example the configured public base URL
//! followed by the raw path and query of the request line), never an internal host seen behind
//! a proxy. The comparison is constant-time in the signature value.
//!
//! ```
//! use numbers_crypto::signature::{SignatureError, compute_signature, validate_form};
//!
//! let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
//! let params = [("Digits", "1234"), ("CallSid", "CA1234567890ABCDE")];
//! let header = compute_signature("12345", url, &params);
//! assert!(validate_form("12345", url, &params, Some(&header)).is_ok());
//! assert_eq!(validate_form("12345", url, &params, None), Err(SignatureError::Missing));
//! assert_eq!(
//!     validate_form("54321", url, &params, Some(&header)),
//!     Err(SignatureError::Mismatch)
//! );
//! ```

mod error;
mod url;
mod validator;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

pub use error::SignatureError;
pub use url::{PortEdit, QuoteEdit};
pub use validator::{SignatureMatch, SignatureValidator};

/// Name of the HTTP header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// Name of the query parameter that carries the body hash of JSON webhooks.
pub const BODY_SHA256_PARAM: &str = "bodySHA256";

type HmacSha1 = Hmac<Sha1>;

/// Length of an HMAC-SHA1 digest.
const DIGEST_LEN: usize = 20;

/// Computes the `X-Twilio-Signature` value for a form POST to `url` with `params` (ordered
/// key/value pairs as sent; repeats allowed). With no params it is the signature of a GET
/// request or of a JSON webhook whose URL already carries `bodySHA256`.
///
/// Used by tests and by Twilio emulators; a receiving service uses the `validate_*`
/// functions or a [`SignatureValidator`] instead. Cannot fail.
pub fn compute_signature<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
) -> String {
    let pairs = canonical_params(params);
    STANDARD.encode(digest(auth_token.as_bytes(), url, &pairs))
}

/// Computes the signature of a URL alone: a GET webhook, or a JSON webhook whose URL carries
/// `bodySHA256` (see [`append_body_sha256`]). Cannot fail.
pub fn compute_url_signature(auth_token: &str, url: &str) -> String {
    STANDARD.encode(digest(auth_token.as_bytes(), url, &[]))
}

/// Lowercase hex SHA-256 of `body`: the value Twilio puts in the `bodySHA256` parameter.
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Returns `url` with `bodySHA256=<hex SHA-256 of body>` appended to its query (after `&`, or
/// `?` if it has none, and before any `#fragment`), as Twilio does for JSON webhooks.
pub fn append_body_sha256(url: &str, body: &[u8]) -> String {
    let (base, fragment) = url.split_at(url.find('#').unwrap_or(url.len()));
    let separator = match base.find('?') {
        None => "?",
        Some(q) if q + 1 == base.len() || base.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut out = String::with_capacity(url.len() + BODY_SHA256_PARAM.len() + 66);
    out.push_str(base);
    out.push_str(separator);
    out.push_str(BODY_SHA256_PARAM);
    out.push('=');
    out.push_str(&hex::encode(Sha256::digest(body)));
    out.push_str(fragment);
    out
}

/// Validates a form-POST webhook against one auth token. `header` is the
/// `X-Twilio-Signature` value (`None` if absent).
///
/// # Errors
///
/// Checked in this order: [`SignatureError::NoToken`] (the token is empty or only
/// whitespace), [`SignatureError::Missing`], [`SignatureError::Malformed`],
/// [`SignatureError::BodyNotChecked`] (the URL carries `bodySHA256`, so the request is a JSON
/// webhook for [`validate_json`]) and [`SignatureError::Mismatch`].
pub fn validate_form<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
    header: Option<&str>,
) -> Result<SignatureMatch, SignatureError> {
    validator::validate_form(&[auth_token], url, params, header)
}

/// Validates a GET webhook (signature over the URL alone) against one auth token.
///
/// # Errors
///
/// As [`validate_form`]: [`SignatureError::NoToken`], [`SignatureError::Missing`],
/// [`SignatureError::Malformed`], [`SignatureError::BodyNotChecked`] or
/// [`SignatureError::Mismatch`].
pub fn validate_get(
    auth_token: &str,
    url: &str,
    header: Option<&str>,
) -> Result<SignatureMatch, SignatureError> {
    validator::validate_form::<_, &str, &str>(&[auth_token], url, &[], header)
}

/// Validates a JSON (non-form) webhook against one auth token: the signature over the URL,
/// which must carry `bodySHA256`, and that parameter against the SHA-256 of the exact `body`
/// bytes received (hash the raw bytes, never re-serialised JSON).
///
/// # Errors
///
/// [`SignatureError::NoToken`], [`SignatureError::Missing`], [`SignatureError::Malformed`],
/// [`SignatureError::BodyHashMissing`], [`SignatureError::Mismatch`] or
/// [`SignatureError::BodyHashMismatch`], checked in that order.
pub fn validate_json(
    auth_token: &str,
    url: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<SignatureMatch, SignatureError> {
    validator::validate_json(&[auth_token], url, body, header)
}

/// One form parameter, with the first bytes of its key as an integer for sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pair<'a> {
    key_prefix: u64,
    key: &'a str,
    value: &'a str,
}

/// The first 8 bytes of `key`, zero-padded, as a big-endian integer. If two prefixes differ,
/// they order the keys exactly as comparing the whole keys would (a shorter key pads with
/// zeros, which never sort after a real byte); only equal prefixes need the full comparison.
fn key_prefix(key: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let len = key.len().min(8);
    bytes[..len].copy_from_slice(&key.as_bytes()[..len]);
    u64::from_be_bytes(bytes)
}

/// Form parameters in signing order: sorted by key then value (byte order, which is code-point
/// order for UTF-8), exact duplicates removed.
///
/// Sorting compares the integer key prefixes first: for a voice webhook's ~20 fields in an
/// arbitrary order this is several times faster than comparing string slices, whose per-call
/// overhead otherwise costs more than the HMAC itself.
fn canonical_params<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Vec<Pair<'_>> {
    let mut pairs: Vec<Pair<'_>> = params
        .iter()
        .map(|(key, value)| Pair {
            key_prefix: key_prefix(key.as_ref()),
            key: key.as_ref(),
            value: value.as_ref(),
        })
        .collect();
    pairs.sort_unstable_by(|a, b| {
        a.key_prefix
            .cmp(&b.key_prefix)
            .then_with(|| a.key.cmp(b.key))
            .then_with(|| a.value.cmp(b.value))
    });
    pairs.dedup_by(|a, b| a.key == b.key && a.value == b.value);
    pairs
}

/// HMAC-SHA1 of `url` followed by the canonical params, keyed with `token`.
///
/// The pairs are fed to the HMAC piece by piece; copying them into one buffer first measured
/// no faster.
fn digest(token: &[u8], url: &str, pairs: &[Pair<'_>]) -> [u8; DIGEST_LEN] {
    let mut mac = HmacSha1::new_from_slice(token).expect("HMAC accepts keys of any length");
    mac.update(url.as_bytes());
    for pair in pairs {
        mac.update(pair.key.as_bytes());
        mac.update(pair.value.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(pairs: &[Pair<'_>]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|pair| (pair.key.to_owned(), pair.value.to_owned()))
            .collect()
    }

    #[test]
    fn canonical_params_sort_keys_then_values_and_drop_exact_repeats() {
        let params = [
            ("b", "2"),
            ("a", "9"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
            ("a", "1"),
            ("CallerCountry", "US"),
            ("CallerCity", "X"),
            ("Caller", "+1"),
        ];
        let expected = [
            ("Caller", "+1"),
            ("CallerCity", "X"),
            ("CallerCountry", "US"),
            ("Digits", "1234"),
            ("Digits", "5678"),
            ("a", "1"),
            ("a", "9"),
            ("b", "2"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(plain(&canonical_params(&params)), expected);
    }

    proptest::proptest! {
        #[test]
        fn canonical_order_equals_plain_string_order(
            params in proptest::collection::vec(
                ("(Call|Caller|\\x00|a|\\PC){0,4}", "[ab\\x00]{0,2}"),
                0..30,
            )
        ) {
            // Reference: the obvious sort of owned strings, duplicates removed.
            let reference: Vec<(String, String)> = params
                .iter()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            proptest::prop_assert_eq!(plain(&canonical_params(&params)), reference);
        }
    }

    #[test]
    fn body_sha256_is_appended_to_the_query() {
        let hash = body_sha256_hex(b"{}");
        assert_eq!(
            hash,
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(
            append_body_sha256("https://h/p", b"{}"),
            format!("https://h/p?bodySHA256={hash}")
        );
        assert_eq!(
            append_body_sha256("https://h/p?a=1", b"{}"),
            format!("https://h/p?a=1&bodySHA256={hash}")
        );
        assert_eq!(
            append_body_sha256("https://h/p?", b"{}"),
            format!("https://h/p?bodySHA256={hash}")
        );
        assert_eq!(
            append_body_sha256("https://h/p?a#f", b"{}"),
            format!("https://h/p?a&bodySHA256={hash}#f")
        );
    }
}
