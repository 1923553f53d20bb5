//! `/v1/runs` and `/v1/conversations`: running agents over HTTP. Answers stream as
//! Server-Sent Events (`run`, then `delta`s, then `done`) or come whole as JSON.

use std::{collections::BTreeMap, convert::Infallible};

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt};
use http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{SignedIn, idempotency, json, query::StrictQuery};
use crate::{
    AppState, Error,
    domain::{
        Caller,
        llm::{Message, Role},
    },
    error::Problem,
    ports::runs::{ConversationRecord, RunRecord, RunSource, RunStatus},
    services::{
        conversations::{ConversationView, ReplyOptions},
        runs::{ActiveRun, RunEvent, RunInfo, RunOutcome, RunRequest, VersionChoice},
    },
};

// ---- requests and responses ------------------------------------------------------------

/// A version number, or `"draft"` (the owner's unpublished draft).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum VersionParam {
    Number(i32),
    #[schema(example = "draft")]
    Named(String),
}

impl VersionParam {
    pub fn choice(param: Option<&Self>, field: &str) -> Result<VersionChoice, Error> {
        match param {
            None => Ok(VersionChoice::Latest),
            Some(Self::Number(number)) if *number >= 1 => Ok(VersionChoice::Number(*number)),
            Some(Self::Named(name)) if name == "draft" => Ok(VersionChoice::Draft),
            Some(Self::Named(name)) if name == "latest" => Ok(VersionChoice::Latest),
            Some(_) => Err(Error::invalid(
                field,
                "must be a version number (1 or more), \"latest\" or \"draft\"",
            )),
        }
    }
}

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

/// A run's whole answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunResponse {
    pub run: RunInfo,
    pub outcome: RunOutcome,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub runs: Vec<RunRecord>,
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
    pub conversations: Vec<ConversationRecord>,
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

// ---- handlers ---------------------------------------------------------------------------

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
    let request = (state.clone(), caller.clone(), headers.clone(), body.clone());
    idempotency::once(
        &state,
        &caller,
        &headers,
        "POST /v1/runs",
        &body,
        |run_id| async move {
            let (state, caller, headers, body) = request;
            match start_run(&state, &caller, &headers, &body, run_id).await {
                Ok(response) => response,
                Err(error) => error.into_response(),
            }
        },
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
    let (handle, slug) = split_address(&request.agent, "agent")?;
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
                handle: handle.to_owned(),
                slug: slug.to_owned(),
                version: VersionParam::choice(request.version.as_ref(), "version")?,
                messages,
                inputs: request.inputs,
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
        .map(|address| split_address(address, "agent"))
        .transpose()?;
    let runs = state
        .runs()?
        .list_runs(&caller, agent, query.before, limit)
        .await?;
    let next_before = (runs.len() == limit)
        .then(|| runs.last().map(|run| run.id))
        .flatten();
    Ok(axum::Json(RunList { runs, next_before }))
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
        (status = 200, description = "The run record", body = RunRecord),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<RunRecord>, Error> {
    let id = parse_id(&id, "You have no run with this id.")?;
    Ok(axum::Json(state.runs()?.find_run(&caller, id).await?))
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
        (status = 202, description = "Asked to stop (a finished run stays as it was)", body = RunRecord),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stop_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, axum::Json<RunRecord>), Error> {
    let id = parse_id(&id, "You have no run with this id.")?;
    let run = state.runs()?.stop(&caller, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)))
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
        (status = 201, description = "The conversation", body = ConversationRecord),
        (status = 404, description = "No agent or version you may run has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid inputs or version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_conversation(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    json::StrictJson(request): json::StrictJson<CreateConversationRequest>,
) -> Result<(StatusCode, axum::Json<ConversationRecord>), Error> {
    let (handle, slug) = split_address(&request.agent, "agent")?;
    let version = VersionParam::choice(request.version.as_ref(), "version")?;
    let conversation = state
        .conversations()?
        .create(&caller, handle, slug, version, request.inputs)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(conversation)))
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
        conversations: state.conversations()?.list(&caller).await?,
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
    let request = (state.clone(), caller.clone(), headers.clone(), body.clone());
    idempotency::once(
        &state,
        &caller,
        &headers,
        &route,
        &body,
        |run_id| async move {
            let (state, caller, headers, body) = request;
            let result = async {
                let id = parse_id(&id, "You have no conversation with this id.")?;
                json::require_json(&headers)?;
                let request: ReplyRequest = json::parse(&body)?;
                check_sampling(request.temperature, None)?;
                let options = ReplyOptions {
                    max_tokens: request.max_tokens,
                    temperature: request.temperature,
                    stream: request.stream,
                };
                let run = state
                    .conversations()?
                    .reply(&caller, id, run_id, request.content, options.clone())
                    .await?;
                answer(run, options.stream).await
            }
            .await;
            result.unwrap_or_else(IntoResponse::into_response)
        },
    )
    .await
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

