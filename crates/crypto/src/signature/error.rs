//! Errors of webhook signature validation.

/// Why a webhook request failed signature validation.
///
/// [`SignatureError::Missing`] is the only variant that says nothing about the request's
/// authenticity (the sender did not try); an HTTP layer typically answers it with `400`.
/// [`SignatureError::NoToken`] and [`SignatureError::BodyNotChecked`] are mistakes on the
/// receiving side (configuration, routing), not the sender's; a `500` fits them, and they
/// are worth logging loudly. Every other variant typically becomes a `403`. None of the
/// messages contains a token or a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No usable auth token to validate with: every token given is empty or only whitespace.
    ///
    /// An empty HMAC key is a valid key, so a signature made with an empty "token" would
    /// otherwise validate; blank tokens are therefore never tried. Checked before anything
    /// about the request.
    #[error("no usable auth token is configured (every token given is empty or blank)")]
    NoToken,
    /// No `X-Twilio-Signature` header, or an empty one.
    #[error("the X-Twilio-Signature header is missing or empty")]
    Missing,
    /// The header is not the base64 form of a 20-byte HMAC-SHA1 (28 characters, standard
    /// alphabet with padding), so it cannot be a Twilio signature.
    #[error("the X-Twilio-Signature header is not base64 of a 20-byte HMAC-SHA1")]
    Malformed,
    /// The URL carries `bodySHA256`, so Twilio signed a JSON (non-form) body, but the form or
    /// GET validation was asked for, which cannot check that body. Validate the request with
    /// `validate_json` and the raw body bytes instead.
    ///
    /// Returned whether or not the signature would match: accepting it would let a tampered
    /// body through, since the signature covers only the URL.
    #[error(
        "the request URL carries bodySHA256 (a JSON webhook); validate it with validate_json \
         and the raw body, not as a form or GET request"
    )]
    BodyNotChecked,
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
