//! Language-model providers behind [`LlmProvider`](crate::ports::LlmProvider): OpenAI Chat
//! Completions (and any OpenAI-compatible server), Anthropic Messages and Amazon Bedrock
//! Converse. Each adapter turns its wire format into the normalised
//! [`LlmEvent`](crate::domain::llm::LlmEvent) stream and its failures into
//! [`ProviderError`]s; nothing else knows a wire format.

// Everything a provider sends is untrusted: nothing on this path may panic or overflow on it.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unreachable,
    clippy::cast_possible_truncation
)]

pub mod anthropic;
pub mod bedrock;
pub mod connector;
pub mod openai;

use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::{
    adapters::egress::{self, EgressPolicy},
    domain::{
        llm::{LlmEvent, ProviderError},
        secret::SecretString,
    },
};

/// The language-model providers Agora calls with its own keys, and the guard on URLs that
/// users supply. Keys given here (the environment, locally) win over those in the secret
/// (`openai_api_key`, `anthropic_api_key` in `AGORA_SECRET_ID`'s JSON, in AWS).
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    pub openai_api_key: Option<SecretString>,
    pub anthropic_api_key: Option<SecretString>,
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
    pub egress: EgressPolicy,
    /// Non-public networks agents' tools (`fetch_page`) may reach: none in production;
    /// loopback in tests.
    pub tool_egress: EgressPolicy,
}

/// A tool call's arguments as the JSON object Anthropic and Bedrock take: the text the
/// model wrote, parsed; anything but an object (the model's malformed JSON, quoted back) is
/// sent as no arguments, since those providers refuse it otherwise.
pub(crate) fn arguments_object(arguments: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value @ serde_json::Value::Object(_)) => value,
        _ => serde_json::Value::Object(serde_json::Map::new()),
    }
}

/// The most bytes one streamed event may hold; a longer line is a broken stream.
const MAX_EVENT_BYTES: usize = 1 << 20;

/// One Server-Sent Event as a provider sent it (its data; providers repeat the event name
/// in it).
#[derive(Debug)]
pub(crate) struct SseEvent {
    pub data: String,
}

/// The response body as Server-Sent Events, each within `idle` of the previous one, at most
/// [`egress::MAX_RESPONSE_BYTES`] in all. A silent provider ends the stream with
/// [`ProviderError::Timeout`], a broken one with [`ProviderError::Invalid`].
pub(crate) fn sse_events(
    response: reqwest::Response,
    idle: Duration,
) -> impl Stream<Item = Result<SseEvent, ProviderError>> + Send {
    use eventsource_stream::Eventsource;
    let mut total = 0usize;
    let bytes = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|error| transport(&error))?;
        total = total.saturating_add(chunk.len());
        if total > egress::MAX_RESPONSE_BYTES {
            return Err(ProviderError::Invalid(format!(
                "the stream is longer than {} bytes",
                egress::MAX_RESPONSE_BYTES
            )));
        }
        Ok(chunk)
    });
    let events = bytes.eventsource().map(|event| match event {
        Ok(event) if event.data.len() > MAX_EVENT_BYTES => Err(ProviderError::Invalid(
            "a streamed event is larger than 1 MiB".into(),
        )),
        Ok(event) => Ok(SseEvent { data: event.data }),
        Err(eventsource_stream::EventStreamError::Transport(error)) => Err(error),
        Err(error) => Err(ProviderError::Invalid(format!(
            "malformed event stream: {error}"
        ))),
    });
    with_idle_timeout(events, idle)
}

/// Ends `stream` with [`ProviderError::Timeout`] when no item arrives within `idle`.
pub(crate) fn with_idle_timeout<T: Send + 'static>(
    stream: impl Stream<Item = Result<T, ProviderError>> + Send,
    idle: Duration,
) -> impl Stream<Item = Result<T, ProviderError>> + Send {
    let stream = Box::pin(stream);
    futures::stream::unfold((stream, false), move |(mut stream, done)| async move {
        if done {
            return None;
        }
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(item)) => {
                let failed = item.is_err();
                Some((item, (stream, failed)))
            }
            Ok(None) => None,
            Err(_) => Some((Err(ProviderError::Timeout), (stream, true))),
        }
    })
}

/// A transport failure: timeouts and refused connections are worth a retry, anything
/// else (a reset mid-body, a redirect) is an answer Agora cannot use.
pub(crate) fn transport(error: &reqwest::Error) -> ProviderError {
    if error.is_timeout() {
        ProviderError::Timeout
    } else if error.is_connect() {
        ProviderError::Unavailable(egress::describe(error))
    } else {
        ProviderError::Invalid(egress::describe(error))
    }
}

/// Sends `request`, mapping an HTTP failure status to its [`ProviderError`] with the
/// provider's own message (at most 300 characters of it).
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    message_of: fn(&[u8]) -> Option<String>,
) -> Result<reqwest::Response, ProviderError> {
    let (client, request) = request.build_split();
    let request = request.map_err(|error| transport(&error))?;
    let subsegment =
        crate::adapters::subsegments::provider_span(request.method().as_str(), request.url());
    let response = client.execute(request).await.map_err(|error| {
        subsegment.record("error", true);
        transport(&error)
    })?;
    let status = response.status();
    subsegment.record("http_status", status.as_u16());
    drop(subsegment);
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let body = egress::read_body(response, "provider")
        .await
        .unwrap_or_default();
    let message = message_of(&body)
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned())
        .chars()
        .take(300)
        .collect::<String>();
    Err(match status.as_u16() {
        429 => ProviderError::RateLimited { retry_after },
        // 529: Anthropic's "overloaded".
        500..=599 => ProviderError::Unavailable(format!("{status}: {message}")),
        300..=399 => ProviderError::Invalid(format!(
            "the provider redirected ({status}); redirects are never followed"
        )),
        code => ProviderError::Refused {
            status: code,
            message,
        },
    })
}

