//! What everyone may browse: listing and search pages (cached under the catalog
//! generation), an agent's page, categories and creators' pages.

use super::search::{CatalogPage, CatalogQuery, PageStart};
use super::views::AgentCardView;
use super::{
    AgentView, CACHE_TTL, CachedView, CatalogService, CreatorView, DEFAULT_PAGE_SIZE,
    DETAIL_CACHE_TTL, MAX_PAGE_SIZE, MAX_QUERY_CHARS, cursor, search, view_is_privileged,
};
use crate::{
    Error, Result,
    domain::{Caller, RequestOrigin, Slug},
    ports::{AgentStatus, CatalogFilters, CatalogSort, Category, Facets, SearchMode, Visibility},
};
use uuid::Uuid;

impl CatalogService {
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
    pub(super) async fn record_view(
        &self,
        caller: &Caller,
        agent_id: Uuid,
        origin: &RequestOrigin,
    ) {
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
            agents: self
                .ports
                .listings
                .agent_cards(&agent_ids)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
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
    pub agents: Vec<AgentCardView>,
    pub next_cursor: Option<String>,
    pub facets: Option<Facets>,
    /// The embedding model semantic ranking used, when it did
    /// (`agora/offline-hash-256` is the offline default).
    pub embedding_model: Option<String>,
}
