//! The catalog on PostgreSQL: agents, versions, categories, libraries and forks
//! ([`AgentStore`]), and the default [`SearchIndex`]: the listing columns of `agents`
//! searched with weighted full text, trigrams (typos) and pgvector (meaning).

use std::fmt::Write as _;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::{Row, types::ToSql};
use uuid::Uuid;

use super::Db;
use crate::{
    Error, Result,
    adapters::ranking,
    domain::AgentSpec,
    ports::{
        AgentCard, AgentDirectory, AgentLibrary, AgentListings, AgentRecord, AgentStatus,
        AgentStore, AuditRecord, CatalogEntry, CatalogPage, CatalogQuery, CatalogSort, Category,
        CategoryStore, CreateAgentError, CreatorRecord, FacetCount, Facets, NewAgent, PageStart,
        SavedRecord, SearchIndex, SearchMode, SeedAgent, VersionRecord, Visibility,
    },
};

const AGENT_SELECT: &str = "
    SELECT a.id, a.owner_id, u.handle AS owner_handle, u.display_name AS owner_name, a.slug,
           a.visibility, a.status, a.delist_reason, a.draft, a.draft_updated_at,
           a.latest_version, fu.handle || '/' || f.slug AS forked_from_address,
           a.forked_from_version, a.fork_count, a.save_count, a.view_count, a.run_count,
           a.is_demo, a.created_at, a.updated_at, a.published_at
    FROM agents a
    JOIN users u ON u.id = a.owner_id
    LEFT JOIN agents f ON f.id = a.forked_from
    LEFT JOIN users fu ON fu.id = f.owner_id";

fn spec_from(value: serde_json::Value) -> Result<AgentSpec> {
    serde_json::from_value(value).map_err(|error| {
        Error::Internal(format!("a stored agent definition does not parse: {error}"))
    })
}

fn agent_from(row: &Row) -> Result<AgentRecord> {
    let forked_from: Option<String> = row.get("forked_from_address");
    let forked_version: Option<i32> = row.get("forked_from_version");
    Ok(AgentRecord {
        id: row.get("id"),
        owner_id: row.get("owner_id"),
        owner_handle: row.get("owner_handle"),
        owner_name: row.get("owner_name"),
        slug: row.get("slug"),
        visibility: Visibility::from_stored(row.get("visibility")),
        status: AgentStatus::from_stored(row.get("status")),
        delist_reason: row.get("delist_reason"),
        draft: spec_from(row.get("draft"))?,
        draft_updated_at: row.get("draft_updated_at"),
        latest_version: row.get("latest_version"),
        forked_from: forked_from.zip(forked_version),
        fork_count: row.get("fork_count"),
        save_count: row.get("save_count"),
        view_count: row.get("view_count"),
        run_count: row.get("run_count"),
        is_demo: row.get("is_demo"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        published_at: row.get("published_at"),
    })
}

fn version_from(row: &Row) -> Result<VersionRecord> {
    Ok(VersionRecord {
        version: row.get("version"),
        spec: spec_from(row.get("spec"))?,
        changelog: row.get("changelog"),
        created_at: row.get("created_at"),
        deprecated_at: row.get("deprecated_at"),
        deprecation_note: row.get("deprecation_note"),
    })
}

fn draft_json(spec: &AgentSpec) -> Result<serde_json::Value> {
    serde_json::to_value(spec)
        .map_err(|error| Error::Internal(format!("cannot encode a definition: {error}")))
}

async fn agent_by_id(client: &impl GenericClient, id: Uuid) -> Result<Option<AgentRecord>> {
    client
        .query_opt(&format!("{AGENT_SELECT} WHERE a.id = $1"), &[&id])
        .await?
        .as_ref()
        .map(agent_from)
        .transpose()
}

async fn insert_agent(
    client: &impl GenericClient,
    agent: &NewAgent,
) -> Result<(), CreateAgentError> {
    let (forked_from, forked_version) = agent.forked_from.unzip();
    client
        .execute(
            "INSERT INTO agents (id, owner_id, slug, visibility, draft, forked_from,
                                 forked_from_version, is_demo)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &agent.id,
                &agent.owner_id,
                &agent.slug.as_str(),
                &agent.visibility.as_str(),
                &draft_json(&agent.draft)?,
                &forked_from,
                &forked_version,
                &agent.is_demo,
            ],
        )
        .await
        .map_err(|error| {
            let taken = error
                .as_db_error()
                .is_some_and(|db| db.constraint() == Some("agents_owner_slug_key"));
            if taken {
                CreateAgentError::SlugTaken
            } else {
                CreateAgentError::Other(error.into())
            }
        })?;
    Ok(())
}

