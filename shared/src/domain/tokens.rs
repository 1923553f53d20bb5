//! Credentials Agora mints: EdDSA access JWTs (RFC 8725, RFC 9068 `at+jwt`), opaque refresh
//! tokens and API keys, and the key material behind them.
//!
//! Signing keys come from one JSON secret (Secrets Manager in AWS, an environment variable
//! or a file under `.agora/` locally): `{"jwt_active_kid": "1", "jwt_key_1": "<random>"}`.
//! Each `jwt_key_<kid>` value seeds an Ed25519 key; the active one signs, every listed one
//! verifies, so a key is rotated by adding `jwt_key_2`, switching `jwt_active_kid`, and
//! removing `jwt_key_1` once its tokens have expired. The format is flat so
//! CloudFormation's `GenerateSecretString` can create it.
//!
//! Functions that only verify tokens read the public half instead (`jwt_public_<kid>`,
//! base64url Ed25519 public keys, which [`TokenKeys::public_keys`] writes): they can
//! check any token and mint none.

use std::{collections::BTreeMap, time::Duration};

use aws_lc_rs::{digest, hmac, signature::Ed25519KeyPair, signature::KeyPair};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Role;

/// Every key value must carry at least this many characters of randomness.
pub const MIN_KEY_CHARS: usize = 32;
/// The one algorithm Agora signs and accepts: no other `alg` verifies, so `none` and
/// HS/RS/EdDSA confusion are impossible by construction.
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;
/// The JOSE `typ` of access tokens (RFC 9068); refresh tokens are opaque and never JWTs.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Prefix of API keys, so secret scanners and people recognise them.
pub const API_KEY_PREFIX: &str = "agora_sk_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "agora_rt_";
/// Prefix of the tokens in email confirmation links.
pub const VERIFICATION_TOKEN_PREFIX: &str = "agora_ev_";
/// Characters of an API key shown after creation, to tell keys apart.
const VISIBLE_KEY_CHARS: usize = API_KEY_PREFIX.len() + 6;
/// Example values from the documentation; refused outside the dev profile.
pub const EXAMPLE_KEY_VALUE: &str = "change-me-change-me-change-me-change-me";

/// The signing keys and the refresh-successor keys, parsed from the secret; or only the
/// verification keys, parsed from their public half.
pub struct TokenKeys {
    /// The active kid and its key; `None` for verification keys only.
    signing: Option<(String, EncodingKey)>,
    verifying: BTreeMap<String, DecodingKey>,
    /// The public keys by kid, as published.
    public: BTreeMap<String, Vec<u8>>,
    /// HMAC keys deriving a refresh token's successor, the active one first (none for
    /// verification keys only).
    successor: Vec<hmac::Key>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeysError {
    #[error("the secret is not a JSON object: {0}")]
    NotJson(String),
    #[error("the secret has no `jwt_active_kid`")]
    NoActiveKid,
    #[error("the secret has no `jwt_key_{0}` for its `jwt_active_kid`")]
    MissingActiveKey(String),
    #[error("`jwt_key_{kid}` must be a string of at least {MIN_KEY_CHARS} random characters")]
    WeakKey { kid: String },
    #[error("`jwt_key_{kid}` is the documentation's example value; generate a random one")]
    ExampleKey { kid: String },
    #[error("cannot derive the signing key: {0}")]
    Crypto(String),
    #[error("`jwt_public_{kid}` is not a base64url Ed25519 public key")]
    BadPublicKey { kid: String },
    #[error(
        "these are verification keys only; the signing keys are for the functions that sign in"
    )]
    VerificationOnly,
}

