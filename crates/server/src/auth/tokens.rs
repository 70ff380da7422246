//! Access tokens (HS256 JWTs, 15 minutes) and refresh tokens (opaque, single use, 30 days).

use aetherion_model::{Role, UnixMicros};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an access token is valid.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;
/// How long a refresh token is valid.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 30 * 24 * 60 * 60;
const ISSUER: &str = "aetherion";

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// `user` or `admin`.
    pub role: String,
    pub iss: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

/// Who is calling, established from a valid access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
}

/// Signs and checks access tokens with one server-side secret. The algorithm is fixed to
/// HS256: a token that names any other algorithm (including `none`) is refused.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

/// Why a bearer token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("access token has expired")]
    Expired,
    #[error("access token is not valid")]
    Invalid,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
        })
    }

    /// A signed access token for `caller`, and when it expires.
    pub fn issue_access(&self, caller: &Caller, now: UnixMicros) -> anyhow::Result<(String, UnixMicros)> {
        let iat = now.seconds();
        let exp = iat + ACCESS_TOKEN_TTL_SECS;
        let claims = Claims {
            sub: caller.user_id.clone(),
            role: caller.role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            iat,
            exp,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, UnixMicros(exp * 1_000_000)))
    }

    /// Checks signature, algorithm, issuer and expiry (against the system clock, which
    /// `jsonwebtoken` reads itself).
    pub fn verify_access(&self, token: &str) -> Result<Caller, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let role = data.claims.role.parse().map_err(|_| TokenError::Invalid)?;
        Ok(Caller { user_id: data.claims.sub, role })
    }

    /// Signs arbitrary claims. Tests use it to make expired tokens.
    pub fn sign_claims(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)?)
    }
}

/// A new refresh token: 256 random bits, URL-safe base64.
pub fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a refresh token: its SHA-256, hex.
pub fn refresh_token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn now() -> UnixMicros {
        crate::clock::now()
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_caller() {
        let caller = Caller { user_id: "u1".into(), role: Role::Admin };
        let (token, exp) = keys().issue_access(&caller, now()).unwrap();
        assert_eq!(keys().verify_access(&token), Ok(caller));
        assert_eq!(exp.seconds() - now().seconds(), ACCESS_TOKEN_TTL_SECS);
    }

    #[test]
    fn expired_forged_and_unsigned_tokens_are_refused() {
        let t = now().seconds();
        let claims = Claims {
            sub: "u1".into(),
            role: "admin".into(),
            iss: ISSUER.into(),
            iat: t - 3_600,
            exp: t - 60,
        };
        assert_eq!(keys().verify_access(&keys().sign_claims(&claims).unwrap()), Err(TokenError::Expired));

        let fresh = Claims { exp: t + 600, ..claims };
        let other = TokenKeys::new(b"another secret, another server!!").unwrap();
        assert_eq!(keys().verify_access(&other.sign_claims(&fresh).unwrap()), Err(TokenError::Invalid));

        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&fresh).unwrap());
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(keys().verify_access(&format!("{none_header}.{body}.")), Err(TokenError::Invalid));
        assert_eq!(keys().verify_access("not a token"), Err(TokenError::Invalid));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(refresh_token_hash(&a).len(), 64);
        assert_eq!(refresh_token_hash(&a), refresh_token_hash(&a));
    }
}