#[async_trait]
impl AgentDirectory for Db {
    async fn find_agent(&self, handle: &str, slug: &str) -> Result<Option<AgentRecord>> {
        let connection = self.connection().await?;
        // Every run resolves its agent: the statement is prepared once per connection.
        let statement = connection
            .prepare_cached(&format!(
                "{AGENT_SELECT} WHERE u.handle = $1 AND a.slug = $2"
            ))
            .await?;
        connection
            .query_opt(&statement, &[&handle, &slug])
            .await?
            .as_ref()
            .map(agent_from)
            .transpose()
    }

    async fn find_agent_by_id(&self, id: Uuid) -> Result<Option<AgentRecord>> {
        let connection = self.connection().await?;
        agent_by_id(&connection, id).await
    }

    async fn find_version(&self, id: Uuid, version: i32) -> Result<Option<VersionRecord>> {
        let connection = self.connection().await?;
        let statement = connection
            .prepare_cached(
                "SELECT version, spec, changelog, created_at, deprecated_at, deprecation_note
                 FROM agent_versions WHERE agent_id = $1 AND version = $2",
            )
            .await?;
        connection
            .query_opt(&statement, &[&id, &version])
            .await?
            .as_ref()
            .map(version_from)
            .transpose()
    }

    async fn list_versions(&self, id: Uuid) -> Result<Vec<VersionRecord>> {
        let connection = self.connection().await?;
        connection
            .query(
                "SELECT version, spec, changelog, created_at, deprecated_at, deprecation_note
                 FROM agent_versions WHERE agent_id = $1 ORDER BY version DESC",
                &[&id],
            )
            .await?
            .iter()
            .map(version_from)
            .collect()
    }
}

#[async_trait]
impl AgentStore for Db {
    async fn create_agent(&self, agent: &NewAgent) -> Result<AgentRecord, CreateAgentError> {
        let connection = self.connection().await?;
        insert_agent(&connection, agent).await?;
        agent_by_id(&connection, agent.id).await?.ok_or_else(|| {
            CreateAgentError::Other(Error::Internal("a created agent vanished".into()))
        })
    }

    async fn update_agent(
        &self,
        id: Uuid,
        draft: Option<&AgentSpec>,
        visibility: Option<Visibility>,
    ) -> Result<AgentRecord> {
        let connection = self.connection().await?;
        let draft = draft.map(draft_json).transpose()?;
        connection
            .execute(
                "UPDATE agents SET
                     draft = COALESCE($2, draft),
                     draft_updated_at = CASE WHEN $2::jsonb IS NULL THEN draft_updated_at ELSE now() END,
                     visibility = COALESCE($3, visibility),
                     updated_at = now()
                 WHERE id = $1",
                &[&id, &draft, &visibility.map(Visibility::as_str)],
            )
            .await?;
        agent_by_id(&connection, id)
            .await?
            .ok_or_else(|| Error::NotFound("No agent has this address.".into()))
    }