impl TokenKeys {
    /// Parses the secret's JSON. `allow_example` admits the documented example value
    /// (the dev profile only).
    pub fn parse(secret: &str, allow_example: bool) -> Result<Self, KeysError> {
        let fields: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(secret).map_err(|error| KeysError::NotJson(error.to_string()))?;
        let signs = fields.keys().any(|name| name.starts_with("jwt_key_"));
        if !signs && fields.keys().any(|name| name.starts_with("jwt_public_")) {
            return Self::verification_only(&fields);
        }
        let active_kid = fields
            .get("jwt_active_kid")
            .and_then(|value| value.as_str())
            .map(str::to_owned)
            .ok_or(KeysError::NoActiveKid)?;
        let mut values = BTreeMap::new();
        for (name, value) in &fields {
            let Some(kid) = name.strip_prefix("jwt_key_") else {
                continue;
            };
            let kid = kid.to_owned();
            let Some(value) = value
                .as_str()
                .filter(|v| v.chars().count() >= MIN_KEY_CHARS)
            else {
                return Err(KeysError::WeakKey { kid });
            };
            if value == EXAMPLE_KEY_VALUE && !allow_example {
                return Err(KeysError::ExampleKey { kid });
            }
            values.insert(kid, value.to_owned());
        }
        let active_value = values
            .get(&active_kid)
            .ok_or_else(|| KeysError::MissingActiveKey(active_kid.clone()))?;
        let signing = EncodingKey::from_ed_der(&ed25519_pkcs8(active_value)?);
        let mut verifying = BTreeMap::new();
        let mut public = BTreeMap::new();
        for (kid, value) in &values {
            let pair = Ed25519KeyPair::from_pkcs8(&ed25519_pkcs8(value)?)
                .map_err(|error| KeysError::Crypto(error.to_string()))?;
            verifying.insert(
                kid.clone(),
                DecodingKey::from_ed_der(pair.public_key().as_ref()),
            );
            public.insert(kid.clone(), pair.public_key().as_ref().to_vec());
        }
        let mut successor = vec![successor_key(active_value)];
        successor.extend(
            values
                .iter()
                .filter(|(kid, _)| **kid != active_kid)
                .map(|(_, value)| successor_key(value)),
        );
        Ok(Self {
            signing: Some((active_kid, signing)),
            verifying,
            public,
            successor,
        })
    }

    fn verification_only(
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, KeysError> {
        use base64::Engine;
        let mut verifying = BTreeMap::new();
        let mut public = BTreeMap::new();
        for (name, value) in fields {
            let Some(kid) = name.strip_prefix("jwt_public_") else {
                continue;
            };
            let key = value
                .as_str()
                .and_then(|encoded| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(encoded)
                        .ok()
                })
                .filter(|key| key.len() == 32)
                .ok_or_else(|| KeysError::BadPublicKey {
                    kid: kid.to_owned(),
                })?;
            verifying.insert(kid.to_owned(), DecodingKey::from_ed_der(&key));
            public.insert(kid.to_owned(), key);
        }
        Ok(Self {
            signing: None,
            verifying,
            public,
            successor: Vec::new(),
        })
    }

    /// Whether these keys can sign (the full secret), not only verify.
    pub fn can_sign(&self) -> bool {
        self.signing.is_some()
    }

    /// The public half, as the verifying functions read it:
    /// `{"jwt_public_<kid>": "<base64url key>", ...}`.
    pub fn public_keys(&self) -> String {
        use base64::Engine;
        let fields: serde_json::Map<String, serde_json::Value> = self
            .public
            .iter()
            .map(|(kid, key)| {
                (
                    format!("jwt_public_{kid}"),
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(key)
                        .into(),
                )
            })
            .collect();
        serde_json::Value::Object(fields).to_string()
    }

    /// A fresh random secret in the format above, for a new local install.
    pub fn generate_secret() -> Result<String, KeysError> {
        let value = random_token("")?;
        Ok(serde_json::json!({ "jwt_active_kid": "1", "jwt_key_1": value }).to_string())
    }
}

