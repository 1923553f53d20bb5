//! Sign-in, tokens and the limits around them, and where the signing keys are kept.

use std::path::Path;

use super::{ConfigError, Profile, env::Env};
use crate::{
    adapters::secrets::SecretLocation,
    domain::{Credits, key_rotation::RotationPolicy, money::MICROS_PER_CREDIT, tokens::TokenKeys},
    services::accounts::{AuthSettings, VerificationSettings},
};

pub fn auth(env: &Env, profile: Profile, port: u16) -> Result<AuthSettings, ConfigError> {
    let access_ttl = env.parse_seconds("AGORA_ACCESS_TOKEN_TTL_SECONDS", 900, 60..=86_400)?;
    let key_refresh = env.parse_seconds("AGORA_SIGNING_KEYS_REFRESH_SECONDS", 300, 1..=3_600)?;
    Ok(AuthSettings {
        key_refresh,
        key_rotation: key_rotation(env, access_ttl, key_refresh)?,
        issuer: env
            .get("AGORA_JWT_ISSUER")
            .unwrap_or_else(|| "agora".to_owned()),
        audience: env
            .get("AGORA_JWT_AUDIENCE")
            .unwrap_or_else(|| "agora-api".to_owned()),
        access_ttl,
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
        verification: VerificationSettings {
            public_url: public_url(env, profile, port)?,
            link_ttl: env.parse_seconds(
                "AGORA_VERIFICATION_LINK_TTL_SECONDS",
                86_400,
                600..=604_800,
            )?,
            mails_per_hour: env.parse_range("AGORA_VERIFICATION_MAILS_PER_HOUR", 3, 1..=1_000)?,
            signup_grant_micros: match env.get("AGORA_SIGNUP_CREDITS") {
                None => 5 * MICROS_PER_CREDIT,
                Some(raw) => Credits::parse(&raw)
                    .map_err(|problem| env.invalid("AGORA_SIGNUP_CREDITS", problem))?
                    .micros(),
            },
        },
    })
}

/// The rotation schedule's waits: a new key signs once every process has had time to read
/// it (`AGORA_SIGNING_KEY_PROPAGATION_SECONDS`, at least the refresh interval), and an old
/// key retires once its last token has expired, or that wait, whichever is longer.
fn key_rotation(
    env: &Env,
    access_ttl: std::time::Duration,
    key_refresh: std::time::Duration,
) -> Result<RotationPolicy, ConfigError> {
    let days = env.parse_range("AGORA_SIGNING_KEY_ROTATION_DAYS", 30, 1..=365)?;
    let propagation =
        env.parse_seconds("AGORA_SIGNING_KEY_PROPAGATION_SECONDS", 3_600, 60..=86_400)?;
    if propagation < key_refresh {
        return Err(env.invalid(
            "AGORA_SIGNING_KEY_PROPAGATION_SECONDS",
            format!(
                "must be at least AGORA_SIGNING_KEYS_REFRESH_SECONDS ({} s): a key must not sign before every process has read it",
                key_refresh.as_secs()
            ),
        ));
    }
    // Every token of the old key has expired (with the verifier's 30 s leeway) once a
    // process still signing with it has read the switch.
    let last_token_expires = access_ttl + key_refresh + std::time::Duration::from_secs(60);
    let seconds = |duration: std::time::Duration| {
        chrono::Duration::seconds(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    };
    Ok(RotationPolicy {
        rotate_after: chrono::Duration::days(i64::from(days)),
        propagation: seconds(propagation),
        retire_after: seconds(propagation.max(last_token_expires)),
    })
}

/// The web UI's address for links in emails: `AGORA_PUBLIC_URL`, required where mail is
/// really sent (a link must never be built from a request's `Host`, which a client
/// chooses), and the local server's own address otherwise.
fn public_url(env: &Env, profile: Profile, port: u16) -> Result<String, ConfigError> {
    if env.get("AGORA_PUBLIC_URL").is_some() {
        return env.http_url("AGORA_PUBLIC_URL");
    }
    if profile == Profile::Prod && env.get("AGORA_MAIL_FROM").is_some() {
        return Err(env.invalid(
            "AGORA_PUBLIC_URL",
            "is required with AGORA_MAIL_FROM: set it to the web UI's address, e.g. https://agora.example.com, which confirmation links point to".into(),
        ));
    }
    Ok(format!("http://127.0.0.1:{port}"))
}

/// `AGORA_MAIL_FROM`: the sender of Agora's emails (an SES-verified identity), as
/// `no-reply@example.com` or `Agora <no-reply@example.com>`.
pub fn mail_from(env: &Env) -> Result<Option<String>, ConfigError> {
    let Some(from) = env.get("AGORA_MAIL_FROM") else {
        return Ok(None);
    };
    let valid = from.contains('@') && from.len() <= 320 && !from.chars().any(char::is_control);
    if valid {
        Ok(Some(from.trim().to_owned()))
    } else {
        Err(env.invalid(
            "AGORA_MAIL_FROM",
            "must be an email address SES may send from, e.g. Agora <no-reply@example.com>".into(),
        ))
    }
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
