//! `/v1/agents/{handle}/{slug}/stats`: what an agent's runs earned its creator, per
//! version and per day (the owner only).

use axum::extract::{Path, State};

use serde::Serialize;

use utoipa::ToSchema;

use super::SignedIn;

use crate::services::runs::views::{DailyRunsView, VersionStatsView};
use crate::{AppState, Error, api::problem::Problem};

/// An agent's figures, for its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentStats {
    /// Per version, newest first (`null`: runs of the draft).
    pub versions: Vec<VersionStatsView>,
    /// The last 30 days, oldest first.
    pub daily: Vec<DailyRunsView>,
}

/// An agent's runs, users, tokens and revenue, per version and per day: the owner only.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}/stats",
    tag = "agents",
    operation_id = "get_agent_stats",
    summary = "Your agent's figures",
    params(
        ("handle" = String, Path, description = "The creator's handle"),
        ("slug" = String, Path, description = "The agent's slug"),
    ),
    responses(
        (status = 200, description = "Per version and per day", body = AgentStats),
        (status = 404, description = "You have no agent at this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_agent_stats(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((handle, slug)): Path<(String, String)>,
) -> Result<axum::Json<AgentStats>, Error> {
    let (versions, daily) = state
        .billing()?
        .agent_stats(&caller, &handle, &slug)
        .await?;
    Ok(axum::Json(AgentStats {
        versions: versions.into_iter().map(Into::into).collect(),
        daily: daily.into_iter().map(Into::into).collect(),
    }))
}
