//! Bearer-token authentication: HS256 JWTs signed with `JWT_SECRET`, carrying `sub`,
//! `tenant_id`, `role` and `exp` (SPEC §5). Only HS256 is accepted (never `none` or another
//! algorithm named in the header), signatures are compared in constant time, and expired
//! tokens are refused.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use numbers_app::App;
use numbers_domain::TenantId;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;

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

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &SecretString) -> HmacSha256 {
    // HMAC takes keys of any length.
    HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// Signs `claims` into a compact JWT.
#[must_use]
pub fn mint(secret: &SecretString, claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
}

/// Checks a compact JWT and returns its claims.
///
/// # Errors
/// [`TokenError`] saying why the token is refused.
pub fn verify(secret: &SecretString, token: &str, now_unix: i64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header_bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenError::Malformed)?;
    let header: Header =
        serde_json::from_slice(&header_bytes).map_err(|_| TokenError::Malformed)?;
    if header.alg != "HS256" {
        return Err(TokenError::Algorithm);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = mac(secret);
    mac.update(signed_part(token).as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::Signature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Claims)?;
    if claims.sub.trim().is_empty() {
        return Err(TokenError::Claims);
    }
    if claims.exp + LEEWAY_SECS <= now_unix {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// The signed part of a token: everything before the last `.`.
fn signed_part(token: &str) -> &str {
    token.rsplit_once('.').map_or(token, |(signed, _)| signed)
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
    fn tampering_expiry_and_other_algorithms_are_refused() {
        let token = mint(&secret(), &claims(1_000));
        assert_eq!(
            verify(&SecretString::from("other"), &token, 0),
            Err(TokenError::Signature)
        );
        assert_eq!(
            verify(&secret(), &token, 1_000 + LEEWAY_SECS),
            Err(TokenError::Expired)
        );
        // Swap in another payload: the signature no longer matches.
        let (head, rest) = token.split_once('.').unwrap();
        let signature = rest.split_once('.').unwrap().1;
        let forged_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                role: Role::Admin,
                ..claims(9_999_999_999)
            })
            .unwrap(),
        );
        assert_eq!(
            verify(
                &secret(),
                &format!("{head}.{forged_payload}.{signature}"),
                0
            ),
            Err(TokenError::Signature)
        );
        // `alg: none` and RS256 headers are refused before any signature check.
        for alg in ["none", "RS256", "HS512"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}"}}"#));
            let forged = format!("{header}.{}.", rest.split_once('.').unwrap().0);
            assert_eq!(
                verify(&secret(), &forged, 0),
                Err(TokenError::Algorithm),
                "{alg}"
            );
        }
        for malformed in ["", "a", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(
                verify(&secret(), malformed, 0),
                Err(TokenError::Malformed),
                "{malformed}"
            );
        }
    }

    #[test]
    fn claims_must_be_complete() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        for payload in [
            r#"{"sub":"u","role":"admin","exp":9999999999}"#,
            r#"{"sub":"u","tenant_id":"nope","role":"admin","exp":9999999999}"#,
            r#"{"sub":"","tenant_id":"00000000-0000-4000-8000-000000000001","role":"admin","exp":9999999999}"#,
            r#"{"sub":"u","tenant_id":"00000000-0000-4000-8000-000000000001","role":"owner","exp":9999999999}"#,
        ] {
            let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
            let mut mac = mac(&secret());
            mac.update(signing_input.as_bytes());
            let token = format!(
                "{signing_input}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            );
            assert_eq!(
                verify(&secret(), &token, 0),
                Err(TokenError::Claims),
                "{payload}"
            );
        }
    }
}