    async fn publish_version(&self, id: Uuid, changelog: &str) -> Result<VersionRecord> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        // The row lock serialises concurrent publishes: version numbers never collide.
        transaction
            .execute("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", &[&id])
            .await?;
        let row = transaction
            .query_one(
                "INSERT INTO agent_versions (agent_id, version, spec, changelog)
                 SELECT id, COALESCE((SELECT max(version) FROM agent_versions WHERE agent_id = $1), 0) + 1,
                        draft, $2
                 FROM agents WHERE id = $1
                 RETURNING version, spec, changelog, created_at, deprecated_at, deprecation_note",
                &[&id, &changelog],
            )
            .await?;
        let version: i32 = row.get("version");
        transaction
            .execute(
                "UPDATE agents SET latest_version = $2,
                     status = CASE WHEN status = 'delisted' THEN status ELSE 'published' END,
                     published_at = COALESCE(published_at, now()), updated_at = now()
                 WHERE id = $1",
                &[&id, &version],
            )
            .await?;
        transaction.commit().await?;
        version_from(&row)
    }

    async fn set_latest_version(&self, id: Uuid, version: i32) -> Result<AgentRecord> {
        let connection = self.connection().await?;
        connection
            .execute(
                "UPDATE agents SET latest_version = $2, updated_at = now() WHERE id = $1",
                &[&id, &version],
            )
            .await?;
        agent_by_id(&connection, id)
            .await?
            .ok_or_else(|| Error::NotFound("No agent has this address.".into()))
    }

    async fn deprecate_version(
        &self,
        id: Uuid,
        version: i32,
        note: &str,
    ) -> Result<Option<VersionRecord>> {
        let connection = self.connection().await?;
        connection
            .query_opt(
                "UPDATE agent_versions SET deprecated_at = COALESCE(deprecated_at, now()),
                     deprecation_note = $3
                 WHERE agent_id = $1 AND version = $2
                 RETURNING version, spec, changelog, created_at, deprecated_at, deprecation_note",
                &[&id, &version, &note],
            )
            .await?
            .as_ref()
            .map(version_from)
            .transpose()
    }

    async fn set_delisted(
        &self,
        id: Uuid,
        reason: Option<&str>,
        audit: &AuditRecord,
    ) -> Result<AgentRecord> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        transaction
            .execute(
                "UPDATE agents SET
                     status = CASE WHEN $2::text IS NOT NULL THEN 'delisted'
                                   WHEN latest_version IS NULL THEN 'draft' ELSE 'published' END,
                     delist_reason = $2, updated_at = now()
                 WHERE id = $1",
                &[&id, &reason],
            )
            .await?;
        super::accounts::insert_audit(&transaction, audit).await?;
        let agent = agent_by_id(&transaction, id)
            .await?
            .ok_or_else(|| Error::NotFound("No agent has this address.".into()))?;
        transaction.commit().await?;
        Ok(agent)
    }

    async fn create_fork(&self, fork: &NewAgent) -> Result<AgentRecord, CreateAgentError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        insert_agent(&transaction, fork).await?;
        if let Some((original, _)) = fork.forked_from {
            transaction
                .execute(
                    "UPDATE agents SET fork_count = fork_count + 1 WHERE id = $1",
                    &[&original],
                )
                .await
                .map_err(Error::from)?;
        }
        let agent = agent_by_id(&transaction, fork.id).await?.ok_or_else(|| {
            CreateAgentError::Other(Error::Internal("a created fork vanished".into()))
        })?;
        transaction.commit().await.map_err(Error::from)?;
        Ok(agent)
    }

    async fn list_owned_agents(&self, owner_id: Uuid) -> Result<Vec<AgentRecord>> {
        let connection = self.connection().await?;
        connection
            .query(
                &format!(
                    "{AGENT_SELECT} WHERE a.owner_id = $1 ORDER BY a.updated_at DESC, a.id DESC"
                ),
                &[&owner_id],
            )
            .await?
            .iter()
            .map(agent_from)
            .collect()
    }

    async fn insert_published_agents(
        &self,
        owner_id: Uuid,
        agents: &[SeedAgent],
    ) -> Result<Vec<Uuid>> {
        let ids: Vec<Uuid> = agents.iter().map(|a| a.id).collect();
        let slugs: Vec<&str> = agents.iter().map(|a| a.slug.as_str()).collect();
        let specs = agents
            .iter()
            .map(|a| draft_json(&a.spec))
            .collect::<Result<Vec<_>>>()?;
        let demo: Vec<bool> = agents.iter().map(|a| a.is_demo).collect();
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let inserted: Vec<Uuid> = transaction
            .query(
                "INSERT INTO agents (id, owner_id, slug, visibility, status, draft, latest_version,
                                     is_demo, published_at)
                 SELECT v.id, $1, v.slug, 'public', 'published', v.spec, 1, v.demo, now()
                 FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::bool[]) AS v(id, slug, spec, demo)
                 ON CONFLICT (owner_id, slug) DO NOTHING
                 RETURNING id",
                &[&owner_id, &ids, &slugs, &specs, &demo],
            )
            .await?
            .iter()
            .map(|row| row.get("id"))
            .collect();
        transaction
            .execute(
                "INSERT INTO agent_versions (agent_id, version, spec, changelog)
                 SELECT id, 1, draft, 'First release' FROM agents WHERE id = ANY($1)",
                &[&inserted],
            )
            .await?;
        transaction.commit().await?;
        Ok(inserted)
    }
}