/// The Ed25519 private key (PKCS#8 v1) a `jwt_key_<kid>` value seeds.
pub fn ed25519_pkcs8(value: &str) -> Result<Vec<u8>, KeysError> {
    let seed = digest::digest(
        &digest::SHA256,
        format!("agora/jwt-ed25519/v1:{value}").as_bytes(),
    );
    let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref())
        .map_err(|error| KeysError::Crypto(error.to_string()))?;
    pair.to_pkcs8v1()
        .map(|document| document.as_ref().to_vec())
        .map_err(|error| KeysError::Crypto(error.to_string()))
}

fn successor_key(value: &str) -> hmac::Key {
    let material = digest::digest(
        &digest::SHA256,
        format!("agora/refresh-successor/v1:{value}").as_bytes(),
    );
    hmac::Key::new(hmac::HMAC_SHA256, material.as_ref())
}

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub role: Role,
    /// The refresh-token family (sign-in session) this token was issued under.
    pub sid: Uuid,
}

/// Who issues access tokens and for whom, and for how long.
#[derive(Clone, Debug)]
pub struct TokenPolicy {
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    /// Clock skew tolerated on `exp` and `iat`.
    pub leeway: Duration,
}

/// Why an access token was refused; shown to the client (no secret in it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenRejection {
    #[error("the access token is malformed")]
    Malformed,
    #[error("the access token has expired; refresh it or sign in again")]
    Expired,
    #[error("the access token's signature, algorithm or key is not accepted")]
    BadSignature,
    /// Its `kid` names no key this process knows (absent, forged, or newer than its keys).
    #[error("the access token's signing key is not known")]
    UnknownKey,
    #[error("the token is not an access token (typ must be at+jwt)")]
    WrongType,
    #[error("the access token was issued for another issuer or audience")]
    WrongAudience,
    #[error("the access token is missing a required claim or has an invalid one")]
    BadClaims,
}

impl TokenKeys {
    /// Signs an access token for `user` in session `sid`.
    pub fn issue_access_token(
        &self,
        policy: &TokenPolicy,
        user: Uuid,
        role: Role,
        sid: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, AccessClaims), KeysError> {
        let ttl = i64::try_from(policy.access_ttl.as_secs()).unwrap_or(900);
        let claims = AccessClaims {
            iss: policy.issuer.clone(),
            aud: policy.audience.clone(),
            sub: user.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl,
            jti: Uuid::now_v7().to_string(),
            role,
            sid,
        };
        let mut header = Header::new(ALGORITHM);
        header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        let (active_kid, signing) = self.signing.as_ref().ok_or(KeysError::VerificationOnly)?;
        header.kid = Some(active_kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, signing)
            .map_err(|error| KeysError::Crypto(error.to_string()))?;
        Ok((token, claims))
    }

    /// Verifies an access token: pinned algorithm, known `kid`, `typ` `at+jwt`, signature,
    /// `iss`, `aud`, `exp`, `iat` and `sub`.
    pub fn verify_access_token(
        &self,
        policy: &TokenPolicy,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenRejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Malformed)?;
        if header.alg != ALGORITHM {
            return Err(TokenRejection::BadSignature);
        }
        if !header
            .typ
            .as_deref()
            .is_some_and(|typ| typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP))
        {
            return Err(TokenRejection::WrongType);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(TokenRejection::UnknownKey)?;
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&policy.issuer]);
        validation.set_audience(&[&policy.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = policy.leeway.as_secs();
        // Expiry is checked below against the injected clock, not the system's.
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, key, &validation).map_err(|error| {
                match error.kind() {
                    jsonwebtoken::errors::ErrorKind::InvalidSignature
                    | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
                    | jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName
                    | jsonwebtoken::errors::ErrorKind::InvalidKeyFormat => {
                        TokenRejection::BadSignature
                    }
                    jsonwebtoken::errors::ErrorKind::InvalidIssuer
                    | jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                        TokenRejection::WrongAudience
                    }
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenRejection::Expired,
                    jsonwebtoken::errors::ErrorKind::InvalidToken
                    | jsonwebtoken::errors::ErrorKind::Base64(_)
                    | jsonwebtoken::errors::ErrorKind::Json(_)
                    | jsonwebtoken::errors::ErrorKind::Utf8(_) => TokenRejection::Malformed,
                    _ => TokenRejection::BadClaims,
                }
            })?;
        let claims = data.claims;
        let leeway = i64::try_from(policy.leeway.as_secs()).unwrap_or(0);
        let now = now.timestamp();
        if claims.exp + leeway <= now {
            return Err(TokenRejection::Expired);
        }
        if claims.iat > now + leeway || claims.iat > claims.exp {
            return Err(TokenRejection::BadClaims);
        }
        Uuid::parse_str(&claims.sub).map_err(|_| TokenRejection::BadClaims)?;
        Ok(claims)
    }

    /// The successor of a refresh token under each known key, the active key first. The
    /// successor is derived rather than random so a retry of the same refresh within the
    /// grace period gets the same successor back without Agora storing any token.
    pub fn refresh_successors(&self, token: &str) -> Vec<String> {
        self.successor
            .iter()
            .map(|key| {
                let tag = hmac::sign(key, token.as_bytes());
                format!(
                    "{REFRESH_TOKEN_PREFIX}{}",
                    bs58::encode(&tag.as_ref()[..32]).into_string()
                )
            })
            .collect()
    }
}

