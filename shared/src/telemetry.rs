//! Logging: JSON lines on stdout (CloudWatch parses them; Lambda's JSON log format keeps
//! them as they are), each carrying the fields of its request span: request id and X-Ray
//! trace id.

use tracing::Subscriber;
use tracing_subscriber::{
    EnvFilter, Layer, fmt, fmt::MakeWriter, prelude::*, registry::LookupSpan,
};

/// What is logged, and how (`AGORA_LOG`, `AGORA_LOG_FORMAT`).
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// A `tracing` filter such as `info` or `agora=debug,tower_http=info`.
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Installs the global subscriber once; later calls (tests, repeated starts) do nothing.
pub fn init(config: &LogSettings) {
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _already_installed = match config.format {
        LogFormat::Json => registry.with(json_layer(std::io::stdout)).try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
}

/// The JSON log layer, writing to `writer` (stdout in production, a buffer in tests).
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(writer)
}
