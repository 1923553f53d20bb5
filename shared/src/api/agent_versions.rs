//! `/v1/agents/{handle}/{slug}/versions`: publishing a draft as an immutable numbered
//! version, reading versions, deprecating one, and choosing which one is `latest`.

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};

use http::StatusCode;

use serde::{Deserialize, Serialize};

use utoipa::ToSchema;

use super::{
    SignedIn,
    json::StrictJson,
    path::{AgentPath, VersionPath},
};

use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::Caller,
    services::catalog::{AgentView, VersionView},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// What changed, shown with the version (up to 5,000 characters).
    #[serde(default)]
    pub changelog: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVersionRequest {
    /// `true` marks the version deprecated (it cannot be undone).
    pub deprecated: Option<bool>,
    /// Shown to users of the deprecated version.
    pub deprecation_note: Option<String>,
    /// Not allowed: versions are immutable (409).
    #[schema(value_type = Option<Object>)]
    pub definition: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLatestRequest {
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub versions: Vec<VersionView>,
}

/// Publishes the draft as the next version.
#[utoipa::path(
    post,
    path = "/v1/agents/{handle}/{slug}/versions",
    tag = "catalog",
    operation_id = "publish_agent_version",
    summary = "Publish the draft as a new version",
    params(("handle" = String, Path), ("slug" = String, Path)),
    request_body = PublishRequest,
    responses(
        (status = 201, description = "The new version; `latest` points at it", body = VersionView),
        (status = 403, description = "You may see but not change this agent", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft is invalid (`errors` under `draft.`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish_agent_version(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<AgentPath>,
    StrictJson(request): StrictJson<PublishRequest>,
) -> Result<Response, Error> {
    let version = state
        .catalog()?
        .publish(&caller, &path.handle, &path.slug, &request.changelog)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(version)).into_response())
}

/// Every version of an agent, newest first.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}/versions",
    tag = "catalog",
    operation_id = "list_agent_versions",
    summary = "An agent's versions and changelogs",
    params(("handle" = String, Path), ("slug" = String, Path)),
    responses(
        (status = 200, description = "Newest first", body = VersionList),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_agent_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<AgentPath>,
) -> Result<axum::Json<VersionList>, Error> {
    let versions = state
        .catalog()?
        .list_versions(&caller, &path.handle, &path.slug)
        .await?;
    Ok(axum::Json(VersionList { versions }))
}

/// One version of an agent.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}/versions/{version}",
    tag = "catalog",
    operation_id = "get_agent_version",
    summary = "One version",
    params(("handle" = String, Path), ("slug" = String, Path), ("version" = i32, Path)),
    responses(
        (status = 200, description = "The version", body = VersionView),
        (status = 404, description = "No such agent or version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_agent_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(path): Path<VersionPath>,
) -> Result<axum::Json<VersionView>, Error> {
    let number = path.number()?;
    Ok(axum::Json(
        state
            .catalog()?
            .get_version(&caller, &path.handle, &path.slug, number)
            .await?,
    ))
}

/// Deprecates a version; its definition never changes.
#[utoipa::path(
    patch,
    path = "/v1/agents/{handle}/{slug}/versions/{version}",
    tag = "catalog",
    operation_id = "update_agent_version",
    summary = "Deprecate a version",
    description = "Published versions are immutable: a `definition` here is refused with 409; edit the draft and publish a new version instead.",
    params(("handle" = String, Path), ("slug" = String, Path), ("version" = i32, Path)),
    request_body = UpdateVersionRequest,
    responses(
        (status = 200, description = "The version", body = VersionView),
        (status = 409, description = "Versions are immutable (problem `conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent or version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_agent_version(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<VersionPath>,
    StrictJson(request): StrictJson<UpdateVersionRequest>,
) -> Result<axum::Json<VersionView>, Error> {
    let number = path.number()?;
    let catalog = state.catalog()?;
    if request.definition.is_some() {
        // Make sure the caller may change the agent before telling them how.
        catalog
            .get_version(&caller, &path.handle, &path.slug, number)
            .await?;
        return Err(Error::Conflict(
            "Published versions are immutable: edit the draft (PATCH /v1/agents/{handle}/{slug}) and publish a new version.".into(),
        ));
    }
    if request.deprecated != Some(true) {
        return Err(Error::invalid(
            "deprecated",
            "send true to deprecate the version (it cannot be undone)",
        ));
    }
    Ok(axum::Json(
        catalog
            .deprecate(
                &caller,
                &path.handle,
                &path.slug,
                number,
                request.deprecation_note.as_deref().unwrap_or(""),
            )
            .await?,
    ))
}

/// Points `latest` at another version (roll back or forward).
#[utoipa::path(
    put,
    path = "/v1/agents/{handle}/{slug}/latest",
    tag = "catalog",
    operation_id = "set_latest_version",
    summary = "Roll `latest` back (or forward)",
    params(("handle" = String, Path), ("slug" = String, Path)),
    request_body = SetLatestRequest,
    responses(
        (status = 200, description = "The agent", body = AgentView),
        (status = 422, description = "No such version", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_latest_version(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(path): Path<AgentPath>,
    StrictJson(request): StrictJson<SetLatestRequest>,
) -> Result<axum::Json<AgentView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .set_latest(&caller, &path.handle, &path.slug, request.version)
            .await?,
    ))
}
