//! `/v1/creators/{handle}`: a creator's public page.

use axum::extract::{Path, State};

use chrono::{DateTime, Utc};

use serde::Serialize;

use utoipa::ToSchema;

use crate::services::catalog::views::AgentCardView;
use crate::{AppState, Error, api::problem::Problem};

/// A creator's public page.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatorPage {
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub public_agents: i64,
    pub total_saves: i64,
    pub total_forks: i64,
    pub total_runs: i64,
    /// Listed agents, newest first.
    pub agents: Vec<AgentCardView>,
}

/// A creator's public page.
#[utoipa::path(
    get,
    path = "/v1/creators/{handle}",
    tag = "catalog",
    operation_id = "get_creator",
    summary = "A creator's profile and agents",
    params(("handle" = String, Path)),
    responses(
        (status = 200, description = "The creator", body = CreatorPage),
        (status = 404, description = "No creator has this handle", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_creator(
    State(state): State<AppState>,
    Path(handle): Path<String>,
) -> Result<axum::Json<CreatorPage>, Error> {
    let view = state.catalog()?.creator(&handle).await?;
    let creator = view.creator;
    Ok(axum::Json(CreatorPage {
        handle: creator.handle,
        display_name: creator.display_name,
        bio: creator.bio,
        avatar: creator.avatar,
        joined_at: creator.joined_at,
        public_agents: creator.public_agents,
        total_saves: creator.total_saves,
        total_forks: creator.total_forks,
        total_runs: creator.total_runs,
        agents: view.agents,
    }))
}
