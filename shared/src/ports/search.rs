//! Finding agents: the search index (PostgreSQL or OpenSearch) and the embedder behind
//! semantic search.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::AgentSpec;

/// What a listing shows of an agent: its latest version's listing fields and counters.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
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

/// Where a page starts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PageStart {
    First,
    /// After the row with this sort value and id (browse).
    After {
        key: i64,
        id: Uuid,
    },
    /// After this many results (ranked search).
    Offset(usize),
}

#[derive(Clone, Debug)]
pub struct CatalogQuery {
    pub text: Option<String>,
    pub mode: SearchMode,
    /// The query's embedding, for semantic and hybrid search.
    pub embedding: Option<Vec<f32>>,
    pub filters: CatalogFilters,
    pub sort: CatalogSort,
    pub start: PageStart,
    pub limit: usize,
    /// Count facets (first page only): over the matching ranked results when there are
    /// words, over the filtered listing otherwise.
    pub facets: bool,
}

/// One page of agent ids in order, where the next page starts, and facet counts.
#[derive(Clone, Debug, Default)]
pub struct CatalogPage {
    pub agent_ids: Vec<Uuid>,
    pub next: Option<PageStart>,
    pub facets: Facets,
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
    async fn search(&self, query: &CatalogQuery) -> crate::Result<CatalogPage>;
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
