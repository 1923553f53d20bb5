//! Anthropic Messages (`POST {base}/v1/messages`, API version `2023-06-01`), whole and
//! streamed.

use std::{collections::BTreeMap, time::Duration};

use async_trait::async_trait;
use serde::Deserialize;

use super::{SseEvent, parse, send};
use crate::{
    domain::{
        llm::{
            FinishReason, LlmEvent, LlmRequest, Message, ProviderError, Role, ToolChoice, Usage,
        },
        secret::SecretString,
    },
    ports::{LlmProvider, LlmStream},
};

pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
const API_VERSION: &str = "2023-06-01";

pub struct AnthropicMessages {
    client: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    idle: Duration,
}

impl AnthropicMessages {
    /// `base_url` without `/v1/messages` (`https://api.anthropic.com`).
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        api_key: SecretString,
        idle: Duration,
    ) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            idle,
        }
    }

    fn body(request: &LlmRequest) -> serde_json::Value {
        // Anthropic has no system role in `messages`: the system prompt goes apart.
        let messages = wire_messages(&request.messages);
        let mut body = serde_json::Map::new();
        body.insert("model".into(), request.model.clone().into());
        body.insert("max_tokens".into(), request.sampling.max_tokens.into());
        body.insert("messages".into(), messages.into());
        body.insert("stream".into(), request.stream.into());
        let system: Vec<&str> = request
            .system
            .iter()
            .map(String::as_str)
            .chain(
                request
                    .messages
                    .iter()
                    .filter(|message| message.role == Role::System)
                    .map(|message| message.content.as_str()),
            )
            .collect();
        if !system.is_empty() {
            body.insert("system".into(), system.join("\n\n").into());
        }
        if let Some(temperature) = request.sampling.temperature {
            // Anthropic's range is 0 to 1; Agora's (OpenAI's) is 0 to 2.
            body.insert("temperature".into(), (temperature / 2.0).into());
        }
        if let Some(top_p) = request.sampling.top_p {
            body.insert("top_p".into(), top_p.into());
        }
        if !request.tools.is_empty() {
            body.insert(
                "tools".into(),
                request
                    .tools
                    .iter()
                    .map(|tool| {
                        serde_json::json!({
                            "name": tool.name,
                            "description": tool.description,
                            "input_schema": tool.parameters,
                        })
                    })
                    .collect::<Vec<_>>()
                    .into(),
            );
            body.insert("tool_choice".into(), tool_choice(&request.tool_choice));
        }
        serde_json::Value::Object(body)
    }
}

/// The messages as Anthropic takes them: turns that alternate, so consecutive messages of
/// one role become one turn of content blocks; tool results (`tool_result`) open the
/// user's turn, tool calls (`tool_use`, their arguments as an object) close the
/// assistant's. A plain text turn stays a string.
fn wire_messages(messages: &[Message]) -> Vec<serde_json::Value> {
    let mut turns: Vec<(Role, Vec<serde_json::Value>)> = Vec::new();
    for message in messages
        .iter()
        .filter(|message| message.role != Role::System)
    {
        let mut blocks: Vec<serde_json::Value> = message
            .tool_results
            .iter()
            .map(|result| {
                serde_json::json!({
                    "type": "tool_result",
                    "tool_use_id": result.call_id,
                    "content": result.content,
                })
            })
            .collect();
        if !message.content.is_empty()
            || (message.tool_results.is_empty() && message.tool_calls.is_empty())
        {
            blocks.push(serde_json::json!({ "type": "text", "text": message.content }));
        }
        blocks.extend(message.tool_calls.iter().map(|call| {
            serde_json::json!({
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": super::arguments_object(&call.arguments),
            })
        }));
        match turns.last_mut() {
            Some((role, turn)) if *role == message.role => turn.extend(blocks),
            _ => turns.push((message.role, blocks)),
        }
    }
    turns
        .into_iter()
        .map(|(role, mut blocks)| {
            let content = match blocks.as_mut_slice() {
                [only] if only["type"] == "text" => only["text"].take(),
                _ => serde_json::Value::Array(blocks),
            };
            serde_json::json!({ "role": role.as_str(), "content": content })
        })
        .collect()
}

