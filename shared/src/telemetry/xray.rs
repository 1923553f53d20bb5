//! AWS X-Ray subsegments for the calls a function makes: the database, the cache, each
//! AWS API and each model provider, so a trace shows where an invocation spent its time.
//!
//! With active tracing, Lambda starts the function's segment itself and tells the process
//! which one through `_X_AMZN_TRACE_ID` (`Root=1-…;Parent=…;Sampled=1`, set per invocation
//! by the runtime client). This layer sends one subsegment document per finished call to
//! the X-Ray daemon Lambda runs (`AWS_XRAY_DAEMON_ADDRESS`), over UDP, in the documented
//! format: the header `{"format": "json", "version": 1}`, a newline, then the document.
//!
//! Which spans become subsegments: the AWS SDK's operation spans (`rpc.system =
//! "aws-api"`), and the spans of target [`TARGET`] the adapters open around their calls
//! to the database, the cache and model providers. Nothing is sent for an unsampled
//! invocation.

use std::{
    net::{SocketAddr, UdpSocket},
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value, json};
use tracing::{
    Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{Layer, layer::Context, registry::LookupSpan};

/// The target of the spans the adapters open for their calls
/// (`crate::adapters::subsegments`, which cannot be imported from here).
pub const TARGET: &str = "agora::subsegment";

/// Sends the subsegments of finished calls to the X-Ray daemon.
pub struct XRayLayer {
    daemon: SocketAddr,
    socket: UdpSocket,
    /// The invocation's trace header (`_X_AMZN_TRACE_ID` in Lambda).
    trace_header: fn() -> Option<String>,
}

impl XRayLayer {
    /// A layer sending to `daemon` from an ephemeral local port.
    pub fn new(daemon: SocketAddr, trace_header: fn() -> Option<String>) -> std::io::Result<Self> {
        let local: SocketAddr = if daemon.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            daemon,
            socket,
            trace_header,
        })
    }

    /// Whether a span's metadata can become a subsegment (the layer's own filter).
    pub fn wants(metadata: &tracing::Metadata<'_>) -> bool {
        metadata.is_span()
            && (metadata.target() == TARGET || metadata.target().starts_with("aws_sdk_"))
    }
}

/// `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or `tcp:host:port udp:host:port` (the UDP one
/// is used).
pub fn daemon_address(raw: &str) -> Option<SocketAddr> {
    let udp = raw
        .split_whitespace()
        .find_map(|part| part.strip_prefix("udp:"))
        .unwrap_or(raw.trim());
    udp.parse().ok()
}

/// The invocation's trace header in Lambda.
#[expect(
    clippy::disallowed_methods,
    reason = "not configuration: the runtime client sets it anew for every invocation"
)]
pub fn lambda_trace_header() -> Option<String> {
    std::env::var("_X_AMZN_TRACE_ID").ok()
}

/// What X-Ray needs of a trace header: its trace, the segment to hang subsegments on, and
/// whether it is sampled.
#[derive(Debug, PartialEq, Eq)]
struct TraceHeader {
    root: String,
    parent: String,
    sampled: bool,
}

