//! JSON Web Token authentication (`jsonwebtoken`), configured against its known pitfalls.
//!
//! The defaults differ from `jsonwebtoken`'s on purpose:
//!
//! - the algorithm is pinned by the constructor and never taken from the token, so neither
//!   `alg: none` nor an HMAC token signed with an RSA public key (algorithm confusion) passes;
//! - the clock leeway is [`DEFAULT_LEEWAY`] (5 s), not 60 s;
//! - `nbf` is always checked;
//! - `exp` and `sub` are required, and `aud` / `iss` are required as soon as an audience or
//!   issuer is configured (`jsonwebtoken` otherwise accepts a token that simply omits them).
//!
//! A rejection is an HTTP 401 whose body says why (expired, bad signature, wrong audience,
//! ...). It never echoes the token.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{AuthError, Authenticator, Credentials, Principal};
use crate::error::{Error, Result};

/// The clock leeway applied to `exp` and `nbf` unless [`Jwt::leeway`] sets another.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

/// Verifies a bearer JWT and maps it to a [`Principal`]: `sub` becomes the subject and `exp`
/// the expiry (so the server asks for a refresh before it).
///
/// Defaults: leeway [`DEFAULT_LEEWAY`]; `nbf` checked; `exp` and `sub` required; no audience
/// and no issuer configured. Without a configured audience, a token that carries an `aud`
/// is rejected (RFC 7519 §4.1.3: a recipient must identify itself with the audience).
///
/// ```
/// use std::time::Duration;
/// use ws_reliable::auth::Jwt;
///
/// let auth = Jwt::hs256(b"a long random secret")
///     .audience("ws-api")
///     .issuer("https://idp.example.com")
///     .leeway(Duration::from_secs(2));
/// # let _ = auth;
/// ```
#[derive(Clone)]
pub struct Jwt {
    key: DecodingKey,
    alg: Algorithm,
    audience: Vec<String>,
    issuer: Vec<String>,
    leeway: Duration,
}

/// The claims the principal is built from. Loosely typed here so that a missing or malformed
/// claim is reported by the validation, by name, rather than as malformed JSON.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Value,
    #[serde(default)]
    exp: Value,
}

impl Jwt {
    /// HMAC-SHA256 with a shared secret. Use at least 32 random bytes.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Self {
        Self::new(DecodingKey::from_secret(secret.as_ref()), Algorithm::HS256)
    }

    /// RSA PKCS#1 v1.5 SHA-256 with the issuer's public key in PEM. Fails with
    /// [`Error::Config`] if the PEM is not an RSA public key (caller bug).
    pub fn rs256_pem(public_key_pem: &[u8]) -> Result<Self> {
        let key = DecodingKey::from_rsa_pem(public_key_pem)
            .map_err(|e| Error::Config(format!("invalid RS256 public key: {e}")))?;
        Ok(Self::new(key, Algorithm::RS256))
    }

    /// ECDSA P-256 SHA-256 with the issuer's public key in PEM. Fails with
    /// [`Error::Config`] if the PEM is not an EC public key (caller bug).
    pub fn es256_pem(public_key_pem: &[u8]) -> Result<Self> {
        let key = DecodingKey::from_ec_pem(public_key_pem)
            .map_err(|e| Error::Config(format!("invalid ES256 public key: {e}")))?;
        Ok(Self::new(key, Algorithm::ES256))
    }

    fn new(key: DecodingKey, alg: Algorithm) -> Self {
        Self { key, alg, audience: Vec::new(), issuer: Vec::new(), leeway: DEFAULT_LEEWAY }
    }

    /// Accepts tokens whose `aud` names `audience`, and from then on requires `aud`. Call
    /// again to accept several audiences. Default: none configured.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// Accepts tokens whose `iss` is `issuer`, and from then on requires `iss`. Call again to
    /// accept several issuers. Default: none configured.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer.push(issuer.into());
        self
    }

    /// Sets the clock leeway for `exp` and `nbf`, in whole seconds (rounded down). Default
    /// [`DEFAULT_LEEWAY`] (5 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Verifies `token` and returns its principal, or a 401 saying why.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.check_header(token)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation())
            .map_err(|e| self.reject(e.kind()))?;
        principal(data.claims)
    }

    /// Rejects a foreign algorithm up front, with a reason that names it.
    fn check_header(&self, token: &str) -> Result<(), AuthError> {
        let expected = self.alg;
        match jsonwebtoken::decode_header(token) {
            Ok(header) if header.alg == expected => Ok(()),
            Ok(header) => Err(AuthError::unauthorized(format!(
                "algorithm {:?} not allowed (expected {expected:?})",
                header.alg
            ))),
            Err(_) => Err(AuthError::unauthorized(format!(
                "malformed token header or unsupported algorithm (expected {expected:?})"
            ))),
        }
    }

    fn validation(&self) -> Validation {
        let mut validation = Validation::new(self.alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if !self.audience.is_empty() {
            validation.set_audience(&self.audience);
            required.push("aud");
        }
        if !self.issuer.is_empty() {
            validation.set_issuer(&self.issuer);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// A reason for the client's developer; built from the error kind only, so it can never
    /// contain the token.
    fn reject(&self, kind: &ErrorKind) -> AuthError {
        let reason = match kind {
            ErrorKind::ExpiredSignature => "token expired".to_owned(),
            ErrorKind::ImmatureSignature => "token not yet valid (nbf)".to_owned(),
            ErrorKind::InvalidSignature => "bad signature".to_owned(),
            ErrorKind::InvalidAudience => "wrong audience".to_owned(),
            ErrorKind::InvalidIssuer => "wrong issuer".to_owned(),
            ErrorKind::MissingRequiredClaim(claim) => format!("missing claim `{claim}`"),
            ErrorKind::InvalidClaimFormat(claim) => format!("malformed claim `{claim}`"),
            ErrorKind::InvalidAlgorithm
            | ErrorKind::MissingAlgorithm
            | ErrorKind::UnsupportedAlgorithm => {
                format!("algorithm not allowed (expected {:?})", self.alg)
            }
            ErrorKind::Json(_) | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
                "malformed token".to_owned()
            }
            _ => "invalid token".to_owned(),
        };
        AuthError::unauthorized(reason)
    }
}

/// The validation has already required `sub` and `exp`; an empty subject is still refused.
fn principal(claims: Claims) -> Result<Principal, AuthError> {
    let subject = claims.sub.as_str().filter(|s| !s.is_empty());
    let subject = subject.ok_or_else(|| AuthError::unauthorized("missing claim `sub`"))?;
    let exp = claims.exp.as_f64();
    let exp = exp.and_then(|exp| Duration::try_from_secs_f64(exp).ok());
    let exp = exp.ok_or_else(|| AuthError::unauthorized("malformed claim `exp`"))?;
    let at = SystemTime::UNIX_EPOCH.checked_add(exp);
    let at = at.ok_or_else(|| AuthError::unauthorized("malformed claim `exp`"))?;
    Ok(Principal::new(subject).expires_at(at))
}

#[async_trait]
impl Authenticator for Jwt {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Principal, AuthError> {
        let token = credentials.token.as_deref().filter(|t| !t.is_empty());
        let token = token.ok_or_else(|| AuthError::unauthorized("missing bearer token"))?;
        self.verify(token)
    }
}

/// Leaves the key out: it may be a shared secret.
impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("alg", &self.alg)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}