fn tool_choice(choice: &ToolChoice) -> serde_json::Value {
    match choice {
        ToolChoice::Auto => serde_json::json!({ "type": "auto" }),
        ToolChoice::None => serde_json::json!({ "type": "none" }),
        ToolChoice::Required => serde_json::json!({ "type": "any" }),
        ToolChoice::Named(name) => serde_json::json!({ "type": "tool", "name": name }),
    }
}

#[async_trait]
impl LlmProvider for AnthropicMessages {
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError> {
        let http = self
            .client
            .post(format!("{}/v1/messages", self.base_url))
            .header("x-api-key", self.api_key.expose())
            .header("anthropic-version", API_VERSION)
            .json(&Self::body(request));
        if !request.stream {
            let response = send(http.timeout(self.idle), error_message).await?;
            let body = super::read_whole(response).await?;
            let message: WireMessage = parse("message", &body)?;
            return Ok(Box::pin(futures::stream::iter(
                message.into_events()?.into_iter().map(Ok),
            )));
        }
        let response = tokio::time::timeout(
            self.idle,
            send(http.timeout(Duration::from_secs(3600)), error_message),
        )
        .await
        .map_err(|_| ProviderError::Timeout)??;
        let mut state = StreamState::default();
        Ok(super::streamed_answer(response, self.idle, move |event| {
            state.read(event)
        }))
    }
}

fn error_message(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|envelope| envelope.error.message)
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

/// Usage as Anthropic counts it; negative counts fail to parse.
#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    output_tokens: u64,
}

// ---- whole answers ----------------------------------------------------------------------

#[derive(Deserialize)]
struct WireMessage {
    content: Vec<ContentBlock>,
    stop_reason: Option<String>,
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ContentBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: serde_json::Value,
    },
    #[serde(other)]
    Other,
}

impl WireMessage {
    fn into_events(self) -> Result<Vec<LlmEvent>, ProviderError> {
        let mut events = Vec::new();
        for block in self.content {
            match block {
                ContentBlock::Text { text } if !text.is_empty() => {
                    events.push(LlmEvent::TextDelta(text));
                }
                ContentBlock::ToolUse { id, name, input } => events.push(LlmEvent::ToolCall {
                    id,
                    name,
                    arguments: input.to_string(),
                }),
                ContentBlock::Text { .. } | ContentBlock::Other => {}
            }
        }
        let input_tokens = self.usage.input_tokens.ok_or_else(|| {
            ProviderError::Invalid("the message's usage has no input_tokens".into())
        })?;
        events.push(LlmEvent::Usage(Usage {
            input_tokens,
            output_tokens: self.usage.output_tokens,
        }));
        events.push(LlmEvent::Finish(stop_reason(self.stop_reason.as_deref())?));
        Ok(events)
    }
}

fn stop_reason(reason: Option<&str>) -> Result<FinishReason, ProviderError> {
    match reason {
        Some("end_turn" | "stop_sequence" | "pause_turn") => Ok(FinishReason::Stop),
        Some("max_tokens") => Ok(FinishReason::Length),
        Some("tool_use") => Ok(FinishReason::ToolCalls),
        Some("refusal") => Ok(FinishReason::ContentFilter),
        other => Err(ProviderError::Invalid(format!(
            "unknown stop_reason {other:?}"
        ))),
    }
}

// ---- streamed answers -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart {
        message: StartedMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: WireUsage,
    },
    MessageStop,
    Ping,
    Error {
        error: ErrorDetail,
    },
}

