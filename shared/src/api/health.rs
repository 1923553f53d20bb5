//! `GET /v1/health`: every dependency probed, 200 when all answer, 503 otherwise.

use axum::{Json, extract::State, response::IntoResponse};
use http::StatusCode;

use crate::{
    AppState,
    services::health::{HealthReport, OverallStatus, PROBE_BUDGET},
};

/// Checks every configured dependency.
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "system",
    operation_id = "get_health",
    summary = "Check Agora and its dependencies",
    description = "Probes the database, the cache and every configured AWS service concurrently (each within 2 s) and reports each one's status and latency. Answers 200 when all are ok and 503 when any failed; both carry the report.",
    responses(
        (status = 200, description = "Every dependency answered", body = HealthReport),
        (status = 503, description = "At least one dependency failed; the report says which and why", body = HealthReport),
    )
)]
pub async fn get_health(State(state): State<AppState>) -> impl IntoResponse {
    let report = state.health(PROBE_BUDGET).await;
    let status = match report.status {
        OverallStatus::Ok => StatusCode::OK,
        OverallStatus::Degraded => StatusCode::SERVICE_UNAVAILABLE,
    };
    (
        status,
        [(http::header::CACHE_CONTROL, "no-store")],
        Json(report),
    )
}
