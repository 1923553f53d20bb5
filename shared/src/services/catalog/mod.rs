//! The Agent Service's catalog half: creators write drafts and publish immutable versions;
//! everyone else browses, searches, saves and forks what they may see.
//!
//! Who sees what is decided here, from the [`Caller`]: a private agent, a never-published
//! draft or a delisted agent is "not found" for anyone but its owner (and, for delisting,
//! administrators), exactly like a missing one; unlisted agents are reachable by address
//! but never listed; a sealed agent's system prompt and knowledge leave this module only
//! for its owner.

pub mod cursor;
pub mod search;
pub mod seed;

use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use self::search::{CatalogPage, CatalogQuery, PageStart};
use crate::{
    Error, Result,
    domain::{AgentSpec, Caller, Licence, RequestOrigin, Slug, caller::Principal},
    domain::{
        FieldError,
        json::{self, JsonError},
    },
    ports::{
        AgentCard, AgentDirectory, AgentLibrary, AgentListings, AgentRecord, AgentStatus,
        AgentStore, AuditAction, AuditRecord, Cache, CatalogEntry, CatalogFilters, CatalogSort,
        Category, CategoryStore, Clock, CreateAgentError, CreatorRecord, Embedder, Facets,
        NewAgent, SavedRecord, SearchIndex, SearchMode, VersionRecord, Visibility,
    },
};

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
    /// Checks the OpenAI-compatible endpoints definitions name (their owner's).
    pub credentials: Option<Arc<crate::services::credentials::CredentialService>>,
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

/// A listing request as the API received it.
#[derive(Clone, Debug, Default)]
pub struct ListingRequest {
    pub text: Option<String>,
    /// Count facets on the first page (over the search results when there are words).
    pub facets: bool,
    pub mode: SearchMode,
    pub filters: CatalogFilters,
    pub sort: Option<CatalogSort>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// One page of a listing.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ListingPage {
    pub agents: Vec<AgentCard>,
    pub next_cursor: Option<String>,
    pub facets: Option<Facets>,
    /// The embedding model semantic ranking used, when it did
    /// (`agora/offline-hash-256` is the offline default).
    pub embedding_model: Option<String>,
}

/// A saved agent with its update flag.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SavedView {
    /// Absent when the agent is no longer visible to you (made private, delisted).
    pub card: Option<AgentCard>,
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
    pub agents: Vec<AgentCard>,
}

impl CatalogService {
    pub fn new(ports: CatalogPorts) -> Self {
        Self { ports }
    }

    pub fn embedding_model(&self) -> &str {
        self.ports.embedder.model()
    }

    /// Creates a draft owned by the caller.
    pub async fn create_agent(
        &self,
        caller: &Caller,
        slug: Option<&str>,
        visibility: Option<Visibility>,
        spec: AgentSpec,
    ) -> Result<AgentView> {
        let principal = caller.user()?;
        self.check_spec(caller, &spec, "").await?;
        let slug = match slug {
            Some(slug) => Slug::parse(slug).map_err(|message| Error::invalid("slug", message))?,
            None => Slug::from_name(&spec.name).ok_or_else(|| {
                Error::invalid("slug", "cannot be made from the name; send one (3 to 48 lower-case letters, digits and hyphens)")
            })?,
        };
        let agent = NewAgent {
            id: Uuid::now_v7(),
            owner_id: principal.user_id,
            slug,
            visibility: visibility.unwrap_or(Visibility::Public),
            draft: spec,
            forked_from: None,
            is_demo: false,
        };
        let record = match self.ports.agents.create_agent(&agent).await {
            Ok(record) => record,
            Err(CreateAgentError::SlugTaken) => {
                return Err(Error::Conflict(format!(
                    "You already have an agent at `{}`; choose another slug.",
                    agent.slug
                )));
            }
            Err(CreateAgentError::Other(error)) => return Err(error),
        };
        Ok(self.view(caller, record, None))
    }

