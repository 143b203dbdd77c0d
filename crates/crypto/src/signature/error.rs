//! Errors of webhook signature validation.

/// Why a webhook request failed signature validation.
///
/// [`SignatureError::Missing`] is the only variant that says nothing about the request's
/// authenticity (the sender did not try); an HTTP layer typically answers it with `400` and
/// every other variant with `403`. None of the messages contains a token or a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Twilio-Signature` header, or an empty one.
    #[error("the X-Twilio-Signature header is missing or empty")]
    Missing,
    /// The header is not the base64 form of a 20-byte HMAC-SHA1 (28 characters, standard
    /// alphabet with padding), so it cannot be a Twilio signature.
    #[error("the X-Twilio-Signature header is not base64 of a 20-byte HMAC-SHA1")]
    Malformed,
    /// The header is well formed but matches no token and no accepted URL variant.
    #[error("the X-Twilio-Signature header does not match the request")]
    Mismatch,
    /// A body was to be checked (JSON webhook) but the URL has no `bodySHA256` parameter.
    #[error("the request URL has no bodySHA256 parameter to check the body against")]
    BodyHashMissing,
    /// The signature matches the URL, but the body's SHA-256 differs from the URL's
    /// `bodySHA256` parameter: the body was altered.
    #[error("the request body does not match the URL's bodySHA256 parameter")]
    BodyHashMismatch,
}
