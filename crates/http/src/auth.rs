//! Bearer-token authentication: HS256 JWTs signed with `JWT_SECRET`, carrying `sub`,
//! `tenant_id`, `role` and `exp` (SPEC §5). Tokens are made and checked by the `jsonwebtoken`
//! crate (its RustCrypto backend): only HS256 is accepted (never `none` or another algorithm
//! named in the header), signatures are compared in constant time, and expired tokens are
//! refused.

use std::future::{Ready, ready};
use std::sync::LazyLock;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use numbers_app::App;
use numbers_domain::TenantId;
use secrecy::{ExposeSecret as _, SecretString};

use crate::ApiError;

/// What a token lets its bearer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything within the tenant.
    Admin,
    /// Read-only listing.
    Member,
}

impl Role {
    /// The claim value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            other => Err(format!("unknown role {other:?}: use admin or member")),
        }
    }
}

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// The user (subject).
    pub sub: String,
    /// The tenant every request is scoped to.
    pub tenant_id: TenantId,
    /// Admin or member.
    pub role: Role,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    Malformed,
    /// The header names another algorithm than HS256.
    Algorithm,
    /// The signature does not match.
    Signature,
    /// `exp` is in the past.
    Expired,
    /// The claims are missing or of the wrong type.
    Claims,
}

impl TokenError {
    /// A message safe to show to the caller.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "the bearer token is malformed",
            Self::Algorithm => "the bearer token must be signed with HS256",
            Self::Signature => "the bearer token's signature is invalid",
            Self::Expired => "the bearer token has expired",
            Self::Claims => "the bearer token's claims are invalid",
        }
    }
}

/// Seconds of clock skew tolerated on `exp`.
pub const LEEWAY_SECS: i64 = 30;

/// What `jsonwebtoken` checks: the algorithm (HS256 alone) and the signature. `exp` is checked
/// in [`verify`] against the clock it is given, so that the rule (expired once
/// `exp + LEEWAY_SECS <= now`) and the clock stay ours and testable at fixed instants; the
/// crate would read the system clock. Its other claim checks (`aud`, `nbf`, required claims)
/// are off because [`Claims`] itself requires every claim we use and no token carries others.
static VALIDATION: LazyLock<Validation> = LazyLock::new(|| {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
});

/// Signs `claims` into a compact JWT (HS256).
///
/// Signing cannot fail with a non-empty secret (HMAC takes keys of any length and the claims
/// always serialise). An empty secret, which configuration never lets through, is logged and
/// gives an empty string, which no verification accepts.
#[must_use]
pub fn mint(secret: &SecretString, claims: &Claims) -> String {
    EncodingKey::from_secret(secret.expose_secret().as_bytes())
        .and_then(|key| jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "a token could not be signed");
            String::new()
        })
}

/// Checks a compact JWT and returns its claims.
///
/// # Errors
/// [`TokenError`] saying why the token is refused.
pub fn verify(secret: &SecretString, token: &str, now_unix: i64) -> Result<Claims, TokenError> {
    // An empty secret is no key: nothing verifies against it.
    let key = DecodingKey::from_secret(secret.expose_secret().as_bytes())
        .map_err(|_| TokenError::Signature)?;
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &VALIDATION)
        .map_err(|error| refusal(token, error.kind()))?
        .claims;
    if claims.sub.trim().is_empty() {
        return Err(TokenError::Claims);
    }
    if claims.exp.saturating_add(LEEWAY_SECS) <= now_unix {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// Why `jsonwebtoken` refused `token`, in our terms.
fn refusal(token: &str, kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm => TokenError::Algorithm,
        ErrorKind::InvalidSignature | ErrorKind::InvalidKeyFormat => TokenError::Signature,
        // The crate reads the header before the signature and the claims after it, so a JSON
        // error once the header reads is one of the claims.
        ErrorKind::Json(_) if jsonwebtoken::decode_header(token).is_ok() => TokenError::Claims,
        // A header naming an algorithm the crate does not know (`none`) does not parse as its
        // `Header`; it is still a refusal of the algorithm, not a garbled token.
        ErrorKind::Json(_) if header_names_another_algorithm(token) => TokenError::Algorithm,
        ErrorKind::MissingRequiredClaim(_)
        | ErrorKind::InvalidClaimFormat(_)
        | ErrorKind::InvalidAudience
        | ErrorKind::InvalidIssuer
        | ErrorKind::InvalidSubject
        | ErrorKind::ImmatureSignature => TokenError::Claims,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        _ => TokenError::Malformed,
    }
}

