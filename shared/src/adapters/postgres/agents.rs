//! The catalog on PostgreSQL: agents, versions, categories, libraries and forks
//! ([`AgentStore`] and its siblings).

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Db;
use crate::{
    Error, Result,
    domain::AgentSpec,
    ports::{
        AgentCard, AgentDirectory, AgentLibrary, AgentListings, AgentRecord, AgentStatus,
        AgentStore, AuditRecord, Category, CategoryStore, CreateAgentError, CreatorRecord,
        NewAgent, SavedRecord, SeedAgent, VersionRecord, Visibility,
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
        agent_by_id(&*connection, id).await
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
        insert_agent(&*connection, agent).await?;
        agent_by_id(&*connection, agent.id).await?.ok_or_else(|| {
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
        agent_by_id(&*connection, id)
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
        agent_by_id(&*connection, id)
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