#[async_trait]
impl AgentLibrary for Db {
    async fn save_agent(&self, user_id: Uuid, agent_id: Uuid, pinned: Option<i32>) -> Result<()> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let inserted = transaction
            .query_one(
                "INSERT INTO saved_agents (user_id, agent_id, pinned_version) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, agent_id) DO UPDATE SET pinned_version = EXCLUDED.pinned_version
                 RETURNING (xmax = 0) AS inserted",
                &[&user_id, &agent_id, &pinned],
            )
            .await?
            .get::<_, bool>("inserted");
        if inserted {
            transaction
                .execute(
                    "UPDATE agents SET save_count = save_count + 1 WHERE id = $1",
                    &[&agent_id],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn unsave_agent(&self, user_id: Uuid, agent_id: Uuid) -> Result<bool> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let removed = transaction
            .execute(
                "DELETE FROM saved_agents WHERE user_id = $1 AND agent_id = $2",
                &[&user_id, &agent_id],
            )
            .await?
            > 0;
        if removed {
            transaction
                .execute(
                    "UPDATE agents SET save_count = save_count - 1 WHERE id = $1",
                    &[&agent_id],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(removed)
    }

    async fn list_saved_agents(&self, user_id: Uuid) -> Result<Vec<SavedRecord>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                &format!(
                    "{AGENT_SELECT}, saved_agents s
                     WHERE s.agent_id = a.id AND s.user_id = $1
                     ORDER BY s.created_at DESC"
                )
                .replace(
                    "SELECT a.id,",
                    "SELECT s.pinned_version AS saved_pinned, s.created_at AS saved_at, a.id,",
                ),
                &[&user_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SavedRecord {
                    agent: agent_from(row)?,
                    pinned_version: row.get("saved_pinned"),
                    saved_at: row.get("saved_at"),
                })
            })
            .collect()
    }
}

#[async_trait]
impl CategoryStore for Db {
    async fn list_categories(&self) -> Result<Vec<Category>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT c.slug, c.name, c.description, c.position,
                        (SELECT count(*) FROM agents a WHERE a.listed AND a.category = c.slug) AS agent_count
                 FROM categories c ORDER BY c.position, c.slug",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| Category {
                slug: row.get("slug"),
                name: row.get("name"),
                description: row.get("description"),
                position: row.get("position"),
                agent_count: row.get("agent_count"),
            })
            .collect())
    }

    async fn upsert_category(&self, category: &Category) -> Result<Category> {
        let connection = self.connection().await?;
        connection
            .execute(
                "INSERT INTO categories (slug, name, description, position) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name,
                     description = EXCLUDED.description, position = EXCLUDED.position",
                &[
                    &category.slug,
                    &category.name,
                    &category.description,
                    &category.position,
                ],
            )
            .await?;
        let mut saved = category.clone();
        saved.agent_count = connection
            .query_one(
                "SELECT count(*) FROM agents WHERE listed AND category = $1",
                &[&category.slug],
            )
            .await?
            .get(0);
        Ok(saved)
    }
}

