//! `GET /v1/health`: every dependency probed, 200 when all answer, 503 otherwise; a
//! recent report without causes for anyone, a fresh one with causes for administrators.

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use http::StatusCode;

use crate::{
    AppState,
    domain::Caller,
    services::health::{HealthReport, OverallStatus, PROBE_BUDGET},
};

/// Checks every configured dependency.
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "system",
    operation_id = "get_health",
    summary = "Check Agora and its dependencies",
    description = "Reports the status and latency of the database, the cache and every configured AWS service, each probed within 2 s. Answers 200 when all are ok and 503 when any failed; both carry the report. Anyone gets a report at most 5 s old in which a failed check says only that it failed; an administrator gets a fresh probe with each failure's cause.",
    responses(
        (status = 200, description = "Every dependency answered", body = HealthReport),
        (status = 503, description = "At least one dependency failed; the report says which (and, to an administrator, why)", body = HealthReport),
    )
)]
pub async fn get_health(State(state): State<AppState>, caller: Caller) -> Response {
    if caller.admin().is_ok() {
        let report = state.health(PROBE_BUDGET).await;
        return answer(&report);
    }
    answer(&*state.public_health(PROBE_BUDGET).await)
}

fn answer(report: &HealthReport) -> Response {
    let status = match report.status {
        OverallStatus::Ok => StatusCode::OK,
        OverallStatus::Degraded => StatusCode::SERVICE_UNAVAILABLE,
    };
    (
        status,
        [(http::header::CACHE_CONTROL, "no-store")],
        Json(report),
    )
        .into_response()
}