/// `retry-after-ms` (OpenAI) or `retry-after` in seconds.
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    retry_hint(header("retry-after-ms"), header("retry-after"))
}

/// The longest wait a provider's hint can ask for; a longer one means "not soon".
const LONGEST_HINT: Duration = Duration::from_secs(3600);

/// A provider's wait hint, in milliseconds when it gives them, else in seconds, at most
/// [`LONGEST_HINT`]. An HTTP date, a negative number or NaN is no hint. A header is the
/// provider's to write, so nothing in it may panic (`Duration::from_secs_f64` would).
pub(crate) fn retry_hint(millis: Option<&str>, seconds: Option<&str>) -> Option<Duration> {
    let number = |raw: Option<&str>| raw.and_then(|value| value.trim().parse::<f64>().ok());
    let seconds = match number(millis) {
        Some(millis) => millis / 1000.0,
        None => number(seconds)?,
    };
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    let longest = LONGEST_HINT.as_secs_f64();
    Some(Duration::try_from_secs_f64(seconds.min(longest)).unwrap_or(LONGEST_HINT))
}

/// A streamed answer: each Server-Sent Event read into normalised events by `read` (the
/// adapter's state machine over its wire format), ending properly or with an error.
pub(crate) fn streamed_answer(
    response: reqwest::Response,
    idle: Duration,
    mut read: impl FnMut(SseEvent) -> Result<Vec<LlmEvent>, ProviderError> + Send + 'static,
) -> crate::ports::LlmStream {
    let events = sse_events(response, idle)
        .map(move |event| event.and_then(&mut read))
        .flat_map(|events| {
            futures::stream::iter(match events {
                Ok(events) => events.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(error) => vec![Err(error)],
            })
        });
    Box::pin(ended_properly(events))
}

/// A whole (non-streamed) answer, at most [`egress::MAX_RESPONSE_BYTES`].
pub(crate) async fn read_whole(response: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
    egress::read_body(response, "provider")
        .await
        .map_err(|error| ProviderError::Invalid(error.to_string()))
}

/// Passes `events` through until its first error or its finish; a stream that stops
/// before a [`LlmEvent::Finish`] was truncated, and ends with [`ProviderError::Invalid`].
pub(crate) fn ended_properly(
    events: impl Stream<Item = Result<LlmEvent, ProviderError>> + Send + 'static,
) -> impl Stream<Item = Result<LlmEvent, ProviderError>> + Send {
    let events = Box::pin(events);
    futures::stream::unfold(Some(events), |events| async move {
        let mut events = events?;
        match events.next().await {
            Some(Ok(LlmEvent::Finish(reason))) => Some((Ok(LlmEvent::Finish(reason)), None)),
            Some(Ok(event)) => Some((Ok(event), Some(events))),
            Some(Err(error)) => Some((Err(error), None)),
            None => Some((
                Err(ProviderError::Invalid(
                    "the stream ended before the answer was complete".into(),
                )),
                None,
            )),
        }
    })
}

/// Parses one JSON payload of a provider's answer.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &str,
    data: &[u8],
) -> Result<T, ProviderError> {
    serde_json::from_slice(data)
        .map_err(|error| ProviderError::Invalid(format!("malformed {what}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_milliseconds_before_seconds() {
        let mut headers = http::HeaderMap::new();
        headers.insert("retry-after", http::HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", http::HeaderValue::from_static("150"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
        headers.insert("retry-after-ms", http::HeaderValue::from_static("-5"));
        assert_eq!(retry_after(&headers), None);
        let mut dated = http::HeaderMap::new();
        dated.insert(
            "retry-after",
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&dated), None);
    }

    #[test]
    fn absurd_wait_hints_are_capped_or_ignored_and_never_panic() {
        for raw in ["1e20", "1e308", "1e309", "inf", "18446744073709551616"] {
            assert_eq!(retry_hint(None, Some(raw)), Some(LONGEST_HINT), "{raw}");
            assert_eq!(retry_hint(Some(raw), None), Some(LONGEST_HINT), "{raw}");
        }
        for raw in ["-inf", "NaN", "-0.5", "-1e20"] {
            assert_eq!(retry_hint(None, Some(raw)), None, "{raw}");
            assert_eq!(retry_hint(Some(raw), Some("1")), None, "{raw} ms wins");
        }
        for raw in ["", " ", "soon"] {
            assert_eq!(retry_hint(None, Some(raw)), None, "{raw}");
            let fallback = retry_hint(Some(raw), Some("1"));
            assert_eq!(
                fallback,
                Some(Duration::from_secs(1)),
                "{raw} ms is no number"
            );
        }
        assert_eq!(retry_hint(None, Some("1e-400")), Some(Duration::ZERO));
    }

    proptest::proptest! {
        #[test]
        fn no_header_value_panics(millis in proptest::option::of(".{0,40}"), seconds in proptest::option::of("[-+0-9.eE]{0,40}|inf|NaN|.{0,20}")) {
            let _ = retry_hint(millis.as_deref(), seconds.as_deref());
        }
    }
}
