//! `/v1/workflows` and `/v1/workflow-runs`: workflows as definitions (create, edit,
//! validate, publish, list, fork) and their asynchronous runs (start, read, cancel, and
//! follow as Server-Sent Events).

use std::{collections::BTreeMap, convert::Infallible, time::Duration};

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    SignedIn, error_format::ErrorFormat, idempotency, json, json::StrictJson, paging::page_size,
    path::VersionParam, query::StrictQuery, sse,
};
use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{Caller, workflow::WorkflowSpec},
    ports::{Visibility, WorkflowRunStatus},
    services::workflows::{
        SavedWorkflow, WorkflowEstimate, WorkflowView,
        views::{WorkflowRunView, WorkflowVersionView},
    },
};

#[derive(Debug, Deserialize)]
pub struct WorkflowPath {
    handle: String,
    slug: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkflowRequest {
    /// The workflow's part of its address, `handle/slug`.
    pub slug: String,
    /// `private` (the default), `unlisted` or `public`.
    pub visibility: Option<Visibility>,
    pub spec: WorkflowSpec,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkflowRequest {
    pub spec: Option<WorkflowSpec>,
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateWorkflowRequest {
    pub spec: WorkflowSpec,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishWorkflowRequest {
    /// What changed, up to 2,000 characters.
    #[serde(default)]
    pub changelog: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForkWorkflowRequest {
    /// The fork's slug; the original's by default.
    pub slug: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartWorkflowRunRequest {
    /// A version number, `"latest"` (the default) or `"draft"` (owner only).
    pub version: Option<VersionParam>,
    /// The workflow's inputs, by name.
    #[serde(default)]
    #[schema(value_type = HashMap<String, Object>)]
    pub inputs: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWorkflowsQuery {
    /// Words to look for in names, summaries, descriptions and tags.
    pub q: Option<String>,
    /// `true`: all of your own workflows, drafts included.
    pub mine: Option<bool>,
    /// 1 to 100; 20 by default.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSavedWorkflowsQuery {
    /// 1 to 100; 20 by default.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWorkflowRunsQuery {
    /// `next_before` of the previous page.
    pub before: Option<Uuid>,
    /// 1 to 100; 20 by default.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowList {
    pub workflows: Vec<WorkflowView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedWorkflowList {
    pub saved: Vec<SavedWorkflow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowVersionList {
    pub versions: Vec<WorkflowVersionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowRunList {
    pub runs: Vec<WorkflowRunView>,
    /// Pass as `before` for the next page.
    pub next_before: Option<Uuid>,
}

fn run_id(id: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(id)
        .map_err(|_| Error::NotFound("You have no workflow run with this id.".into()))
}

/// Creates a workflow (a draft) from an `agora.workflow/v1` definition.
#[utoipa::path(
    post,
    path = "/v1/workflows",
    tag = "workflows",
    operation_id = "create_workflow",
    summary = "Create a workflow",
    description = "The definition is checked without the catalog (shapes, references, cycles, types, limits); `POST /v1/workflows/validate` and publishing also check its agents.",
    request_body = CreateWorkflowRequest,
    responses(
        (status = 201, description = "The workflow", body = WorkflowView),
        (status = 409, description = "You have a workflow with this slug", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid definition; `errors` point at each step and field", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictJson(request): StrictJson<CreateWorkflowRequest>,
) -> Result<Response, Error> {
    let view = state
        .workflows()?
        .create(
            &caller,
            &request.slug,
            request.visibility.unwrap_or(Visibility::Private),
            request.spec,
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

/// Published public workflows, or all of yours.
#[utoipa::path(
    get,
    path = "/v1/workflows",
    tag = "workflows",
    operation_id = "list_workflows",
    summary = "Workflows",
    params(ListWorkflowsQuery),
    responses((status = 200, description = "One page of workflows", body = WorkflowList))
)]
pub async fn list_workflows(
    State(state): State<AppState>,
    caller: Caller,
    StrictQuery(query): StrictQuery<ListWorkflowsQuery>,
) -> Result<axum::Json<WorkflowList>, Error> {
    let limit = page_size(query.limit)?;
    let workflows = state
        .workflows()?
        .list(
            &caller,
            query.q,
            query.mine.unwrap_or(false),
            limit,
            query.offset.unwrap_or(0).min(10_000),
        )
        .await?;
    Ok(axum::Json(WorkflowList { workflows }))
}

/// Checks a definition completely and computes its worst-case cost.
#[utoipa::path(
    post,
    path = "/v1/workflows/validate",
    tag = "workflows",
    operation_id = "validate_workflow",
    summary = "Validate a workflow",
    description = "Everything that is checked before a run: shapes, references, cycles, types, limits, the agents and versions (and whether you may run them) and their input fields. Every failure at once, each at its JSON path (`steps[2].agent.prompt`).",
    request_body = ValidateWorkflowRequest,
    responses(
        (status = 200, description = "Valid: the worst-case cost, per step and in all", body = WorkflowEstimate),
        (status = 422, description = "Invalid; `errors` point at each step and field", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn validate_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictJson(request): StrictJson<ValidateWorkflowRequest>,
) -> Result<axum::Json<WorkflowEstimate>, Error> {
    Ok(axum::Json(
        state.workflows()?.validate(&caller, &request.spec).await?,
    ))
}

/// A workflow, as the caller may see it.
#[utoipa::path(
    get,
    path = "/v1/workflows/{handle}/{slug}",
    tag = "workflows",
    operation_id = "get_workflow",
    summary = "A workflow",
    description = "The owner sees the draft; everyone else the latest published version. Private and unpublished workflows are 404 for everyone but their owner.",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "The workflow, with the agents it uses", body = WorkflowView),
        (status = 404, description = "No workflow you may see has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_workflow(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<WorkflowPath>,
) -> Result<axum::Json<WorkflowView>, Error> {
    Ok(axum::Json(
        state
            .workflows()?
            .get(&caller, &path.handle, &path.slug)
            .await?,
    ))
}

/// The caller's library of workflows.
#[utoipa::path(
    get,
    path = "/v1/me/saved-workflows",
    tag = "workflows",
    operation_id = "list_saved_workflows",
    summary = "Your saved workflows",
    params(ListSavedWorkflowsQuery),
    responses((status = 200, description = "Most recently saved first; ones made private since are left out", body = SavedWorkflowList))
)]
pub async fn list_saved_workflows(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictQuery(query): StrictQuery<ListSavedWorkflowsQuery>,
) -> Result<axum::Json<SavedWorkflowList>, Error> {
    let limit = page_size(query.limit)?;
    let saved = state
        .workflows()?
        .saved(&caller, limit, query.offset.unwrap_or(0).min(10_000))
        .await?;
    Ok(axum::Json(SavedWorkflowList { saved }))
}

/// Saves a workflow to the caller's library.
#[utoipa::path(
    put,
    path = "/v1/me/saved-workflows/{handle}/{slug}",
    tag = "workflows",
    operation_id = "save_workflow",
    summary = "Save a workflow",
    description = "Idempotent: saving a saved workflow changes nothing and answers the same entry.",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "The saved entry", body = SavedWorkflow),
        (status = 404, description = "No workflow you may see has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn save_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<WorkflowPath>,
) -> Result<axum::Json<SavedWorkflow>, Error> {
    Ok(axum::Json(
        state
            .workflows()?
            .save(&caller, &path.handle, &path.slug)
            .await?,
    ))
}

/// Removes a workflow from the caller's library.
#[utoipa::path(
    delete,
    path = "/v1/me/saved-workflows/{handle}/{slug}",
    tag = "workflows",
    operation_id = "unsave_workflow",
    summary = "Remove a saved workflow",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not in your library", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unsave_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<WorkflowPath>,
) -> Result<StatusCode, Error> {
    state
        .workflows()?
        .unsave(&caller, &path.handle, &path.slug)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the draft or the visibility.
#[utoipa::path(
    patch,
    path = "/v1/workflows/{handle}/{slug}",
    tag = "workflows",
    operation_id = "update_workflow",
    summary = "Edit a workflow",
    request_body = UpdateWorkflowRequest,
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "The workflow", body = WorkflowView),
        (status = 403, description = "Not your workflow", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No workflow you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid definition", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<WorkflowPath>,
    StrictJson(request): StrictJson<UpdateWorkflowRequest>,
) -> Result<axum::Json<WorkflowView>, Error> {
    Ok(axum::Json(
        state
            .workflows()?
            .update(
                &caller,
                &path.handle,
                &path.slug,
                request.spec,
                request.visibility,
            )
            .await?,
    ))
}

/// Publishes the draft as the next version, after the full validation.
#[utoipa::path(
    post,
    path = "/v1/workflows/{handle}/{slug}/versions",
    tag = "workflows",
    operation_id = "publish_workflow",
    summary = "Publish a workflow version",
    request_body = PublishWorkflowRequest,
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 201, description = "The workflow with its new version", body = WorkflowView),
        (status = 403, description = "Not your workflow", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No workflow you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft does not validate", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<WorkflowPath>,
    StrictJson(request): StrictJson<PublishWorkflowRequest>,
) -> Result<Response, Error> {
    let view = state
        .workflows()?
        .publish(&caller, &path.handle, &path.slug, &request.changelog)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

/// The published versions of a workflow, newest first.
#[utoipa::path(
    get,
    path = "/v1/workflows/{handle}/{slug}/versions",
    tag = "workflows",
    operation_id = "list_workflow_versions",
    summary = "Workflow versions",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "The versions", body = WorkflowVersionList),
        (status = 404, description = "No workflow you may see has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_workflow_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<WorkflowPath>,
) -> Result<axum::Json<WorkflowVersionList>, Error> {
    let versions = state
        .workflows()?
        .versions(&caller, &path.handle, &path.slug)
        .await?;
    Ok(axum::Json(WorkflowVersionList { versions }))
}

/// Copies a workflow you may see into your drafts.
#[utoipa::path(
    post,
    path = "/v1/workflows/{handle}/{slug}/fork",
    tag = "workflows",
    operation_id = "fork_workflow",
    summary = "Fork a workflow",
    request_body = ForkWorkflowRequest,
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 201, description = "Your fork (private)", body = WorkflowView),
        (status = 404, description = "No workflow you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "You have a workflow with this slug", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn fork_workflow(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<WorkflowPath>,
    StrictJson(request): StrictJson<ForkWorkflowRequest>,
) -> Result<Response, Error> {
    let view = state
        .workflows()?
        .fork(&caller, &path.handle, &path.slug, request.slug.as_deref())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

/// Starts a run; it proceeds asynchronously.
#[utoipa::path(
    post,
    path = "/v1/workflows/{handle}/{slug}/runs",
    tag = "workflows",
    operation_id = "start_workflow_run",
    summary = "Run a workflow",
    description = "Checks the inputs and the definition, holds the worst-case cost (402 before anything runs when the balance cannot cover it), records the run and queues its first steps. Follow it with `GET /v1/workflow-runs/{id}` or its event stream. Send `Idempotency-Key` to make retries safe.",
    request_body = StartWorkflowRunRequest,
    params(
        ("handle" = String, Path), ("slug" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body give the same run"),
    ),
    responses(
        (status = 202, description = "The run, started", body = WorkflowRunView),
        (status = 402, description = "Your balance cannot cover the run's worst case", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No workflow you may run has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid inputs, or a definition that no longer validates", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_workflow_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<WorkflowPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = format!("POST /v1/workflows/{}/{}/runs", path.handle, path.slug);
    idempotency::once(
        &state,
        &caller,
        &headers,
        &route,
        &body,
        ErrorFormat::Problem,
        |id| start_run(&state, &caller, &path, &headers, &body, id),
    )
    .await
}

async fn start_run(
    state: &AppState,
    caller: &Caller,
    path: &WorkflowPath,
    headers: &HeaderMap,
    body: &[u8],
    id: Uuid,
) -> Result<Response, Error> {
    json::require_json(headers)?;
    let request: StartWorkflowRunRequest = json::parse(body)?;
    let version = VersionParam::choice(request.version.as_ref(), "version")?;
    let run = state
        .workflows()?
        .start_run(
            caller,
            &path.handle,
            &path.slug,
            version,
            request.inputs,
            id,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(run)).into_response())
}

/// Your workflow runs, newest first.
#[utoipa::path(
    get,
    path = "/v1/workflow-runs",
    tag = "workflows",
    operation_id = "list_workflow_runs",
    summary = "Your workflow runs",
    params(ListWorkflowRunsQuery),
    responses((status = 200, description = "One page of runs", body = WorkflowRunList))
)]
pub async fn list_workflow_runs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictQuery(query): StrictQuery<ListWorkflowRunsQuery>,
) -> Result<axum::Json<WorkflowRunList>, Error> {
    let limit = page_size(query.limit)?;
    let runs = state
        .workflows()?
        .list_runs(&caller, query.before, limit)
        .await?;
    let next_before = (runs.len() == limit)
        .then(|| runs.last().map(|run| run.id))
        .flatten();
    Ok(axum::Json(WorkflowRunList { runs, next_before }))
}

/// One of your workflow runs: status, and each step's status, timings, output and cost.
#[utoipa::path(
    get,
    path = "/v1/workflow-runs/{id}",
    tag = "workflows",
    operation_id = "get_workflow_run",
    summary = "A workflow run",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The run", body = WorkflowRunView),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_workflow_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<WorkflowRunView>, Error> {
    Ok(axum::Json(
        state.workflows()?.find_run(&caller, run_id(&id)?).await?,
    ))
}

/// Cancels a running run.
#[utoipa::path(
    post,
    path = "/v1/workflow-runs/{id}/cancel",
    tag = "workflows",
    operation_id = "cancel_workflow_run",
    summary = "Cancel a workflow run",
    description = "No step starts after this; an agent run in flight is asked to stop and is charged for what it used; what is still held is released. Cancelling a finished run changes nothing.",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The run", body = WorkflowRunView),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel_workflow_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<WorkflowRunView>, Error> {
    Ok(axum::Json(
        state.workflows()?.cancel_run(&caller, run_id(&id)?).await?,
    ))
}

/// How often the event stream looks at the run.
const POLL: Duration = Duration::from_millis(400);
/// The longest one event stream stays open; clients reconnect for more.
const STREAM_LIMIT: Duration = Duration::from_secs(280);

/// Event streams a user may open a minute: each polls the database for minutes.
async fn limit_streams(state: &AppState, caller: &Caller) -> Result<(), Error> {
    let max = state.workflows()?.settings().streams_per_minute;
    let Some(user_id) = caller.user_id() else {
        return Ok(());
    };
    let limit = crate::services::rate_limit::Limit {
        max,
        window: Duration::from_secs(60),
    };
    state
        .accounts()?
        .limiter()
        .hit(&format!("workflow-streams:{user_id}"), limit)
        .await
        .map_err(|limited| Error::RateLimited {
            retry_after: limited.retry_after,
            detail: format!(
                "More than {max} workflow event streams opened in a minute; keep one open per run instead of reopening it."
            ),
        })
}

/// The run as Server-Sent Events while it progresses.
#[utoipa::path(
    get,
    path = "/v1/workflow-runs/{id}/events",
    tag = "workflows",
    operation_id = "follow_workflow_run",
    summary = "Follow a workflow run",
    description = "Server-Sent Events: `run` with the whole run (as `GET /v1/workflow-runs/{id}`) at once and whenever a step changes, then `end` when the run has finished. Streams close after about 5 minutes; reconnect to go on.",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "An event stream of `run` events, then `end`", body = WorkflowRunView, content_type = "text/event-stream"),
        (status = 404, description = "You have no run with this id", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many streams opened in a minute; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn follow_workflow_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let id = run_id(&id)?;
    let first = state.workflows()?.find_run(&caller, id).await?;
    limit_streams(&state, &caller).await?;
    let started = tokio::time::Instant::now();
    // (last sent, whether to stop) → the next event.
    let events = futures::stream::unfold(
        (Some(first), None::<WorkflowRunView>, false),
        move |(next, last, done)| {
            let state = state.clone();
            let caller = caller.clone();
            async move {
                if done {
                    return None;
                }
                let mut current = next;
                loop {
                    let run = match current.take() {
                        Some(run) => run,
                        None => {
                            if started.elapsed() > STREAM_LIMIT {
                                return None;
                            }
                            tokio::time::sleep(POLL).await;
                            match state.workflows() {
                                Ok(service) => match service.find_run(&caller, id).await {
                                    Ok(run) => run,
                                    Err(_) => return None,
                                },
                                Err(_) => return None,
                            }
                        }
                    };
                    if last.as_ref() == Some(&run) {
                        continue;
                    }
                    let finished = run.status != WorkflowRunStatus::Running;
                    let event = Event::default()
                        .event("run")
                        .json_data(&run)
                        .unwrap_or_default();
                    if finished {
                        let end = Event::default().event("end").data(run.status.as_str());
                        return Some((
                            futures::stream::iter(vec![Ok::<_, Infallible>(event), Ok(end)]),
                            (None, Some(run), true),
                        ));
                    }
                    return Some((
                        futures::stream::iter(vec![Ok(event)]),
                        (None, Some(run), false),
                    ));
                }
            }
        },
    );
    use futures::StreamExt;
    Ok(sse::unbuffered(
        Sse::new(events.flatten()).keep_alive(KeepAlive::default()),
    ))
}