fn parse_header(header: &str) -> Option<TraceHeader> {
    let field = |name: &str| {
        header.split(';').find_map(|part| {
            let (key, value) = part.trim().split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    };
    Some(TraceHeader {
        root: field("Root")?,
        parent: field("Parent")?,
        sampled: field("Sampled").as_deref() == Some("1"),
    })
}

/// A call in progress: when it began and what its span recorded.
struct Open {
    id: String,
    start: f64,
    fields: Recorded,
}

#[derive(Default)]
struct Recorded {
    values: Map<String, Value>,
}

impl Visit for Recorded {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.values
            .insert(field.name().to_owned(), Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.values
            .insert(field.name().to_owned(), Value::String(value.to_owned()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.values.insert(field.name().to_owned(), value.into());
    }
}

impl Recorded {
    fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// 64 random bits in hex: a subsegment's id.
fn new_id() -> String {
    let bytes = uuid::Uuid::new_v4();
    bytes.as_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The subsegment document of a finished call, or `None` for a span that is not one.
fn document(open: &Open, end: f64, trace: &TraceHeader, parent: &str) -> Option<Value> {
    let fields = &open.fields;
    let mut document = json!({
        "type": "subsegment",
        "id": open.id,
        "trace_id": trace.root,
        "parent_id": parent,
        "start_time": open.start,
        "end_time": end,
    });
    if fields.text("rpc.system") == Some("aws-api") {
        document["name"] = fields.text("rpc.service")?.into();
        document["namespace"] = "aws".into();
        document["aws"] = json!({ "operation": fields.text("rpc.method")? });
    } else {
        document["name"] = fields.text("name")?.into();
        document["namespace"] = "remote".into();
        if let Some(url) = fields.text("sql_url") {
            document["sql"] = json!({
                "url": url,
                "database_type": "PostgreSQL",
                "user": fields.text("sql_user"),
            });
        }
        if let Some(url) = fields.text("http_url") {
            let mut http =
                json!({ "request": { "method": fields.text("http_method"), "url": url } });
            if let Some(status) = fields.values.get("http_status").and_then(Value::as_u64) {
                http["response"] = json!({ "status": status });
                if status >= 500 {
                    document["fault"] = true.into();
                } else if status == 429 {
                    document["throttle"] = true.into();
                    document["error"] = true.into();
                } else if status >= 400 {
                    document["error"] = true.into();
                }
            }
            document["http"] = http;
        }
        if let Some(operation) = fields.text("operation") {
            document["metadata"] = json!({ "operation": operation });
        }
    }
    if fields.values.get("error") == Some(&Value::Bool(true)) {
        document["fault"] = true.into();
    }
    Some(document)
}

impl<S> Layer<S> for XRayLayer
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    fn on_new_span(
        &self,
        attributes: &span::Attributes<'_>,
        id: &span::Id,
        context: Context<'_, S>,
    ) {
        let mut fields = Recorded::default();
        attributes.record(&mut fields);
        let ours = attributes.metadata().target() == TARGET;
        if !ours && fields.text("rpc.system") != Some("aws-api") {
            return;
        }
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(Open {
                id: new_id(),
                start: now(),
                fields,
            });
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, context: Context<'_, S>) {
        if let Some(span) = context.span(id)
            && let Some(open) = span.extensions_mut().get_mut::<Open>()
        {
            values.record(&mut open.fields);
        }
    }

    fn on_close(&self, id: span::Id, context: Context<'_, S>) {
        let end = now();
        let Some(span) = context.span(&id) else {
            return;
        };
        let Some(trace) = (self.trace_header)().as_deref().and_then(parse_header) else {
            return;
        };
        if !trace.sampled {
            return;
        }
        // Nested calls (an SDK operation inside a provider call) hang on their caller.
        let parent = span
            .scope()
            .skip(1)
            .find_map(|ancestor| {
                ancestor
                    .extensions()
                    .get::<Open>()
                    .map(|open| open.id.clone())
            })
            .unwrap_or_else(|| trace.parent.clone());
        let extensions = span.extensions();
        let Some(document) = extensions
            .get::<Open>()
            .and_then(|open| document(open, end, &trace, &parent))
        else {
            return;
        };
        let packet = format!("{{\"format\": \"json\", \"version\": 1}}\n{document}");
        // Best effort, as the X-Ray SDKs do: a full buffer or a missing daemon loses a
        // subsegment, never the call.
        let _ = self.socket.send_to(packet.as_bytes(), self.daemon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_headers_and_daemon_addresses_parse_as_lambda_writes_them() {
        assert_eq!(
            parse_header(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            ),
            Some(TraceHeader {
                root: "1-5759e988-bd862e3fe1be46a994272793".into(),
                parent: "53995c3f42cd8ad8".into(),
                sampled: true
            })
        );
        assert!(
            !parse_header("Root=1-a-b;Parent=c;Sampled=0")
                .unwrap()
                .sampled
        );
        assert_eq!(parse_header("Parent=c"), None);
        assert_eq!(
            daemon_address("169.254.79.129:2000"),
            Some(([169, 254, 79, 129], 2000).into())
        );
        assert_eq!(
            daemon_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2001"),
            Some(([127, 0, 0, 2], 2001).into())
        );
        assert_eq!(daemon_address("nonsense"), None);
    }

    #[test]
    fn ids_are_16_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
