//! Configuration from the environment: the only place in Agora that reads it.
//!
//! Every setting has a documented default (README, "Configuration"); the presence of a
//! backend's variable (`REDIS_URL`, `S3_BUCKET`, ...) selects its production adapter and its
//! absence selects the embedded default. Parsing never panics: a bad value is a
//! [`ConfigError`] that names the variable and says what a good value looks like.

use std::{collections::HashMap, fmt, path::PathBuf, str::FromStr, time::Duration};

/// Everything Agora reads from its environment, parsed and checked once per process.
#[derive(Clone, Debug)]
pub struct Config {
    pub profile: Profile,
    pub http: HttpConfig,
    pub database: Option<DatabaseConfig>,
    pub redis: Option<RedisConfig>,
    pub aws: AwsConfig,
    pub auth: AuthConfig,
    pub embedder: EmbedderConfig,
    /// The catalog's search index: OpenSearch when set, PostgreSQL otherwise.
    pub opensearch: Option<OpenSearchConfig>,
    /// Running agents: limits, budgets, retries, credits.
    pub runs: crate::services::runs::RunSettings,
    pub workflows: crate::services::workflows::WorkflowSettings,
    /// Agora's own provider accounts and the rules for user-supplied endpoints.
    pub providers: ProvidersConfig,
    pub log: LogConfig,
    pub local: LocalConfig,
}

/// The language-model providers Agora calls with its own keys, and the guard on URLs that
/// users supply. Keys given here (the environment, locally) win over those in the secret
/// (`openai_api_key`, `anthropic_api_key` in `AGORA_SECRET_ID`'s JSON, in AWS).
#[derive(Clone, Debug)]
pub struct ProvidersConfig {
    pub openai_api_key: Option<crate::domain::secret::SecretString>,
    pub anthropic_api_key: Option<crate::domain::secret::SecretString>,
    /// Where Agora's (and users' own) OpenAI keys are sent.
    pub openai_base_url: String,
    /// Where Agora's (and users' own) Anthropic keys are sent.
    pub anthropic_base_url: String,
    /// Amazon Bedrock through the function's IAM role.
    pub bedrock: bool,
    /// A Bedrock endpoint other than the region's (a VPC endpoint).
    pub bedrock_endpoint_url: Option<String>,
    /// How long `agora/echo` waits between streamed words (so streaming can be seen).
    pub echo_word_delay: Duration,
    /// Non-public networks user-supplied URLs may reach (never link-local or metadata).
    pub egress: crate::adapters::egress::EgressPolicy,
}

/// `dev` relaxes nothing about security; it only allows the local embedded defaults and,
/// later, example secrets. `prod` is what the SAM template sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Prod,
}

#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Whole-request budget; kept below API Gateway's 30 s integration limit.
    pub request_timeout: Duration,
    /// Browser origins allowed by CORS; empty means same-origin only.
    pub cors_origins: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// The connection URL exactly as given (it may hold a password: never log it).
    pub url: String,
    /// Authenticate with short-lived RDS IAM tokens instead of a password.
    pub iam_auth: bool,
    pub pool_size: usize,
    pub connect_timeout: Duration,
    /// Extra CA certificates (PEM) to trust for TLS, e.g. the RDS global bundle.
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    pub key_prefix: String,
    pub pool_size: usize,
    /// Budget for one Redis command, connection included.
    pub timeout: Duration,
}

/// AWS services Agora uses when configured. The SDK itself reads the region, credentials
/// and `AWS_ENDPOINT_URL` (moto in tests) from the standard variables.
#[derive(Clone, Debug, Default)]
pub struct AwsConfig {
    pub s3_bucket: Option<String>,
    /// The workflow step queue; without it steps run in process.
    pub queue_url: Option<String>,
    /// Its dead-letter queue (only `agora workflows redrive` reads it).
    pub dead_letter_queue_url: Option<String>,
    pub idempotency_table: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_id: Option<String>,
    /// Set when any AWS-backed setting is present, or `AWS_ENDPOINT_URL` is given.
    pub endpoint_url: Option<String>,
}

impl AwsConfig {
    /// Whether any AWS service is configured, so an SDK config must be loaded.
    pub fn any_configured(&self) -> bool {
        self.s3_bucket.is_some()
            || self.queue_url.is_some()
            || self.idempotency_table.is_some()
            || self.kms_key_id.is_some()
            || self.secret_id.is_some()
    }
}

