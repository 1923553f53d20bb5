//! The [`SearchIndex`] on OpenSearch (Amazon OpenSearch Service, SigV4-signed in AWS):
//! one document per listed agent, a `knn_vector` of the agent's embedding, keyword fields
//! for filters and facets, text fields weighted for keyword search (with fuzziness for
//! typos), bulk indexing on publish and unpublish, and hybrid ranking fused here from a
//! keyword query and a k-NN query.
//!
//! Counters used for sorting (`trending_score`, `run_count`) are copied at each publish;
//! PostgreSQL stays the system of record and the cards shown come from it.

use std::time::Duration;

use async_trait::async_trait;
use opensearch::{
    BulkParts, DeleteParts, OpenSearch, SearchParts,
    http::{
        request::JsonBody,
        transport::{SingleNodeConnectionPool, TransportBuilder},
    },
    indices::{IndicesCreateParts, IndicesExistsParts},
    params::Refresh,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::Licence,
    error::describe_chain,
    ports::{
        CatalogEntry, CatalogFilters, CatalogSort, EMBEDDING_DIMENSIONS, FacetCount, Facets,
        SearchIndex, SortKey,
    },
};

/// Amazon OpenSearch Service (or any OpenSearch) as the catalog's search index
/// (`OPENSEARCH_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSearchSettings {
    pub url: String,
    pub index: String,
    /// Sign requests with SigV4 (Amazon OpenSearch Service).
    pub sigv4: bool,
}

pub struct OpenSearchIndex {
    client: OpenSearch,
    index: String,
    /// Set once the index is known to exist (created on first use when missing).
    ensured: tokio::sync::OnceCell<()>,
}

impl OpenSearchIndex {
    /// A client for `url` (`https://search-...es.amazonaws.com` or a local server), signing
    /// requests with SigV4 when `sdk` is given.
    pub fn new(url: &str, index: &str, sdk: Option<&aws_config::SdkConfig>) -> Result<Self> {
        let url = url
            .parse()
            .map_err(|error| Error::Internal(format!("OPENSEARCH_URL is not a URL: {error}")))?;
        let mut transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(Duration::from_secs(10));
        if let Some(sdk) = sdk {
            let credentials = opensearch::auth::Credentials::try_from(sdk).map_err(|error| {
                Error::Internal(format!("OpenSearch SigV4 credentials: {error}"))
            })?;
            transport = transport.auth(credentials).service_name("es");
        }
        let transport = transport.build().map_err(|error| {
            Error::Internal(format!("cannot build the OpenSearch client: {error}"))
        })?;
        Ok(Self {
            client: OpenSearch::new(transport),
            index: index.to_owned(),
            ensured: tokio::sync::OnceCell::new(),
        })
    }

