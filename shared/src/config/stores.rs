//! Where data lives: PostgreSQL, Redis, the AWS services, OpenSearch, and the local folder
//! of the embedded defaults.

use std::{path::PathBuf, str::FromStr};

use super::{ConfigError, env::Env};
use crate::adapters::{
    aws::AwsSettings, local::LocalSettings, opensearch::OpenSearchSettings,
    postgres::DatabaseSettings, redis::RedisSettings,
};

pub fn database(env: &Env) -> Result<Option<DatabaseSettings>, ConfigError> {
    let Some(url) = env.get("DATABASE_URL") else {
        if env.get("DATABASE_IAM_AUTH").is_some() {
            return Err(env.invalid(
                "DATABASE_IAM_AUTH",
                "is set but DATABASE_URL is not; set DATABASE_URL to the RDS endpoint".into(),
            ));
        }
        return Ok(None);
    };
    Ok(Some(DatabaseSettings {
        url: check_database_url(&url)?,
        iam_auth: env.parse_bool("DATABASE_IAM_AUTH", false)?,
        pool_size: env.parse_range("DATABASE_POOL_SIZE", 8, 1..=512)?,
        connect_timeout: env.parse_millis("DATABASE_CONNECT_TIMEOUT_MS", 5_000)?,
        ca_file: env.get("DATABASE_CA_FILE").map(PathBuf::from),
        statement_timeout: env.parse_millis("DATABASE_STATEMENT_TIMEOUT_MS", 10_000)?,
        idle_in_transaction_timeout: env
            .parse_millis("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", 30_000)?,
    }))
}

pub fn redis(env: &Env) -> Result<Option<RedisSettings>, ConfigError> {
    let Some(url) = env.get("REDIS_URL") else {
        return Ok(None);
    };
    let url = match env.get("REDIS_AUTH_TOKEN") {
        Some(token) => with_password(&url, &token)?,
        None => url,
    };
    Ok(Some(RedisSettings {
        url: check_redis_url(&url)?,
        key_prefix: env
            .get("REDIS_KEY_PREFIX")
            .unwrap_or_else(|| "agora:".to_owned()),
        pool_size: env.parse_range("REDIS_POOL_SIZE", 16, 1..=1024)?,
        timeout: env.parse_millis("REDIS_TIMEOUT_MS", 250)?,
    }))
}

pub fn aws(env: &Env) -> AwsSettings {
    AwsSettings {
        s3_bucket: env.get("S3_BUCKET"),
        queue_url: env.get("QUEUE_URL"),
        dead_letter_queue_url: env.get("DEAD_LETTER_QUEUE_URL"),
        idempotency_table: env.get("IDEMPOTENCY_TABLE"),
        kms_key_id: env.get("KMS_KEY_ID"),
        secret_id: env.get("AGORA_SECRET_ID"),
        verification_keys_id: env.get("AGORA_VERIFICATION_KEYS_ID"),
        provider_secret_id: env.get("AGORA_PROVIDER_SECRET_ID"),
        database_owner_secret_id: env.get("DATABASE_OWNER_SECRET_ID"),
        endpoint_url: env.get("AWS_ENDPOINT_URL"),
    }
}

pub fn opensearch(env: &Env) -> Result<Option<OpenSearchSettings>, ConfigError> {
    if env.get("OPENSEARCH_URL").is_none() {
        return Ok(None);
    }
    let url = env.http_url("OPENSEARCH_URL")?;
    let aws_host = url
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(|host| host.ends_with(".amazonaws.com")))
        .unwrap_or(false);
    Ok(Some(OpenSearchSettings {
        index: env
            .get("OPENSEARCH_INDEX")
            .unwrap_or_else(|| "agora-agents".to_owned()),
        sigv4: env.parse_bool("OPENSEARCH_SIGV4", aws_host)?,
        url,
    }))
}

pub fn local(env: &Env) -> LocalSettings {
    LocalSettings {
        home: PathBuf::from(env.get("AGORA_HOME").unwrap_or_else(|| ".agora".to_owned())),
        pg_bin: env.get("AGORA_PG_BIN").map(PathBuf::from),
        pg_user: env
            .get("AGORA_PG_USER")
            .unwrap_or_else(|| "nobody".to_owned()),
    }
}

fn check_database_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |problem: String| ConfigError {
        variable: "DATABASE_URL",
        problem,
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(invalid(
            "must start with postgres:// (e.g. postgres://user:password@host:5432/agora)".into(),
        ));
    }
    tokio_postgres::Config::from_str(url)
        .map_err(|error| invalid(format!("is not a valid PostgreSQL URL: {error}")))?;
    Ok(url.to_owned())
}

/// `REDIS_AUTH_TOKEN` (a container gets it from Secrets Manager) as the URL's password.
fn with_password(url: &str, token: &str) -> Result<String, ConfigError> {
    let mut parsed = url::Url::parse(url).map_err(|_| ConfigError {
        variable: "REDIS_URL",
        problem: "is not a valid Redis URL".into(),
    })?;
    parsed.set_password(Some(token)).map_err(|()| ConfigError {
        variable: "REDIS_AUTH_TOKEN",
        problem: "cannot be set on REDIS_URL (it names no host)".into(),
    })?;
    Ok(parsed.to_string())
}

fn check_redis_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |problem: String| ConfigError {
        variable: "REDIS_URL",
        problem,
    };
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(invalid(
            "must start with redis:// or rediss:// (e.g. redis://127.0.0.1:6379/0)".into(),
        ));
    }
    deadpool_redis::redis::Client::open(url)
        .map_err(|error| invalid(format!("is not a valid Redis URL: {error}")))?;
    Ok(url.to_owned())
}