/// Sign-in, tokens, API keys and the limits around them.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// `iss` of access tokens.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long a just-rotated refresh token still gets its same successor (a client
    /// retrying a lost response); later presentations count as reuse.
    pub refresh_grace: Duration,
    /// Where the signing keys are.
    pub secret: SecretLocation,
    /// Whether the documentation's example key is accepted (dev profile only).
    pub allow_example_keys: bool,
    /// Failed sign-ins allowed per account, and per client address, in one window.
    pub login_failures_per_account: u64,
    pub login_failures_per_address: u64,
    pub login_failure_window: Duration,
    /// Requests per minute per caller (user, or client address when anonymous).
    pub requests_per_minute: u64,
    /// Live API keys one user may hold.
    pub max_api_keys: usize,
}

/// Amazon OpenSearch Service (or any OpenSearch) as the catalog's search index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSearchConfig {
    pub url: String,
    pub index: String,
    /// Sign requests with SigV4 (Amazon OpenSearch Service).
    pub sigv4: bool,
}

/// Which model turns agent listings and search queries into vectors.
#[derive(Clone, PartialEq, Eq)]
pub enum EmbedderConfig {
    /// `agora/offline-hash-256`: no provider, labelled offline (the default).
    Offline,
    /// OpenAI's embeddings API, or any server speaking it at `base_url`.
    OpenAi {
        base_url: String,
        model: String,
        api_key: Option<String>,
    },
    /// Amazon Bedrock (Titan text embeddings v2 by default).
    Bedrock { model_id: String },
}

impl fmt::Debug for EmbedderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Offline => f.write_str("Offline"),
            Self::OpenAi {
                base_url, model, ..
            } => write!(f, "OpenAi({base_url}, {model})"),
            Self::Bedrock { model_id } => write!(f, "Bedrock({model_id})"),
        }
    }
}

/// Where the JSON secret with the signing keys lives.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretLocation {
    /// `AGORA_SECRET_ID`: an AWS Secrets Manager secret id or ARN.
    SecretsManager(String),
    /// `AGORA_SECRETS`: the JSON itself.
    Inline(String),
    /// Neither set (dev profile): a file under `AGORA_HOME`, created on first use.
    LocalFile(PathBuf),
}

