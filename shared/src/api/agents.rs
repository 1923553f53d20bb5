//! `/v1/agents` and `/v1/me/agents`: agents over HTTP — browse and search, drafts,
//! import, export, forks, and administrators' delisting.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
};

use http::{HeaderValue, StatusCode, header};

use serde::{Deserialize, Serialize};

use utoipa::{IntoParams, ToSchema};

use super::{
    SignedIn, SignedInAdmin, cache_control::cacheable, json::StrictJson, path::AgentPath,
    query::StrictQuery,
};

use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{AgentSpec, Caller, Credits, RequestOrigin},
    ports::{CatalogFilters, CatalogSort, SearchMode, Visibility},
    services::catalog::{AgentView, ListingPage, ListingRequest},
};

// ---- requests and responses ------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAgentsQuery {
    /// Words or a description of the task (at most 200 characters).
    pub q: Option<String>,
    /// How `q` matches: `keyword`, `semantic` or `hybrid` (default).
    pub mode: Option<SearchMode>,
    pub category: Option<String>,
    /// Comma-separated; every tag must be present.
    pub tags: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// Credits per run, inclusive (`"0.05"`).
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    pub language: Option<String>,
    /// `open` or `sealed`.
    pub licence: Option<String>,
    /// `relevance` (default with `q`), `trending` (default without), `newest`, `most_used`,
    /// `top_rated`.
    pub sort: Option<CatalogSort>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100; 20 by default.
    pub limit: Option<usize>,
    /// `true` adds facet counts to the first page: over the search results when there are
    /// words, over the filtered listing otherwise.
    pub facets: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    /// 3 to 48 lower-case letters, digits and hyphens; made from the name when absent.
    pub slug: Option<String>,
    /// `public` by default; listed once published.
    pub visibility: Option<Visibility>,
    pub definition: AgentSpec,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgentRequest {
    /// The new draft; published versions never change.
    pub definition: Option<AgentSpec>,
    pub visibility: Option<Visibility>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForkRequest {
    /// The fork's slug; the original's (or a numbered variant) when absent.
    pub slug: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelistRequest {
    /// Why; the owner sees it.
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// A version; the latest when absent.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The new draft's slug; made from the name when absent.
    pub slug: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    pub agents: Vec<AgentView>,
}

// ---- handlers --------------------------------------------------------------------------

/// Browses and searches listed agents.
#[utoipa::path(
    get,
    path = "/v1/agents",
    tag = "catalog",
    operation_id = "list_agents",
    summary = "Browse and search the marketplace",
    description = "Published, public agents. Without `q`: filtered and sorted (trending by default). With `q`: keyword (full text, then near spellings for typos), semantic (the query's embedding against each agent's, closest first, unrelated agents left out) or hybrid (both, ranks fused); at most 100 results. `facets=true` adds facet counts to the first page.",
    params(ListAgentsQuery),
    responses(
        (status = 200, description = "One page", body = ListingPage),
        (status = 400, description = "A cursor from another query or an edited one (problem `invalid-cursor`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, sort, limit or query", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_agents(
    State(state): State<AppState>,
    StrictQuery(query): StrictQuery<ListAgentsQuery>,
) -> Result<Response, Error> {
    let price = |field: &str, value: &Option<String>| -> Result<Option<i64>, Error> {
        value
            .as_deref()
            .map(|raw| {
                Credits::parse(raw)
                    .map(Credits::micros)
                    .map_err(|message| Error::invalid(field, message))
            })
            .transpose()
    };
    let tags = query
        .tags
        .as_deref()
        .map(|tags| {
            tags.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let request = ListingRequest {
        text: query.q,
        facets: query.facets.unwrap_or(false),
        mode: query.mode.unwrap_or_default(),
        filters: CatalogFilters {
            owner_id: None,
            category: query.category,
            tags,
            provider: query.provider,
            model: query.model,
            min_price_micros: price("min_price", &query.min_price)?,
            max_price_micros: price("max_price", &query.max_price)?,
            language: query.language,
            licence: query.licence,
        },
        sort: query.sort,
        cursor: query.cursor,
        limit: query.limit,
    };
    let page = state.catalog()?.list(request).await?;
    Ok(cacheable(axum::Json(page)))
}

/// Creates a draft agent owned by the caller.
#[utoipa::path(
    post,
    path = "/v1/agents",
    tag = "catalog",
    operation_id = "create_agent",
    summary = "Create an agent (a draft)",
    request_body = CreateAgentRequest,
    responses(
        (status = 201, description = "The draft", body = AgentView),
        (status = 409, description = "You already have an agent at this slug", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid definition; `errors` names each field", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_agent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictJson(request): StrictJson<CreateAgentRequest>,
) -> Result<Response, Error> {
    let view = state
        .catalog()?
        .create_agent(
            &caller,
            request.slug.as_deref(),
            request.visibility,
            request.definition,
        )
        .await
        .map_err(|error| prefix_errors(error, "definition", &["slug"]))?;
    Ok(created(&view))
}

/// Imports an `agora.agent/v1` document as a new private draft.
#[utoipa::path(
    post,
    path = "/v1/agents/import",
    tag = "catalog",
    operation_id = "import_agent",
    summary = "Import an agent definition",
    params(ImportQuery),
    request_body(content = AgentSpec, description = "An agora.agent/v1 document, as exported"),
    responses(
        (status = 201, description = "The new draft", body = AgentView),
        (status = 409, description = "You already have an agent at this slug", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The document is invalid; `errors` point at `definition.<field>`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_agent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictQuery(query): StrictQuery<ImportQuery>,
    headers: http::HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    super::json::require_json(&headers)?;
    let view = state
        .catalog()?
        .import_agent(&caller, query.slug.as_deref(), &body)
        .await?;
    Ok(created(&view))
}

/// An agent, as the caller may see it.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}",
    tag = "catalog",
    operation_id = "get_agent",
    summary = "An agent",
    description = "Private agents, drafts and delisted agents are 404 for everyone but their owner, exactly like a missing one. A sealed agent's system prompt is withheld (`latest.sealed` is true) from everyone but its owner.",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "The agent", body = AgentView),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_agent(
    State(state): State<AppState>,
    caller: Caller,
    origin: RequestOrigin,
    Path(path): Path<AgentPath>,
) -> Result<axum::Json<AgentView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .get_agent(&caller, &path.handle, &path.slug, &origin)
            .await?,
    ))
}

/// Changes the draft or the visibility.
#[utoipa::path(
    patch,
    path = "/v1/agents/{handle}/{slug}",
    tag = "catalog",
    operation_id = "update_agent",
    summary = "Edit the draft or the visibility",
    params(("handle" = String, Path), ("slug" = String, Path)),
    request_body = UpdateAgentRequest,
    responses(
        (status = 200, description = "The agent", body = AgentView),
        (status = 403, description = "You may see but not change this agent", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid definition", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_agent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<AgentPath>,
    StrictJson(request): StrictJson<UpdateAgentRequest>,
) -> Result<axum::Json<AgentView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .update_agent(
                &caller,
                &path.handle,
                &path.slug,
                request.definition,
                request.visibility,
            )
            .await?,
    ))
}

/// Forks an open agent into a private draft of the caller's.
#[utoipa::path(
    post,
    path = "/v1/agents/{handle}/{slug}/forks",
    tag = "catalog",
    operation_id = "fork_agent",
    summary = "Fork an agent",
    params(("handle" = String, Path), ("slug" = String, Path)),
    request_body = ForkRequest,
    responses(
        (status = 201, description = "The fork, a private draft of yours", body = AgentView),
        (status = 403, description = "The agent is sealed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug (or, without one, the agent's slug and its numbered variants) is taken among your agents; send another `slug`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn fork_agent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<AgentPath>,
    StrictJson(request): StrictJson<ForkRequest>,
) -> Result<Response, Error> {
    let view = state
        .catalog()?
        .fork(&caller, &path.handle, &path.slug, request.slug.as_deref())
        .await?;
    Ok(created(&view))
}

/// Exports a definition as an `agora.agent/v1` file.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}/export",
    tag = "catalog",
    operation_id = "export_agent",
    summary = "Export an agent definition",
    params(("handle" = String, Path), ("slug" = String, Path), ExportQuery),
    responses(
        (status = 200, description = "The agora.agent/v1 document, as a download", body = AgentSpec),
        (status = 403, description = "Sealed: only the creator may export it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No agent or version you may see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_agent(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<AgentPath>,
    StrictQuery(query): StrictQuery<ExportQuery>,
) -> Result<Response, Error> {
    let spec = state
        .catalog()?
        .export(&caller, &path.handle, &path.slug, query.version)
        .await?;
    let body =
        serde_json::to_vec_pretty(&spec).map_err(|error| Error::Internal(error.to_string()))?;
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // The file name is made of validated handle and slug characters only.
    if let Ok(disposition) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-{}.agent.json\"",
        path.handle, path.slug
    )) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// Takes an agent off the marketplace with a reason: administrators only.
#[utoipa::path(
    put,
    path = "/v1/admin/agents/{handle}/{slug}/delisting",
    tag = "admin",
    operation_id = "delist_agent",
    summary = "Delist an agent (administrators)",
    params(("handle" = String, Path), ("slug" = String, Path)),
    request_body = DelistRequest,
    responses(
        (status = 200, description = "The agent, delisted", body = AgentView),
        (status = 404, description = "No agent has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delist_agent(
    State(state): State<AppState>,
    SignedInAdmin(caller): SignedInAdmin,
    origin: RequestOrigin,
    Path(path): Path<AgentPath>,
    StrictJson(request): StrictJson<DelistRequest>,
) -> Result<axum::Json<AgentView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .set_delisted(
                &caller,
                &path.handle,
                &path.slug,
                Some(&request.reason),
                &origin,
            )
            .await?,
    ))
}

/// Puts a delisted agent back: administrators only.
#[utoipa::path(
    delete,
    path = "/v1/admin/agents/{handle}/{slug}/delisting",
    tag = "admin",
    operation_id = "relist_agent",
    summary = "Relist an agent (administrators)",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "The agent, back as before", body = AgentView),
        (status = 404, description = "No agent has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn relist_agent(
    State(state): State<AppState>,
    SignedInAdmin(caller): SignedInAdmin,
    origin: RequestOrigin,
    Path(path): Path<AgentPath>,
) -> Result<axum::Json<AgentView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .set_delisted(&caller, &path.handle, &path.slug, None, &origin)
            .await?,
    ))
}

/// The caller's agents, drafts included.
#[utoipa::path(
    get,
    path = "/v1/me/agents",
    tag = "catalog",
    operation_id = "list_my_agents",
    summary = "Your agents",
    responses((status = 200, description = "Most recently changed first", body = AgentList))
)]
pub async fn list_my_agents(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<AgentList>, Error> {
    Ok(axum::Json(AgentList {
        agents: state.catalog()?.my_agents(&caller).await?,
    }))
}

fn created(view: &AgentView) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(view)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/agents/{}", view.agent.address)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Puts the request's field errors under `prefix` (the spec is sent as `definition`),
/// except the fields that live beside it.
fn prefix_errors(error: Error, prefix: &str, beside: &[&str]) -> Error {
    match error {
        Error::Validation(errors) => Error::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    if !beside.contains(&e.field.as_str()) {
                        e.field = if e.field.is_empty() {
                            prefix.to_owned()
                        } else {
                            format!("{prefix}.{}", e.field)
                        };
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    }
}