    /// The index mapping: keyword fields for filters and facets, weighted text fields, and
    /// a cosine `knn_vector` (HNSW, Lucene engine, which supports filtered k-NN).
    pub fn mapping() -> Value {
        json!({
            "settings": { "index": { "knn": true, "number_of_shards": 1 } },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "agent_id": { "type": "keyword" },
                    "owner_id": { "type": "keyword" },
                    "name": { "type": "text", "analyzer": "english" },
                    "summary": { "type": "text", "analyzer": "english" },
                    "description": { "type": "text", "analyzer": "english" },
                    "tags": { "type": "keyword", "fields": { "text": { "type": "text" } } },
                    "category": { "type": "keyword" },
                    "language": { "type": "keyword" },
                    "licence": { "type": "keyword" },
                    "provider": { "type": "keyword" },
                    "model": { "type": "keyword" },
                    "price_micros": { "type": "long" },
                    "published_at_us": { "type": "long" },
                    "trending_score": { "type": "long" },
                    "run_count": { "type": "long" },
                    "rating_score": { "type": "long" },
                    "embedding": {
                        "type": "knn_vector",
                        "dimension": EMBEDDING_DIMENSIONS,
                        "method": { "name": "hnsw", "space_type": "cosinesimil", "engine": "lucene" }
                    }
                }
            }
        })
    }

    /// Creates the index with [`Self::mapping`] unless it exists; once per process.
    pub async fn ensure_index(&self) -> Result<()> {
        self.ensured
            .get_or_try_init(|| self.create_index_if_missing())
            .await
            .map(|_| ())
    }

    async fn create_index_if_missing(&self) -> Result<()> {
        let exists = self
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[&self.index]))
            .send()
            .await
            .map_err(transport)?;
        if exists.status_code().is_success() {
            return Ok(());
        }
        let created = self
            .client
            .indices()
            .create(IndicesCreateParts::Index(&self.index))
            .body(Self::mapping())
            .send()
            .await
            .map_err(transport)?;
        checked(created, "create the index").await.map(|_| ())
    }

    /// The document of one entry.
    pub fn document(entry: &CatalogEntry) -> Value {
        let spec = &entry.spec;
        json!({
            "agent_id": entry.agent_id,
            "owner_id": entry.owner_id,
            "name": spec.name,
            "summary": spec.summary,
            "description": spec.description.chars().take(4000).collect::<String>(),
            "tags": spec.tags,
            "category": spec.category,
            "language": spec.language,
            "licence": match spec.licence { Licence::Open => "open", Licence::Sealed => "sealed" },
            "provider": spec.model.provider.as_str(),
            "model": spec.model.name,
            "price_micros": spec.price_per_run.micros(),
            "published_at_us": entry.published_at.timestamp_micros(),
            "trending_score": 0,
            "run_count": 0,
            "rating_score": 3500,
            "embedding": entry.embedding,
        })
    }

    /// The filter clauses of a query.
    pub fn filters(f: &CatalogFilters) -> Vec<Value> {
        let mut clauses = Vec::new();
        let mut term = |field: &str, value: &Option<String>| {
            if let Some(value) = value {
                clauses.push(json!({ "term": { field: value } }));
            }
        };
        term("owner_id", &f.owner_id.map(|id| id.to_string()));
        term("category", &f.category);
        term("provider", &f.provider);
        term("model", &f.model);
        term("language", &f.language);
        term("licence", &f.licence);
        for tag in &f.tags {
            clauses.push(json!({ "term": { "tags": tag } }));
        }
        if f.min_price_micros.is_some() || f.max_price_micros.is_some() {
            let mut range = serde_json::Map::new();
            if let Some(min) = f.min_price_micros {
                range.insert("gte".into(), json!(min));
            }
            if let Some(max) = f.max_price_micros {
                range.insert("lte".into(), json!(max));
            }
            clauses.push(json!({ "range": { "price_micros": range } }));
        }
        clauses
    }

    /// The keyword query: weighted fields, fuzziness for typos, the filters.
    pub fn keyword_body(filters: &CatalogFilters, text: &str, size: usize) -> Value {
        json!({
            "size": size,
            "_source": ["agent_id"],
            "query": { "bool": {
                "must": [{ "multi_match": {
                    "query": text,
                    "fields": ["name^3", "tags.text^3", "summary^2", "description"],
                    "fuzziness": "AUTO",
                    "operator": "or"
                }}],
                "filter": Self::filters(filters)
            }}
        })
    }

    /// The k-NN query (OpenSearch's documented `knn` query with efficient filtering).
    pub fn knn_body(filters: &CatalogFilters, embedding: &[f32], size: usize) -> Value {
        let mut knn = json!({ "vector": embedding, "k": size });
        let filters = Self::filters(filters);
        if !filters.is_empty() {
            knn["filter"] = json!({ "bool": { "filter": filters } });
        }
        json!({
            "size": size,
            "_source": ["agent_id"],
            "query": { "knn": { "embedding": knn } }
        })
    }

    /// A browse page: the filters, sorted, paged with `search_after`.
    pub fn browse_body(
        filters: &CatalogFilters,
        sort: CatalogSort,
        after: Option<SortKey>,
        limit: usize,
    ) -> Value {
        let field = sort_field(sort);
        let mut body = json!({
            "size": limit,
            "_source": ["agent_id", field],
            "query": { "bool": { "filter": Self::filters(filters) } },
            "sort": [{ field: "desc" }, { "agent_id": "desc" }]
        });
        if let Some(SortKey { key, id }) = after {
            body["search_after"] = json!([key, id.to_string()]);
        }
        body
    }

    /// The facet aggregations over the filters, or over the ranked results of a search.
    pub fn facets_body(filters: &CatalogFilters, ranked: Option<&[Uuid]>) -> Value {
        let mut filters = Self::filters(filters);
        if let Some(ids) = ranked {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            filters.push(json!({ "terms": { "agent_id": ids } }));
        }
        let bool = json!({ "filter": filters });
        let terms = |field: &str| json!({ "terms": { "field": field, "size": 20 } });
        json!({
            "size": 0,
            "query": { "bool": bool },
            "aggs": {
                "category": terms("category"),
                "tags": terms("tags"),
                "provider": terms("provider"),
                "language": terms("language"),
                "licence": terms("licence")
            }
        })
    }

    async fn search_raw(&self, body: Value) -> Result<Value> {
        let response = self
            .client
            .search(SearchParts::Index(&[&self.index]))
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        checked(response, "search").await
    }

    async fn ranked_ids(&self, body: Value) -> Result<Vec<Uuid>> {
        let result = self.search_raw(body).await?;
        Ok(hits(&result)
            .iter()
            .filter_map(|hit| hit["_source"]["agent_id"].as_str()?.parse().ok())
            .collect())
    }
}

fn sort_field(sort: CatalogSort) -> &'static str {
    match sort {
        CatalogSort::Newest | CatalogSort::Relevance => "published_at_us",
        CatalogSort::Trending => "trending_score",
        CatalogSort::MostUsed => "run_count",
        CatalogSort::TopRated => "rating_score",
    }
}