/// Whether the first part of `token` is base64url JSON whose `alg` is a string other than
/// `HS256`.
fn header_names_another_algorithm(token: &str) -> bool {
    use base64::Engine as _;

    #[derive(serde::Deserialize)]
    struct NamedAlgorithm {
        alg: String,
    }
    let Some((header, _)) = token.split_once('.') else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<NamedAlgorithm>(&bytes).ok())
        .is_some_and(|header| header.alg != "HS256")
}

/// The authenticated caller, extracted from `Authorization: Bearer …`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's claims.
    pub claims: Claims,
}

impl Caller {
    /// The tenant every request of this caller is scoped to.
    #[must_use]
    pub fn tenant_id(&self) -> TenantId {
        self.claims.tenant_id
    }

    /// Refuses non-admins.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] for members.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.claims.role {
            Role::Admin => Ok(()),
            Role::Member => Err(ApiError::Forbidden),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let app = req
        .app_data::<web::Data<App>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "missing Authorization: Bearer token",
        ))?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not readable"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized(
            "the Authorization header must be: Bearer <token>",
        ))?;
    let now = chrono::Utc::now().timestamp();
    let claims =
        verify(app.jwt_secret(), token, now).map_err(|e| ApiError::Unauthorized(e.message()))?;
    Ok(Caller { claims })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn secret() -> SecretString {
        SecretString::from("test-secret-of-sufficient-length-123")
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "user-1".into(),
            tenant_id: TenantId::new(),
            role: Role::Admin,
            exp,
        }
    }

    /// A token over any header and payload JSON, signed with HS256 and `secret`, as another
    /// issuer could write it.
    fn signed(header: &str, payload: &str, secret: &str) -> String {
        use hmac::Mac as _;
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn minted_tokens_verify_and_round_trip_their_claims() {
        let claims = claims(2_000_000_000);
        let token = mint(&secret(), &claims);
        assert_eq!(verify(&secret(), &token, 1_900_000_000), Ok(claims));
    }

    #[test]
    fn a_known_token_from_another_implementation_verifies() {
        // HS256 over {"alg":"HS256","typ":"JWT"} and these claims with secret "secret",
        // computed independently (python: hmac.new(b"secret", signing_input, sha256)).
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsInRlbmFudF9pZCI6IjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMSIsInJvbGUiOiJtZW1iZXIiLCJleHAiOjQxMDI0NDQ4MDB9.mDEvr28GsWUhGYyoPXda3Y3jStqCin2iFlzuHMwGASc";
        let claims = verify(&SecretString::from("secret"), token, 0).unwrap();
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.role, Role::Member);
        assert_eq!(claims.exp, 4_102_444_800);
    }

    #[test]
    fn expiry_allows_the_leeway_and_not_a_second_more() {
        let token = mint(&secret(), &claims(1_000));
        assert!(verify(&secret(), &token, 1_000).is_ok());
        assert!(verify(&secret(), &token, 1_000 + LEEWAY_SECS - 1).is_ok());
        assert_eq!(
            verify(&secret(), &token, 1_000 + LEEWAY_SECS),
            Err(TokenError::Expired)
        );
        // A negative expiry is simply long past.
        let ancient = mint(&secret(), &claims(-5));
        assert_eq!(verify(&secret(), &ancient, 25), Err(TokenError::Expired));
    }

    #[test]
    fn another_secret_and_a_tampered_payload_fail_the_signature() {
        let token = mint(&secret(), &claims(9_999_999_999));
        assert_eq!(
            verify(&SecretString::from("other"), &token, 0),
            Err(TokenError::Signature)
        );
        // Swap in another payload (another tenant): the signature no longer matches.
        let mut parts = token.split('.');
        let (head, _, signature) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let forged_payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(9_999_999_999)).unwrap());
        assert_eq!(
            verify(
                &secret(),
                &format!("{head}.{forged_payload}.{signature}"),
                0
            ),
            Err(TokenError::Signature)
        );
        // One flipped character of the signature.
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify(&secret(), &String::from_utf8(flipped).unwrap(), 0),
            Err(TokenError::Signature)
        );
        // An empty secret verifies nothing, not even a token signed with it.
        let empty = signed(r#"{"alg":"HS256"}"#, r#"{"sub":"u"}"#, "");
        assert_eq!(
            verify(&SecretString::from(""), &empty, 0),
            Err(TokenError::Signature)
        );
        assert_eq!(mint(&SecretString::from(""), &claims(9_999_999_999)), "");
    }

    #[test]
    fn other_algorithms_are_refused_before_any_signature_check() {
        let payload = serde_json::to_string(&claims(9_999_999_999)).unwrap();
        let body = URL_SAFE_NO_PAD.encode(&payload);
        // `alg: none` (unsigned), and algorithms of other families, with no or any signature.
        for alg in [
            "none", "None", "RS256", "ES256", "EdDSA", "PS512", "HS256 ", "hs256", "",
        ] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            for signature in ["", "c2ln"] {
                assert_eq!(
                    verify(&secret(), &format!("{header}.{body}.{signature}"), 0),
                    Err(TokenError::Algorithm),
                    "{alg} {signature:?}"
                );
            }
        }
        // HS384 and HS512, correctly signed with the right secret, are still refused.
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let key = EncodingKey::from_secret(b"test-secret-of-sufficient-length-123").unwrap();
            let token =
                jsonwebtoken::encode(&Header::new(alg), &claims(9_999_999_999), &key).unwrap();
            assert_eq!(
                verify(&secret(), &token, 0),
                Err(TokenError::Algorithm),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn garbled_tokens_are_malformed() {
        for malformed in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "!!.!!.!!",
            "..",
            // A header that is not JSON, and one whose only problem is not its algorithm.
            &format!("{}.e30.", URL_SAFE_NO_PAD.encode("{not json")),
            &signed(
                r#"{"alg":"HS256","typ":5}"#,
                r#"{"sub":"u"}"#,
                "test-secret-of-sufficient-length-123",
            ),
            &signed(
                r#"{"typ":"JWT"}"#,
                r#"{"sub":"u"}"#,
                "test-secret-of-sufficient-length-123",
            ),
        ] {
            assert_eq!(
                verify(&secret(), malformed, 0),
                Err(TokenError::Malformed),
                "{malformed}"
            );
        }
    }

    #[test]
    fn claims_must_be_complete() {
        for payload in [
            r#"{"sub":"u","role":"admin","exp":9999999999}"#,
            r#"{"sub":"u","tenant_id":"nope","role":"admin","exp":9999999999}"#,
            r#"{"sub":"","tenant_id":"00000000-0000-4000-8000-000000000001","role":"admin","exp":9999999999}"#,
            r#"{"sub":" ","tenant_id":"00000000-0000-4000-8000-000000000001","role":"admin","exp":9999999999}"#,
            r#"{"sub":"u","tenant_id":"00000000-0000-4000-8000-000000000001","role":"owner","exp":9999999999}"#,
            r#"{"sub":"u","tenant_id":"00000000-0000-4000-8000-000000000001","role":"admin"}"#,
            r#"{"sub":"u","tenant_id":"00000000-0000-4000-8000-000000000001","role":"admin","exp":"9999999999"}"#,
            r#"{"sub":"u","tenant_id":"00000000-0000-4000-8000-000000000001","role":"admin","exp":99999999.5}"#,
            r#"[1,2]"#,
            "not json",
        ] {
            let token = signed(
                r#"{"alg":"HS256"}"#,
                payload,
                "test-secret-of-sufficient-length-123",
            );
            assert_eq!(
                verify(&secret(), &token, 0),
                Err(TokenError::Claims),
                "{payload}"
            );
        }
    }
}
