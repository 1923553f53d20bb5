//! The default [`SearchIndex`]: the listing columns of `agents` searched with weighted
//! full text, a vocabulary for typos, and pgvector (meaning) through its HNSW index.

use std::fmt::Write as _;

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::Db;
use crate::{
    Result,
    ports::{CatalogEntry, CatalogFilters, CatalogSort, FacetCount, Facets, SearchIndex, SortKey},
};

/// pgvector's text form of a vector: `[0.1,0.2,...]`.
fn vector_literal(vector: &[f32]) -> String {
    let mut text = String::with_capacity(vector.len() * 10 + 2);
    text.push('[');
    for (index, value) in vector.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        let _ = write!(text, "{value}");
    }
    text.push(']');
    text
}

/// The WHERE clause of a catalog query and its parameters.
struct Conditions {
    sql: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Conditions {
    fn of(filters: &CatalogFilters) -> Self {
        let mut conditions = Self {
            sql: vec!["a.listed".to_owned()],
            params: Vec::new(),
        };
        if let Some(owner) = filters.owner_id {
            conditions.push("a.owner_id = $", owner);
        }
        if let Some(category) = &filters.category {
            conditions.push("a.category = $", category.clone());
        }
        if !filters.tags.is_empty() {
            conditions.push("a.tags @> $", filters.tags.clone());
        }
        if let Some(provider) = &filters.provider {
            conditions.push("a.provider = $", provider.clone());
        }
        if let Some(model) = &filters.model {
            conditions.push("a.model = $", model.clone());
        }
        if let Some(min) = filters.min_price_micros {
            conditions.push("a.price_micros >= $", min);
        }
        if let Some(max) = filters.max_price_micros {
            conditions.push("a.price_micros <= $", max);
        }
        if let Some(language) = &filters.language {
            conditions.push("a.language = $", language.clone());
        }
        if let Some(licence) = &filters.licence {
            conditions.push("a.licence = $", licence.clone());
        }
        conditions
    }

    /// Adds `clause` with its parameter number appended (`a.category = $3`).
    fn push(&mut self, clause: &str, value: impl ToSql + Sync + Send + 'static) {
        self.params.push(Box::new(value));
        self.sql.push(format!("{clause}{}", self.params.len()));
    }

    /// A parameter without a clause; returns its placeholder.
    fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    fn where_sql(&self) -> String {
        self.sql.join(" AND ")
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| &**p as &(dyn ToSql + Sync))
            .collect()
    }
}

/// How many matches one keyword tier ranks at most.
const CANDIDATES: usize = 1000;

/// The largest cosine distance a semantic match may have: beyond it a text shares
/// nothing with the query and is not a result.
const MAX_DISTANCE: f64 = 0.9;

impl Db {
    /// `text` with each word the listings do not use replaced by the closest word they do
    /// (trigram similarity against the vocabulary); `None` when nothing changed.
    async fn corrected(&self, text: &str) -> Result<Option<String>> {
        let words: Vec<String> = text
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| (3..=40).contains(&word.chars().count()))
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            return Ok(None);
        }
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT q.word,
                        COALESCE((SELECT v.word FROM search_vocabulary v WHERE v.word = q.word),
                                 (SELECT v.word FROM search_vocabulary v WHERE v.word % q.word
                                  ORDER BY similarity(v.word, q.word) DESC, v.word LIMIT 1)) AS known
                 FROM unnest($1::text[]) WITH ORDINALITY AS q(word, position)
                 ORDER BY q.position",
                &[&words],
            )
            .await?;
        let corrected: Vec<String> = rows
            .iter()
            .map(|row| {
                row.get::<_, Option<String>>("known")
                    .unwrap_or_else(|| row.get("word"))
            })
            .collect();
        Ok((corrected != words).then(|| corrected.join(" ")))
    }

    /// `(id, distance)` of the nearest listed agents the filters keep, nearest first.
    async fn nearest(
        &self,
        filters: &CatalogFilters,
        embedding: &[f32],
        depth: usize,
        exact: bool,
    ) -> Result<Vec<(Uuid, f64)>> {
        let mut conditions = Conditions::of(filters);
        let vector = conditions.param(vector_literal(embedding));
        let depth = conditions.param(i64::try_from(depth).unwrap_or(100));
        // `+ 0` keeps the planner off the index: an exact ordering of the filtered rows.
        let order = if exact {
            format!("(a.embedding <=> {vector}::text::vector) + 0")
        } else {
            format!("a.embedding <=> {vector}::text::vector")
        };
        let sql = format!(
            "SELECT id, distance FROM (
                 SELECT a.id, a.embedding <=> {vector}::text::vector AS distance FROM agents a
                 WHERE {} AND a.embedding IS NOT NULL
                 ORDER BY {order} LIMIT {depth}
             ) nearest
             ORDER BY distance, id",
            conditions.where_sql()
        );
        let connection = self.connection().await?;
        Ok(connection
            .query(&sql, &conditions.refs())
            .await?
            .iter()
            .map(|row| (row.get("id"), row.get("distance")))
            .collect())
    }
}

