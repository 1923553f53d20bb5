//! Finding agents: the search index (PostgreSQL or OpenSearch) and the embedder behind
//! semantic search.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::AgentSpec;

/// What a listing shows of an agent: its latest version's listing fields and counters.
#[derive(Clone, Debug)]
pub struct AgentCard {
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

/// What the catalog indexes of a listed agent's latest version.
#[derive(Clone, Debug)]
pub struct CatalogEntry {
    pub agent_id: Uuid,
    pub owner_id: Uuid,
    pub spec: AgentSpec,
    pub published_at: DateTime<Utc>,
    pub embedding: Vec<f32>,
}

/// How results are ordered.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CatalogSort {
    /// Best match first (the default with a query).
    Relevance,
    /// Most distinct viewers over the last 7 days (the default without a query).
    Trending,
    Newest,
    MostUsed,
    /// Highest Bayesian rating first.
    TopRated,
}

/// How a text query matches.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Words in the name, summary, tags and description, tolerant of typos.
    Keyword,
    /// Meaning: the query is embedded and compared with each agent's embedding.
    Semantic,
    /// Both, ranks fused (the default).
    #[default]
    Hybrid,
}

/// Filters every catalog query may carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CatalogFilters {
    /// Only this creator's agents.
    pub owner_id: Option<Uuid>,
    pub category: Option<String>,
    /// Every listed tag must be present.
    pub tags: Vec<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub min_price_micros: Option<i64>,
    pub max_price_micros: Option<i64>,
    pub language: Option<String>,
    pub licence: Option<String>,
}

/// A browse position: after the agent with this sort key and id (keyset paging).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SortKey {
    pub key: i64,
    pub id: Uuid,
}

/// Counts of the agents matching the query, per value of each facet.
#[derive(
    Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Facets {
    pub category: Vec<FacetCount>,
    pub tags: Vec<FacetCount>,
    pub provider: Vec<FacetCount>,
    pub language: Vec<FacetCount>,
    pub licence: Vec<FacetCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

/// The catalog's search index: what is listed, found by filters, words and meaning.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Lists (or re-lists) agents with these entries, in one batch.
    async fn index_agents(&self, entries: &[CatalogEntry]) -> crate::Result<()>;
    /// Takes an agent out of listings and search.
    async fn remove_agent(&self, agent_id: Uuid) -> crate::Result<()>;
    /// Ids of listed agents the filters keep whose words match `text`, best first, at
    /// most `depth`, tolerant of typos.
    async fn keyword_ids(
        &self,
        filters: &CatalogFilters,
        text: &str,
        depth: usize,
    ) -> crate::Result<Vec<Uuid>>;
    /// Ids of listed agents the filters keep nearest in meaning to `embedding`, at most
    /// `depth`; agents that share nothing with it are not results.
    async fn semantic_ids(
        &self,
        filters: &CatalogFilters,
        embedding: &[f32],
        depth: usize,
    ) -> crate::Result<Vec<Uuid>>;
    /// `ids` in `sort` order (a search's results sorted by something else than relevance).
    async fn sorted(&self, ids: &[Uuid], sort: CatalogSort) -> crate::Result<Vec<Uuid>>;
    /// Up to `limit` listed agents the filters keep, in `sort` order, after `after`, each
    /// with its sort key.
    async fn browse(
        &self,
        filters: &CatalogFilters,
        sort: CatalogSort,
        after: Option<SortKey>,
        limit: usize,
    ) -> crate::Result<Vec<SortKey>>;
    /// Counts per facet value over the listed agents the filters keep (and among
    /// `within`, when given), at most 20 values per facet, most frequent first.
    async fn facets(
        &self,
        filters: &CatalogFilters,
        within: Option<&[Uuid]>,
    ) -> crate::Result<Facets>;
}

/// Turns text into a vector for semantic search; every vector has [`EMBEDDING_DIMENSIONS`].
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model's name, shown to users (`agora/offline-hash-256` is the labelled default).
    fn model(&self) -> &str;
    async fn embed(&self, texts: &[String]) -> crate::Result<Vec<Vec<f32>>>;
}

/// The dimensions of every embedding Agora stores.
pub const EMBEDDING_DIMENSIONS: usize = 256;