fn hits(result: &Value) -> Vec<Value> {
    result["hits"]["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn transport(error: opensearch::Error) -> Error {
    Error::Unavailable {
        dependency: "search index",
        cause: describe_chain(&error),
    }
}

/// The JSON of a successful answer, or the error OpenSearch gave.
async fn checked(response: opensearch::http::response::Response, action: &str) -> Result<Value> {
    let status = response.status_code();
    let body: Value = response.json().await.map_err(transport)?;
    if status.is_success() {
        Ok(body)
    } else if status.as_u16() == 429 || status.is_server_error() {
        Err(Error::Unavailable {
            dependency: "search index",
            cause: format!("{action}: {status} {}", body["error"]),
        })
    } else {
        Err(Error::Internal(format!(
            "OpenSearch refused to {action}: {status} {}",
            body["error"]
        )))
    }
}

#[async_trait]
impl SearchIndex for OpenSearchIndex {
    async fn index_agents(&self, entries: &[CatalogEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.ensure_index().await?;
        let mut lines: Vec<JsonBody<Value>> = Vec::with_capacity(entries.len() * 2);
        for entry in entries {
            lines.push(json!({ "index": { "_id": entry.agent_id.to_string() } }).into());
            lines.push(Self::document(entry).into());
        }
        let response = self
            .client
            .bulk(BulkParts::Index(&self.index))
            .refresh(Refresh::WaitFor)
            .body(lines)
            .send()
            .await
            .map_err(transport)?;
        let result = checked(response, "index agents").await?;
        if result["errors"].as_bool() == Some(true) {
            return Err(Error::Internal(format!(
                "OpenSearch refused some documents: {}",
                result["items"]
            )));
        }
        Ok(())
    }

    async fn remove_agent(&self, agent_id: Uuid) -> Result<()> {
        let response = self
            .client
            .delete(DeleteParts::IndexId(&self.index, &agent_id.to_string()))
            .refresh(Refresh::WaitFor)
            .send()
            .await
            .map_err(transport)?;
        if response.status_code().as_u16() == 404 {
            return Ok(());
        }
        checked(response, "remove an agent").await.map(|_| ())
    }

    async fn keyword_ids(
        &self,
        filters: &CatalogFilters,
        text: &str,
        depth: usize,
    ) -> Result<Vec<Uuid>> {
        self.ensure_index().await?;
        self.ranked_ids(Self::keyword_body(filters, text, depth))
            .await
    }

    async fn semantic_ids(
        &self,
        filters: &CatalogFilters,
        embedding: &[f32],
        depth: usize,
    ) -> Result<Vec<Uuid>> {
        self.ensure_index().await?;
        self.ranked_ids(Self::knn_body(filters, embedding, depth))
            .await
    }

    /// `ids` in `sort` order (search results sorted by something other than relevance).
    async fn sorted(&self, ids: &[Uuid], sort: CatalogSort) -> Result<Vec<Uuid>> {
        let field = sort_field(sort);
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        self.ranked_ids(json!({
            "size": ids.len(),
            "_source": ["agent_id"],
            "query": { "ids": { "values": ids } },
            "sort": [{ field: "desc" }, { "agent_id": "desc" }]
        }))
        .await
    }

    async fn browse(
        &self,
        filters: &CatalogFilters,
        sort: CatalogSort,
        after: Option<SortKey>,
        limit: usize,
    ) -> Result<Vec<SortKey>> {
        self.ensure_index().await?;
        let result = self
            .search_raw(Self::browse_body(filters, sort, after, limit))
            .await?;
        let field = sort_field(sort);
        Ok(hits(&result)
            .iter()
            .filter_map(|hit| {
                Some(SortKey {
                    id: hit["_source"]["agent_id"].as_str()?.parse().ok()?,
                    key: hit["_source"][field].as_i64().unwrap_or(0),
                })
            })
            .collect())
    }

    async fn facets(&self, filters: &CatalogFilters, within: Option<&[Uuid]>) -> Result<Facets> {
        self.ensure_index().await?;
        let result = self.search_raw(Self::facets_body(filters, within)).await?;
        let buckets = |name: &str| -> Vec<FacetCount> {
            result["aggregations"][name]["buckets"]
                .as_array()
                .map(|buckets| {
                    buckets
                        .iter()
                        .filter_map(|b| {
                            Some(FacetCount {
                                value: b["key"].as_str()?.to_owned(),
                                count: b["doc_count"].as_i64()?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Facets {
            category: buckets("category"),
            tags: buckets("tags"),
            provider: buckets("provider"),
            language: buckets("language"),
            licence: buckets("licence"),
        })
    }
}

#[async_trait]
impl crate::ports::DependencyProbe for OpenSearchIndex {
    fn name(&self) -> &'static str {
        "search index"
    }

    async fn probe(&self) -> Result<(), String> {
        let response = self
            .client
            .ping()
            .send()
            .await
            .map_err(|error| describe_chain(&error))?;
        if response.status_code().is_success() {
            Ok(())
        } else {
            Err(format!("OpenSearch answered {}", response.status_code()))
        }
    }
}