#[async_trait]
impl SearchIndex for Db {
    async fn index_agents(&self, entries: &[CatalogEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let column =
            |f: &dyn Fn(&CatalogEntry) -> String| entries.iter().map(f).collect::<Vec<String>>();
        let ids: Vec<Uuid> = entries.iter().map(|e| e.agent_id).collect();
        let names = column(&|e| e.spec.name.clone());
        let summaries = column(&|e| e.spec.summary.clone());
        let categories = column(&|e| e.spec.category.clone());
        // Tags travel as one space-separated string each (arrays of arrays cannot be ragged).
        let tags = column(&|e| e.spec.tags.join(" "));
        let languages = column(&|e| e.spec.language.clone());
        let licences = column(&|e| match e.spec.licence {
            crate::domain::Licence::Open => "open".to_owned(),
            crate::domain::Licence::Sealed => "sealed".to_owned(),
        });
        let providers = column(&|e| e.spec.model.provider.as_str().to_owned());
        let models = column(&|e| e.spec.model.name.clone());
        let prices: Vec<i64> = entries
            .iter()
            .map(|e| e.spec.price_per_run.micros())
            .collect();
        let descriptions = column(&|e| e.spec.description.chars().take(4000).collect());
        let embeddings = column(&|e| vector_literal(&e.embedding));
        let connection = self.connection().await?;
        connection
            .execute(
                "UPDATE agents a SET listed = true, name = v.name, summary = v.summary,
                     category = v.category, tags = string_to_array(v.tags, ' '),
                     language = v.language, licence = v.licence, provider = v.provider,
                     model = v.model, price_micros = v.price,
                     search_text = v.name || ' ' || v.tags || ' ' || v.summary,
                     title_vector = setweight(to_tsvector('english', v.name), 'A')
                                 || setweight(to_tsvector('english', v.tags), 'A'),
                     search_vector = setweight(to_tsvector('english', v.name), 'A')
                                  || setweight(to_tsvector('english', v.tags), 'A')
                                  || setweight(to_tsvector('english', v.summary), 'B')
                                  || setweight(to_tsvector('english', v.description), 'C'),
                     embedding = v.embedding::vector
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                             $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::text[])
                      AS v(id, name, summary, category, tags, language, licence, provider, model,
                           price, description, embedding)
                 WHERE a.id = v.id",
                &[
                    &ids, &names, &summaries, &categories, &tags, &languages, &licences, &providers,
                    &models, &prices, &descriptions, &embeddings,
                ],
            )
            .await?;
        connection
            .execute(
                "INSERT INTO search_vocabulary (word)
                 SELECT DISTINCT w
                 FROM unnest($1::text[]) AS t(text),
                      regexp_split_to_table(lower(t.text), '[^[:alnum:]]+') AS w
                 WHERE length(w) BETWEEN 3 AND 40
                 ON CONFLICT DO NOTHING",
                &[&column(&|e| {
                    format!(
                        "{} {} {}",
                        e.spec.name,
                        e.spec.tags.join(" "),
                        e.spec.summary
                    )
                })],
            )
            .await?;
        Ok(())
    }