// ---- answers ----------------------------------------------------------------------------

/// The run's answer: an event stream, or the whole answer as JSON (an error status when
/// the run did not succeed).
async fn answer(run: ActiveRun, stream: bool) -> Result<Response, Error> {
    if stream {
        let mut response = event_stream(run).into_response();
        no_buffering(&mut response);
        return Ok(response);
    }
    let ActiveRun { info, mut events } = run;
    while let Some(event) = events.recv().await {
        if let RunEvent::Done(outcome) = event {
            // A failed run is an error even when it produced some text (its record keeps it).
            if outcome.status == RunStatus::Failed
                && let Some(problem) = outcome.problem()
            {
                return Err(problem);
            }
            return Ok(axum::Json(RunResponse { run: info, outcome }).into_response());
        }
    }
    Err(Error::Internal("a run ended without an outcome".into()))
}

/// `run`, then `delta` per piece of text, then `done` with the outcome.
fn event_stream(run: ActiveRun) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ActiveRun { info, events } = run;
    let first = Event::default()
        .event("run")
        .json_data(&info)
        .unwrap_or_else(|_| Event::default().event("run"));
    let rest = tokio_stream_of(events).map(|event| {
        Ok(match event {
            RunEvent::Delta(text) => Event::default()
                .event("delta")
                .json_data(serde_json::json!({ "text": text }))
                .unwrap_or_default(),
            RunEvent::Done(outcome) => Event::default()
                .event("done")
                .json_data(&outcome)
                .unwrap_or_default(),
        })
    });
    Sse::new(futures::stream::once(async { Ok(first) }).chain(rest))
        .keep_alive(KeepAlive::default())
}

/// The events of a run as a stream.
pub(crate) fn tokio_stream_of(
    mut events: tokio::sync::mpsc::Receiver<RunEvent>,
) -> impl Stream<Item = RunEvent> + Send {
    futures::stream::poll_fn(move |context| events.poll_recv(context))
}

/// `handle/slug`, or a 422 on `field`.
pub(crate) fn split_address<'a>(
    address: &'a str,
    field: &str,
) -> Result<(&'a str, &'a str), Error> {
    address
        .split_once('/')
        .filter(|(handle, slug)| !handle.is_empty() && !slug.is_empty() && !slug.contains('/'))
        .ok_or_else(|| Error::invalid(field, "must be an agent address `handle/slug`"))
}

pub(crate) fn check_sampling(temperature: Option<f64>, top_p: Option<f64>) -> Result<(), Error> {
    if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        return Err(Error::invalid("temperature", "must be 0 to 2"));
    }
    if top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
        return Err(Error::invalid("top_p", "must be above 0 and at most 1"));
    }
    Ok(())
}

pub(crate) fn page_size(limit: Option<usize>) -> Result<usize, Error> {
    match limit {
        None => Ok(20),
        Some(limit @ 1..=100) => Ok(limit),
        Some(_) => Err(Error::invalid("limit", "must be 1 to 100")),
    }
}

fn parse_id(id: &str, missing: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(id).map_err(|_| Error::NotFound(missing.to_owned()))
}

/// Keeps proxies from buffering an event stream.
pub(crate) fn no_buffering(response: &mut Response) {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    response.headers_mut().insert(
        http::HeaderName::from_static("x-accel-buffering"),
        http::HeaderValue::from_static("no"),
    );
}
