//! The Agent Service's catalog half: creators write drafts and publish immutable versions;
//! everyone else browses, searches, saves and forks what they may see.
//!
//! Who sees what is decided here, from the [`Caller`]: a private agent, a never-published
//! draft or a delisted agent is "not found" for anyone but its owner (and, for delisting,
//! administrators), exactly like a missing one; unlisted agents are reachable by address
//! but never listed; a sealed agent's system prompt and knowledge leave this module only
//! for its owner.

pub mod cursor;
mod drafts;
mod library;
mod listings;
pub mod search;
pub mod seed;
mod tool_pins;
pub mod views;

pub use self::listings::{ListingPage, ListingRequest};

use self::views::AgentCardView;
use crate::{
    Error, Result,
    domain::{AgentSpec, Caller, Licence, caller::Principal},
    ports::{
        AgentDirectory, AgentLibrary, AgentListings, AgentRecord, AgentStatus, AgentStore, Cache,
        CategoryStore, Clock, CreatorRecord, Embedder, SearchIndex, VersionRecord, Visibility,
    },
};
use std::{sync::Arc, time::Duration};
use uuid::Uuid;

/// Results per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PAGE_SIZE: usize = 20;

pub const MAX_PAGE_SIZE: usize = 100;

/// The longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// The longest changelog, delisting reason or deprecation note.
pub const MAX_NOTE_CHARS: usize = 5_000;

/// How long a cached listing page or agent view lives (publishes invalidate sooner).
const CACHE_TTL: Duration = Duration::from_secs(300);

/// How long a cached agent view lives: its counters (runs, saves, views) may lag this much
/// (publishes, edits and delistings invalidate it at once).
const DETAIL_CACHE_TTL: Duration = Duration::from_secs(30);

const GENERATION_KEY: &str = "catalog:generation";

/// The ports the catalog works through.
pub struct CatalogPorts {
    pub directory: Arc<dyn AgentDirectory>,
    pub agents: Arc<dyn AgentStore>,
    pub library: Arc<dyn AgentLibrary>,
    pub categories: Arc<dyn CategoryStore>,
    pub listings: Arc<dyn AgentListings>,
    pub index: Arc<dyn SearchIndex>,
    pub embedder: Arc<dyn Embedder>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
    /// Checks the icons definitions name.
    pub uploads: Arc<crate::services::uploads::UploadService>,
    /// Checks the OpenAI-compatible endpoints and MCP servers definitions name (their
    /// owner's).
    pub credentials: Arc<crate::services::credentials::CredentialService>,
    /// Lists an MCP server's tools, to pin them in a draft.
    pub mcp: Arc<dyn crate::ports::McpClient>,
}

pub struct CatalogService {
    ports: CatalogPorts,
}

/// An agent as the caller may see it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AgentView {
    pub agent: AgentSummary,
    /// The latest published version, redacted for non-owners of sealed agents.
    pub latest: Option<VersionView>,
    /// The editable draft: the owner only.
    pub draft: Option<AgentSpec>,
    pub is_owner: bool,
}

/// What is known about an agent besides its definition.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AgentSummary {
    pub id: Uuid,
    /// `handle/slug`.
    pub address: String,
    pub handle: String,
    pub slug: String,
    pub creator_name: String,
    pub visibility: Visibility,
    pub status: AgentStatus,
    /// Shown to the owner (and administrators) when delisted.
    pub delist_reason: Option<String>,
    pub latest_version: Option<i32>,
    pub forked_from: Option<ForkOrigin>,
    pub fork_count: i32,
    pub save_count: i32,
    pub view_count: i64,
    pub run_count: i64,
    pub is_demo: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where a fork came from.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ForkOrigin {
    /// `handle/slug` of the original.
    pub address: String,
    pub version: i32,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub spec: AgentSpec,
    /// True when the system prompt and knowledge were withheld (sealed, not the owner).
    pub sealed: bool,
    pub changelog: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deprecated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub deprecation_note: Option<String>,
}

/// A saved agent with its update flag.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SavedView {
    /// Absent when the agent is no longer visible to you (made private, delisted).
    pub card: Option<AgentCardView>,
    pub address: String,
    pub pinned_version: Option<i32>,
    pub latest_version: Option<i32>,
    pub newer_version_available: bool,
    pub saved_at: chrono::DateTime<chrono::Utc>,
}

/// A creator's page.
#[derive(Clone, Debug)]
pub struct CreatorView {
    pub creator: CreatorRecord,
    pub agents: Vec<AgentCardView>,
}

impl CatalogService {
    pub fn new(ports: CatalogPorts) -> Self {
        Self { ports }
    }

