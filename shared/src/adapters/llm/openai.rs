//! OpenAI Chat Completions (`POST {base}/chat/completions`), whole and streamed, and every
//! server that speaks it (vLLM, Ollama, a model served on EKS/ECS).

use std::{collections::BTreeMap, time::Duration};

use async_trait::async_trait;
use serde::Deserialize;

use super::{SseEvent, parse, send};
use crate::{
    domain::{
        llm::{FinishReason, LlmEvent, LlmRequest, Message, ProviderError, ToolChoice, Usage},
        secret::SecretString,
    },
    ports::{LlmProvider, LlmStream},
};

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// Which flavour of the API the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI itself: `max_completion_tokens` (required by its reasoning models).
    OpenAi,
    /// Other servers: the older `max_tokens`, which they all accept.
    Compatible,
}

pub struct OpenAiChat {
    client: reqwest::Client,
    base_url: String,
    api_key: Option<SecretString>,
    dialect: Dialect,
    idle: Duration,
}

impl OpenAiChat {
    /// `base_url` without `/chat/completions` (`https://api.openai.com/v1`); `idle` bounds
    /// the wait for the answer and for each streamed event.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: Option<SecretString>,
        dialect: Dialect,
        idle: Duration,
    ) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            dialect,
            idle,
        }
    }

    fn body(&self, request: &LlmRequest) -> serde_json::Value {
        let mut messages = Vec::with_capacity(request.messages.len().saturating_add(1));
        if let Some(system) = &request.system {
            messages.push(serde_json::json!({ "role": "system", "content": system }));
        }
        for message in &request.messages {
            wire_messages(message, &mut messages);
        }
        let mut body = serde_json::Map::new();
        body.insert("model".into(), request.model.clone().into());
        body.insert("messages".into(), messages.into());
        body.insert("stream".into(), request.stream.into());
        let limit_field = match self.dialect {
            Dialect::OpenAi => "max_completion_tokens",
            Dialect::Compatible => "max_tokens",
        };
        body.insert(limit_field.into(), request.sampling.max_tokens.into());
        if let Some(temperature) = request.sampling.temperature {
            body.insert("temperature".into(), temperature.into());
        }
        if let Some(top_p) = request.sampling.top_p {
            body.insert("top_p".into(), top_p.into());
        }
        if request.stream {
            body.insert(
                "stream_options".into(),
                serde_json::json!({ "include_usage": true }),
            );
        }
        if !request.tools.is_empty() {
            body.insert(
                "tools".into(),
                request
                    .tools
                    .iter()
                    .map(|tool| {
                        serde_json::json!({
                            "type": "function",
                            "function": {
                                "name": tool.name,
                                "description": tool.description,
                                "parameters": tool.parameters,
                            }
                        })
                    })
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        if !request.tools.is_empty() {
            body.insert("tool_choice".into(), tool_choice(&request.tool_choice));
        }
        serde_json::Value::Object(body)
    }
}

/// A message as Chat Completions takes it: an assistant's tool calls in `tool_calls`
/// (text or null beside them), each result a `tool` message of its own, then any text.
fn wire_messages(message: &Message, out: &mut Vec<serde_json::Value>) {
    for result in &message.tool_results {
        out.push(serde_json::json!({
            "role": "tool",
            "tool_call_id": result.call_id,
            "content": result.content,
        }));
    }
    if message.tool_calls.is_empty() {
        if message.tool_results.is_empty() || !message.content.is_empty() {
            out.push(
                serde_json::json!({ "role": message.role.as_str(), "content": message.content }),
            );
        }
        return;
    }
    let calls: Vec<serde_json::Value> = message
        .tool_calls
        .iter()
        .map(|call| {
            serde_json::json!({
                "id": call.id,
                "type": "function",
                "function": { "name": call.name, "arguments": call.arguments },
            })
        })
        .collect();
    let content = (!message.content.is_empty()).then_some(message.content.as_str());
    out.push(serde_json::json!({
        "role": message.role.as_str(),
        "content": content,
        "tool_calls": calls,
    }));
}

fn tool_choice(choice: &ToolChoice) -> serde_json::Value {
    match choice {
        ToolChoice::Auto => "auto".into(),
        ToolChoice::None => "none".into(),
        ToolChoice::Required => "required".into(),
        ToolChoice::Named(name) => {
            serde_json::json!({ "type": "function", "function": { "name": name } })
        }
    }
}

#[async_trait]
impl LlmProvider for OpenAiChat {
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError> {
        let mut http = self
            .client
            .post(format!("{}/chat/completions", self.base_url))
            .timeout(self.idle)
            .json(&self.body(request));
        if let Some(key) = &self.api_key {
            http = http.bearer_auth(key.expose());
        }
        if !request.stream {
            let response = send(http, error_message).await?;
            let body = super::read_whole(response).await?;
            let completion: Completion = parse("chat completion", &body)?;
            return Ok(Box::pin(futures::stream::iter(
                completion.into_events()?.into_iter().map(Ok),
            )));
        }
        // The whole-request timeout must not cut a long stream: each event has `idle`.
        let response = tokio::time::timeout(
            self.idle,
            send(http.timeout(Duration::from_secs(3600)), error_message),
        )
        .await
        .map_err(|_| ProviderError::Timeout)??;
        let mut state = StreamState {
            // Other servers may not report usage when streaming; the run then estimates it.
            require_usage: self.dialect == Dialect::OpenAi,
            ..StreamState::default()
        };
        Ok(super::streamed_answer(response, self.idle, move |event| {
            state.read(event)
        }))
    }
}

fn error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        message: String,
    }
    serde_json::from_slice::<Envelope>(body)
        .ok()
        .map(|envelope| envelope.error.message)
}

