//! Logging: JSON lines on stdout (CloudWatch parses them; Lambda's JSON log format keeps
//! them as they are), each carrying the fields of its request span: request id and X-Ray
//! trace id. In Lambda with active tracing, also X-Ray subsegments ([`xray`]).

pub mod xray;

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
    /// The X-Ray daemon (`AWS_XRAY_DAEMON_ADDRESS`, set by Lambda when tracing is active).
    pub xray_daemon: Option<std::net::SocketAddr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Installs the global subscriber once; later calls (tests, repeated starts) do nothing.
pub fn init(config: &LogSettings) {
    let filter = || EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Each layer filters for itself: the X-Ray layer sees the SDK's debug-level operation
    // spans without the logs showing them.
    let xray = config
        .xray_daemon
        .and_then(|daemon| xray::XRayLayer::new(daemon, xray::lambda_trace_header).ok())
        .map(|layer| {
            layer.with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
                xray::XRayLayer::wants(metadata)
            }))
        });
    let registry = tracing_subscriber::registry().with(xray);
    let _already_installed = match config.format {
        LogFormat::Json => registry
            .with(json_layer(std::io::stdout).with_filter(filter()))
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().compact().with_filter(filter()))
            .try_init(),
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
