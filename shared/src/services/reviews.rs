//! Reviews: 1 to 5 stars and text, one per user per agent, only from users who ran the
//! agent to completion; editable; the creator may reply; anyone signed in may report one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::Caller,
    ports::{AgentDirectory, AgentRecord, RatingSummary, ReviewError, ReviewRecord, ReviewStore},
};

pub const MAX_REVIEW_CHARS: usize = 5_000;
pub const MAX_LISTED: usize = 100;

/// An agent's reviews as the caller sees them.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewsView {
    pub rating: RatingView,
    /// Newest first (at most 100).
    pub reviews: Vec<ReviewView>,
    /// The caller's own review, if they wrote one.
    pub mine: Option<ReviewView>,
    /// Whether the caller may write (or rewrite) a review: they ran the agent to completion
    /// and it is not theirs.
    pub can_review: bool,
}

pub struct ReviewService {
    reviews: Arc<dyn ReviewStore>,
    agents: Arc<dyn AgentDirectory>,
}

impl ReviewService {
    pub fn new(reviews: Arc<dyn ReviewStore>, agents: Arc<dyn AgentDirectory>) -> Self {
        Self { reviews, agents }
    }

    /// The agent's reviews, newest first, its rating, and what the caller may do.
    pub async fn list(&self, caller: &Caller, handle: &str, slug: &str) -> Result<ReviewsView> {
        let agent = self.visible(caller, handle, slug).await?;
        let reviews = self.reviews.list_reviews(agent.id, MAX_LISTED).await?;
        let rating = self.reviews.rating(agent.id).await?;
        let (mine, can_review) = match caller.user_id() {
            Some(user_id) if user_id != agent.owner_id => {
                self.reviews.reviewer(agent.id, user_id).await?
            }
            _ => (None, false),
        };
        Ok(ReviewsView {
            rating: rating.into(),
            reviews: reviews.into_iter().map(Into::into).collect(),
            mine: mine.map(Into::into),
            can_review,
        })
    }

    /// Writes (or rewrites) the caller's review.
    pub async fn review(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        rating: i16,
        body: &str,
    ) -> Result<ReviewRecord> {
        let user_id = caller.user()?.user_id;
        let agent = self.visible(caller, handle, slug).await?;
        if agent.owner_id == user_id {
            return Err(Error::Forbidden(
                "Creators cannot review their own agents.".into(),
            ));
        }
        let mut errors = Vec::new();
        if !(1..=5).contains(&rating) {
            errors.push(crate::domain::FieldError {
                field: "rating".into(),
                message: "must be 1 to 5".into(),
            });
        }
        if body.chars().count() > MAX_REVIEW_CHARS {
            errors.push(crate::domain::FieldError {
                field: "body".into(),
                message: format!("must be at most {MAX_REVIEW_CHARS} characters"),
            });
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        self.reviews
            .upsert_review(Uuid::now_v7(), agent.id, user_id, rating, body.trim())
            .await
            .map_err(|error| match error {
                ReviewError::NoCompletedRun => Error::Forbidden(
                    "Only people who ran this agent can review it; run it first.".into(),
                ),
                ReviewError::Other(error) => error,
            })
    }

    /// The creator answers a review of their agent.
    pub async fn reply(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        review_id: Uuid,
        reply: &str,
    ) -> Result<ReviewRecord> {
        let user_id = caller.user()?.user_id;
        let agent = self.visible(caller, handle, slug).await?;
        if agent.owner_id != user_id {
            return Err(Error::Forbidden(
                "Only the agent's creator can reply to its reviews.".into(),
            ));
        }
        let reply = reply.trim();
        if reply.is_empty() || reply.chars().count() > MAX_REVIEW_CHARS {
            return Err(Error::invalid(
                "reply",
                format!("must be 1 to {MAX_REVIEW_CHARS} characters"),
            ));
        }
        self.reviews
            .reply(agent.id, review_id, reply)
            .await?
            .ok_or_else(review_not_found)
    }

    /// Reports a review to the operators (once per user).
    pub async fn report(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        review_id: Uuid,
        reason: &str,
    ) -> Result<()> {
        let user_id = caller.user()?.user_id;
        let agent = self.visible(caller, handle, slug).await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1_000 {
            return Err(Error::invalid("reason", "must be 1 to 1000 characters"));
        }
        if self
            .reviews
            .report(agent.id, review_id, user_id, reason)
            .await?
        {
            Ok(())
        } else {
            Err(review_not_found())
        }
    }

    /// A published agent the caller may see (or their own), else 404 like a missing one.
    async fn visible(&self, caller: &Caller, handle: &str, slug: &str) -> Result<AgentRecord> {
        let agent = self
            .agents
            .find_agent(handle, slug)
            .await?
            .ok_or_else(agent_not_found)?;
        let owner = caller.user_id() == Some(agent.owner_id);
        if owner || agent.exposure().is_out() {
            Ok(agent)
        } else {
            Err(agent_not_found())
        }
    }
}

fn agent_not_found() -> Error {
    Error::NotFound("No agent has this address.".into())
}

fn review_not_found() -> Error {
    Error::NotFound("This agent has no review with this id.".into())
}

/// A review as shown on the agent's page.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ReviewRecord)]
pub struct ReviewView {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub user_id: Uuid,
    /// The reviewer's handle and name.
    pub author_handle: String,
    pub author_name: String,
    /// 1 to 5 stars.
    pub rating: i16,
    pub body: String,
    /// The creator's answer.
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ReviewRecord> for ReviewView {
    fn from(record: ReviewRecord) -> Self {
        Self {
            id: record.id,
            agent_id: record.agent_id,
            user_id: record.user_id,
            author_handle: record.author_handle,
            author_name: record.author_name,
            rating: record.rating,
            body: record.body,
            reply: record.reply,
            replied_at: record.replied_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// An agent's rating.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = RatingSummary)]
pub struct RatingView {
    pub count: i32,
    /// The plain mean of the stars, when there are reviews.
    pub average: Option<f64>,
    /// The Bayesian score "top rated" sorts by: (5 x 3.5 + sum) / (5 + count).
    pub score: f64,
}

impl From<RatingSummary> for RatingView {
    fn from(record: RatingSummary) -> Self {
        Self {
            count: record.count,
            average: record.average,
            score: record.score,
        }
    }
}
