//! The HTTP server's settings (body limit, timeout, CORS, the web UI), its port, and logs.

use std::path::PathBuf;

use super::{ConfigError, env::Env};
use crate::{
    api::HttpSettings,
    domain::secret::SecretString,
    telemetry::{LogFormat, LogSettings},
};

pub fn http(env: &Env) -> Result<HttpSettings, ConfigError> {
    Ok(HttpSettings {
        body_limit_bytes: env.parse_range("AGORA_BODY_LIMIT_BYTES", 1 << 20, 1..=(64 << 20))?,
        request_timeout: env.parse_millis("AGORA_REQUEST_TIMEOUT_MS", 25_000)?,
        cors_origins: origins(env, "AGORA_CORS_ORIGINS")?,
        web_dir: PathBuf::from(
            env.get("AGORA_WEB_DIR")
                .unwrap_or_else(|| "web/dist".to_owned()),
        ),
        edge_secrets: edge_secrets(env)?,
    })
}

pub fn port(env: &Env) -> Result<u16, ConfigError> {
    env.parse_range("AGORA_PORT", 8080, 0..=65535)
}

/// `AGORA_BIND`: an IP address; 127.0.0.1 by default, so a laptop's server is not on the
/// network unless asked.
pub fn bind(env: &Env) -> Result<std::net::IpAddr, ConfigError> {
    match env.get("AGORA_BIND") {
        None => Ok(std::net::Ipv4Addr::LOCALHOST.into()),
        Some(raw) => raw.trim().parse().map_err(|_| {
            env.invalid(
                "AGORA_BIND",
                format!("`{raw}` is not an IP address; use 127.0.0.1, or 0.0.0.0 in a container"),
            )
        }),
    }
}

pub fn log(env: &Env) -> Result<LogSettings, ConfigError> {
    Ok(LogSettings {
        xray_daemon: env
            .get("AWS_XRAY_DAEMON_ADDRESS")
            .and_then(|raw| crate::telemetry::xray::daemon_address(&raw)),
        filter: env.get("AGORA_LOG").unwrap_or_else(|| "info".to_owned()),
        format: match env.get("AGORA_LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(env.invalid(
                    "AGORA_LOG_FORMAT",
                    format!("`{other}` is not a log format; use `json` or `pretty`"),
                ));
            }
        },
    })
}

/// Full browser origins, comma-separated, without wildcards.
fn origins(env: &Env, name: &'static str) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = env.get(name) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.trim_end_matches('/').contains('*')
                && origin.parse::<http::HeaderValue>().is_ok();
            if valid {
                Ok(origin.trim_end_matches('/').to_owned())
            } else {
                Err(env.invalid(name, format!("`{origin}` is not an origin; list full origins like https://app.example.com, comma-separated")))
            }
        })
        .collect()
}

/// `AGORA_EDGE_SECRET`, and `AGORA_EDGE_SECRET_PREVIOUS` while a rotation rolls out.
fn edge_secrets(env: &Env) -> Result<Vec<SecretString>, ConfigError> {
    let mut secrets = Vec::new();
    for name in ["AGORA_EDGE_SECRET", "AGORA_EDGE_SECRET_PREVIOUS"] {
        match env.get(name) {
            Some(secret) if secret.is_empty() => {}
            Some(secret) if secret.len() < 32 => {
                return Err(env.invalid(
                    name,
                    "must be at least 32 characters (the template generates one)".into(),
                ));
            }
            Some(secret) => secrets.push(SecretString::new(secret)),
            None => {}
        }
    }
    if secrets.len() == 1 && env.get("AGORA_EDGE_SECRET").is_none() {
        return Err(env.invalid(
            "AGORA_EDGE_SECRET",
            "is required with AGORA_EDGE_SECRET_PREVIOUS (the secret CloudFront sends now)".into(),
        ));
    }
    Ok(secrets)
}