    pub fn embedding_model(&self) -> &str {
        self.ports.embedder.model()
    }

    /// The agent if the caller may see it; otherwise "not found", like a missing one.
    async fn visible(&self, caller: &Caller, handle: &str, slug: &str) -> Result<AgentRecord> {
        let record = self
            .ports
            .directory
            .find_agent(handle, slug)
            .await?
            .ok_or_else(not_found)?;
        if may_see(caller, &record) {
            Ok(record)
        } else {
            Err(not_found())
        }
    }

    /// The agent if the caller owns it; otherwise "not found" (owners only may change it).
    async fn owned(&self, caller: &Caller, handle: &str, slug: &str) -> Result<AgentRecord> {
        let principal = caller.user()?;
        let record = self
            .ports
            .directory
            .find_agent(handle, slug)
            .await?
            .ok_or_else(not_found)?;
        if record.owner_id == principal.user_id {
            Ok(record)
        } else if may_see(caller, &record) {
            Err(Error::Forbidden(
                "Only the agent's creator can change it.".into(),
            ))
        } else {
            Err(not_found())
        }
    }

    async fn agent_by_id(&self, id: Uuid) -> Result<AgentRecord> {
        self.ports
            .directory
            .find_agent_by_id(id)
            .await?
            .ok_or_else(not_found)
    }

    async fn latest(&self, record: &AgentRecord) -> Result<Option<VersionRecord>> {
        match record.latest_version {
            Some(version) => self.ports.directory.find_version(record.id, version).await,
            None => Ok(None),
        }
    }

    fn view(
        &self,
        caller: &Caller,
        record: AgentRecord,
        latest: Option<VersionRecord>,
    ) -> AgentView {
        let is_owner = caller.user_id() == Some(record.owner_id);
        let is_admin = matches!(
            caller,
            Caller::User(Principal {
                role: crate::domain::Role::Admin,
                ..
            })
        );
        AgentView {
            latest: latest.map(|version| version_view(version, is_owner)),
            draft: is_owner.then(|| record.draft.clone()),
            agent: AgentSummary {
                id: record.id,
                address: format!("{}/{}", record.owner_handle, record.slug),
                handle: record.owner_handle,
                slug: record.slug,
                creator_name: record.owner_name,
                visibility: record.visibility,
                status: record.status,
                delist_reason: if is_owner || is_admin {
                    record.delist_reason
                } else {
                    None
                },
                latest_version: record.latest_version,
                forked_from: record
                    .forked_from
                    .map(|(address, version)| ForkOrigin { address, version }),
                fork_count: record.fork_count,
                save_count: record.save_count,
                view_count: record.view_count,
                run_count: record.run_count,
                is_demo: record.is_demo,
                created_at: record.created_at,
                updated_at: record.updated_at,
                published_at: record.published_at,
            },
            is_owner,
        }
    }

    /// The catalog generation: every change that can alter listings bumps it, so cached
    /// pages of the old generation are never read again.
    async fn generation(&self) -> u64 {
        match self.ports.cache.get(GENERATION_KEY).await {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).parse().unwrap_or(0),
            _ => 0,
        }
    }

    async fn bump_generation(&self) {
        // A year-long window: the counter only needs to change, never to expire.
        if let Err(error) = self
            .ports
            .cache
            .increment(GENERATION_KEY, Duration::from_secs(365 * 86_400))
            .await
        {
            tracing::warn!(%error, "cannot invalidate cached listings");
        }
    }
}

/// A cached public view and whose agent it is (owners always get a fresh view).
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedView {
    owner_id: Uuid,
    view: AgentView,
}

/// Administrators see delisting reasons: their views are never cached for others.
fn view_is_privileged(caller: &Caller) -> bool {
    matches!(
        caller,
        Caller::User(Principal {
            role: crate::domain::Role::Admin,
            ..
        })
    )
}

/// Whether the caller may see the agent at all.
fn may_see(caller: &Caller, record: &AgentRecord) -> bool {
    record.exposure().visible_to(caller)
}

fn version_view(version: VersionRecord, owner: bool) -> VersionView {
    let sealed = version.spec.licence == Licence::Sealed && !owner;
    let mut spec = version.spec;
    if sealed {
        spec.system_prompt = String::new();
        spec.knowledge = Vec::new();
    }
    VersionView {
        version: version.version,
        spec,
        sealed,
        changelog: version.changelog,
        created_at: version.created_at,
        deprecated_at: version.deprecated_at,
        deprecation_note: version.deprecation_note,
    }
}

fn not_found() -> Error {
    Error::NotFound("No agent has this address.".into())
}
