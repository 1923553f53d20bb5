//! Spans around the calls the adapters make to the database, the cache and model
//! providers, which the X-Ray layer (`crate::telemetry::xray`) sends as subsegments of the
//! invocation's trace. They are debug-level: logs do not show them.

use tracing::Span;

/// The target the X-Ray layer looks for (`crate::telemetry::xray::TARGET`, which adapters
/// cannot import; the X-Ray test fails if the two differ).
const TARGET: &str = "agora::subsegment";

/// A subsegment for the time a database connection is held: named `<database>@<host>`, as
/// X-Ray's SQL subsegments are.
pub fn database_span(database: &str, host: &str, user: &str) -> Span {
    tracing::debug_span!(
        target: TARGET,
        "subsegment",
        name = %format!("{database}@{host}"),
        sql_url = %format!("postgresql://{host}/{database}"),
        sql_user = user,
        error = tracing::field::Empty,
    )
}

/// A subsegment for one cache command.
pub fn cache_span(operation: &'static str) -> Span {
    tracing::debug_span!(
        target: TARGET,
        "subsegment",
        name = "Redis",
        operation,
        error = tracing::field::Empty,
    )
}

/// A subsegment for one request to a model provider, until its answer's headers arrive
/// (`http_status` recorded then). The URL is given without its query.
pub fn provider_span(method: &str, url: &reqwest::Url) -> Span {
    tracing::debug_span!(
        target: TARGET,
        "subsegment",
        name = url.host_str().unwrap_or("provider"),
        http_method = method,
        http_url = %format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        http_status = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}
