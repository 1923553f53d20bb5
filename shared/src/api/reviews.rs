//! `/v1/agents/{handle}/{slug}/reviews`: what people who ran an agent think of it.

use axum::extract::{Path, State};
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{SignedIn, json::StrictJson};
use crate::services::reviews::ReviewView;
use crate::{
    AppState, Error, api::problem::Problem, domain::Caller, services::reviews::ReviewsView,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 to 5 stars.
    pub rating: i16,
    /// Up to 5,000 characters; optional.
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyToReviewRequest {
    /// 1 to 5,000 characters.
    pub reply: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportReviewRequest {
    /// Why the review breaks the rules; 1 to 1,000 characters.
    pub reason: String,
}

/// An agent's reviews and rating.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}/reviews",
    tag = "reviews",
    operation_id = "list_reviews",
    summary = "An agent's reviews",
    params(
        ("handle" = String, Path, description = "The creator's handle"),
        ("slug" = String, Path, description = "The agent's slug"),
    ),
    responses(
        (status = 200, description = "Reviews, the rating, and the caller's own", body = ReviewsView),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    caller: Caller,
    Path((handle, slug)): Path<(String, String)>,
) -> Result<axum::Json<ReviewsView>, Error> {
    Ok(axum::Json(
        state.reviews()?.list(&caller, &handle, &slug).await?,
    ))
}

/// Writes or rewrites the caller's review (after a completed run of the agent).
#[utoipa::path(
    put,
    path = "/v1/agents/{handle}/{slug}/reviews/mine",
    tag = "reviews",
    operation_id = "put_my_review",
    summary = "Review an agent",
    request_body = ReviewRequest,
    params(
        ("handle" = String, Path, description = "The creator's handle"),
        ("slug" = String, Path, description = "The agent's slug"),
    ),
    responses(
        (status = 200, description = "Your review", body = ReviewView),
        (status = 403, description = "You have no completed run of this agent, or it is yours", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No agent you may see has this address", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A rating outside 1 to 5, or too long a text", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_my_review(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((handle, slug)): Path<(String, String)>,
    StrictJson(request): StrictJson<ReviewRequest>,
) -> Result<axum::Json<ReviewView>, Error> {
    Ok(axum::Json(
        state
            .reviews()?
            .review(&caller, &handle, &slug, request.rating, &request.body)
            .await?
            .into(),
    ))
}

/// The creator's reply to a review of their agent.
#[utoipa::path(
    put,
    path = "/v1/agents/{handle}/{slug}/reviews/{id}/reply",
    tag = "reviews",
    operation_id = "reply_to_review",
    summary = "Reply to a review",
    request_body = ReplyToReviewRequest,
    params(
        ("handle" = String, Path, description = "The creator's handle"),
        ("slug" = String, Path, description = "The agent's slug"),
        ("id" = Uuid, Path, description = "The review's id"),
    ),
    responses(
        (status = 200, description = "The review with its reply", body = ReviewView),
        (status = 403, description = "Only the agent's creator replies", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent or review", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reply_to_review(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((handle, slug, id)): Path<(String, String, String)>,
    StrictJson(request): StrictJson<ReplyToReviewRequest>,
) -> Result<axum::Json<ReviewView>, Error> {
    let id = review_id(&id)?;
    Ok(axum::Json(
        state
            .reviews()?
            .reply(&caller, &handle, &slug, id, &request.reply)
            .await?
            .into(),
    ))
}

/// Reports a review to the operators.
#[utoipa::path(
    post,
    path = "/v1/agents/{handle}/{slug}/reviews/{id}/reports",
    tag = "reviews",
    operation_id = "report_review",
    summary = "Report a review",
    request_body = ReportReviewRequest,
    params(
        ("handle" = String, Path, description = "The creator's handle"),
        ("slug" = String, Path, description = "The agent's slug"),
        ("id" = Uuid, Path, description = "The review's id"),
    ),
    responses(
        (status = 202, description = "Reported (once per person)"),
        (status = 404, description = "No such agent or review", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report_review(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((handle, slug, id)): Path<(String, String, String)>,
    StrictJson(request): StrictJson<ReportReviewRequest>,
) -> Result<StatusCode, Error> {
    let id = review_id(&id)?;
    state
        .reviews()?
        .report(&caller, &handle, &slug, id, &request.reason)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

fn review_id(raw: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(raw)
        .map_err(|_| Error::NotFound("This agent has no review with this id.".into()))
}
