//! A local server that speaks each provider's exact wire format: OpenAI Chat Completions,
//! Anthropic Messages and Amazon Bedrock Converse (JSON and event-stream framing), whole
//! and streamed, from recorded fixtures (`tests/fixtures/llm/`), plus the failures a real
//! provider has: 429 with `retry-after`, 5xx, silence, malformed and truncated streams and
//! absurd usage. It records every request it receives.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use futures::StreamExt;

/// Which API a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    Bedrock,
}

/// What the stub does with the next request.
#[derive(Clone, Debug)]
pub enum Scenario {
    /// Answers `pieces` (streamed one event each), with this usage.
    Answer {
        pieces: Vec<String>,
        input_tokens: i64,
        output_tokens: i64,
    },
    /// Repeats the request's system prompt (the "prompt-echoing" model).
    EchoSystem,
    /// Calls one tool (30 input, 12 output tokens); streamed, the arguments arrive in
    /// two pieces, as providers send them.
    ToolCall {
        id: String,
        name: String,
        /// As the model writes them: JSON text, or anything.
        arguments: String,
    },
    /// The recorded fixture of the API, byte for byte.
    Recorded,
    /// An HTTP error with an optional `retry-after` (seconds).
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Accepts the request and never answers.
    Silent,
    /// Streams the pieces, then stops without the closing events.
    Truncated { pieces: Vec<String> },
    /// Streams bytes that are not the API's format.
    Garbage,
    /// Streams the pieces, then goes silent.
    Stall { pieces: Vec<String> },
    /// Streams the pieces, then repeats the last one every `every`, never finishing.
    Trickle {
        pieces: Vec<String>,
        every: Duration,
    },
    /// Exactly these bytes, whatever the API: a hostile or broken provider.
    Raw(RawAnswer),
    /// Waits, then plays the scenario.
    Delayed(Duration, Box<Scenario>),
    /// Plays the scenario with this pause before each chunk of its body.
    Paced(Duration, Box<Scenario>),
}

/// A response written byte for byte.
#[derive(Clone, Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// Sent one after another as the body, then the body ends.
    pub chunks: Vec<Bytes>,
}

impl RawAnswer {
    /// A JSON body with this status.
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            chunks: vec![Bytes::from(body.to_owned())],
        }
    }

    /// An event stream of these bytes.
    pub fn sse(chunks: Vec<Bytes>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", "text/event-stream".into())],
            chunks,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn into_response(self) -> Response {
        let mut response = Response::builder().status(self.status);
        for (name, value) in self.headers {
            response = response.header(name, value);
        }
        let body = futures::stream::iter(self.chunks.into_iter().map(Ok::<_, std::io::Error>));
        response.body(Body::from_stream(body)).unwrap()
    }
}

impl Scenario {
    pub fn tool_call(id: &str, name: &str, arguments: &str) -> Self {
        Self::ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    pub fn answer(text: &str, input_tokens: i64, output_tokens: i64) -> Self {
        Self::Answer {
            pieces: text.split_inclusive(' ').map(str::to_owned).collect(),
            input_tokens,
            output_tokens,
        }
    }
}

/// One request as the stub received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct Script {
    next: VecDeque<Scenario>,
    /// Used when the queue is empty.
    fallback: Option<Scenario>,
    received: Vec<Received>,
}

