//! Agents as the catalog keeps them: drafts, immutable versions, categories, creators and
//! users' libraries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{audit::AuditRecord, search::AgentCard};
pub use crate::domain::visibility::{AgentStatus, Exposure, Visibility};
use crate::domain::{AgentSpec, Slug};

/// An agent as stored (its draft included): services decide what a caller may see of it.
#[derive(Clone, Debug)]
pub struct AgentRecord {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_handle: String,
    pub owner_name: String,
    pub slug: String,
    pub visibility: Visibility,
    pub status: AgentStatus,
    pub delist_reason: Option<String>,
    pub draft: AgentSpec,
    pub draft_updated_at: DateTime<Utc>,
    pub latest_version: Option<i32>,
    /// `handle/slug` of the agent this one was forked from, and the version.
    pub forked_from: Option<(String, i32)>,
    pub fork_count: i32,
    pub save_count: i32,
    pub view_count: i64,
    pub run_count: i64,
    pub is_demo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl AgentRecord {
    /// What decides who may see it.
    pub fn exposure(&self) -> Exposure {
        Exposure {
            owner_id: self.owner_id,
            visibility: self.visibility,
            status: self.status,
            published: self.latest_version.is_some(),
        }
    }
}

/// One immutable published version.
#[derive(Clone, Debug)]
pub struct VersionRecord {
    pub version: i32,
    pub spec: AgentSpec,
    pub changelog: String,
    pub created_at: DateTime<Utc>,
    pub deprecated_at: Option<DateTime<Utc>>,
    pub deprecation_note: Option<String>,
}

/// A new agent (a draft).
#[derive(Clone, Debug)]
pub struct NewAgent {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub slug: Slug,
    pub visibility: Visibility,
    pub draft: AgentSpec,
    /// The agent and version this draft was forked from.
    pub forked_from: Option<(Uuid, i32)>,
    pub is_demo: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAgentError {
    #[error("the owner already has an agent with this slug")]
    SlugTaken,
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// A category of the marketplace.
#[derive(Clone, Debug)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    /// Listed agents in it.
    pub agent_count: i64,
}

/// A creator's public profile and totals.
#[derive(Clone, Debug)]
pub struct CreatorRecord {
    pub user_id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub public_agents: i64,
    pub total_saves: i64,
    pub total_forks: i64,
    pub total_runs: i64,
}

/// An agent in a user's library.
#[derive(Clone, Debug)]
pub struct SavedRecord {
    pub agent: AgentRecord,
    pub pinned_version: Option<i32>,
    pub saved_at: DateTime<Utc>,
}

/// Finding agents and their versions: what every service that runs, bills or reviews an
/// agent needs, and nothing it may change.
#[async_trait]
pub trait AgentDirectory: Send + Sync {
    async fn find_agent(&self, handle: &str, slug: &str) -> crate::Result<Option<AgentRecord>>;
    async fn find_agent_by_id(&self, id: Uuid) -> crate::Result<Option<AgentRecord>>;
    async fn find_version(&self, id: Uuid, version: i32) -> crate::Result<Option<VersionRecord>>;
    async fn list_versions(&self, id: Uuid) -> crate::Result<Vec<VersionRecord>>;
}

/// The catalog's writes: drafts, versions, delistings, forks and seeded content.
#[async_trait]
pub trait AgentStore: Send + Sync {
    async fn create_agent(&self, agent: &NewAgent) -> Result<AgentRecord, CreateAgentError>;
    /// Replaces the draft and/or the visibility.
    async fn update_agent(
        &self,
        id: Uuid,
        draft: Option<&AgentSpec>,
        visibility: Option<Visibility>,
    ) -> crate::Result<AgentRecord>;
    /// Copies the draft into the next version and points `latest` at it.
    async fn publish_version(&self, id: Uuid, changelog: &str) -> crate::Result<VersionRecord>;
    async fn set_latest_version(&self, id: Uuid, version: i32) -> crate::Result<AgentRecord>;
    async fn deprecate_version(
        &self,
        id: Uuid,
        version: i32,
        note: &str,
    ) -> crate::Result<Option<VersionRecord>>;
    /// Delists (with the reason) or relists an agent, audited.
    async fn set_delisted(
        &self,
        id: Uuid,
        reason: Option<&str>,
        audit: &AuditRecord,
    ) -> crate::Result<AgentRecord>;
    /// Creates the fork and counts it on the original, in one transaction.
    async fn create_fork(&self, fork: &NewAgent) -> Result<AgentRecord, CreateAgentError>;
    async fn list_owned_agents(&self, owner_id: Uuid) -> crate::Result<Vec<AgentRecord>>;
    /// Inserts agents already published as version 1 and public (demo and benchmark
    /// content), in one transaction; agents whose slug the owner has are skipped. Returns
    /// the ids inserted.
    async fn insert_published_agents(
        &self,
        owner_id: Uuid,
        agents: &[SeedAgent],
    ) -> crate::Result<Vec<Uuid>>;
}

/// Users' libraries of saved agents, each optionally pinned to a version.
#[async_trait]
pub trait AgentLibrary: Send + Sync {
    async fn save_agent(
        &self,
        user_id: Uuid,
        agent_id: Uuid,
        pinned: Option<i32>,
    ) -> crate::Result<()>;
    /// `false` when it was not saved.
    async fn unsave_agent(&self, user_id: Uuid, agent_id: Uuid) -> crate::Result<bool>;
    async fn list_saved_agents(&self, user_id: Uuid) -> crate::Result<Vec<SavedRecord>>;
}

/// The categories agents are filed under.
#[async_trait]
pub trait CategoryStore: Send + Sync {
    async fn list_categories(&self) -> crate::Result<Vec<Category>>;
    async fn upsert_category(&self, category: &Category) -> crate::Result<Category>;
}

/// What listings show: agents' cards, creators' pages, and the views that move trending.
#[async_trait]
pub trait AgentListings: Send + Sync {
    /// Listing cards of these agents' latest versions, in the order given; agents without a
    /// published version are skipped.
    async fn agent_cards(&self, ids: &[Uuid]) -> crate::Result<Vec<AgentCard>>;
    async fn find_creator(&self, handle: &str) -> crate::Result<Option<CreatorRecord>>;
    /// Notes one view; `true` when it is the viewer's first of the day (trending moved).
    async fn record_view(
        &self,
        agent_id: Uuid,
        viewer: &str,
        day: chrono::NaiveDate,
    ) -> crate::Result<bool>;
}

/// An agent `agora seed` creates, published at once.
#[derive(Clone, Debug)]
pub struct SeedAgent {
    pub id: Uuid,
    pub slug: Slug,
    pub spec: AgentSpec,
    pub is_demo: bool,
}
