//! Configuration from the environment: the only place in Agora that reads it.
//!
//! Each area owns its settings type (the database adapter its `DatabaseSettings`, the run
//! path its `RunSettings`, ...); this module reads the variables of each area in a section
//! of its own and assembles them. Every setting has a documented default (README,
//! "Configuration"); the presence of a backend's variable (`REDIS_URL`, `S3_BUCKET`, ...)
//! selects its production adapter and its absence selects the embedded default. Parsing
//! never panics: a bad value is a [`ConfigError`] that names the variable and says what a
//! good value looks like.

mod auth;
mod env;
mod models;
mod runs;
mod server;
mod stores;

use std::fmt;

use self::env::Env;
use crate::{
    adapters::{
        aws::AwsSettings, embedders::EmbedderSettings, llm::ProviderSettings, local::LocalSettings,
        opensearch::OpenSearchSettings, postgres::DatabaseSettings, redis::RedisSettings,
        secrets::SecretLocation,
    },
    api::HttpSettings,
    services::{accounts::AuthSettings, runs::RunSettings, workflows::WorkflowSettings},
    telemetry::LogSettings,
};

/// Everything Agora reads from its environment, parsed and checked once per process.
#[derive(Clone, Debug)]
pub struct Config {
    pub profile: Profile,
    pub http: HttpSettings,
    /// The port `agora serve` listens on.
    pub port: u16,
    /// The address `agora serve` listens on (`AGORA_BIND`): loopback unless a container
    /// or a load balancer in front needs every interface (`0.0.0.0`).
    pub bind: std::net::IpAddr,
    pub database: Option<DatabaseSettings>,
    pub redis: Option<RedisSettings>,
    pub aws: AwsSettings,
    pub auth: AuthSettings,
    /// The sender of Agora's emails through Amazon SES; without it, mail goes to the dev
    /// outbox (dev profile) or nowhere (prod).
    pub mail_from: Option<String>,
    /// Where the JSON secret with the signing keys (and Agora's provider keys) lives.
    pub secret: SecretLocation,
    pub embedder: EmbedderSettings,
    /// The catalog's search index: OpenSearch when set, PostgreSQL otherwise.
    pub opensearch: Option<OpenSearchSettings>,
    /// Running agents: limits, budgets, retries, credits.
    pub runs: RunSettings,
    pub workflows: WorkflowSettings,
    /// Agora's own provider accounts and the rules for user-supplied endpoints.
    pub providers: ProviderSettings,
    pub log: LogSettings,
    /// Where the embedded defaults keep their state.
    pub local: LocalSettings,
}

/// `dev` relaxes nothing about security; it only allows the local embedded defaults and
/// example secrets. `prod` is what the SAM template sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Prod,
}

/// A setting that is missing or malformed.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the process environment.
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place that reads the environment"
    )]
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// `AGORA_PORT` alone (`agora healthcheck` needs nothing else, so a setting the server
    /// would refuse cannot fail its health check).
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place that reads the environment"
    )]
    pub fn port_from_env() -> Result<u16, ConfigError> {
        server::port(&Env::new(std::env::vars()))
    }

    /// Reads the given variables; tests pass their own instead of mutating the process.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env = Env::new(vars);
        if env.bundled_settings_invalid() {
            return Err(env.invalid(
                env::SETTINGS_JSON,
                "must be a JSON object of variable names to string values".into(),
            ));
        }
        let profile = match env.get("AGORA_PROFILE").as_deref() {
            None | Some("dev") => Profile::Dev,
            Some("prod") => Profile::Prod,
            Some(other) => {
                return Err(env.invalid(
                    "AGORA_PROFILE",
                    format!("`{other}` is not a profile; use `dev` or `prod`"),
                ));
            }
        };
        let local = stores::local(&env);
        let http = server::http(&env)?;
        let runs = runs::runs(&env, http.request_timeout)?;
        let port = server::port(&env)?;
        Ok(Self {
            profile,
            port,
            bind: server::bind(&env)?,
            database: stores::database(&env)?,
            redis: stores::redis(&env)?,
            aws: stores::aws(&env),
            auth: auth::auth(&env, profile, port)?,
            mail_from: auth::mail_from(&env)?,
            secret: auth::secret_location(&env, profile, &local.home)?,
            embedder: models::embedder(&env)?,
            opensearch: stores::opensearch(&env)?,
            workflows: runs::workflows(&env)?,
            runs,
            providers: models::providers(&env)?,
            log: server::log(&env)?,
            http,
            local,
        })
    }

    /// A configuration with every default and no backends, for tests and tools.
    pub fn defaults() -> Self {
        // No variable is set, so no parse can fail; fall back defensively anyway.
        match Self::from_vars(Vec::new()) {
            Ok(config) => config,
            Err(error) => unreachable_config(error),
        }
    }
}

