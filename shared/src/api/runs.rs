//! `/v1/runs` and `/v1/me/runs`: running an agent once over HTTP, and the caller's runs.
//! Answers stream as Server-Sent Events (`run`, then `delta`s, then `done`) or come whole
//! as JSON.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::Response,
};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    SignedIn,
    error_format::ErrorFormat,
    idempotency, json,
    paging::page_size,
    path::{VersionParam, agent_address, parse_id},
    query::StrictQuery,
    run_answer::{RunResponse, answer},
};
use crate::services::runs::views::RunView;
use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{
        Caller,
        llm::{Message, Role, ToolChoice, check_sampling},
    },
    ports::RunSource,
    services::runs::RunRequest,
};

/// One message of a run's conversation.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunMessage {
    /// `user` or `assistant`.
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRunRequest {
    /// The agent's address, `handle/slug`.
    #[schema(example = "agora/summarizer")]
    pub agent: String,
    /// A version number, `"latest"` (the default) or `"draft"` (owner only).
    pub version: Option<VersionParam>,
    /// The user's message: shorthand for `messages: [{role: user, content: input}]`.
    pub input: Option<String>,
    /// The conversation so far, ending with the user's message (instead of `input`).
    pub messages: Option<Vec<RunMessage>>,
    /// Values of the agent's input fields.
    #[serde(default)]
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// The most tokens of the answer; the agent's setting or 1,024 by default.
    pub max_tokens: Option<u32>,
    /// 0 to 2; 0 makes the answer cacheable.
    pub temperature: Option<f64>,
    /// Above 0, at most 1.
    pub top_p: Option<f64>,
    /// Stream the answer as Server-Sent Events.
    #[serde(default)]
    pub stream: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub runs: Vec<RunView>,
    /// Pass as `before` for the next page.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRunsQuery {
    /// Only runs of this agent (`handle/slug`).
    pub agent: Option<String>,
    /// `next_before` of the previous page.
    pub before: Option<Uuid>,
    /// 1 to 100; 20 by default.
    pub limit: Option<usize>,
}

/// Runs an agent once: the answer whole, or streamed.
#[utoipa::path(
    post,
    path = "/v1/runs",
    tag = "runs",
    operation_id = "create_run",
    summary = "Run an agent",
    description = "Holds the worst-case cost, calls the agent's model (falling back along its list), and charges the actual cost. With `stream: true` the answer comes as Server-Sent Events: `run` (who answers), `delta` (`{\"text\"}`), and `done` (the outcome). Send `Idempotency-Key` to make retries safe.",
    request_body = CreateRunRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first response")),
    responses(
        (status = 200, description = "The answer (or, with `stream`, an event stream)", body = RunResponse),
        (status = 402, description = "Your balance or spending limit cannot cover the run's worst case", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No agent or version you may run has this address", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid messages, inputs or parameters, or an Idempotency-Key reused with another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many runs; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Every model failed or answered something unusable", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No provider is configured for this agent's models", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    idempotency::once(
        &state,
        &caller,
        &headers,
        "POST /v1/runs",
        &body,
        ErrorFormat::Problem,
        |run_id| start_run(&state, &caller, &headers, &body, run_id),
    )
    .await
}

async fn start_run(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &[u8],
    run_id: Uuid,
) -> Result<Response, Error> {
    json::require_json(headers)?;
    let request: CreateRunRequest = json::parse(body)?;
    let agent = agent_address(&request.agent, "agent")?
        .at(VersionParam::choice(request.version.as_ref(), "version")?);
    let messages = match (request.input, request.messages) {
        (Some(input), None) => vec![Message::new(Role::User, input)],
        (None, Some(messages)) => messages
            .into_iter()
            .map(|message| Message::new(message.role, message.content))
            .collect(),
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "input",
                "send `input` or `messages`, not both",
            ));
        }
        (None, None) => return Err(Error::invalid("input", "send `input` or `messages`")),
    };
    if messages.iter().any(|message| message.role == Role::System) {
        return Err(Error::invalid(
            "messages",
            "only user and assistant messages; the agent brings its own system prompt",
        ));
    }
    check_sampling(request.temperature, request.top_p)?;
    let stream = request.stream;
    let run = state
        .runs()?
        .start(
            caller,
            RunRequest {
                id: run_id,
                agent,
                messages,
                inputs: request.inputs,
                tools: Vec::new(),
                tool_choice: ToolChoice::Auto,
                max_tokens: request.max_tokens,
                temperature: request.temperature,
                top_p: request.top_p,
                stream,
                source: RunSource::Api,
                conversation: None,
            },
        )
        .await?;
    answer(run, stream).await
}

/// The caller's runs, newest first.
#[utoipa::path(
    get,
    path = "/v1/me/runs",
    tag = "runs",
    operation_id = "list_runs",
    summary = "Your runs",
    params(ListRunsQuery),
    responses((status = 200, description = "One page of runs", body = RunList))
)]
pub async fn list_runs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictQuery(query): StrictQuery<ListRunsQuery>,
) -> Result<axum::Json<RunList>, Error> {
    let limit = page_size(query.limit)?;
    let agent = query
        .agent
        .as_deref()
        .map(|address| agent_address(address, "agent"))
        .transpose()?;
    let runs = state
        .runs()?
        .list_runs(&caller, agent.as_ref(), query.before, limit)
        .await?;
    let next_before = (runs.len() == limit)
        .then(|| runs.last().map(|run| run.id))
        .flatten();
    Ok(axum::Json(RunList {
        runs: runs.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

/// One of the caller's runs.
#[utoipa::path(
    get,
    path = "/v1/runs/{id}",
    tag = "runs",
    operation_id = "get_run",
    summary = "A run",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run record", body = RunView),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<RunView>, Error> {
    let id = parse_id(&id, "You have no run with this id.")?;
    Ok(axum::Json(
        state.runs()?.find_run(&caller, id).await?.into(),
    ))
}

/// Stops a running answer; it ends with what it has, billed for what was produced.
#[utoipa::path(
    post,
    path = "/v1/runs/{id}/stop",
    tag = "runs",
    operation_id = "stop_run",
    summary = "Stop a running answer",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses(
        (status = 202, description = "Asked to stop (a finished run stays as it was)", body = RunView),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stop_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, axum::Json<RunView>), Error> {
    let id = parse_id(&id, "You have no run with this id.")?;
    let run = state.runs()?.stop(&caller, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run.into())))
}