#[async_trait]
impl AgentListings for Db {
    async fn agent_cards(&self, ids: &[Uuid]) -> Result<Vec<AgentCard>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT a.id, u.handle, a.slug, u.display_name, v.version, a.save_count, a.fork_count,
                        a.run_count, a.view_count, a.is_demo, a.published_at,
                        v.spec->>'name' AS name, v.spec->>'summary' AS summary,
                        v.spec->>'category' AS category, v.spec->'tags' AS tags,
                        v.spec->>'icon' AS icon, v.spec->'licence' AS licence,
                        v.spec->'price_per_run' AS price, v.spec->'model'->>'provider' AS provider,
                        v.spec->'model'->>'name' AS model
                 FROM agents a
                 JOIN users u ON u.id = a.owner_id
                 JOIN agent_versions v ON v.agent_id = a.id AND v.version = a.latest_version
                 WHERE a.id = ANY($1)",
                &[&ids],
            )
            .await?;
        let mut cards = Vec::with_capacity(rows.len());
        for row in &rows {
            let parse = |name: &str| -> Result<serde_json::Value> {
                Ok(row
                    .get::<_, Option<serde_json::Value>>(name)
                    .unwrap_or(serde_json::Value::Null))
            };
            let handle: String = row.get("handle");
            let slug: String = row.get("slug");
            let corrupt =
                |what: &str| Error::Internal(format!("a stored version has a bad {what}"));
            cards.push(AgentCard {
                id: row.get("id"),
                address: format!("{handle}/{slug}"),
                handle,
                slug,
                creator_name: row.get("display_name"),
                name: row.get::<_, Option<String>>("name").unwrap_or_default(),
                summary: row.get::<_, Option<String>>("summary").unwrap_or_default(),
                category: row.get::<_, Option<String>>("category").unwrap_or_default(),
                tags: serde_json::from_value(parse("tags")?).unwrap_or_default(),
                icon: row.get("icon"),
                licence: serde_json::from_value(parse("licence")?)
                    .map_err(|_| corrupt("licence"))?,
                price_per_run: serde_json::from_value::<Option<crate::domain::Credits>>(parse(
                    "price",
                )?)
                .map_err(|_| corrupt("price"))?
                .unwrap_or_default(),
                provider: row.get::<_, Option<String>>("provider").unwrap_or_default(),
                model: row.get::<_, Option<String>>("model").unwrap_or_default(),
                latest_version: row.get("version"),
                save_count: row.get("save_count"),
                fork_count: row.get("fork_count"),
                run_count: row.get("run_count"),
                view_count: row.get("view_count"),
                is_demo: row.get("is_demo"),
                published_at: row
                    .get::<_, Option<chrono::DateTime<chrono::Utc>>>("published_at")
                    .unwrap_or_default(),
            });
        }
        // In the order asked for (a ranking), not the database's.
        cards.sort_by_key(|card| ids.iter().position(|id| *id == card.id));
        Ok(cards)
    }

    async fn find_creator(&self, handle: &str) -> Result<Option<CreatorRecord>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                "SELECT u.id, u.handle, u.display_name, u.bio, u.avatar, u.created_at,
                        count(a.id) AS public_agents,
                        COALESCE(sum(a.save_count), 0)::bigint AS total_saves,
                        COALESCE(sum(a.fork_count), 0)::bigint AS total_forks,
                        COALESCE(sum(a.run_count), 0)::bigint AS total_runs
                 FROM users u LEFT JOIN agents a ON a.owner_id = u.id AND a.listed
                 WHERE u.handle = $1
                 GROUP BY u.id",
                &[&handle],
            )
            .await?;
        Ok(row.map(|row| CreatorRecord {
            user_id: row.get("id"),
            handle: row.get("handle"),
            display_name: row.get("display_name"),
            bio: row.get("bio"),
            avatar: row.get("avatar"),
            joined_at: row.get("created_at"),
            public_agents: row.get("public_agents"),
            total_saves: row.get("total_saves"),
            total_forks: row.get("total_forks"),
            total_runs: row.get("total_runs"),
        }))
    }

    async fn record_view(
        &self,
        agent_id: Uuid,
        viewer: &str,
        day: chrono::NaiveDate,
    ) -> Result<bool> {
        let connection = self.connection().await?;
        let first = connection
            .execute(
                "INSERT INTO agent_views (agent_id, viewer, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&agent_id, &viewer, &day],
            )
            .await?
            > 0;
        if first {
            connection
                .execute(
                    "UPDATE agents SET view_count = view_count + 1,
                         trending_score = (SELECT count(DISTINCT viewer) FROM agent_views
                                           WHERE agent_id = $1 AND day > $2::date - 7)
                     WHERE id = $1",
                    &[&agent_id, &day],
                )
                .await?;
        }
        Ok(first)
    }
}

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
    fn of(query: &CatalogQuery) -> Self {
        let mut conditions = Self {
            sql: vec!["a.listed".to_owned()],
            params: Vec::new(),
        };
        let filters = &query.filters;
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
    /// `ids` in `sort` order (search results sorted by something other than relevance).
    async fn order_by(&self, ids: &[Uuid], sort: CatalogSort) -> Result<Vec<Uuid>> {
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

    /// A browse page: listed agents in `sort` order, keyset-paginated.
    async fn browse(&self, query: &CatalogQuery) -> Result<(Vec<Uuid>, Option<PageStart>)> {
        let mut conditions = Conditions::of(query);
        let (key_sql, order) = match query.sort {
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
        if let PageStart::After { key, id } = &query.start {
            let key_param = conditions.param(*key);
            let id_param = conditions.param(*id);
            let row_key = match query.sort {
                CatalogSort::Newest | CatalogSort::Relevance => "a.published_at".to_owned(),
                CatalogSort::Trending => "a.trending_score".to_owned(),
                CatalogSort::MostUsed => "a.run_count".to_owned(),
                CatalogSort::TopRated => "a.rating_score".to_owned(),
            };
            let bound = match query.sort {
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
        let limit = conditions.param(i64::try_from(query.limit + 1).unwrap_or(101));
        let sql = format!(
            "SELECT a.id, {key_sql} AS sort_key FROM agents a WHERE {} ORDER BY {order} LIMIT {limit}",
            conditions.where_sql()
        );
        let connection = self.connection().await?;
        let rows = connection.query(&sql, &conditions.refs()).await?;
        let mut ids: Vec<(Uuid, i64)> = rows
            .iter()
            .map(|row| (row.get("id"), row.get("sort_key")))
            .collect();
        let next = if ids.len() > query.limit {
            ids.truncate(query.limit);
            ids.last()
                .map(|(id, key)| PageStart::After { key: *key, id: *id })
        } else {
            None
        };
        Ok((ids.into_iter().map(|(id, _)| id).collect(), next))
    }

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

    /// Ids matching the words of the query, best first, at most `depth`: agents with the
    /// words in their name or tags, then in their summary or description, then, when those
    /// are few, the same for the query with misspelled words corrected. Each tier ranks at
    /// most [`CANDIDATES`] matches, so a common word costs no more than a rare one.
    async fn keyword_ids(
        &self,
        query: &CatalogQuery,
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
            let mut conditions = Conditions::of(query);
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
            for id in Box::pin(self.keyword_ids(query, &corrected, depth - ids.len())).await? {
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
        query: &CatalogQuery,
        embedding: &[f32],
        depth: usize,
    ) -> Result<Vec<Uuid>> {
        let filtered = Conditions::of(query).sql.len() > 1;
        let mut nearest = self.nearest(query, embedding, depth, false).await?;
        // Fewer rows than asked: the filters keep fewer than `depth` agents, or the index
        // scan's budget ran out among rows they drop. Either way the rows they keep are few.
        if filtered && nearest.len() < depth {
            nearest = self.nearest(query, embedding, depth, true).await?;
        }
        Ok(nearest
            .into_iter()
            .filter(|(_, distance)| *distance < MAX_DISTANCE)
            .map(|(id, _)| id)
            .collect())
    }

    /// `(id, distance)` of the nearest listed agents the filters keep, nearest first.
    async fn nearest(
        &self,
        query: &CatalogQuery,
        embedding: &[f32],
        depth: usize,
        exact: bool,
    ) -> Result<Vec<(Uuid, f64)>> {
        let mut conditions = Conditions::of(query);
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

    /// Counts per facet value over the agents the filters (and the words) match.
    async fn facets(&self, query: &CatalogQuery, ranked: Option<&[Uuid]>) -> Result<Facets> {
        let mut conditions = Conditions::of(query);
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

    async fn search(&self, query: &CatalogQuery) -> Result<CatalogPage> {
        let text = query.text.as_deref().filter(|text| !text.trim().is_empty());
        let ranked = match text {
            Some(text) => {
                let ranked = match (query.mode, &query.embedding) {
                    (SearchMode::Keyword, _) | (_, None) => {
                        self.keyword_ids(query, text, ranking::RANKED_DEPTH).await?
                    }
                    (SearchMode::Semantic, Some(embedding)) => {
                        self.semantic_ids(query, embedding, ranking::RANKED_DEPTH)
                            .await?
                    }
                    (SearchMode::Hybrid, Some(embedding)) => {
                        let (keyword, semantic) = tokio::try_join!(
                            self.keyword_ids(query, text, ranking::RANKED_DEPTH / 2),
                            self.semantic_ids(query, embedding, ranking::RANKED_DEPTH / 2),
                        )?;
                        ranking::fuse(&keyword, &semantic)
                    }
                };
                Some(match query.sort {
                    CatalogSort::Relevance => ranked,
                    sort => self.order_by(&ranked, sort).await?,
                })
            }
            None => None,
        };
        let (agent_ids, next) = match &ranked {
            Some(ranked) => ranking::page(ranked, &query.start, query.limit),
            None => self.browse(query).await?,
        };
        let facets = if query.facets && query.start == PageStart::First {
            self.facets(query, ranked.as_deref()).await?
        } else {
            Facets::default()
        };
        Ok(CatalogPage {
            agent_ids,
            next,
            facets,
        })
    }
}
