//! One error type for every service and handler. Each surface renders it in its own
//! format (`api::problem` as RFC 9457 `application/problem+json`, the OpenAI surface as
//! OpenAI's error object) from what this module decides once: the status, the stable
//! problem slug, the detail a user can act on, and the log line.
//!
//! Each variant chooses its HTTP status and log level in matches without a wildcard arm, so
//! a new variant must decide both. Internal causes are logged, never put in the body.

use std::time::Duration;

use http::StatusCode;

use crate::domain::{
    FieldError, caller::CallerError, crypto::CryptoError, json::JsonError, llm::RunFailure,
};

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body or parameters are well-formed but break a rule; one entry per bad field.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// The body is not the JSON the route expects.
    #[error("{0}")]
    MalformedBody(String),
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// No credential, or one that is not accepted; the message says which and what to do.
    #[error("{0}")]
    Unauthorized(String),
    /// A sign-in with a wrong email or password (never says which).
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the current state (a taken email, a cap reached).
    #[error("{0}")]
    Conflict(String),
    /// A page cursor that this query did not return (edited, or from another query).
    #[error("{0}")]
    InvalidCursor(String),
    /// A provider (LLM, embeddings) answered with something Agora cannot use.
    #[error("{0}")]
    Upstream(String),
    /// The caller's balance cannot cover a run's worst-case cost.
    #[error("the balance cannot cover the run")]
    InsufficientCredits {
        available: crate::domain::Credits,
        needed: crate::domain::Credits,
    },
    /// A run would exceed a spending limit the caller set.
    #[error("the {period} spending limit would be exceeded")]
    SpendingLimit {
        period: &'static str,
        limit: crate::domain::Credits,
        spent: crate::domain::Credits,
    },
    /// A request with the same `Idempotency-Key` is still executing.
    #[error("a request with this Idempotency-Key is in progress")]
    InFlight { retry_after: Duration },
    /// The `Idempotency-Key` was used with another request.
    #[error("the Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    /// A run failed at its provider.
    #[error("{detail}")]
    RunFailed { failure: RunFailure, detail: String },
    /// No provider this agent names can be called here; the message says what to set up.
    #[error("{0}")]
    NoProvider(String),
    /// Too many requests; the client should wait `retry_after`.
    #[error("{detail}")]
    RateLimited {
        retry_after: Duration,
        detail: String,
    },
    #[error("{method} is not allowed here")]
    MethodNotAllowed { method: String },
    #[error("the request took longer than {0:?}")]
    Timeout(Duration),
    /// A backend the request needs is unreachable; the client may retry.
    #[error("{dependency} is unavailable")]
    Unavailable {
        dependency: &'static str,
        cause: String,
    },
    /// Anything else: a bug or an unexpected backend answer. The cause is only logged.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::InvalidCursor(_) => StatusCode::BAD_REQUEST,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::InsufficientCredits { .. } | Self::SpendingLimit { .. } => {
                StatusCode::PAYMENT_REQUIRED
            }
            Self::InFlight { .. } => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RunFailed { failure, .. } => match failure {
                RunFailure::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
                RunFailure::UpstreamUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                RunFailure::UpstreamInvalid
                | RunFailure::UpstreamRefused
                | RunFailure::Abandoned
                | RunFailure::ToolCallLimit => StatusCode::BAD_GATEWAY,
            },
            Self::NoProvider(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable last segment of the problem type URI.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::MalformedBody(_) => "malformed-body",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::Unauthorized(_) => "unauthorized",
            Self::InvalidCredentials => "invalid-credentials",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::Conflict(_) => "conflict",
            Self::InvalidCursor(_) => "invalid-cursor",
            Self::Upstream(_) => "upstream-invalid",
            Self::InsufficientCredits { .. } => "insufficient-credits",
            Self::SpendingLimit { .. } => "spending-limit",
            Self::InFlight { .. } => "in-flight",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::RunFailed { failure, .. } => failure.as_str(),
            Self::NoProvider(_) => "provider-not-configured",
            Self::RateLimited { .. } => "rate-limited",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::Timeout(_) => "timeout",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What went wrong and what to do about it, for the user (never an internal cause).
    pub fn detail(&self) -> String {
        match self {
            Self::Validation(_) => {
                "Some fields are invalid; see `errors` for each field and how to fix it.".into()
            }
            Self::MalformedBody(reason) => reason.clone(),
            Self::UnsupportedMediaType => {
                "Send the body as JSON with `Content-Type: application/json`.".into()
            }
            Self::PayloadTooLarge { limit } => format!(
                "The request body is larger than the {limit}-byte limit; send a smaller body."
            ),
            Self::Unauthorized(what)
            | Self::Forbidden(what)
            | Self::NotFound(what)
            | Self::Conflict(what)
            | Self::InvalidCursor(what) => what.clone(),
            Self::Upstream(_) => {
                "A provider answered with something Agora cannot use; retry in a moment.".into()
            }
            Self::InsufficientCredits { available, needed } => format!(
                "This run may cost up to {needed} credits, and you have {available} available. \
                 Add credits, or lower max_tokens to shrink the worst case."
            ),
            Self::SpendingLimit {
                period,
                limit,
                spent,
            } => format!(
                "This run could take your {period} spending past your limit of {limit} credits \
                 ({spent} spent or held). Raise the limit with PUT /v1/me/credits/limits, or wait."
            ),
            Self::InFlight { .. } => {
                "A request with this Idempotency-Key is still running; retry after it finishes.".into()
            }
            Self::IdempotencyKeyReused => {
                "This Idempotency-Key was used with a different request; use a new key for a new request."
                    .into()
            }
            Self::RunFailed { failure, detail } => match failure {
                RunFailure::UpstreamTimeout => format!("The model did not answer in time ({detail}); retry later."),
                RunFailure::UpstreamUnavailable => format!(
                    "The model's provider is unavailable or rate limited ({detail}); retry in a moment."
                ),
                RunFailure::UpstreamRefused => format!("The model's provider refused the request: {detail}."),
                RunFailure::UpstreamInvalid => format!("The model's answer was unusable ({detail}); nothing unusable was billed as an answer."),
                RunFailure::Abandoned => format!("The run was cut off ({detail}); nothing was billed."),
                RunFailure::ToolCallLimit => format!(
                    "The agent kept calling tools without answering ({detail}); the run stopped at its limit and was billed for the model's work, not the agent's price. Ask again more precisely, or tell the agent's creator."
                ),
            },
            Self::NoProvider(what) => what.clone(),
            Self::InvalidCredentials => {
                "The email or password is wrong. Check both, or register if you have no account."
                    .into()
            }
            Self::RateLimited {
                retry_after,
                detail,
            } => format!(
                "{detail} Retry after {} seconds.",
                retry_after.as_secs().max(1)
            ),
            Self::MethodNotAllowed { method } => format!(
                "{method} is not allowed on this path; see the OpenAPI document at /v1/openapi.json."
            ),
            Self::Timeout(budget) => format!(
                "The request did not finish within {} ms; retry later.",
                budget.as_millis()
            ),
            Self::Unavailable { dependency, .. } => {
                format!("The {dependency} is unavailable right now; retry in a few seconds.")
            }
            Self::Internal(_) => {
                "Something went wrong on our side; quote the request id if you report it.".into()
            }
        }
    }

    /// Logs the error once, at the level its kind deserves (internal causes only here).
    pub fn log(&self) {
        match self {
            Self::Validation(_)
            | Self::MalformedBody(_)
            | Self::UnsupportedMediaType
            | Self::PayloadTooLarge { .. }
            | Self::Unauthorized(_)
            | Self::InvalidCredentials
            | Self::Forbidden(_)
            | Self::NotFound(_)
            | Self::Conflict(_)
            | Self::InvalidCursor(_)
            | Self::InsufficientCredits { .. }
            | Self::SpendingLimit { .. }
            | Self::InFlight { .. }
            | Self::IdempotencyKeyReused
            | Self::MethodNotAllowed { .. } => {
                tracing::debug!(problem = self.slug(), "client error")
            }
            Self::RunFailed { detail, .. } => {
                tracing::warn!(problem = self.slug(), detail, "run failed at its provider")
            }
            Self::NoProvider(what) => {
                tracing::warn!(problem = self.slug(), what, "no provider configured")
            }
            Self::RateLimited { retry_after, .. } => tracing::info!(
                problem = self.slug(),
                retry_after_s = retry_after.as_secs(),
                "rate limited"
            ),
            Self::Timeout(budget) => tracing::warn!(
                problem = self.slug(),
                budget_ms = budget.as_millis() as u64,
                "request timed out"
            ),
            Self::Unavailable { dependency, cause } => tracing::warn!(
                problem = self.slug(),
                dependency,
                cause,
                "dependency unavailable"
            ),
            Self::Upstream(cause) => {
                tracing::warn!(problem = self.slug(), cause, "provider answer refused")
            }
            Self::Internal(cause) => {
                tracing::error!(problem = self.slug(), cause, "internal error")
            }
        }
    }

    /// The per-field errors of a validation failure (empty for every other kind).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(errors) => errors,
            _ => &[],
        }
    }

    /// Seconds a client should wait before retrying, for the kinds that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Unavailable { .. } | Self::Timeout(_) => Some(5),
            Self::RateLimited { retry_after, .. } | Self::InFlight { retry_after } => {
                Some(retry_after.as_secs().max(1))
            }
            Self::RunFailed {
                failure: RunFailure::UpstreamUnavailable,
                ..
            } => Some(5),
            _ => None,
        }
    }

    /// A validation failure of a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

