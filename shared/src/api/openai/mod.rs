//! The OpenAI-compatible surface: `POST /v1/chat/completions` with
//! `model: "agent:<handle>/<slug>"` (or `...@<version>`), and `GET /v1/models`, so every
//! OpenAI client library runs Agora's agents unchanged. Runs are billed like any other
//! (the same chokepoint), and errors on these paths use OpenAI's error format.

use std::convert::Infallible;

use axum::{
    body::Bytes,
    extract::State,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::StreamExt;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod error;
pub mod tools;

use self::{
    error::{OpenAiError, error_object},
    tools::{ChatTool, ChatToolCall},
};
use super::{SignedIn, error_format::ErrorFormat, idempotency, json, sse};
use crate::{
    AppState, Error,
    domain::{
        AgentAddress, Caller,
        llm::{FinishReason, Message, Role, ToolResult, check_sampling},
    },
    ports::{RunSource, RunStatus},
    services::runs::{ActiveRun, RunEvent, RunInfo, RunOutcome, RunRequest},
};

/// The model prefix that names an agent.
const AGENT_PREFIX: &str = "agent:";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatCompletionRequest {
    /// `agent:<handle>/<slug>`, or `agent:<handle>/<slug>@<version>` to pin a version.
    #[schema(example = "agent:agora/summarizer")]
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    /// Deprecated by OpenAI, still accepted.
    pub max_tokens: Option<u32>,
    pub max_completion_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Only 1.
    pub n: Option<u32>,
    /// Accepted and ignored (OpenAI's end-user id).
    pub user: Option<String>,
    /// Functions the model may call; your program runs them and sends the results back
    /// as `tool` messages.
    #[serde(default)]
    pub tools: Vec<ChatTool>,
    /// `none`, `auto` (the default), `required`, or `{"type": "function", "function":
    /// {"name": ...}}`.
    #[schema(value_type = Option<Object>)]
    pub tool_choice: Option<serde_json::Value>,
    /// Accepted; whether calls come one at a time is the agent's model's choice.
    pub parallel_tool_calls: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamOptions {
    /// Send a last chunk with the usage.
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatMessage {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text, or a list of `{"type": "text", "text": ...}` parts; may be null on an
    /// assistant message with `tool_calls`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// Accepted and ignored.
    pub name: Option<String>,
    /// On an assistant message: the calls the model made.
    pub tool_calls: Option<Vec<ChatToolCall>>,
    /// On a `tool` message: the call it answers.
    pub tool_call_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatCompletion {
    /// `chatcmpl-<run id>`.
    pub id: String,
    pub object: &'static str,
    pub created: i64,
    pub model: String,
    pub choices: Vec<ChatChoice>,
    pub usage: ChatUsage,
    /// Agora's run record of this completion.
    pub agora: AgoraRun,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatChoice {
    pub index: u32,
    pub message: AssistantMessage,
    pub finish_reason: &'static str,
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssistantMessage {
    pub role: &'static str,
    /// Null when the model only called tools.
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ChatToolCall>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgoraRun {
    pub run_id: uuid::Uuid,
    /// Credits charged (`"0.000123"`).
    #[schema(value_type = String)]
    pub charged: crate::domain::Credits,
    pub provider: String,
    pub provider_model: String,
    /// The calls Agora made to the agent's own tools while it answered.
    pub tool_uses: Vec<crate::domain::agent_tools::ToolUse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    pub object: &'static str,
    pub data: Vec<ModelEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelEntry {
    /// `agent:<handle>/<slug>`.
    pub id: String,
    pub object: &'static str,
    pub created: i64,
    /// The creator's handle.
    pub owned_by: String,
}

/// Runs an agent with OpenAI's Chat Completions API.
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "openai",
    operation_id = "create_chat_completion",
    summary = "Chat completion (OpenAI-compatible)",
    description = "Any OpenAI client works: set the base URL to Agora's `/v1`, the API key to an Agora key, and `model` to `agent:<handle>/<slug>` (optionally `@<version>`). Streaming follows OpenAI's chunk format, `stream_options.include_usage` included. Errors are `{\"error\": {\"message\", \"type\", \"code\"}}`.",
    request_body = ChatCompletionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 200, description = "The completion (or, with `stream`, chunks as Server-Sent Events)", body = ChatCompletion),
        (status = 400, description = "An invalid request (OpenAI error format)"),
        (status = 401, description = "No or a refused API key (OpenAI error format)"),
        (status = 402, description = "Your balance cannot cover the run (OpenAI error format)"),
        (status = 404, description = "No agent you may run is named by `model` (OpenAI error format)"),
        (status = 429, description = "Too many runs (OpenAI error format)"),
        (status = 502, description = "Every model failed (OpenAI error format)"),
    )
)]
pub async fn create_chat_completion(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    idempotency::once(
        &state,
        &caller,
        &headers,
        "POST /v1/chat/completions",
        &body,
        ErrorFormat::OpenAi,
        |run_id| complete(&state, &caller, &headers, &body, run_id),
    )
    .await
}

async fn complete(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &[u8],
    run_id: uuid::Uuid,
) -> Result<Response, OpenAiError> {
    json::require_json(headers)?;
    let request: ChatCompletionRequest = json::parse(body)?;
    let agent = parse_model(&request.model)?;
    if request.n.is_some_and(|n| n != 1) {
        return Err(Error::invalid("n", "only n = 1 is supported").into());
    }
    check_sampling(request.temperature, request.top_p)?;
    let tools = tools::tool_specs(&request.tools)?;
    let tool_choice = tools::tool_choice(request.tool_choice.as_ref(), &tools)?;
    let messages = messages_of(&request.messages)?;
    let include_usage = request
        .stream_options
        .as_ref()
        .is_some_and(|options| options.include_usage);
    let model = request.model.clone();
    let run = state
        .runs()?
        .start(
            caller,
            RunRequest {
                id: run_id,
                agent,
                messages,
                inputs: Default::default(),
                tools,
                tool_choice,
                max_tokens: request.max_completion_tokens.or(request.max_tokens),
                temperature: request.temperature,
                top_p: request.top_p,
                stream: request.stream,
                source: RunSource::Openai,
                conversation: None,
            },
        )
        .await?;
    if request.stream {
        return Ok(sse::unbuffered(chunks(run, model, include_usage)));
    }
    let ActiveRun { info, mut events } = run;
    while let Some(event) = events.recv().await {
        if let RunEvent::Done(outcome) = event {
            if outcome.status == RunStatus::Failed
                && let Some(problem) = outcome.problem()
            {
                return Err(problem.into());
            }
            return Ok(axum::Json(completion(&info, &outcome, model)).into_response());
        }
    }
    Err(Error::Internal("a run ended without an outcome".into()).into())
}

/// The agents the caller may run: their own, their saved ones, and the most used public
/// ones (at most 500 in all), as OpenAI models.
#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "openai",
    operation_id = "list_models",
    summary = "Agents as models (OpenAI-compatible)",
    responses((status = 200, description = "Models named `agent:<handle>/<slug>`", body = ModelList))
)]
pub async fn list_models(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<ModelList>, OpenAiError> {
    let agents = state.catalog()?.runnable_agents(&caller, 500).await?;
    Ok(axum::Json(ModelList {
        object: "list",
        data: agents
            .into_iter()
            .map(|(address, handle, created)| ModelEntry {
                id: format!("{AGENT_PREFIX}{address}"),
                object: "model",
                created: created.timestamp(),
                owned_by: handle,
            })
            .collect(),
    }))
}

/// `agent:<handle>/<slug>[@<version>]`.
fn parse_model(model: &str) -> Result<AgentAddress, Error> {
    model
        .strip_prefix(AGENT_PREFIX)
        .and_then(|address| AgentAddress::parse(address).ok())
        .ok_or_else(|| {
            Error::invalid(
                "model",
                format!(
                    "`{model}` is not an agent; use `agent:<handle>/<slug>` or `agent:<handle>/<slug>@<version>` (GET /v1/models lists them)"
                ),
            )
        })
}

/// The conversation as the run path takes it: system and developer messages joined into
/// one system message first (after the agent's own prompt), and each run of `tool`
/// messages one user message of tool results, each answering a call of the assistant
/// message before it.
fn messages_of(chat: &[ChatMessage]) -> Result<Vec<Message>, Error> {
    let mut system = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    // The calls of the last assistant message still waiting for their results.
    let mut unanswered: Vec<String> = Vec::new();
    for (index, message) in chat.iter().enumerate() {
        if message.role != "tool" && !unanswered.is_empty() {
            return Err(Error::invalid(
                format!("messages[{index}]"),
                format!(
                    "the assistant's tool calls {} have no result: send a `tool` message with each `tool_call_id` first",
                    unanswered.join(", ")
                ),
            ));
        }
        if message.tool_calls.is_some() && message.role != "assistant" {
            return Err(Error::invalid(
                format!("messages[{index}].tool_calls"),
                "only an assistant message has tool calls",
            ));
        }
        match message.role.as_str() {
            "system" | "developer" => system.push(text_of(&message.content, index)?),
            "user" => messages.push(Message::new(Role::User, text_of(&message.content, index)?)),
            "assistant" => {
                let calls =
                    tools::calls_of(message.tool_calls.as_deref().unwrap_or_default(), index)?;
                let content = match &message.content {
                    serde_json::Value::Null if !calls.is_empty() => String::new(),
                    content => text_of(content, index)?,
                };
                unanswered = calls.iter().map(|call| call.id.clone()).collect();
                let mut assistant = Message::new(Role::Assistant, content);
                assistant.tool_calls = calls;
                messages.push(assistant);
            }
            "tool" => {
                let call_id = message.tool_call_id.clone().unwrap_or_default();
                let Some(position) = unanswered.iter().position(|id| *id == call_id) else {
                    return Err(Error::invalid(
                        format!("messages[{index}].tool_call_id"),
                        format!(
                            "`{call_id}` is not a call of the assistant message before it that is still without a result"
                        ),
                    ));
                };
                unanswered.remove(position);
                let result = ToolResult {
                    call_id,
                    content: text_of(&message.content, index)?,
                };
                match messages.last_mut() {
                    Some(results) if !results.tool_results.is_empty() => {
                        results.tool_results.push(result);
                    }
                    _ => {
                        let mut results = Message::new(Role::User, "");
                        results.tool_results.push(result);
                        messages.push(results);
                    }
                }
            }
            other => {
                return Err(Error::invalid(
                    format!("messages[{index}].role"),
                    format!(
                        "`{other}` is not supported; use system, developer, user, assistant or tool"
                    ),
                ));
            }
        }
    }
    // The caller's system messages come after the agent's own prompt, as the first message.
    if !system.is_empty() {
        messages.insert(0, Message::new(Role::System, system.join("\n\n")));
    }
    Ok(messages)
}

/// A message's text: a string, or the text parts of a list.
fn text_of(content: &serde_json::Value, index: usize) -> Result<String, Error> {
    match content {
        serde_json::Value::String(text) => Ok(text.clone()),
        serde_json::Value::Array(parts) => parts
            .iter()
            .map(
                |part| match (part.get("type").and_then(|t| t.as_str()), part.get("text")) {
                    (Some("text"), Some(serde_json::Value::String(text))) => Ok(text.as_str()),
                    _ => Err(Error::invalid(
                        format!("messages[{index}].content"),
                        "only text parts are supported",
                    )),
                },
            )
            .collect::<Result<Vec<_>, _>>()
            .map(|texts| texts.concat()),
        _ => Err(Error::invalid(
            format!("messages[{index}].content"),
            "must be text or a list of text parts",
        )),
    }
}

fn completion(info: &RunInfo, outcome: &RunOutcome, model: String) -> ChatCompletion {
    ChatCompletion {
        id: format!("chatcmpl-{}", info.run_id.simple()),
        object: "chat.completion",
        created: info.created_at.timestamp(),
        model,
        choices: vec![ChatChoice {
            index: 0,
            message: AssistantMessage {
                role: "assistant",
                content: (!outcome.output.is_empty() || outcome.tool_calls.is_empty())
                    .then(|| outcome.output.clone()),
                tool_calls: (!outcome.tool_calls.is_empty())
                    .then(|| outcome.tool_calls.iter().map(ChatToolCall::from).collect()),
            },
            finish_reason: finish_reason(outcome),
            logprobs: None,
        }],
        usage: usage(outcome),
        agora: AgoraRun {
            run_id: info.run_id,
            charged: outcome.charged,
            provider: outcome.provider.clone(),
            provider_model: outcome.model.clone(),
            tool_uses: outcome.tool_uses.clone(),
        },
    }
}

fn usage(outcome: &RunOutcome) -> ChatUsage {
    ChatUsage {
        prompt_tokens: outcome.input_tokens,
        completion_tokens: outcome.output_tokens,
        total_tokens: outcome.input_tokens + outcome.output_tokens,
    }
}

fn finish_reason(outcome: &RunOutcome) -> &'static str {
    match outcome.finish_reason {
        Some(FinishReason::Length) => "length",
        Some(FinishReason::ContentFilter) => "content_filter",
        Some(FinishReason::ToolCalls) => "tool_calls",
        Some(FinishReason::Stop) | None => "stop",
    }
}

/// OpenAI's streaming format: a role chunk, content chunks, a finish chunk, the usage
/// chunk when asked for, then `[DONE]`. A failure mid-answer is an `error` chunk.
fn chunks(
    run: ActiveRun,
    model: String,
    include_usage: bool,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let ActiveRun { info, events } = run;
    let id = format!("chatcmpl-{}", info.run_id.simple());
    let created = info.created_at.timestamp();
    let chunk = move |delta: serde_json::Value, finish: Option<&str>| {
        serde_json::json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish, "logprobs": null }],
        })
    };
    let first = chunk(
        serde_json::json!({ "role": "assistant", "content": "" }),
        None,
    );
    let opening = futures::stream::once(async move { first });
    // Each call arrives whole: one delta carries its id, name and arguments, at the next
    // index (clients put calls together by index).
    let mut calls = 0u32;
    let body = sse::stream_of(events).flat_map(move |event| {
        let chunks: Vec<serde_json::Value> = match event {
            RunEvent::Delta(text) => vec![chunk(serde_json::json!({ "content": text }), None)],
            // The agent's own tools run inside Agora: the caller sees their effect in the
            // answer, never calls it must make.
            RunEvent::ToolStarted(_) | RunEvent::ToolUsed(_) => Vec::new(),
            RunEvent::ToolCall(call) => {
                let mut delta = serde_json::to_value(ChatToolCall::from(&call)).unwrap_or_default();
                delta["index"] = calls.into();
                calls = calls.saturating_add(1);
                vec![chunk(serde_json::json!({ "tool_calls": [delta] }), None)]
            }
            RunEvent::Done(outcome) => {
                let mut last = Vec::new();
                if outcome.status == RunStatus::Failed {
                    let error = outcome.problem().map_or_else(
                        || serde_json::json!({ "message": "the run failed", "type": "api_error" }),
                        |problem| serde_json::json!(error_object(&problem)),
                    );
                    last.push(serde_json::json!({ "error": error }));
                } else {
                    let mut done = chunk(serde_json::json!({}), Some(finish_reason(&outcome)));
                    done["agora"] = serde_json::json!({ "run_id": outcome.run_id, "charged": outcome.charged,
                        "tool_uses": outcome.tool_uses });
                    last.push(done);
                    if include_usage {
                        let mut tail = chunk(serde_json::json!({}), None);
                        tail["choices"] = serde_json::json!([]);
                        tail["usage"] = serde_json::to_value(usage(&outcome)).unwrap_or_default();
                        last.push(tail);
                    }
                }
                last
            }
        };
        futures::stream::iter(chunks)
    });
    let events = opening
        .chain(body)
        .map(|chunk| Ok(Event::default().data(chunk.to_string())))
        .chain(futures::stream::once(async {
            Ok(Event::default().data("[DONE]"))
        }));
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VersionChoice;

    #[test]
    fn models_name_agents_and_versions() {
        assert_eq!(
            parse_model("agent:ada/summarizer").unwrap(),
            AgentAddress::new("ada", "summarizer", VersionChoice::Latest)
        );
        assert_eq!(
            parse_model("agent:ada/summarizer@3").unwrap(),
            AgentAddress::new("ada", "summarizer", VersionChoice::Number(3))
        );
        for bad in [
            "gpt-4o",
            "agent:",
            "agent:ada",
            "agent:ada/",
            "agent:/x",
            "agent:a/b@0",
            "agent:a/b@x",
        ] {
            assert!(parse_model(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn content_parts_are_joined() {
        let parts =
            serde_json::json!([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]);
        assert_eq!(text_of(&parts, 0).unwrap(), "ab");
        assert!(text_of(&serde_json::json!([{"type": "image_url"}]), 0).is_err());
        assert!(text_of(&serde_json::json!(5), 0).is_err());
    }
}
