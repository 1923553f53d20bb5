//! What callers see of listings: agents' cards and categories.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ports::{AgentCard, Category};

/// What a listing shows of an agent: its latest version's listing fields and counters.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AgentCard)]
pub struct AgentCardView {
    pub id: Uuid,
    /// `handle/slug`, the agent's address.
    pub address: String,
    pub handle: String,
    pub slug: String,
    pub creator_name: String,
    pub name: String,
    pub summary: String,
    pub category: String,
    pub tags: Vec<String>,
    pub icon: Option<String>,
    pub licence: crate::domain::Licence,
    #[schema(value_type = String)]
    pub price_per_run: crate::domain::Credits,
    pub provider: String,
    pub model: String,
    pub latest_version: i32,
    pub save_count: i32,
    pub fork_count: i32,
    pub run_count: i64,
    pub view_count: i64,
    pub is_demo: bool,
    pub published_at: DateTime<Utc>,
}

impl From<AgentCard> for AgentCardView {
    fn from(record: AgentCard) -> Self {
        Self {
            id: record.id,
            address: record.address,
            handle: record.handle,
            slug: record.slug,
            creator_name: record.creator_name,
            name: record.name,
            summary: record.summary,
            category: record.category,
            tags: record.tags,
            icon: record.icon,
            licence: record.licence,
            price_per_run: record.price_per_run,
            provider: record.provider,
            model: record.model,
            latest_version: record.latest_version,
            save_count: record.save_count,
            fork_count: record.fork_count,
            run_count: record.run_count,
            view_count: record.view_count,
            is_demo: record.is_demo,
            published_at: record.published_at,
        }
    }
}

/// A category of the marketplace.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Category)]
pub struct CategoryView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    /// Listed agents in it.
    pub agent_count: i64,
}

impl From<Category> for CategoryView {
    fn from(record: Category) -> Self {
        Self {
            slug: record.slug,
            name: record.name,
            description: record.description,
            position: record.position,
            agent_count: record.agent_count,
        }
    }
}