// ---- whole answers ----------------------------------------------------------------------

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
struct WireToolCall {
    id: String,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    arguments: String,
}

/// Usage as OpenAI counts it; a negative or non-integer count fails to parse.
#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
}

impl Completion {
    fn into_events(self) -> Result<Vec<LlmEvent>, ProviderError> {
        let choice = self
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::Invalid("the completion has no choices".into()))?;
        let usage = self
            .usage
            .ok_or_else(|| ProviderError::Invalid("the completion has no usage".into()))?;
        let mut events = Vec::new();
        if let Some(text) = choice.message.content.filter(|text| !text.is_empty()) {
            events.push(LlmEvent::TextDelta(text));
        }
        events.extend(
            choice
                .message
                .tool_calls
                .into_iter()
                .map(|call| LlmEvent::ToolCall {
                    id: call.id,
                    name: call.function.name,
                    arguments: call.function.arguments,
                }),
        );
        events.push(LlmEvent::Usage(Usage {
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
        }));
        events.push(LlmEvent::Finish(finish_reason(
            choice.finish_reason.as_deref(),
        )?));
        Ok(events)
    }
}

fn finish_reason(reason: Option<&str>) -> Result<FinishReason, ProviderError> {
    match reason {
        Some("stop") => Ok(FinishReason::Stop),
        Some("length") => Ok(FinishReason::Length),
        Some("tool_calls" | "function_call") => Ok(FinishReason::ToolCalls),
        Some("content_filter") => Ok(FinishReason::ContentFilter),
        other => Err(ProviderError::Invalid(format!(
            "unknown finish_reason {other:?}"
        ))),
    }
}

// ---- streamed answers -------------------------------------------------------------------

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<WireUsage>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Default, Deserialize)]
struct Delta {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    index: usize,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

/// What a stream has said so far: tool calls arrive in pieces, the finish reason before
/// the usage chunk, and `[DONE]` last.
#[derive(Default)]
struct StreamState {
    tool_calls: BTreeMap<usize, (String, String, String)>,
    finish: Option<FinishReason>,
    usage_seen: bool,
    require_usage: bool,
}

impl StreamState {
    fn read(&mut self, event: SseEvent) -> Result<Vec<LlmEvent>, ProviderError> {
        if event.data == "[DONE]" {
            let finish = self.finish.take().ok_or_else(|| {
                ProviderError::Invalid("the stream ended without a finish_reason".into())
            })?;
            if self.require_usage && !self.usage_seen {
                return Err(ProviderError::Invalid(
                    "the stream ended without usage".into(),
                ));
            }
            return Ok(vec![LlmEvent::Finish(finish)]);
        }
        let chunk: Chunk = parse("stream chunk", event.data.as_bytes())?;
        if let Some(error) = chunk.error {
            return Err(ProviderError::Unavailable(format!(
                "the provider failed mid-stream: {}",
                error
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("unknown error")
            )));
        }
        let mut events = Vec::new();
        for choice in chunk.choices {
            if let Some(text) = choice.delta.content.filter(|text| !text.is_empty()) {
                events.push(LlmEvent::TextDelta(text));
            }
            for call in choice.delta.tool_calls {
                let entry = self.tool_calls.entry(call.index).or_default();
                if let Some(id) = call.id {
                    entry.0 = id;
                }
                if let Some(function) = call.function {
                    entry.1.push_str(&function.name.unwrap_or_default());
                    entry.2.push_str(&function.arguments.unwrap_or_default());
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(finish_reason(Some(&reason))?);
                events.extend(std::mem::take(&mut self.tool_calls).into_values().map(
                    |(id, name, arguments)| LlmEvent::ToolCall {
                        id,
                        name,
                        arguments,
                    },
                ));
            }
        }
        if let Some(usage) = chunk.usage {
            self.usage_seen = true;
            events.push(LlmEvent::Usage(Usage {
                input_tokens: usage.prompt_tokens,
                output_tokens: usage.completion_tokens,
            }));
        }
        Ok(events)
    }
}

#[cfg(test)]
mod fuzz {
    //! Whatever a provider streams, the reader answers events or an error, never a panic.
    use proptest::prelude::*;

    use super::*;

    /// Chunks that are almost right: the shapes OpenAI sends, with any values in them.
    fn chunk() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("[DONE]".to_owned()),
            any::<String>(),
            (any::<Option<String>>(), any::<Option<String>>(), any::<i64>(), any::<i64>()).prop_map(
                |(content, finish, input, output)| {
                    serde_json::json!({
                        "choices": [{"index": 0, "delta": {"content": content, "tool_calls": [
                            {"index": input, "id": "t", "function": {"name": content, "arguments": finish}}
                        ]}, "finish_reason": finish}],
                        "usage": {"prompt_tokens": input, "completion_tokens": output}
                    })
                    .to_string()
                }
            ),
            (any::<u64>(), any::<u64>()).prop_map(|(input, output)| {
                serde_json::json!({"choices": [], "usage": {"prompt_tokens": input, "completion_tokens": output}}).to_string()
            }),
        ]
    }

    proptest! {
        #[test]
        fn no_stream_of_chunks_panics(chunks in proptest::collection::vec(chunk(), 0..12), require_usage in any::<bool>()) {
            let mut state = StreamState { require_usage, ..StreamState::default() };
            for data in chunks {
                if state.read(SseEvent { data }).is_err() {
                    break;
                }
            }
        }
    }
}