    async fn remove_agent(&self, agent_id: Uuid) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "UPDATE agents SET listed = false WHERE id = $1",
                &[&agent_id],
            )
            .await?;
        Ok(())
    }

    /// Ids matching the words of the query, best first, at most `depth`: agents with the
    /// words in their name or tags, then in their summary or description, then, when those
    /// are few, the same for the query with misspelled words corrected. Each tier ranks at
    /// most [`CANDIDATES`] matches, so a common word costs no more than a rare one.
    async fn keyword_ids(
        &self,
        filters: &CatalogFilters,
        text: &str,
        depth: usize,
    ) -> Result<Vec<Uuid>> {
        let connection = self.connection().await?;
        let mut ids: Vec<Uuid> = Vec::new();
        let tiers = [
            "a.title_vector @@ q ORDER BY ts_rank(c.title_vector, q) DESC",
            "a.search_vector @@ q ORDER BY ts_rank_cd(c.search_vector, q, 32) DESC",
        ];
        for tier in tiers {
            if ids.len() >= depth {
                break;
            }
            let (matches, order) = tier.split_once(" ORDER BY ").unwrap_or((tier, ""));
            let mut conditions = Conditions::of(filters);
            let text_param = conditions.param(text.to_owned());
            let found = conditions.param(ids.clone());
            let limit = conditions.param(i64::try_from(depth - ids.len()).unwrap_or(100));
            let sql = format!(
                "WITH q AS (SELECT websearch_to_tsquery('english', {text_param}) AS q),
                 c AS MATERIALIZED (
                     SELECT a.id, a.title_vector, a.search_vector FROM agents a, q
                     WHERE {} AND {matches} AND NOT (a.id = ANY({found}))
                     LIMIT {CANDIDATES}
                 )
                 SELECT c.id FROM c, q ORDER BY {order}, c.id LIMIT {limit}",
                conditions.where_sql()
            );
            ids.extend(
                connection
                    .query(&sql, &conditions.refs())
                    .await?
                    .iter()
                    .map(|row| row.get::<_, Uuid>("id")),
            );
        }
        if ids.len() * 2 < depth
            && let Some(corrected) = self.corrected(text).await?
        {
            for id in Box::pin(self.keyword_ids(filters, &corrected, depth - ids.len())).await? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// Ids nearest in meaning to the query's embedding, at most `depth`.
    ///
    /// The HNSW index answers first, filters applied as its iterative scan goes (pgvector's
    /// `hnsw.iterative_scan`, set on every connection), which is fast however many rows the
    /// filters keep. When filters are so selective that the scan's budget ends before
    /// `depth` matches, the few rows they keep are ordered exactly instead.
    async fn semantic_ids(
        &self,
        filters: &CatalogFilters,
        embedding: &[f32],
        depth: usize,
    ) -> Result<Vec<Uuid>> {
        let filtered = Conditions::of(filters).sql.len() > 1;
        let mut nearest = self.nearest(filters, embedding, depth, false).await?;
        // Fewer rows than asked: the filters keep fewer than `depth` agents, or the index
        // scan's budget ran out among rows they drop. Either way the rows they keep are few.
        if filtered && nearest.len() < depth {
            nearest = self.nearest(filters, embedding, depth, true).await?;
        }
        Ok(nearest
            .into_iter()
            .filter(|(_, distance)| *distance < MAX_DISTANCE)
            .map(|(id, _)| id)
            .collect())
    }

    /// `ids` in `sort` order (search results sorted by something other than relevance).
    async fn sorted(&self, ids: &[Uuid], sort: CatalogSort) -> Result<Vec<Uuid>> {
        let order = match sort {
            CatalogSort::Newest | CatalogSort::Relevance => "published_at DESC, id DESC",
            CatalogSort::Trending => "trending_score DESC, id DESC",
            CatalogSort::MostUsed => "run_count DESC, id DESC",
            CatalogSort::TopRated => "rating_score DESC, id DESC",
        };
        let connection = self.connection().await?;
        Ok(connection
            .query(
                &format!("SELECT id FROM agents WHERE id = ANY($1) ORDER BY {order}"),
                &[&ids],
            )
            .await?
            .iter()
            .map(|row| row.get("id"))
            .collect())
    }

    /// Up to `limit` listed agents in `sort` order after `after`, with their sort keys.
    async fn browse(
        &self,
        filters: &CatalogFilters,
        sort: CatalogSort,
        after: Option<SortKey>,
        limit: usize,
    ) -> Result<Vec<SortKey>> {
        let mut conditions = Conditions::of(filters);
        let (key_sql, order) = match sort {
            CatalogSort::Newest | CatalogSort::Relevance => (
                "(extract(epoch FROM a.published_at) * 1000000)::bigint",
                "a.published_at DESC, a.id DESC",
            ),
            CatalogSort::Trending => (
                "a.trending_score::bigint",
                "a.trending_score DESC, a.id DESC",
            ),
            CatalogSort::MostUsed => ("a.run_count", "a.run_count DESC, a.id DESC"),
            CatalogSort::TopRated => ("a.rating_score", "a.rating_score DESC, a.id DESC"),
        };
        if let Some(SortKey { key, id }) = after {
            let key_param = conditions.param(key);
            let id_param = conditions.param(id);
            let row_key = match sort {
                CatalogSort::Newest | CatalogSort::Relevance => "a.published_at",
                CatalogSort::Trending => "a.trending_score",
                CatalogSort::MostUsed => "a.run_count",
                CatalogSort::TopRated => "a.rating_score",
            };
            let bound = match sort {
                CatalogSort::Newest | CatalogSort::Relevance => {
                    format!("'epoch'::timestamptz + {key_param}::bigint * interval '1 microsecond'")
                }
                CatalogSort::Trending | CatalogSort::MostUsed | CatalogSort::TopRated => {
                    key_param.clone()
                }
            };
            conditions
                .sql
                .push(format!("({row_key}, a.id) < ({bound}, {id_param})"));
        }
        let limit = conditions.param(i64::try_from(limit).unwrap_or(101));
        let sql = format!(
            "SELECT a.id, {key_sql} AS sort_key FROM agents a WHERE {} ORDER BY {order} LIMIT {limit}",
            conditions.where_sql()
        );
        let connection = self.connection().await?;
        let rows = connection.query(&sql, &conditions.refs()).await?;
        Ok(rows
            .iter()
            .map(|row| SortKey {
                key: row.get("sort_key"),
                id: row.get("id"),
            })
            .collect())
    }

    /// Counts per facet value over the agents the filters (and the words) match.
    async fn facets(&self, filters: &CatalogFilters, ranked: Option<&[Uuid]>) -> Result<Facets> {
        let mut conditions = Conditions::of(filters);
        let scope = match ranked {
            Some(ids) => {
                let ids = conditions.param(ids.to_vec());
                format!("{} AND a.id = ANY({ids})", conditions.where_sql())
            }
            None => conditions.where_sql(),
        };
        let sql = format!(
            "SELECT facet, value, count FROM (
                 SELECT CASE WHEN GROUPING(a.category) = 0 THEN 'category'
                             WHEN GROUPING(a.provider) = 0 THEN 'provider'
                             WHEN GROUPING(a.language) = 0 THEN 'language'
                             ELSE 'licence' END AS facet,
                        COALESCE(a.category, a.provider, a.language, a.licence) AS value,
                        count(*) AS count
                 FROM agents a WHERE {scope}
                 GROUP BY GROUPING SETS ((a.category), (a.provider), (a.language), (a.licence))
                 UNION ALL
                 SELECT 'tags', tag, count(*) FROM (
                     SELECT unnest(a.tags) AS tag FROM agents a WHERE {scope}
                 ) t GROUP BY tag
             ) f WHERE value IS NOT NULL
             ORDER BY facet, count DESC, value"
        );
        let connection = self.connection().await?;
        let rows = connection.query(&sql, &conditions.refs()).await?;
        let mut facets = Facets::default();
        for row in rows {
            let count = FacetCount {
                value: row.get("value"),
                count: row.get("count"),
            };
            let list = match row.get::<_, &str>("facet") {
                "category" => &mut facets.category,
                "provider" => &mut facets.provider,
                "language" => &mut facets.language,
                "licence" => &mut facets.licence,
                _ => &mut facets.tags,
            };
            if list.len() < 20 {
                list.push(count);
            }
        }
        Ok(facets)
    }
}