    /// Imports an `agora.agent/v1` document as a new draft. `document` is the raw JSON, so
    /// every failure points at its field.
    pub async fn import_agent(
        &self,
        caller: &Caller,
        slug: Option<&str>,
        document: &[u8],
    ) -> Result<AgentView> {
        caller.user()?;
        let spec: AgentSpec = json::parse(document).map_err(|error| match error {
            JsonError::Shape(error) => Error::Validation(vec![FieldError {
                field: prefixed("definition", &error.field),
                message: error.message,
            }]),
            syntax @ JsonError::Syntax(_) => Error::from(syntax),
        })?;
        let spec = AgentSpec { icon: None, ..spec };
        self.create_agent(caller, slug, Some(Visibility::Private), spec)
            .await
            .map_err(|error| match error {
                Error::Validation(errors) => Error::Validation(
                    errors
                        .into_iter()
                        .map(|e| FieldError {
                            field: if e.field == "slug" {
                                e.field
                            } else {
                                prefixed("definition", &e.field)
                            },
                            message: e.message,
                        })
                        .collect(),
                ),
                other => other,
            })
    }

    /// The agent at `handle/slug`, as the caller may see it; counts a view for non-owners.
    pub async fn get_agent(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        origin: &RequestOrigin,
    ) -> Result<AgentView> {
        // The public view of a published agent is the same for every non-owner, so it is
        // cached under the catalog generation (every publish, rollback, visibility change
        // and delisting bumps it: nobody sees a stale version).
        let cache_key = format!("catalog:agent:{}:{handle}/{slug}", self.generation().await);
        if let Ok(Some(bytes)) = self.ports.cache.get(&cache_key).await
            && let Ok(cached) = serde_json::from_slice::<CachedView>(&bytes)
            && caller.user_id() != Some(cached.owner_id)
        {
            self.record_view(caller, cached.view.agent.id, origin).await;
            return Ok(cached.view);
        }
        let record = self.visible(caller, handle, slug).await?;
        let public =
            record.status == AgentStatus::Published && record.visibility != Visibility::Private;
        let owner_id = record.owner_id;
        if caller.user_id() != Some(owner_id) && public {
            self.record_view(caller, record.id, origin).await;
        }
        let latest = match record.latest_version {
            Some(version) => {
                self.ports
                    .directory
                    .find_version(record.id, version)
                    .await?
            }
            None => None,
        };
        let view = self.view(caller, record, latest);
        if public
            && caller.user_id() != Some(owner_id)
            && !view_is_privileged(caller)
            && let Ok(bytes) = serde_json::to_vec(&CachedView {
                owner_id,
                view: view.clone(),
            })
        {
            // A cache that is down only costs the next viewer a database read.
            let _ = self
                .ports
                .cache
                .set(&cache_key, &bytes, DETAIL_CACHE_TTL)
                .await;
        }
        Ok(view)
    }

    /// Notes a non-owner's view (one per viewer and day) for trending.
    async fn record_view(&self, caller: &Caller, agent_id: Uuid, origin: &RequestOrigin) {
        let viewer = match (caller.user_id(), origin.client_addr) {
            (Some(user), _) => format!("user:{user}"),
            (None, Some(addr)) => format!("addr:{}", cursor::fingerprint(&[&addr.to_string()])),
            (None, None) => "anonymous".to_owned(),
        };
        let today = self.ports.clock.now().date_naive();
        if let Err(error) = self
            .ports
            .listings
            .record_view(agent_id, &viewer, today)
            .await
        {
            tracing::warn!(%error, "cannot record a view");
        }
    }