#[derive(Deserialize)]
struct StartedMessage {
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDelta {
    stop_reason: Option<String>,
}

/// What the stream has said: input tokens come first (`message_start`), output tokens and
/// the stop reason last (`message_delta`), `message_stop` ends it.
#[derive(Default)]
struct StreamState {
    input_tokens: Option<u64>,
    tool_calls: BTreeMap<usize, (String, String, String)>,
    finish: Option<FinishReason>,
}

impl StreamState {
    fn read(&mut self, event: SseEvent) -> Result<Vec<LlmEvent>, ProviderError> {
        let parsed: StreamEvent = parse("stream event", event.data.as_bytes())?;
        Ok(match parsed {
            StreamEvent::MessageStart { message } => {
                self.input_tokens = message.usage.input_tokens;
                Vec::new()
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block: ContentBlock::ToolUse { id, name, .. },
            } => {
                self.tool_calls.insert(index, (id, name, String::new()));
                Vec::new()
            }
            StreamEvent::ContentBlockStart { .. } | StreamEvent::Ping => Vec::new(),
            StreamEvent::ContentBlockDelta {
                delta: BlockDelta::TextDelta { text },
                ..
            } => vec![LlmEvent::TextDelta(text)],
            StreamEvent::ContentBlockDelta {
                index,
                delta: BlockDelta::InputJsonDelta { partial_json },
            } => {
                if let Some(call) = self.tool_calls.get_mut(&index) {
                    call.2.push_str(&partial_json);
                }
                Vec::new()
            }
            StreamEvent::ContentBlockDelta { .. } => Vec::new(),
            StreamEvent::ContentBlockStop { index } => self
                .tool_calls
                .remove(&index)
                .map(|(id, name, arguments)| LlmEvent::ToolCall {
                    id,
                    name,
                    arguments: if arguments.is_empty() {
                        "{}".into()
                    } else {
                        arguments
                    },
                })
                .into_iter()
                .collect(),
            StreamEvent::MessageDelta { delta, usage } => {
                self.finish = Some(stop_reason(delta.stop_reason.as_deref())?);
                let input_tokens = usage.input_tokens.or(self.input_tokens).ok_or_else(|| {
                    ProviderError::Invalid("the stream reported no input_tokens".into())
                })?;
                vec![LlmEvent::Usage(Usage {
                    input_tokens,
                    output_tokens: usage.output_tokens,
                })]
            }
            StreamEvent::MessageStop => {
                let finish = self.finish.take().ok_or_else(|| {
                    ProviderError::Invalid("the stream stopped without a message_delta".into())
                })?;
                vec![LlmEvent::Finish(finish)]
            }
            StreamEvent::Error { error } => {
                return Err(match error.kind.as_str() {
                    "rate_limit_error" => ProviderError::RateLimited { retry_after: None },
                    "overloaded_error" | "api_error" => ProviderError::Unavailable(error.message),
                    _ => ProviderError::Invalid(format!("{}: {}", error.kind, error.message)),
                });
            }
        })
    }
}

#[cfg(test)]
mod fuzz {
    //! Whatever a provider streams, the reader answers events or an error, never a panic.
    use proptest::prelude::*;

    use super::*;

    /// Events that are almost right: the shapes Anthropic sends, with any values in them.
    fn event() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            any::<Option<u64>>().prop_map(|input| {
                serde_json::json!({"type": "message_start", "message": {"usage": {"input_tokens": input}}}).to_string()
            }),
            (any::<i64>(), any::<String>()).prop_map(|(index, text)| {
                serde_json::json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}).to_string()
            }),
            (any::<i64>(), any::<String>()).prop_map(|(index, json)| {
                serde_json::json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": json}}).to_string()
            }),
            (any::<Option<String>>(), any::<u64>()).prop_map(|(stop, output)| {
                serde_json::json!({"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": output}}).to_string()
            }),
            Just(r#"{"type": "message_stop"}"#.to_owned()),
            Just(r#"{"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}"#.to_owned()),
        ]
    }

    proptest! {
        #[test]
        fn no_stream_of_events_panics(events in proptest::collection::vec(event(), 0..12)) {
            let mut state = StreamState::default();
            for data in events {
                if state.read(SseEvent { data }).is_err() {
                    break;
                }
            }
        }
    }
}