/// `prefix` followed by 256 random bits in base58 (no look-alike or punctuation characters,
/// so a double-click selects the whole token).
pub fn random_token(prefix: &str) -> Result<String, KeysError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|error| KeysError::Crypto(error.to_string()))?;
    Ok(format!("{prefix}{}", bs58::encode(bytes).into_string()))
}

/// SHA-256 of a high-entropy token: what the database stores and looks up. A slow hash
/// would add nothing for 256-bit random values.
pub fn token_hash(token: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

/// The part of an API key that stays visible in listings (`agora_sk_3xT9qZ`).
pub fn visible_prefix(key: &str) -> String {
    key.chars().take(VISIBLE_KEY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::parse(&TokenKeys::generate_secret().unwrap(), false).unwrap()
    }

    fn policy() -> TokenPolicy {
        TokenPolicy {
            issuer: "agora".into(),
            audience: "agora-api".into(),
            access_ttl: Duration::from_secs(900),
            leeway: Duration::from_secs(30),
        }
    }

    #[test]
    fn an_issued_access_token_verifies_and_carries_its_claims() {
        let keys = keys();
        let (user, sid, now) = (Uuid::new_v4(), Uuid::new_v4(), Utc::now());
        let (token, claims) = keys
            .issue_access_token(&policy(), user, Role::Admin, sid, now)
            .unwrap();
        let verified = keys.verify_access_token(&policy(), &token, now).unwrap();
        assert_eq!(verified, claims);
        assert_eq!(verified.sub, user.to_string());
        assert_eq!(verified.exp - verified.iat, 900);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), Some("1"));
    }

    #[test]
    fn tokens_expire_after_their_ttl_plus_leeway() {
        let keys = keys();
        let now = Utc::now();
        let (token, _) = keys
            .issue_access_token(&policy(), Uuid::new_v4(), Role::User, Uuid::new_v4(), now)
            .unwrap();
        let just_valid = now + chrono::Duration::seconds(900 + 29);
        assert!(
            keys.verify_access_token(&policy(), &token, just_valid)
                .is_ok()
        );
        let expired = now + chrono::Duration::seconds(900 + 30);
        assert_eq!(
            keys.verify_access_token(&policy(), &token, expired),
            Err(TokenRejection::Expired)
        );
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_the_old_key_is_removed() {
        let old = r#"{"jwt_active_kid":"1","jwt_key_1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#;
        let both = r#"{"jwt_active_kid":"2","jwt_key_1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","jwt_key_2":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"#;
        let new = r#"{"jwt_active_kid":"2","jwt_key_2":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"#;
        let now = Utc::now();
        let issue = |secret: &str| {
            TokenKeys::parse(secret, false)
                .unwrap()
                .issue_access_token(&policy(), Uuid::new_v4(), Role::User, Uuid::new_v4(), now)
                .unwrap()
                .0
        };
        let verify = |secret: &str, token: &str| {
            TokenKeys::parse(secret, false)
                .unwrap()
                .verify_access_token(&policy(), token, now)
        };
        let from_old = issue(old);
        assert!(verify(both, &from_old).is_ok());
        assert_eq!(verify(new, &from_old), Err(TokenRejection::UnknownKey));
        let from_both = issue(both);
        assert_eq!(
            jsonwebtoken::decode_header(&from_both)
                .unwrap()
                .kid
                .as_deref(),
            Some("2")
        );
        assert!(verify(new, &from_both).is_ok());
        // The successor of a refresh token is stable across the rotation window.
        let refresh = "agora_rt_example";
        let before = TokenKeys::parse(old, false)
            .unwrap()
            .refresh_successors(refresh);
        let during = TokenKeys::parse(both, false)
            .unwrap()
            .refresh_successors(refresh);
        assert!(during.contains(&before[0]));
    }

    #[test]
    fn bad_secrets_say_what_to_fix() {
        let cases = [
            ("not json", "JSON"),
            (
                r#"{"jwt_key_1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
                "jwt_active_kid",
            ),
            (
                r#"{"jwt_active_kid":"2","jwt_key_1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
                "jwt_key_2",
            ),
            (
                r#"{"jwt_active_kid":"1","jwt_key_1":"short"}"#,
                "at least 32",
            ),
        ];
        for (secret, hint) in cases {
            let error = TokenKeys::parse(secret, true).err().unwrap().to_string();
            assert!(error.contains(hint), "{secret}: {error}");
        }
        let example = format!(r#"{{"jwt_active_kid":"1","jwt_key_1":"{EXAMPLE_KEY_VALUE}"}}"#);
        assert!(matches!(
            TokenKeys::parse(&example, false),
            Err(KeysError::ExampleKey { .. })
        ));
        assert!(TokenKeys::parse(&example, true).is_ok());
    }

    #[test]
    fn random_tokens_carry_256_bits_and_their_prefix() {
        let key = random_token(API_KEY_PREFIX).unwrap();
        assert!(key.starts_with("agora_sk_"));
        let body = bs58::decode(&key[API_KEY_PREFIX.len()..])
            .into_vec()
            .unwrap();
        assert_eq!(body.len(), 32);
        assert_ne!(key, random_token(API_KEY_PREFIX).unwrap());
        assert_eq!(visible_prefix(&key).len(), API_KEY_PREFIX.len() + 6);
        assert_eq!(token_hash(&key).len(), 32);
    }

    #[test]
    fn the_public_half_verifies_every_token_and_signs_none() {
        let full = TokenKeys::parse(
            r#"{"jwt_active_kid":"2","jwt_key_1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","jwt_key_2":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"#,
            false,
        )
        .unwrap();
        let published = full.public_keys();
        assert!(!published.contains("aaaa") && !published.contains("bbbb"));
        let public = TokenKeys::parse(&published, false).unwrap();
        assert!(full.can_sign() && !public.can_sign());
        let now = Utc::now();
        let (token, _) = full
            .issue_access_token(&policy(), Uuid::now_v7(), Role::User, Uuid::now_v7(), now)
            .unwrap();
        assert!(public.verify_access_token(&policy(), &token, now).is_ok());
        assert_eq!(
            public
                .issue_access_token(&policy(), Uuid::now_v7(), Role::User, Uuid::now_v7(), now)
                .unwrap_err(),
            KeysError::VerificationOnly
        );
        assert!(public.refresh_successors("agora_rt_x").is_empty());
        assert_eq!(
            TokenKeys::parse(r#"{"jwt_public_1":"not a key"}"#, false).err(),
            Some(KeysError::BadPublicKey { kid: "1".into() })
        );
    }
}
