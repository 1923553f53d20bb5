//! `/v1/conversations`: chatting with an agent, a conversation pinned to one version, its
//! answers streamed as Server-Sent Events or returned whole.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::Response,
};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    SignedIn,
    error_format::ErrorFormat,
    idempotency, json,
    path::{VersionParam, agent_address, parse_id},
    run_answer::{RunResponse, answer},
};
use crate::services::conversations::ConversationEntry;
use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{Caller, llm::check_sampling},
    services::conversations::{ConversationView, ReplyOptions},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversationRequest {
    /// The agent's address, `handle/slug`.
    pub agent: String,
    /// Pinned for the whole conversation: a number, `"latest"` (default) or `"draft"`.
    pub version: Option<VersionParam>,
    /// Values of the agent's input fields, used for every reply.
    #[serde(default)]
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub inputs: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationList {
    /// Most recently active first.
    pub conversations: Vec<ConversationEntry>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Your message.
    pub content: String,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    /// Stream the answer as Server-Sent Events (the default).
    #[serde(default = "yes")]
    pub stream: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateRequest {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    /// Stream the answer as Server-Sent Events (the default).
    pub stream: Option<bool>,
}

fn yes() -> bool {
    true
}

/// Starts a conversation with an agent, pinned to a version.
#[utoipa::path(
    post,
    path = "/v1/conversations",
    tag = "conversations",
    operation_id = "create_conversation",
    summary = "Start a conversation",
    request_body = CreateConversationRequest,
    responses(
        (status = 201, description = "The conversation", body = ConversationEntry),
        (status = 404, description = "No agent or version you may run has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid inputs or version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_conversation(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    json::StrictJson(request): json::StrictJson<CreateConversationRequest>,
) -> Result<(StatusCode, axum::Json<ConversationEntry>), Error> {
    let agent = agent_address(&request.agent, "agent")?
        .at(VersionParam::choice(request.version.as_ref(), "version")?);
    let conversation = state
        .conversations()?
        .create(&caller, &agent, request.inputs)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(conversation.into())))
}

/// The caller's conversations.
#[utoipa::path(
    get,
    path = "/v1/conversations",
    tag = "conversations",
    operation_id = "list_conversations",
    summary = "Your conversations",
    responses((status = 200, description = "Most recent first (at most 100)", body = ConversationList))
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<ConversationList>, Error> {
    Ok(axum::Json(ConversationList {
        conversations: state
            .conversations()?
            .list(&caller)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// A conversation and its messages.
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    operation_id = "get_conversation",
    summary = "A conversation",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "The conversation with its messages", body = ConversationView),
        (status = 404, description = "You have no conversation with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_conversation(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<ConversationView>, Error> {
    let id = parse_id(&id, "You have no conversation with this id.")?;
    Ok(axum::Json(state.conversations()?.get(&caller, id).await?))
}

/// Deletes a conversation and its messages (its runs stay on record).
#[utoipa::path(
    delete,
    path = "/v1/conversations/{id}",
    tag = "conversations",
    operation_id = "delete_conversation",
    summary = "Delete a conversation",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "You have no conversation with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_conversation(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let id = parse_id(&id, "You have no conversation with this id.")?;
    state.conversations()?.delete(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a message; the agent's answer streams back.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/messages",
    tag = "conversations",
    operation_id = "send_message",
    summary = "Send a message",
    description = "The answer streams as Server-Sent Events: `run`, `delta`s, then `done`. Send `Idempotency-Key` to make retries safe.",
    request_body = ReplyRequest,
    params(
        ("id" = Uuid, Path, description = "The conversation's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    responses(
        (status = 200, description = "The answer: an event stream, or with `stream: false` JSON", body = RunResponse),
        (status = 402, description = "Your balance or spending limit cannot cover the run's worst case", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "You have no conversation with this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or oversized message", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many runs; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Every model failed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send_message(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /v1/conversations/{id}/messages");
    idempotency::once(
        &state,
        &caller,
        &headers,
        &route,
        &body,
        ErrorFormat::Problem,
        |run_id| reply(&state, &caller, &id, &headers, &body, run_id),
    )
    .await
}

async fn reply(
    state: &AppState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
    run_id: Uuid,
) -> Result<Response, Error> {
    let id = parse_id(id, "You have no conversation with this id.")?;
    json::require_json(headers)?;
    let request: ReplyRequest = json::parse(body)?;
    check_sampling(request.temperature, None)?;
    let options = ReplyOptions {
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        stream: request.stream,
    };
    let run = state
        .conversations()?
        .reply(caller, id, run_id, request.content, options.clone())
        .await?;
    answer(run, options.stream).await
}

/// Answers the last message again; the previous answer is superseded.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/regenerate",
    tag = "conversations",
    operation_id = "regenerate_answer",
    summary = "Regenerate the last answer",
    request_body(content = RegenerateRequest, description = "Optional; `{}` or no body"),
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "The new answer as an event stream", body = RunResponse),
        (status = 404, description = "You have no conversation with this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to answer again", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn regenerate_answer(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let id = parse_id(&id, "You have no conversation with this id.")?;
    let request: RegenerateRequest = if body.is_empty() {
        RegenerateRequest::default()
    } else {
        json::require_json(&headers)?;
        json::parse(&body)?
    };
    check_sampling(request.temperature, None)?;
    let options = ReplyOptions {
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        stream: request.stream.unwrap_or(true),
    };
    let run = state
        .conversations()?
        .regenerate(&caller, id, Uuid::now_v7(), options.clone())
        .await?;
    answer(run, options.stream).await
}