#[expect(
    clippy::panic,
    reason = "the empty environment parses by construction; a failure is a bug in this module"
)]
fn unreachable_config(error: ConfigError) -> Config {
    panic!("defaults must parse: {error}")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn no_variables_select_every_embedded_default() {
        let config = Config::defaults();
        assert_eq!(config.profile, Profile::Dev);
        assert!(config.database.is_none());
        assert!(config.redis.is_none());
        assert!(!config.aws.any_configured());
        assert_eq!(config.http.body_limit_bytes, 1 << 20);
        assert_eq!(config.port, 8080);
    }

    #[test]
    fn backend_variables_select_production_adapters() {
        let config = config(&[
            (
                "DATABASE_URL",
                "postgres://agora@db:5432/agora?sslmode=require",
            ),
            ("DATABASE_IAM_AUTH", "true"),
            ("REDIS_URL", "rediss://cache:6379"),
            ("S3_BUCKET", "agora-blobs"),
        ])
        .unwrap();
        assert!(config.database.as_ref().unwrap().iam_auth);
        assert_eq!(config.redis.unwrap().key_prefix, "agora:");
        assert!(config.aws.any_configured());
    }

    /// A container's task definition passes the stack's settings as one JSON value and
    /// the cache token from Secrets Manager on its own.
    #[test]
    fn bundled_settings_and_a_separate_cache_token_are_read_as_variables() {
        let bundled = config(&[
            (
                "AGORA_SETTINGS_JSON",
                r#"{"REDIS_URL": "rediss://cache.example:6379", "AGORA_PORT": "9000", "S3_BUCKET": ""}"#,
            ),
            ("AGORA_PORT", "9001"),
            ("REDIS_AUTH_TOKEN", "t0ken/with+chars"),
            ("AGORA_BIND", "0.0.0.0"),
        ])
        .unwrap();
        assert_eq!(bundled.port, 9001, "a variable of its own wins");
        assert_eq!(
            bundled.redis.unwrap().url,
            "rediss://:t0ken%2Fwith+chars@cache.example:6379"
        );
        assert!(bundled.aws.s3_bucket.is_none(), "blank means unset");
        assert_eq!(bundled.bind, std::net::IpAddr::from([0, 0, 0, 0]));
        for broken in [r#"["a"]"#, r#"{"AGORA_PORT": 9000}"#, "not json"] {
            let error = config(&[("AGORA_SETTINGS_JSON", broken)]).unwrap_err();
            assert_eq!(error.variable, "AGORA_SETTINGS_JSON", "{broken}");
        }
        assert_eq!(
            config(&[("AGORA_BIND", "everywhere")])
                .unwrap_err()
                .variable,
            "AGORA_BIND"
        );
    }

    #[test]
    fn malformed_values_name_the_variable_and_the_fix() {
        let cases = [
            (("DATABASE_URL", "mysql://x"), "DATABASE_URL", "postgres://"),
            (
                ("DATABASE_URL", "postgres://a@b:notaport/c"),
                "DATABASE_URL",
                "not a valid PostgreSQL URL",
            ),
            (("REDIS_URL", "http://cache"), "REDIS_URL", "redis://"),
            (
                ("AGORA_PROFILE", "staging"),
                "AGORA_PROFILE",
                "`dev` or `prod`",
            ),
            (
                ("AGORA_BODY_LIMIT_BYTES", "-1"),
                "AGORA_BODY_LIMIT_BYTES",
                "whole number",
            ),
            (
                ("AGORA_REQUEST_TIMEOUT_MS", "soon"),
                "AGORA_REQUEST_TIMEOUT_MS",
                "whole number",
            ),
            (
                ("AGORA_CORS_ORIGINS", "*"),
                "AGORA_CORS_ORIGINS",
                "not an origin",
            ),
            (
                ("AGORA_LOG_FORMAT", "xml"),
                "AGORA_LOG_FORMAT",
                "`json` or `pretty`",
            ),
        ];
        for ((name, value), variable, hint) in cases {
            let error = config(&[(name, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{name}={value}");
            assert!(error.problem.contains(hint), "{name}={value}: {error}");
        }
    }

    #[test]
    fn signing_keys_come_from_the_environment_secrets_manager_or_a_local_file() {
        let keys = r#"{"jwt_active_kid":"1","jwt_key_1":"0123456789abcdef0123456789abcdef"}"#;
        let inline = config(&[("AGORA_SECRETS", keys), ("AGORA_SECRET_ID", "agora/prod")]).unwrap();
        assert_eq!(inline.secret, SecretLocation::Inline(keys.into()));
        assert!(
            !format!("{inline:?}").contains("0123456789abcdef"),
            "never printed"
        );
        let managed = config(&[("AGORA_SECRET_ID", "agora/prod")]).unwrap();
        assert_eq!(
            managed.secret,
            SecretLocation::SecretsManager("agora/prod".into())
        );
        let local = config(&[("AGORA_HOME", "/tmp/agora-home")]).unwrap();
        assert_eq!(
            local.secret,
            SecretLocation::LocalFile(PathBuf::from("/tmp/agora-home/secrets.json"))
        );
    }

    #[test]
    fn prod_refuses_missing_weak_and_example_secrets() {
        let missing = config(&[("AGORA_PROFILE", "prod")]).unwrap_err();
        assert_eq!(missing.variable, "AGORA_SECRET_ID");
        let weak = config(&[(
            "AGORA_SECRETS",
            r#"{"jwt_active_kid":"1","jwt_key_1":"short"}"#,
        )])
        .unwrap_err();
        assert_eq!(weak.variable, "AGORA_SECRETS");
        let example = format!(
            r#"{{"jwt_active_kid":"1","jwt_key_1":"{}"}}"#,
            crate::domain::tokens::EXAMPLE_KEY_VALUE
        );
        assert!(
            config(&[("AGORA_SECRETS", &example)]).is_ok(),
            "dev allows the example"
        );
        let refused =
            config(&[("AGORA_PROFILE", "prod"), ("AGORA_SECRETS", &example)]).unwrap_err();
        assert!(refused.problem.contains("example"), "{refused}");
    }

    #[test]
    fn iam_auth_without_a_database_is_rejected() {
        let error = config(&[("DATABASE_IAM_AUTH", "true")]).unwrap_err();
        assert_eq!(error.variable, "DATABASE_IAM_AUTH");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let config = config(&[("REDIS_URL", "  "), ("AGORA_CORS_ORIGINS", "")]).unwrap();
        assert!(config.redis.is_none());
        assert!(config.http.cors_origins.is_empty());
    }

    #[test]
    fn cors_origins_are_normalised() {
        let config = config(&[(
            "AGORA_CORS_ORIGINS",
            "https://a.example.com/, http://localhost:5173",
        )])
        .unwrap();
        assert_eq!(
            config.http.cors_origins,
            ["https://a.example.com", "http://localhost:5173"]
        );
    }
}