impl From<CallerError> for Error {
    fn from(error: CallerError) -> Self {
        match error {
            CallerError::SignedOut => Self::Unauthorized(error.to_string()),
            CallerError::NotAdmin => Self::Forbidden(error.to_string()),
        }
    }
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }
}

impl From<CryptoError> for Error {
    fn from(error: CryptoError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<JsonError> for Error {
    fn from(error: JsonError) -> Self {
        match error {
            JsonError::Syntax(reason) => Self::MalformedBody(reason),
            JsonError::Shape(field) => Self::Validation(vec![field]),
        }
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable {
            dependency: "database",
            cause: describe_chain(&error),
        }
    }
}

/// An error and its causes on one line ("TLS handshake failed: invalid peer certificate:
/// UnknownIssuer"): the top-level messages of the database and SDK errors alone rarely
/// say what to fix.
pub fn describe_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        // A closed connection or a broken socket is an outage; anything else (a database
        // error code, a parameter that did not encode) is a bug in our SQL or an unmapped
        // constraint, mapped at the call site when expected.
        let io =
            std::error::Error::source(&error).is_some_and(|source| source.is::<std::io::Error>());
        if error.is_closed() || io {
            Self::Unavailable {
                dependency: "database",
                cause: error.to_string(),
            }
        } else if let Some(transient) = error
            .as_db_error()
            .filter(|db| is_transient(db.code().code()))
        {
            // Worth a retry: the answer is 503 with Retry-After, never a 500.
            Self::Unavailable {
                dependency: "database",
                cause: format!("{} ({})", transient.message(), transient.code().code()),
            }
        } else {
            Self::Internal(format!("database: {}", describe_chain(&error)))
        }
    }
}

/// SQLSTATEs that say "not now" rather than "never": the same statement may succeed
/// when tried again (a lost or refused connection, a killed session, an exhausted server,
/// a serialization failure or deadlock, a lock or statement timeout).
pub fn is_transient(sqlstate: &str) -> bool {
    sqlstate.starts_with("08")
        || sqlstate.starts_with("53")
        || matches!(
            sqlstate,
            "40001" | "40P01" | "55P03" | "57014" | "57P01" | "57P02" | "57P03" | "58000" | "58030"
        )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
