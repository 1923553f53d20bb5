//! `/v1/me/saved-agents`: the caller's library of saved agents, each optionally pinned
//! to a version.

use axum::extract::{Path, State};

use http::StatusCode;

use serde::{Deserialize, Serialize};

use utoipa::ToSchema;

use super::{SignedIn, json::StrictJson, path::AgentPath};

use crate::{AppState, Error, api::problem::Problem, services::catalog::SavedView};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    /// Keep using this version; `newer_version_available` tells when there is a later one.
    pub pinned_version: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedList {
    pub saved: Vec<SavedView>,
}

/// The caller's library.
#[utoipa::path(
    get,
    path = "/v1/me/saved-agents",
    tag = "catalog",
    operation_id = "list_saved_agents",
    summary = "Your saved agents",
    responses((status = 200, description = "Most recently saved first", body = SavedList))
)]
pub async fn list_saved_agents(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<SavedList>, Error> {
    Ok(axum::Json(SavedList {
        saved: state.catalog()?.saved(&caller).await?,
    }))
}

/// Saves an agent to the library, optionally pinned to a version.
#[utoipa::path(
    put,
    path = "/v1/me/saved-agents/{handle}/{slug}",
    tag = "catalog",
    operation_id = "save_agent",
    summary = "Save (or re-pin) an agent",
    params(("handle" = String, Path), ("slug" = String, Path)),
    request_body = SaveRequest,
    responses(
        (status = 200, description = "The saved entry", body = SavedView),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such version to pin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn save_agent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<AgentPath>,
    StrictJson(request): StrictJson<SaveRequest>,
) -> Result<axum::Json<SavedView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .save(&caller, &path.handle, &path.slug, request.pinned_version)
            .await?,
    ))
}

/// Removes an agent from the library.
#[utoipa::path(
    delete,
    path = "/v1/me/saved-agents/{handle}/{slug}",
    tag = "catalog",
    operation_id = "unsave_agent",
    summary = "Remove a saved agent",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not in your library", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unsave_agent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<AgentPath>,
) -> Result<StatusCode, Error> {
    state
        .catalog()?
        .unsave(&caller, &path.handle, &path.slug)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