    /// Replaces the draft and/or the visibility: the owner only.
    pub async fn update_agent(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        draft: Option<AgentSpec>,
        visibility: Option<Visibility>,
    ) -> Result<AgentView> {
        let record = self.owned(caller, handle, slug).await?;
        if let Some(draft) = &draft {
            self.check_spec(caller, draft, "draft").await?;
        }
        let record = self
            .ports
            .agents
            .update_agent(record.id, draft.as_ref(), visibility)
            .await?;
        let latest = self.latest(&record).await?;
        if visibility.is_some() {
            self.sync_listing(&record, latest.as_ref()).await?;
        }
        Ok(self.view(caller, record, latest))
    }

    /// Publishes the draft as the next version and points `latest` at it.
    pub async fn publish(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        changelog: &str,
    ) -> Result<VersionView> {
        let record = self.owned(caller, handle, slug).await?;
        check_note("changelog", changelog)?;
        self.check_spec(caller, &record.draft, "draft").await?;
        let version = self
            .ports
            .agents
            .publish_version(record.id, changelog.trim())
            .await?;
        let record = self.agent_by_id(record.id).await?;
        self.sync_listing(&record, Some(&version)).await?;
        Ok(version_view(version, true))
    }

    /// Every version, newest first.
    pub async fn list_versions(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<Vec<VersionView>> {
        let record = self.visible(caller, handle, slug).await?;
        let owner = caller.user_id() == Some(record.owner_id);
        Ok(self
            .ports
            .directory
            .list_versions(record.id)
            .await?
            .into_iter()
            .map(|version| version_view(version, owner))
            .collect())
    }

    pub async fn get_version(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: i32,
    ) -> Result<VersionView> {
        let record = self.visible(caller, handle, slug).await?;
        let owner = caller.user_id() == Some(record.owner_id);
        self.ports
            .directory
            .find_version(record.id, version)
            .await?
            .map(|version| version_view(version, owner))
            .ok_or_else(|| Error::NotFound(format!("This agent has no version {version}.")))
    }

    /// Points `latest` at an earlier (or later) existing version: the owner only.
    pub async fn set_latest(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: i32,
    ) -> Result<AgentView> {
        let record = self.owned(caller, handle, slug).await?;
        let target = self
            .ports
            .directory
            .find_version(record.id, version)
            .await?
            .ok_or_else(|| {
                Error::invalid("version", format!("this agent has no version {version}"))
            })?;
        let record = self
            .ports
            .agents
            .set_latest_version(record.id, version)
            .await?;
        self.sync_listing(&record, Some(&target)).await?;
        Ok(self.view(caller, record, Some(target)))
    }

    /// Marks a version deprecated with a note users see: the owner only.
    pub async fn deprecate(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: i32,
        note: &str,
    ) -> Result<VersionView> {
        let record = self.owned(caller, handle, slug).await?;
        check_note("note", note)?;
        let deprecated = self
            .ports
            .agents
            .deprecate_version(record.id, version, note.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("This agent has no version {version}.")))?;
        self.bump_generation().await;
        Ok(version_view(deprecated, true))
    }