impl fmt::Debug for SecretLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretsManager(id) => write!(f, "SecretsManager({id})"),
            Self::Inline(_) => f.write_str("Inline(<redacted>)"),
            Self::LocalFile(path) => write!(f, "LocalFile({})", path.display()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `agora=debug,tower_http=info`.
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Settings of the single local process (`agora serve`).
#[derive(Clone, Debug)]
pub struct LocalConfig {
    /// Folder for local state: the embedded PostgreSQL cluster, blobs, keys.
    pub home: PathBuf,
    /// Folder holding PostgreSQL's `initdb`, `pg_ctl` and `postgres`.
    pub pg_bin: Option<PathBuf>,
    /// Unprivileged user that runs PostgreSQL when Agora runs as root.
    pub pg_user: String,
    /// The built web UI served at `/`.
    pub web_dir: PathBuf,
    pub port: u16,
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

    /// Reads the given variables; tests pass their own instead of mutating the process.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env = Env(vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect());
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
        let database = match env.get("DATABASE_URL") {
            None => None,
            Some(url) => Some(DatabaseConfig {
                url: check_database_url(&url)?,
                iam_auth: env.parse_bool("DATABASE_IAM_AUTH", false)?,
                pool_size: env.parse_range("DATABASE_POOL_SIZE", 8, 1..=512)?,
                connect_timeout: env.parse_millis("DATABASE_CONNECT_TIMEOUT_MS", 5_000)?,
                ca_file: env.get("DATABASE_CA_FILE").map(PathBuf::from),
            }),
        };
        let redis = match env.get("REDIS_URL") {
            None => None,
            Some(url) => Some(RedisConfig {
                url: check_redis_url(&url)?,
                key_prefix: env
                    .get("REDIS_KEY_PREFIX")
                    .unwrap_or_else(|| "agora:".to_owned()),
                pool_size: env.parse_range("REDIS_POOL_SIZE", 16, 1..=1024)?,
                timeout: env.parse_millis("REDIS_TIMEOUT_MS", 250)?,
            }),
        };
        if env.get("DATABASE_IAM_AUTH").is_some() && database.is_none() {
            return Err(env.invalid(
                "DATABASE_IAM_AUTH",
                "is set but DATABASE_URL is not; set DATABASE_URL to the RDS endpoint".into(),
            ));
        }
        let home = PathBuf::from(env.get("AGORA_HOME").unwrap_or_else(|| ".agora".to_owned()));
        let auth = AuthConfig {
            issuer: env
                .get("AGORA_JWT_ISSUER")
                .unwrap_or_else(|| "agora".to_owned()),
            audience: env
                .get("AGORA_JWT_AUDIENCE")
                .unwrap_or_else(|| "agora-api".to_owned()),
            access_ttl: Duration::from_secs(env.parse_range(
                "AGORA_ACCESS_TOKEN_TTL_SECONDS",
                900,
                60..=86_400,
            )?),
            refresh_ttl: Duration::from_secs(
                86_400 * env.parse_range("AGORA_REFRESH_TOKEN_TTL_DAYS", 30, 1..=365)?,
            ),
            refresh_grace: Duration::from_secs(10),
            secret: secret_location(&env, profile, &home)?,
            allow_example_keys: profile == Profile::Dev,
            login_failures_per_account: env.parse_range("AGORA_LOGIN_MAX_FAILURES", 5, 1..=1000)?,
            login_failures_per_address: env.parse_range(
                "AGORA_LOGIN_MAX_FAILURES_PER_ADDRESS",
                50,
                1..=100_000,
            )?,
            login_failure_window: Duration::from_secs(env.parse_range(
                "AGORA_LOGIN_FAILURE_WINDOW_SECONDS",
                900,
                1..=86_400,
            )?),
            requests_per_minute: env.parse_range(
                "AGORA_RATE_LIMIT_PER_MINUTE",
                600,
                1..=1_000_000,
            )?,
            max_api_keys: env.parse_range("AGORA_MAX_API_KEYS", 50, 1..=1000)?,
        };
        let embedder = match env.get("AGORA_EMBEDDER").as_deref() {
            None | Some("offline") => EmbedderConfig::Offline,
            Some("openai") => EmbedderConfig::OpenAi {
                base_url: env.get("AGORA_EMBEDDING_URL").unwrap_or_else(|| {
                    crate::adapters::embedders::openai::OPENAI_BASE_URL.to_owned()
                }),
                model: env
                    .get("AGORA_EMBEDDING_MODEL")
                    .unwrap_or_else(|| "text-embedding-3-small".to_owned()),
                api_key: Some(env.get("AGORA_EMBEDDING_API_KEY").ok_or_else(|| {
                    env.invalid(
                        "AGORA_EMBEDDING_API_KEY",
                        "is required with AGORA_EMBEDDER=openai".into(),
                    )
                })?),
            },
            Some("openai-compatible") => EmbedderConfig::OpenAi {
                base_url: check_http_url(&env, "AGORA_EMBEDDING_URL")?,
                model: env.get("AGORA_EMBEDDING_MODEL").ok_or_else(|| {
                    env.invalid(
                        "AGORA_EMBEDDING_MODEL",
                        "is required with AGORA_EMBEDDER=openai-compatible".into(),
                    )
                })?,
                api_key: env.get("AGORA_EMBEDDING_API_KEY"),
            },
            Some("bedrock") => EmbedderConfig::Bedrock {
                model_id: env.get("AGORA_EMBEDDING_MODEL").unwrap_or_else(|| {
                    crate::adapters::embedders::bedrock::TITAN_EMBED_V2.to_owned()
                }),
            },
            Some(other) => {
                return Err(env.invalid(
                    "AGORA_EMBEDDER",
                    format!("`{other}` is not an embedder; use offline, openai, openai-compatible or bedrock"),
                ));
            }
        };
        let opensearch = match env.get("OPENSEARCH_URL") {
            None => None,
            Some(_) => {
                let url = check_http_url(&env, "OPENSEARCH_URL")?;
                let aws_host = url
                    .parse::<http::Uri>()
                    .ok()
                    .and_then(|uri| uri.host().map(|host| host.ends_with(".amazonaws.com")))
                    .unwrap_or(false);
                Some(OpenSearchConfig {
                    index: env
                        .get("OPENSEARCH_INDEX")
                        .unwrap_or_else(|| "agora-agents".to_owned()),
                    sigv4: env.parse_bool("OPENSEARCH_SIGV4", aws_host)?,
                    url,
                })
            }
        };
        let request_timeout = env.parse_millis("AGORA_REQUEST_TIMEOUT_MS", 25_000)?;
        let provider_timeout = env.parse_millis("AGORA_PROVIDER_TIMEOUT_MS", 60_000)?;
        let runs = crate::services::runs::RunSettings {
            max_output_tokens: env.parse_range("AGORA_MAX_OUTPUT_TOKENS", 8_192, 1..=200_000)?,
            default_max_tokens: env.parse_range("AGORA_DEFAULT_MAX_TOKENS", 1_024, 1..=200_000)?,
            max_retries: env.parse_range("AGORA_PROVIDER_RETRIES", 2, 0..=5)?,
            retry_base: env.parse_millis("AGORA_PROVIDER_RETRY_BASE_MS", 250)?,
            max_retry_wait: env.parse_millis("AGORA_PROVIDER_MAX_RETRY_WAIT_MS", 10_000)?,
            provider_timeout,
            // Finding a model that answers must end before the request's own budget.
            start_budget: request_timeout
                .saturating_sub(Duration::from_secs(1))
                .max(Duration::from_millis(500)),
            max_concurrent_runs: env.parse_range("AGORA_MAX_CONCURRENT_RUNS", 4, 1..=1_000)?,
            runs_per_minute: env.parse_range("AGORA_RUNS_PER_MINUTE", 60, 1..=1_000_000)?,
            signup_grant_micros: match env.get("AGORA_SIGNUP_CREDITS") {
                None => 5 * crate::domain::money::MICROS_PER_CREDIT,
                Some(raw) => crate::domain::Credits::parse(&raw)
                    .map_err(|problem| env.invalid("AGORA_SIGNUP_CREDITS", problem))?
                    .micros(),
            },
            hold_ttl: Duration::from_secs(env.parse_range(
                "AGORA_RUN_HOLD_TTL_SECONDS",
                900,
                60..=86_400,
            )?),
            response_cache_ttl: Duration::from_secs(env.parse_range(
                "AGORA_RESPONSE_CACHE_TTL_SECONDS",
                3_600,
                0..=604_800,
            )?),
        };
        let workflows = crate::services::workflows::WorkflowSettings {
            max_step_attempts: env.parse_range("AGORA_WORKFLOW_STEP_ATTEMPTS", 3, 1..=10)?,
            retry_base: env.parse_millis("AGORA_WORKFLOW_RETRY_BASE_MS", 2_000)?,
            // The template's maxReceiveCount: the worker fails a run when its message
            // is about to be dead-lettered.
            max_receive_count: env.parse_range("AGORA_WORKFLOW_MAX_RECEIVE_COUNT", 5, 1..=1_000)?,
            signup_grant_micros: runs.signup_grant_micros,
            run_ttl: Duration::from_secs(env.parse_range(
                "AGORA_WORKFLOW_RUN_TTL_SECONDS",
                86_400,
                60..=2_592_000,
            )?),
        };
        let egress = {
            let allowed = match env.get("AGORA_EGRESS_ALLOW") {
                None => Vec::new(),
                Some(raw) => raw
                    .split(',')
                    .map(|net| {
                        net.trim().parse::<ipnet::IpNet>().map_err(|_| {
                            env.invalid(
                                "AGORA_EGRESS_ALLOW",
                                format!("`{}` is not a CIDR range like 10.0.0.0/8", net.trim()),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            crate::adapters::egress::EgressPolicy::new(allowed)
                .map_err(|problem| env.invalid("AGORA_EGRESS_ALLOW", problem))?
        };
        let providers = ProvidersConfig {
            openai_api_key: env
                .get("OPENAI_API_KEY")
                .map(crate::domain::secret::SecretString::new),
            anthropic_api_key: env
                .get("ANTHROPIC_API_KEY")
                .map(crate::domain::secret::SecretString::new),
            openai_base_url: match env.get("AGORA_OPENAI_BASE_URL") {
                Some(_) => check_http_url(&env, "AGORA_OPENAI_BASE_URL")?,
                None => crate::adapters::llm::openai::OPENAI_BASE_URL.to_owned(),
            },
            anthropic_base_url: match env.get("AGORA_ANTHROPIC_BASE_URL") {
                Some(_) => check_http_url(&env, "AGORA_ANTHROPIC_BASE_URL")?,
                None => crate::adapters::llm::anthropic::ANTHROPIC_BASE_URL.to_owned(),
            },
            bedrock: env.parse_bool("AGORA_BEDROCK", false)?,
            bedrock_endpoint_url: match env.get("AGORA_BEDROCK_ENDPOINT_URL") {
                Some(_) => Some(check_http_url(&env, "AGORA_BEDROCK_ENDPOINT_URL")?),
                None => None,
            },
            echo_word_delay: Duration::from_millis(env.parse_range(
                "AGORA_ECHO_DELAY_MS",
                30,
                0..=5_000,
            )?),
            egress,
        };
        Ok(Self {
            profile,
            auth,
            embedder,
            opensearch,
            runs,
            workflows,
            providers,
            http: HttpConfig {
                body_limit_bytes: env.parse_range(
                    "AGORA_BODY_LIMIT_BYTES",
                    1 << 20,
                    1..=(64 << 20),
                )?,
                request_timeout,
                cors_origins: env.parse_origins("AGORA_CORS_ORIGINS")?,
            },
            database,
            redis,
            aws: AwsConfig {
                s3_bucket: env.get("S3_BUCKET"),
                queue_url: env.get("QUEUE_URL"),
                dead_letter_queue_url: env.get("DEAD_LETTER_QUEUE_URL"),
                idempotency_table: env.get("IDEMPOTENCY_TABLE"),
                kms_key_id: env.get("KMS_KEY_ID"),
                secret_id: env.get("AGORA_SECRET_ID"),
                endpoint_url: env.get("AWS_ENDPOINT_URL"),
            },
            log: LogConfig {
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
            },
            local: LocalConfig {
                home,
                pg_bin: env.get("AGORA_PG_BIN").map(PathBuf::from),
                pg_user: env
                    .get("AGORA_PG_USER")
                    .unwrap_or_else(|| "nobody".to_owned()),
                web_dir: PathBuf::from(
                    env.get("AGORA_WEB_DIR")
                        .unwrap_or_else(|| "web/dist".to_owned()),
                ),
                port: env.parse_range("AGORA_PORT", 8080, 0..=65535)?,
            },
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
    reason = "the empty environment parses by construction; a failure is a bug in this file"
)]
fn unreachable_config(error: ConfigError) -> Config {
    panic!("defaults must parse: {error}")
}

/// `AGORA_SECRETS` (inline, checked now), else `AGORA_SECRET_ID` (read on first use),
/// else a file under `AGORA_HOME` in the dev profile only.
fn secret_location(
    env: &Env,
    profile: Profile,
    home: &std::path::Path,
) -> Result<SecretLocation, ConfigError> {
    if let Some(inline) = env.get("AGORA_SECRETS") {
        crate::domain::tokens::TokenKeys::parse(&inline, profile == Profile::Dev).map_err(
            |error| {
                env.invalid(
                    "AGORA_SECRETS",
                    format!("{error}; see README, Configuration"),
                )
            },
        )?;
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

/// A required http(s) URL (an operator's setting, not a user's).
fn check_http_url(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    let url = env
        .get(name)
        .ok_or_else(|| env.invalid(name, "is required, e.g. http://127.0.0.1:11434/v1".into()))?;
    match url.parse::<http::Uri>() {
        Ok(uri) if matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some() => {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(env.invalid(name, format!("`{url}` is not an http(s) URL"))),
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

struct Env(HashMap<String, String>);

impl Env {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|value| value.trim().to_owned())
    }

    fn invalid(&self, variable: &'static str, problem: String) -> ConfigError {
        ConfigError { variable, problem }
    }

    fn parse_bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self
            .get(name)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(self.invalid(
                name,
                format!("`{other}` is not a boolean; use `true` or `false`"),
            )),
        }
    }

    fn parse_range<T>(
        &self,
        name: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        match raw.parse::<T>() {
            Ok(value) if range.contains(&value) => Ok(value),
            _ => Err(self.invalid(
                name,
                format!(
                    "`{raw}` is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    fn parse_millis(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.parse_range(name, default, 1..=3_600_000)
            .map(Duration::from_millis)
    }

    fn parse_origins(&self, name: &'static str) -> Result<Vec<String>, ConfigError> {
        let Some(raw) = self.get(name) else {
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
                    Err(self.invalid(name, format!("`{origin}` is not an origin; list full origins like https://app.example.com, comma-separated")))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(config.local.port, 8080);
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
        assert_eq!(inline.auth.secret, SecretLocation::Inline(keys.into()));
        assert!(
            !format!("{inline:?}").contains("0123456789abcdef"),
            "never printed"
        );
        let managed = config(&[("AGORA_SECRET_ID", "agora/prod")]).unwrap();
        assert_eq!(
            managed.auth.secret,
            SecretLocation::SecretsManager("agora/prod".into())
        );
        let local = config(&[("AGORA_HOME", "/tmp/agora-home")]).unwrap();
        assert_eq!(
            local.auth.secret,
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
