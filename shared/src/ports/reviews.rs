//! Reviews of agents: one per user per agent, replies by the creator, reports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A review as shown on the agent's page.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewRecord {
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

/// An agent's rating.
#[derive(Clone, Debug, PartialEq)]
pub struct RatingSummary {
    pub count: i32,
    /// The plain mean of the stars, when there are reviews.
    pub average: Option<f64>,
    /// The Bayesian score "top rated" sorts by: (5 x 3.5 + sum) / (5 + count).
    pub score: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no completed run")]
    NoCompletedRun,
    #[error(transparent)]
    Other(#[from] crate::Error),
}

#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Creates or replaces the user's review of the agent, and the agent's rating, in one
    /// transaction; refused unless the user has a succeeded run of it.
    async fn upsert_review(
        &self,
        id: Uuid,
        agent_id: Uuid,
        user_id: Uuid,
        rating: i16,
        body: &str,
    ) -> Result<ReviewRecord, ReviewError>;
    async fn list_reviews(&self, agent_id: Uuid, limit: usize) -> crate::Result<Vec<ReviewRecord>>;
    async fn rating(&self, agent_id: Uuid) -> crate::Result<RatingSummary>;
    /// The user's review of the agent, if any, and whether they ran it to completion.
    async fn reviewer(
        &self,
        agent_id: Uuid,
        user_id: Uuid,
    ) -> crate::Result<(Option<ReviewRecord>, bool)>;
    /// Sets the reply of a review of `agent_id`; `None` when there is no such review.
    async fn reply(
        &self,
        agent_id: Uuid,
        review_id: Uuid,
        reply: &str,
    ) -> crate::Result<Option<ReviewRecord>>;
    /// Notes a report (once per user); `false` when there is no such review.
    async fn report(
        &self,
        agent_id: Uuid,
        review_id: Uuid,
        user_id: Uuid,
        reason: &str,
    ) -> crate::Result<bool>;
}