/// A running stub; it stops with the test's runtime.
#[derive(Clone)]
pub struct LlmStub {
    pub address: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl LlmStub {
    pub async fn start() -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new()
            .route("/v1/chat/completions", post(openai))
            .route("/v1/messages", post(anthropic))
            .route("/model/{model}/converse", post(bedrock_converse))
            .route(
                "/model/{model}/converse-stream",
                post(bedrock_converse_stream),
            )
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { address, script }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Queues scenarios for the next requests, in order.
    pub fn then(&self, scenario: Scenario) -> &Self {
        self.script.lock().unwrap().next.push_back(scenario);
        self
    }

    /// What every request gets once the queue is empty.
    pub fn always(&self, scenario: Scenario) -> &Self {
        self.script.lock().unwrap().fallback = Some(scenario);
        self
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    pub fn request_count(&self) -> usize {
        self.script.lock().unwrap().received.len()
    }
}

type Shared = State<Arc<Mutex<Script>>>;

async fn take(script: &Arc<Mutex<Script>>, received: Received) -> Scenario {
    let scenario = {
        let mut script = script.lock().unwrap();
        script.received.push(received);
        script
            .next
            .pop_front()
            .or_else(|| script.fallback.clone())
            .unwrap_or(Scenario::Recorded)
    };
    match scenario {
        Scenario::Delayed(wait, then) => {
            tokio::time::sleep(wait).await;
            *then
        }
        other => other,
    }
}

/// [`take`], with the pause a [`Scenario::Paced`] puts before each chunk of the body.
async fn take_paced(
    script: &Arc<Mutex<Script>>,
    received: Received,
) -> (Scenario, Option<Duration>) {
    match take(script, received).await {
        Scenario::Paced(every, inner) => (*inner, Some(every)),
        other => (other, None),
    }
}

/// `response` with its body chunks `every` apart.
fn paced(response: Response, every: Option<Duration>) -> Response {
    let Some(every) = every else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let body = body.into_data_stream().then(move |chunk| async move {
        tokio::time::sleep(every).await;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/llm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn received(path: String, headers: HeaderMap, body: &Bytes) -> Received {
    Received {
        path,
        headers,
        body: serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
    }
}

/// A response whose body is `chunks`, sent as they come (a stream).
fn streamed(content_type: &'static str, chunks: Vec<Bytes>, then: Ending) -> Response {
    let last = chunks.last().cloned().unwrap_or_default();
    let body = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    let body = match then {
        Ending::Repeat(every) => body
            .chain(futures::stream::unfold(last, move |last| async move {
                tokio::time::sleep(every).await;
                Some((Ok(last.clone()), last))
            }))
            .boxed(),
        Ending::Close => body.boxed(),
        Ending::Hang => body
            .chain(futures::stream::once(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(Bytes::new())
            }))
            .boxed(),
    };
    Response::builder()
        .header("content-type", content_type)
        .body(Body::from_stream(body))
        .unwrap()
}

enum Ending {
    Close,
    Hang,
    /// Repeats the last chunk every so often, forever.
    Repeat(Duration),
}

fn status_response(api: Api, status: u16, retry_after: Option<u64>) -> Response {
    let body = match api {
        Api::OpenAi => {
            serde_json::json!({"error": {"message": "stub failure", "type": "server_error", "param": null, "code": null}})
        }
        Api::Anthropic => {
            serde_json::json!({"type": "error", "error": {"type": if status == 429 { "rate_limit_error" } else { "api_error" }, "message": "stub failure"}})
        }
        Api::Bedrock => serde_json::json!({"message": "stub failure"}),
    };
    let mut response = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", seconds.to_string().parse().unwrap());
    }
    if api == Api::Bedrock {
        let kind = match status {
            429 => "ThrottlingException",
            503 => "ServiceUnavailableException",
            500 => "InternalServerException",
            _ => "ValidationException",
        };
        response
            .headers_mut()
            .insert("x-amzn-errortype", kind.parse().unwrap());
    }
    response
}

/// `arguments` in two pieces, split on a character boundary.
fn halves(arguments: &str) -> [String; 2] {
    let middle = (0..=arguments.len() / 2)
        .rev()
        .find(|at| arguments.is_char_boundary(*at))
        .unwrap_or(0);
    let (first, second) = arguments.split_at(middle);
    [first.to_owned(), second.to_owned()]
}

/// The arguments as the object Anthropic and Bedrock send (an empty one when they are not
/// JSON: those APIs only ever send objects whole).
fn input_object(arguments: &str) -> serde_json::Value {
    serde_json::from_str(arguments).unwrap_or_else(|_| serde_json::json!({}))
}

fn system_of(api: Api, body: &serde_json::Value) -> String {
    match api {
        Api::OpenAi => body["messages"]
            .as_array()
            .and_then(|messages| messages.iter().find(|m| m["role"] == "system"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_owned(),
        Api::Anthropic => body["system"].as_str().unwrap_or_default().to_owned(),
        Api::Bedrock => body["system"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

// ---- OpenAI ------------------------------------------------------------------------------

async fn openai(State(script): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let request = received("/v1/chat/completions".into(), headers, &body);
    let stream = request.body["stream"] == true;
    let model = request.body["model"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let system = system_of(Api::OpenAi, &request.body);
    let (scenario, pace) = take_paced(&script, request).await;
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        serde_json::json!({"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1_764_000_000, "model": model,
            "system_fingerprint": "fp_stub", "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
    };
    let sse = |value: serde_json::Value| Bytes::from(format!("data: {value}\n\n"));
    let answer = |pieces: Vec<String>, input: i64, output: i64| -> Response {
        if !stream {
            return axum::Json(serde_json::json!({
                "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_764_000_000, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": pieces.concat(), "refusal": null},
                             "logprobs": null, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output},
                "system_fingerprint": "fp_stub"
            }))
            .into_response();
        }
        let mut chunks = vec![sse(chunk(
            serde_json::json!({"role": "assistant", "content": ""}),
            None,
        ))];
        chunks.extend(
            pieces
                .iter()
                .map(|piece| sse(chunk(serde_json::json!({"content": piece}), None))),
        );
        chunks.push(sse(chunk(serde_json::json!({}), Some("stop"))));
        let mut usage = chunk(serde_json::json!({}), None);
        usage["choices"] = serde_json::json!([]);
        usage["usage"] = serde_json::json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output});
        chunks.push(sse(usage));
        chunks.push(Bytes::from("data: [DONE]\n\n"));
        streamed("text/event-stream", chunks, Ending::Close)
    };
    let response = match scenario {
        Scenario::Answer {
            pieces,
            input_tokens,
            output_tokens,
        } => answer(pieces, input_tokens, output_tokens),
        Scenario::EchoSystem => answer(vec![system.clone()], 20, 20),
        Scenario::ToolCall {
            id,
            name,
            arguments,
        } if !stream => axum::Json(serde_json::json!({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_764_000_000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
                "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]},
                "logprobs": null, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
            "system_fingerprint": "fp_stub"
        }))
        .into_response(),
        Scenario::ToolCall {
            id,
            name,
            arguments,
        } => {
            let mut chunks = vec![sse(chunk(
                serde_json::json!({"role": "assistant", "content": null, "tool_calls": [
                    {"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                None,
            ))];
            chunks.extend(halves(&arguments).iter().map(|piece| {
                sse(chunk(
                    serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
                    None,
                ))
            }));
            chunks.push(sse(chunk(serde_json::json!({}), Some("tool_calls"))));
            let mut usage = chunk(serde_json::json!({}), None);
            usage["choices"] = serde_json::json!([]);
            usage["usage"] = serde_json::json!({"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42});
            chunks.push(sse(usage));
            chunks.push(Bytes::from("data: [DONE]\n\n"));
            streamed("text/event-stream", chunks, Ending::Close)
        }
        Scenario::Recorded => {
            let name = if stream {
                "openai-stream.sse"
            } else {
                "openai-completion.json"
            };
            let content_type = if stream {
                "text/event-stream"
            } else {
                "application/json"
            };
            streamed(
                content_type,
                vec![Bytes::from(fixture(name))],
                Ending::Close,
            )
        }
        Scenario::Status {
            status,
            retry_after,
        } => status_response(Api::OpenAi, status, retry_after),
        Scenario::Silent => streamed("text/event-stream", Vec::new(), Ending::Hang),
        Scenario::Truncated { pieces } => {
            let chunks = pieces
                .iter()
                .map(|piece| sse(chunk(serde_json::json!({"content": piece}), None)))
                .collect();
            streamed("text/event-stream", chunks, Ending::Close)
        }
        Scenario::Stall { pieces } => {
            let chunks = pieces
                .iter()
                .map(|piece| sse(chunk(serde_json::json!({"content": piece}), None)))
                .collect();
            streamed("text/event-stream", chunks, Ending::Hang)
        }
        Scenario::Garbage => streamed(
            "text/event-stream",
            vec![Bytes::from("data: {\"choices\": [{\"delta\": \n\n")],
            Ending::Close,
        ),
        Scenario::Trickle { pieces, every } => {
            let chunks = pieces
                .iter()
                .map(|piece| sse(chunk(serde_json::json!({"content": piece}), None)))
                .collect();
            streamed("text/event-stream", chunks, Ending::Repeat(every))
        }
        Scenario::Raw(raw) => raw.into_response(),
        Scenario::Delayed(..) => unreachable!("take() plays delays"),
        Scenario::Paced(..) => unreachable!("take_paced() plays paces"),
    };
    paced(response, pace)
}

// ---- Anthropic ---------------------------------------------------------------------------

async fn anthropic(State(script): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let request = received("/v1/messages".into(), headers, &body);
    let stream = request.body["stream"] == true;
    let model = request.body["model"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let system = system_of(Api::Anthropic, &request.body);
    let (scenario, pace) = take_paced(&script, request).await;
    let event = |name: &str, data: serde_json::Value| {
        Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
    };
    let start = |input: i64| {
        event(
            "message_start",
            serde_json::json!({"type": "message_start", "message": {"id": "msg_stub", "type": "message", "role": "assistant",
            "content": [], "model": model, "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": input, "output_tokens": 1}}}),
        )
    };
    let deltas = |pieces: &[String]| -> Vec<Bytes> {
        let mut chunks = vec![event(
            "content_block_start",
            serde_json::json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        )];
        chunks.push(event("ping", serde_json::json!({"type": "ping"})));
        chunks.extend(pieces.iter().map(|piece| event("content_block_delta",
            serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}))));
        chunks
    };
    let answer = |pieces: Vec<String>, input: i64, output: i64| -> Response {
        if !stream {
            return axum::Json(serde_json::json!({"id": "msg_stub", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": pieces.concat()}], "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": input, "output_tokens": output}})).into_response();
        }
        let mut chunks = vec![start(input)];
        chunks.extend(deltas(&pieces));
        chunks.push(event(
            "content_block_stop",
            serde_json::json!({"type": "content_block_stop", "index": 0}),
        ));
        chunks.push(event("message_delta", serde_json::json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": output}})));
        chunks.push(event(
            "message_stop",
            serde_json::json!({"type": "message_stop"}),
        ));
        streamed("text/event-stream", chunks, Ending::Close)
    };
    let response = match scenario {
        Scenario::Answer {
            pieces,
            input_tokens,
            output_tokens,
        } => answer(pieces, input_tokens, output_tokens),
        Scenario::EchoSystem => answer(vec![system.clone()], 20, 20),
        Scenario::ToolCall {
            id,
            name,
            arguments,
        } if !stream => axum::Json(serde_json::json!({"id": "msg_stub", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "Let me check."},
                        {"type": "tool_use", "id": id, "name": name, "input": input_object(&arguments)}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 30, "output_tokens": 12}}))
        .into_response(),
        Scenario::ToolCall {
            id,
            name,
            arguments,
        } => {
            let mut chunks = vec![start(30)];
            chunks.extend(deltas(&["Let me check.".to_owned()]));
            chunks.push(event("content_block_stop", serde_json::json!({"type": "content_block_stop", "index": 0})));
            chunks.push(event("content_block_start", serde_json::json!({"type": "content_block_start", "index": 1,
                "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}})));
            chunks.extend(halves(&arguments).iter().map(|piece| event("content_block_delta",
                serde_json::json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": piece}}))));
            chunks.push(event("content_block_stop", serde_json::json!({"type": "content_block_stop", "index": 1})));
            chunks.push(event("message_delta", serde_json::json!({"type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 12}})));
            chunks.push(event("message_stop", serde_json::json!({"type": "message_stop"})));
            streamed("text/event-stream", chunks, Ending::Close)
        }
        Scenario::Recorded => {
            let name = if stream {
                "anthropic-stream.sse"
            } else {
                "anthropic-message.json"
            };
            let content_type = if stream {
                "text/event-stream"
            } else {
                "application/json"
            };
            streamed(
                content_type,
                vec![Bytes::from(fixture(name))],
                Ending::Close,
            )
        }
        Scenario::Status {
            status,
            retry_after,
        } => status_response(Api::Anthropic, status, retry_after),
        Scenario::Silent => streamed("text/event-stream", Vec::new(), Ending::Hang),
        Scenario::Truncated { pieces } => {
            let mut chunks = vec![start(10)];
            chunks.extend(deltas(&pieces));
            streamed("text/event-stream", chunks, Ending::Close)
        }
        Scenario::Stall { pieces } => {
            let mut chunks = vec![start(10)];
            chunks.extend(deltas(&pieces));
            streamed("text/event-stream", chunks, Ending::Hang)
        }
        Scenario::Garbage => streamed(
            "text/event-stream",
            vec![Bytes::from("event: message_start\ndata: {not json\n\n")],
            Ending::Close,
        ),
        Scenario::Trickle { pieces, every } => {
            let mut chunks = vec![start(10)];
            chunks.extend(deltas(&pieces));
            streamed("text/event-stream", chunks, Ending::Repeat(every))
        }
        Scenario::Raw(raw) => raw.into_response(),
        Scenario::Delayed(..) => unreachable!("take() plays delays"),
        Scenario::Paced(..) => unreachable!("take_paced() plays paces"),
    };
    paced(response, pace)
}

// ---- Bedrock -----------------------------------------------------------------------------

async fn bedrock_converse(
    State(script): Shared,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = received(format!("/model/{model}/converse"), headers, &body);
    let system = system_of(Api::Bedrock, &request.body);
    let answer = |text: String, input: i64, output: i64| {
        axum::Json(serde_json::json!({
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
            "metrics": {"latencyMs": 42}
        }))
        .into_response()
    };
    let (scenario, pace) = take_paced(&script, request).await;
    let response = match scenario {
        Scenario::Answer {
            pieces,
            input_tokens,
            output_tokens,
        } => answer(pieces.concat(), input_tokens, output_tokens),
        Scenario::EchoSystem => answer(system, 20, 20),
        Scenario::ToolCall {
            id,
            name,
            arguments,
        } => axum::Json(serde_json::json!({
            "output": {"message": {"role": "assistant", "content": [
                {"toolUse": {"toolUseId": id, "name": name, "input": input_object(&arguments)}}]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42},
            "metrics": {"latencyMs": 42}
        }))
        .into_response(),
        Scenario::Recorded => streamed(
            "application/json",
            vec![Bytes::from(fixture("bedrock-converse.json"))],
            Ending::Close,
        ),
        Scenario::Status {
            status,
            retry_after,
        } => status_response(Api::Bedrock, status, retry_after),
        Scenario::Silent => streamed("application/json", Vec::new(), Ending::Hang),
        Scenario::Truncated { .. } | Scenario::Garbage => streamed(
            "application/json",
            vec![Bytes::from("{\"output\": {\"message\": ")],
            Ending::Close,
        ),
        Scenario::Stall { .. } => {
            streamed("application/json", vec![Bytes::from("{")], Ending::Hang)
        }
        Scenario::Trickle { every, .. } => streamed(
            "application/json",
            vec![Bytes::from(" ")],
            Ending::Repeat(every),
        ),
        Scenario::Raw(raw) => raw.into_response(),
        Scenario::Delayed(..) => unreachable!("take() plays delays"),
        Scenario::Paced(..) => unreachable!("take_paced() plays paces"),
    };
    paced(response, pace)
}

async fn bedrock_converse_stream(
    State(script): Shared,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = received(format!("/model/{model}/converse-stream"), headers, &body);
    let system = system_of(Api::Bedrock, &request.body);
    let content_type = "application/vnd.amazon.eventstream";
    let deltas = |pieces: &[String]| -> Vec<Bytes> {
        let mut frames = vec![event_frame(
            "messageStart",
            &serde_json::json!({"role": "assistant"}),
        )];
        frames.extend(pieces.iter().map(|piece| {
            event_frame("contentBlockDelta", &serde_json::json!({"contentBlockIndex": 0, "delta": {"text": piece}, "p": "abcdefgh"}))
        }));
        frames
    };
    let answer = |pieces: Vec<String>, input: i64, output: i64| {
        let mut frames = deltas(&pieces);
        frames.push(event_frame(
            "contentBlockStop",
            &serde_json::json!({"contentBlockIndex": 0}),
        ));
        frames.push(event_frame(
            "messageStop",
            &serde_json::json!({"stopReason": "end_turn"}),
        ));
        frames.push(event_frame("metadata", &serde_json::json!({"usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output}, "metrics": {"latencyMs": 42}})));
        streamed(content_type, frames, Ending::Close)
    };
    let (scenario, pace) = take_paced(&script, request).await;
    let response = match scenario {
        Scenario::Answer {
            pieces,
            input_tokens,
            output_tokens,
        } => answer(pieces, input_tokens, output_tokens),
        Scenario::EchoSystem => answer(vec![system], 20, 20),
        Scenario::ToolCall {
            id,
            name,
            arguments,
        } => {
            let mut frames = vec![
                event_frame("messageStart", &serde_json::json!({"role": "assistant"})),
                event_frame(
                    "contentBlockStart",
                    &serde_json::json!({"contentBlockIndex": 0,
                    "start": {"toolUse": {"toolUseId": id, "name": name}}}),
                ),
            ];
            frames.extend(halves(&arguments).iter().map(|piece| event_frame("contentBlockDelta",
                &serde_json::json!({"contentBlockIndex": 0, "delta": {"toolUse": {"input": piece}}}))));
            frames.push(event_frame(
                "contentBlockStop",
                &serde_json::json!({"contentBlockIndex": 0}),
            ));
            frames.push(event_frame(
                "messageStop",
                &serde_json::json!({"stopReason": "tool_use"}),
            ));
            frames.push(event_frame("metadata", &serde_json::json!({"usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 42}, "metrics": {"latencyMs": 42}})));
            streamed(content_type, frames, Ending::Close)
        }
        Scenario::Recorded => answer(
            serde_json::from_str::<Vec<String>>(&fixture("bedrock-stream-deltas.json")).unwrap(),
            12,
            9,
        ),
        Scenario::Status {
            status,
            retry_after,
        } => status_response(Api::Bedrock, status, retry_after),
        Scenario::Silent => streamed(content_type, Vec::new(), Ending::Hang),
        Scenario::Truncated { pieces } => streamed(content_type, deltas(&pieces), Ending::Close),
        Scenario::Stall { pieces } => streamed(content_type, deltas(&pieces), Ending::Hang),
        Scenario::Garbage => streamed(
            content_type,
            vec![Bytes::from_static(b"\x00\x00\x00\x10garbage-frame!!")],
            Ending::Close,
        ),
        Scenario::Trickle { pieces, every } => {
            streamed(content_type, deltas(&pieces), Ending::Repeat(every))
        }
        Scenario::Raw(raw) => raw.into_response(),
        Scenario::Delayed(..) => unreachable!("take() plays delays"),
        Scenario::Paced(..) => unreachable!("take_paced() plays paces"),
    };
    paced(response, pace)
}

/// One event-stream frame with Bedrock's headers.
fn event_frame(event_type: &str, payload: &serde_json::Value) -> Bytes {
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let message = Message::new(serde_json::to_vec(payload).unwrap())
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".to_owned().into()),
        ))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".to_owned().into()),
        ));
    let mut buffer = Vec::new();
    write_message_to(&message, &mut buffer).unwrap();
    Bytes::from(buffer)
}
