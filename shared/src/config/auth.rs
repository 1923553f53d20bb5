//! Sign-in, tokens and the limits around them, and where the signing keys are kept.

use std::path::Path;

use super::{ConfigError, Profile, env::Env};
use crate::{
    adapters::secrets::SecretLocation, domain::tokens::TokenKeys, services::accounts::AuthSettings,
};

pub fn auth(env: &Env, profile: Profile) -> Result<AuthSettings, ConfigError> {
    Ok(AuthSettings {
        issuer: env
            .get("AGORA_JWT_ISSUER")
            .unwrap_or_else(|| "agora".to_owned()),
        audience: env
            .get("AGORA_JWT_AUDIENCE")
            .unwrap_or_else(|| "agora-api".to_owned()),
        access_ttl: env.parse_seconds("AGORA_ACCESS_TOKEN_TTL_SECONDS", 900, 60..=86_400)?,
        refresh_ttl: std::time::Duration::from_secs(
            86_400 * env.parse_range("AGORA_REFRESH_TOKEN_TTL_DAYS", 30, 1..=365)?,
        ),
        refresh_grace: std::time::Duration::from_secs(10),
        allow_example_keys: profile == Profile::Dev,
        login_failures_per_account: env.parse_range("AGORA_LOGIN_MAX_FAILURES", 5, 1..=1000)?,
        login_failures_per_address: env.parse_range(
            "AGORA_LOGIN_MAX_FAILURES_PER_ADDRESS",
            50,
            1..=100_000,
        )?,
        login_failure_window: env.parse_seconds(
            "AGORA_LOGIN_FAILURE_WINDOW_SECONDS",
            900,
            1..=86_400,
        )?,
        requests_per_minute: env.parse_range("AGORA_RATE_LIMIT_PER_MINUTE", 600, 1..=1_000_000)?,
        signups_per_address: env.parse_range(
            "AGORA_SIGNUPS_PER_ADDRESS_PER_HOUR",
            10,
            1..=100_000,
        )?,
        signups_per_network: env.parse_range(
            "AGORA_SIGNUPS_PER_NETWORK_PER_HOUR",
            50,
            1..=1_000_000,
        )?,
        max_api_keys: env.parse_range("AGORA_MAX_API_KEYS", 50, 1..=1000)?,
    })
}

/// `AGORA_SECRETS` (inline, checked now), else `AGORA_SECRET_ID` (read on first use),
/// else a file under `AGORA_HOME` in the dev profile only.
pub fn secret_location(
    env: &Env,
    profile: Profile,
    home: &Path,
) -> Result<SecretLocation, ConfigError> {
    if let Some(inline) = env.get("AGORA_SECRETS") {
        TokenKeys::parse(&inline, profile == Profile::Dev).map_err(|error| {
            env.invalid(
                "AGORA_SECRETS",
                format!("{error}; see README, Configuration"),
            )
        })?;
        return Ok(SecretLocation::Inline(inline));
    }
    if let Some(id) = env.get("AGORA_SECRET_ID") {
        return Ok(SecretLocation::SecretsManager(id));
    }
    match profile {
        Profile::Dev => Ok(SecretLocation::LocalFile(home.join("secrets.json"))),
        Profile::Prod => Err(env.invalid(
            "AGORA_SECRET_ID",
            "must name the Secrets Manager secret holding the signing keys in the prod profile (or set AGORA_SECRETS)".into(),
        )),
    }
}