    /// Takes an agent off the marketplace with a reason its owner sees (or puts it back
    /// with `None`): administrators only.
    pub async fn set_delisted(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        reason: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<AgentView> {
        let admin = caller.admin()?;
        if let Some(reason) = reason {
            check_note("reason", reason)?;
            if reason.trim().is_empty() {
                return Err(Error::invalid("reason", "is required: the owner sees it"));
            }
        }
        let record = self
            .ports
            .directory
            .find_agent(handle, slug)
            .await?
            .ok_or_else(not_found)?;
        let audit = AuditRecord {
            actor_id: Some(admin.user_id),
            action: if reason.is_some() {
                AuditAction::AgentDelisted
            } else {
                AuditAction::AgentRelisted
            },
            subject: Some(format!("{handle}/{slug}")),
            origin: origin.clone(),
            details: serde_json::json!({ "reason": reason }),
        };
        let record = self
            .ports
            .agents
            .set_delisted(record.id, reason.map(str::trim), &audit)
            .await?;
        let latest = self.latest(&record).await?;
        self.sync_listing(&record, latest.as_ref()).await?;
        Ok(self.view(caller, record, latest))
    }

    /// Copies an open agent's latest version into a private draft of the caller's.
    pub async fn fork(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        new_slug: Option<&str>,
    ) -> Result<AgentView> {
        let principal = caller.user()?;
        let source = self.visible(caller, handle, slug).await?;
        let Some(version) = self.latest(&source).await? else {
            return Err(Error::Conflict(
                "This agent has no published version to fork yet.".into(),
            ));
        };
        if version.spec.licence == Licence::Sealed {
            return Err(Error::Forbidden(
                "This agent is sealed: its creator does not allow forks.".into(),
            ));
        }
        let wanted = match new_slug {
            Some(slug) => {
                vec![Slug::parse(slug).map_err(|message| Error::invalid("slug", message))?]
            }
            None => {
                let base = Slug::parse(&source.slug).map_err(Error::Internal)?;
                std::iter::once(base.clone())
                    .chain(
                        (2..=20)
                            .filter_map(|n| Slug::parse(&format!("{}-{n}", base.as_str())).ok()),
                    )
                    .collect()
            }
        };
        for slug in wanted {
            let fork = NewAgent {
                id: Uuid::now_v7(),
                owner_id: principal.user_id,
                slug,
                visibility: Visibility::Private,
                draft: AgentSpec {
                    icon: None,
                    ..version.spec.clone()
                },
                forked_from: Some((source.id, version.version)),
                is_demo: false,
            };
            match self.ports.agents.create_fork(&fork).await {
                Ok(record) => {
                    self.bump_generation().await;
                    return Ok(self.view(caller, record, None));
                }
                Err(CreateAgentError::SlugTaken) => {}
                Err(CreateAgentError::Other(error)) => return Err(error),
            }
        }
        Err(Error::Conflict(
            "You already have agents at this slug and its numbered variants; send a `slug` for the fork.".into(),
        ))
    }

    /// The caller's agents, drafts included, most recently changed first.
    pub async fn my_agents(&self, caller: &Caller) -> Result<Vec<AgentView>> {
        let principal = caller.user()?;
        let records = self
            .ports
            .agents
            .list_owned_agents(principal.user_id)
            .await?;
        Ok(records
            .into_iter()
            .map(|record| self.view(caller, record, None))
            .collect())
    }

    /// The agents the caller may run, as `(address, creator handle, published or created
    /// at)`: their own, their saved ones still visible, then the most used listed ones, at
    /// most `limit` in all.
    pub async fn runnable_agents(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>)>> {
        let principal = caller.user()?;
        let mut agents = Runnable {
            seen: std::collections::HashSet::new(),
            agents: Vec::new(),
            limit,
        };
        for record in self
            .ports
            .agents
            .list_owned_agents(principal.user_id)
            .await?
        {
            agents.add(&record);
        }
        for saved in self
            .ports
            .library
            .list_saved_agents(principal.user_id)
            .await?
        {
            if may_see(caller, &saved.agent) {
                agents.add(&saved.agent);
            }
        }
        let mut start = PageStart::First;
        while agents.agents.len() < limit {
            let page = search::search(
                self.ports.index.as_ref(),
                &CatalogQuery {
                    text: None,
                    mode: SearchMode::Keyword,
                    embedding: None,
                    filters: CatalogFilters::default(),
                    sort: CatalogSort::MostUsed,
                    start,
                    limit: MAX_PAGE_SIZE,
                    facets: false,
                },
            )
            .await?;
            for card in self.ports.listings.agent_cards(&page.agent_ids).await? {
                agents.push(card.address, card.handle, card.published_at);
            }
            match page.next {
                Some(next) => start = next,
                None => break,
            }
        }
        Ok(agents.agents)
    }

    /// Adds an agent to the caller's library, optionally pinned to a version.
    pub async fn save(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        pinned: Option<i32>,
    ) -> Result<SavedView> {
        let principal = caller.user()?;
        let record = self.visible(caller, handle, slug).await?;
        if let Some(version) = pinned
            && self
                .ports
                .directory
                .find_version(record.id, version)
                .await?
                .is_none()
        {
            return Err(Error::invalid(
                "pinned_version",
                format!("this agent has no version {version}"),
            ));
        }
        self.ports
            .library
            .save_agent(principal.user_id, record.id, pinned)
            .await?;
        self.saved(caller)
            .await?
            .into_iter()
            .find(|saved| saved.address == format!("{handle}/{slug}"))
            .ok_or_else(|| Error::Internal("a saved agent is missing from the library".into()))
    }

    pub async fn unsave(&self, caller: &Caller, handle: &str, slug: &str) -> Result<()> {
        let principal = caller.user()?;
        let record = self
            .ports
            .directory
            .find_agent(handle, slug)
            .await?
            .ok_or_else(not_found)?;
        if !self
            .ports
            .library
            .unsave_agent(principal.user_id, record.id)
            .await?
        {
            return Err(Error::NotFound("This agent is not in your library.".into()));
        }
        Ok(())
    }

    /// The caller's library. Agents that became invisible stay listed by address only.
    pub async fn saved(&self, caller: &Caller) -> Result<Vec<SavedView>> {
        let principal = caller.user()?;
        let saved = self
            .ports
            .library
            .list_saved_agents(principal.user_id)
            .await?;
        let visible_ids: Vec<Uuid> = saved
            .iter()
            .filter(|s| may_see(caller, &s.agent))
            .map(|s| s.agent.id)
            .collect();
        let cards = self.ports.listings.agent_cards(&visible_ids).await?;
        Ok(saved
            .into_iter()
            .map(|SavedRecord { agent, pinned_version, saved_at }| {
                let visible = visible_ids.contains(&agent.id);
                let latest = if visible { agent.latest_version } else { None };
                SavedView {
                    card: cards.iter().find(|card| card.id == agent.id).cloned(),
                    address: format!("{}/{}", agent.owner_handle, agent.slug),
                    pinned_version,
                    latest_version: latest,
                    newer_version_available: matches!((pinned_version, latest), (Some(pinned), Some(latest)) if latest > pinned),
                    saved_at,
                }
            })
            .collect())
    }

    /// Browse and search: listed agents matching the filters and words.
    pub async fn list(&self, request: ListingRequest) -> Result<ListingPage> {
        let limit = request.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("must be 1 to {MAX_PAGE_SIZE}"),
            ));
        }
        let text = request
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if let Some(text) = &text
            && text.chars().count() > MAX_QUERY_CHARS
        {
            return Err(Error::invalid(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let sort = request.sort.unwrap_or(if text.is_some() {
            CatalogSort::Relevance
        } else {
            CatalogSort::Trending
        });
        let filters = &request.filters;
        let fingerprint = cursor::fingerprint(&[
            if request.facets { "facets" } else { "" },
            text.as_deref().unwrap_or_default(),
            &format!("{:?}", request.mode),
            &format!("{sort:?}"),
            &format!("{filters:?}"),
        ]);
        let start = match &request.cursor {
            Some(cursor) => cursor::decode(&fingerprint, cursor)?,
            None => PageStart::First,
        };
        let generation = self.generation().await;
        let cache_key = format!(
            "catalog:list:{generation}:{fingerprint}:{}:{limit}",
            cursor::fingerprint(&[&format!("{start:?}")])
        );
        if let Ok(Some(cached)) = self.ports.cache.get(&cache_key).await
            && let Ok(page) = serde_json::from_slice::<ListingPage>(&cached)
        {
            return Ok(page);
        }
        let semantic =
            text.is_some() && sort == CatalogSort::Relevance && request.mode != SearchMode::Keyword;
        let embedding = match (&text, semantic) {
            (Some(text), true) => self
                .ports
                .embedder
                .embed(std::slice::from_ref(text))
                .await?
                .pop(),
            _ => None,
        };
        let CatalogPage {
            agent_ids,
            next,
            facets,
        } = search::search(
            self.ports.index.as_ref(),
            &CatalogQuery {
                text,
                mode: request.mode,
                embedding,
                filters: request.filters.clone(),
                sort,
                start: start.clone(),
                limit,
                facets: request.facets,
            },
        )
        .await?;
        let page = ListingPage {
            agents: self.ports.listings.agent_cards(&agent_ids).await?,
            next_cursor: next.map(|next| cursor::encode(&fingerprint, &next)),
            facets: (request.facets && start == PageStart::First).then_some(facets),
            embedding_model: semantic.then(|| self.ports.embedder.model().to_owned()),
        };
        if let Ok(bytes) = serde_json::to_vec(&page) {
            let _ = self.ports.cache.set(&cache_key, &bytes, CACHE_TTL).await;
        }
        Ok(page)
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        self.ports.categories.list_categories().await
    }

    /// Adds or changes a category: administrators only.
    pub async fn upsert_category(&self, caller: &Caller, category: Category) -> Result<Category> {
        caller.admin()?;
        Slug::parse(&category.slug).map_err(|message| Error::invalid("slug", message))?;
        let name = category.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Error::invalid("name", "must be 1 to 60 characters"));
        }
        if category.description.chars().count() > 300 {
            return Err(Error::invalid(
                "description",
                "must be at most 300 characters",
            ));
        }
        let saved = self
            .ports
            .categories
            .upsert_category(&Category {
                name: name.to_owned(),
                ..category
            })
            .await?;
        self.bump_generation().await;
        Ok(saved)
    }

    /// A creator's profile and listed agents.
    pub async fn creator(&self, handle: &str) -> Result<CreatorView> {
        let creator = self
            .ports
            .listings
            .find_creator(handle)
            .await?
            .ok_or_else(|| Error::NotFound("No creator has this handle.".into()))?;
        let page = self
            .list(ListingRequest {
                filters: CatalogFilters {
                    owner_id: Some(creator.user_id),
                    ..CatalogFilters::default()
                },
                sort: Some(CatalogSort::Newest),
                limit: Some(MAX_PAGE_SIZE),
                ..ListingRequest::default()
            })
            .await?;
        Ok(CreatorView {
            creator,
            agents: page.agents,
        })
    }

    /// The definition of a version (or the latest) as an `agora.agent/v1` document. Sealed
    /// agents are exported to their owner only.
    pub async fn export(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: Option<i32>,
    ) -> Result<AgentSpec> {
        let record = self.visible(caller, handle, slug).await?;
        let owner = caller.user_id() == Some(record.owner_id);
        let spec = match version.or(record.latest_version) {
            Some(version) => {
                self.ports
                    .directory
                    .find_version(record.id, version)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!("This agent has no version {version}."))
                    })?
                    .spec
            }
            None if owner => record.draft,
            None => return Err(not_found()),
        };
        if spec.licence == Licence::Sealed && !owner {
            return Err(Error::Forbidden(
                "This agent is sealed: only its creator can export its definition.".into(),
            ));
        }
        Ok(spec)
    }

    // ---- rules -----------------------------------------------------------------------

    /// Validates a definition and checks its category exists; errors carry `prefix`.
    async fn check_spec(&self, caller: &Caller, spec: &AgentSpec, prefix: &str) -> Result<()> {
        let mut errors = spec.validate();
        if let Some(icon) = &spec.icon
            && let Err(error) = self
                .ports
                .uploads
                .claim(caller, icon, crate::ports::UploadPurpose::AgentIcon, "icon")
                .await
        {
            match error {
                Error::Validation(mut icon_errors) => errors.append(&mut icon_errors),
                other => return Err(other),
            }
        }
        if let (Some(credentials), Some(user_id)) = (&self.ports.credentials, caller.user_id()) {
            let models = std::iter::once((
                "model".to_owned(),
                spec.model.provider,
                &spec.model.endpoint,
            ))
            .chain(spec.model.fallbacks.iter().enumerate().map(
                |(index, fallback)| {
                    (
                        format!("model.fallbacks[{index}]"),
                        fallback.provider,
                        &fallback.endpoint,
                    )
                },
            ));
            for (field, provider, endpoint) in models {
                if let (crate::domain::models::Provider::OpenaiCompatible, Some(endpoint)) =
                    (provider, endpoint)
                    && !credentials.has_endpoint(user_id, endpoint).await?
                {
                    errors.push(FieldError {
                        field: format!("{field}.endpoint"),
                        message: format!(
                            "you have no endpoint named `{endpoint}`; add it with POST /v1/me/provider-keys"
                        ),
                    });
                }
            }
        }
        if !spec.category.trim().is_empty() {
            let categories = self.ports.categories.list_categories().await?;
            if !categories.iter().any(|c| c.slug == spec.category) {
                let known: Vec<&str> = categories.iter().map(|c| c.slug.as_str()).collect();
                errors.push(FieldError {
                    field: "category".into(),
                    message: format!(
                        "`{}` is not a category; use one of: {}",
                        spec.category,
                        known.join(", ")
                    ),
                });
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: prefixed(prefix, &e.field),
                    message: e.message,
                })
                .collect(),
        ))
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

    /// Lists the agent's `latest` version when it is published and public, unlists it
    /// otherwise, and invalidates cached listings.
    async fn sync_listing(
        &self,
        record: &AgentRecord,
        latest: Option<&VersionRecord>,
    ) -> Result<()> {
        let listable =
            record.status == AgentStatus::Published && record.visibility == Visibility::Public;
        match (listable, latest) {
            (true, Some(version)) => {
                let embedding = self
                    .ports
                    .embedder
                    .embed(&[version.spec.searchable_text()])
                    .await?
                    .pop()
                    .ok_or_else(|| Error::Internal("the embedder returned nothing".into()))?;
                self.ports
                    .index
                    .index_agents(&[CatalogEntry {
                        agent_id: record.id,
                        owner_id: record.owner_id,
                        spec: version.spec.clone(),
                        published_at: record.published_at.unwrap_or(version.created_at),
                        embedding,
                    }])
                    .await?;
            }
            _ => self.ports.index.remove_agent(record.id).await?,
        }
        self.bump_generation().await;
        Ok(())
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

/// The runnable agents collected so far, each once, up to a limit.
struct Runnable {
    seen: std::collections::HashSet<String>,
    agents: Vec<(String, String, chrono::DateTime<chrono::Utc>)>,
    limit: usize,
}

impl Runnable {
    fn add(&mut self, record: &AgentRecord) {
        self.push(
            format!("{}/{}", record.owner_handle, record.slug),
            record.owner_handle.clone(),
            record.published_at.unwrap_or(record.created_at),
        );
    }

    fn push(&mut self, address: String, handle: String, at: chrono::DateTime<chrono::Utc>) {
        if self.agents.len() < self.limit && self.seen.insert(address.clone()) {
            self.agents.push((address, handle, at));
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
    if caller.user_id() == Some(record.owner_id) {
        return true;
    }
    let admin = matches!(
        caller,
        Caller::User(Principal {
            role: crate::domain::Role::Admin,
            ..
        })
    );
    match record.status {
        AgentStatus::Published => {
            record.visibility != Visibility::Private && record.latest_version.is_some()
        }
        AgentStatus::Delisted => admin,
        AgentStatus::Draft => false,
    }
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

fn check_note(field: &str, note: &str) -> Result<()> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(())
}

fn prefixed(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    }
}

fn not_found() -> Error {
    Error::NotFound("No agent has this address.".into())
}
