//! Workflows, their versions and the saved-workflows library on PostgreSQL (their runs:
//! `workflow_runs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Db;
use crate::{
    Error, Result,
    domain::workflow::WorkflowSpec,
    ports::{
        AgentStatus, NewWorkflow, SavedWorkflowRecord, Visibility, WorkflowLibrary, WorkflowQuery,
        WorkflowRecord, WorkflowStore, WorkflowVersionRecord,
    },
};

const WORKFLOW_SELECT: &str = "SELECT w.id, w.owner_id, u.handle AS owner_handle, w.slug,
        w.visibility, w.status, w.draft, w.latest_version, w.fork_count, w.run_count, w.save_count,
        w.created_at, w.updated_at,
        (SELECT fu.handle || '/' || f.slug FROM workflows f JOIN users fu ON fu.id = f.owner_id
          WHERE f.id = w.forked_from) AS forked_from
    FROM workflows w JOIN users u ON u.id = w.owner_id";

pub(super) fn spec_from(value: serde_json::Value) -> Result<WorkflowSpec> {
    serde_json::from_value(value)
        .map_err(|error| Error::Internal(format!("a stored workflow does not parse: {error}")))
}

pub(super) fn spec_json(spec: &WorkflowSpec) -> Result<serde_json::Value> {
    serde_json::to_value(spec)
        .map_err(|error| Error::Internal(format!("a workflow does not serialise: {error}")))
}

fn workflow_from(row: &Row) -> Result<WorkflowRecord> {
    Ok(WorkflowRecord {
        id: row.get("id"),
        owner_id: row.get("owner_id"),
        owner_handle: row.get("owner_handle"),
        slug: row.get("slug"),
        visibility: Visibility::from_stored(row.get("visibility")),
        status: AgentStatus::from_stored(row.get("status")),
        draft: spec_from(row.get("draft"))?,
        latest_version: row.get("latest_version"),
        forked_from: row.get("forked_from"),
        fork_count: i64::from(row.get::<_, i32>("fork_count")),
        run_count: row.get("run_count"),
        save_count: i64::from(row.get::<_, i32>("save_count")),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

fn version_from(row: &Row) -> Result<WorkflowVersionRecord> {
    Ok(WorkflowVersionRecord {
        version: row.get("version"),
        spec: spec_from(row.get("spec"))?,
        changelog: row.get("changelog"),
        created_at: row.get("created_at"),
    })
}

#[async_trait]
impl WorkflowStore for Db {
    async fn create_workflow(&self, workflow: &NewWorkflow) -> Result<()> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let inserted = transaction
            .execute(
                "INSERT INTO workflows (id, owner_id, slug, visibility, draft, forked_from)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (owner_id, slug) DO NOTHING",
                &[
                    &workflow.id,
                    &workflow.owner_id,
                    &workflow.slug,
                    &workflow.visibility.as_str(),
                    &spec_json(&workflow.draft)?,
                    &workflow.forked_from,
                ],
            )
            .await?;
        if inserted == 0 {
            return Err(Error::Conflict(format!(
                "You already have a workflow named `{}`; choose another slug.",
                workflow.slug
            )));
        }
        if let Some(original) = workflow.forked_from {
            transaction
                .execute(
                    "UPDATE workflows SET fork_count = fork_count + 1 WHERE id = $1",
                    &[&original],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn find_workflow(&self, handle: &str, slug: &str) -> Result<Option<WorkflowRecord>> {
        let connection = self.connection().await?;
        let statement = connection
            .prepare_cached(&format!(
                "{WORKFLOW_SELECT} WHERE u.handle = $1 AND w.slug = $2"
            ))
            .await?;
        connection
            .query_opt(&statement, &[&handle, &slug])
            .await?
            .as_ref()
            .map(workflow_from)
            .transpose()
    }

    async fn find_workflow_by_id(&self, id: Uuid) -> Result<Option<WorkflowRecord>> {
        let connection = self.connection().await?;
        connection
            .query_opt(&format!("{WORKFLOW_SELECT} WHERE w.id = $1"), &[&id])
            .await?
            .as_ref()
            .map(workflow_from)
            .transpose()
    }

    async fn update_workflow(
        &self,
        id: Uuid,
        draft: &WorkflowSpec,
        visibility: Visibility,
    ) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "UPDATE workflows SET draft = $2, visibility = $3, updated_at = now() WHERE id = $1",
                &[&id, &spec_json(draft)?, &visibility.as_str()],
            )
            .await?;
        Ok(())
    }

    async fn publish_workflow(&self, id: Uuid, changelog: &str) -> Result<i32> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        // The row lock numbers concurrent publishes one after the other.
        let row = transaction
            .query_one(
                "SELECT draft, COALESCE(latest_version, 0) + 1 AS next FROM workflows
                 WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?;
        let draft: serde_json::Value = row.get("draft");
        let version: i32 = row.get("next");
        transaction
            .execute(
                "INSERT INTO workflow_versions (workflow_id, version, spec, changelog)
                 VALUES ($1, $2, $3, $4)",
                &[&id, &version, &draft, &changelog],
            )
            .await?;
        transaction
            .execute(
                "UPDATE workflows SET latest_version = $2, status = 'published', updated_at = now(),
                     search = setweight(to_tsvector('simple', coalesce($3::jsonb ->> 'name', '')), 'A')
                           || setweight(to_tsvector('simple', coalesce($3::jsonb ->> 'summary', '')), 'B')
                           || setweight(to_tsvector('simple', coalesce($3::jsonb ->> 'tags', '')), 'B')
                           || setweight(to_tsvector('english', coalesce($3::jsonb ->> 'description', '')), 'C')
                 WHERE id = $1",
                &[&id, &version, &draft],
            )
            .await?;
        transaction.commit().await?;
        Ok(version)
    }

    async fn find_workflow_version(
        &self,
        id: Uuid,
        version: i32,
    ) -> Result<Option<WorkflowVersionRecord>> {
        let connection = self.connection().await?;
        connection
            .query_opt(
                "SELECT version, spec, changelog, created_at FROM workflow_versions
                 WHERE workflow_id = $1 AND version = $2",
                &[&id, &version],
            )
            .await?
            .as_ref()
            .map(version_from)
            .transpose()
    }

    async fn list_workflow_versions(&self, id: Uuid) -> Result<Vec<WorkflowVersionRecord>> {
        let connection = self.connection().await?;
        connection
            .query(
                "SELECT version, spec, changelog, created_at FROM workflow_versions
                 WHERE workflow_id = $1 ORDER BY version DESC",
                &[&id],
            )
            .await?
            .iter()
            .map(version_from)
            .collect()
    }

    async fn list_workflows(&self, query: &WorkflowQuery) -> Result<Vec<WorkflowRecord>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(query.limit).unwrap_or(100);
        let offset = i64::try_from(query.offset).unwrap_or(0);
        let rows = connection
            .query(
                &format!(
                    "{WORKFLOW_SELECT}
                     WHERE (($1::uuid IS NOT NULL AND w.owner_id = $1)
                        OR ($1::uuid IS NULL AND w.status = 'published'
                            AND (w.visibility = 'public' OR ($4 AND w.visibility = 'unlisted'))))
                     AND ($2::text IS NULL OR w.search @@ websearch_to_tsquery('simple', $2))
                     ORDER BY CASE WHEN $2::text IS NULL THEN 0
                                   ELSE ts_rank(w.search, websearch_to_tsquery('simple', $2)) END DESC,
                              w.run_count DESC, w.updated_at DESC, w.id
                     LIMIT $3 OFFSET $5"
                ),
                &[
                    &query.owner_id,
                    &query.text,
                    &limit,
                    &query.include_unlisted,
                    &offset,
                ],
            )
            .await?;
        rows.iter().map(workflow_from).collect()
    }
}

#[async_trait]
impl WorkflowLibrary for Db {
    async fn save_workflow(&self, user_id: Uuid, workflow_id: Uuid) -> Result<DateTime<Utc>> {
        let connection = self.connection().await?;
        // One statement: the library row, and the count when the row is new.
        let row = connection
            .query_one(
                "WITH saved AS (
                     INSERT INTO saved_workflows (user_id, workflow_id) VALUES ($1, $2)
                     ON CONFLICT (user_id, workflow_id) DO NOTHING
                     RETURNING created_at
                 ), counted AS (
                     UPDATE workflows SET save_count = save_count + 1
                     WHERE id = $2 AND EXISTS (SELECT 1 FROM saved)
                 )
                 SELECT created_at FROM saved
                 UNION ALL
                 SELECT created_at FROM saved_workflows WHERE user_id = $1 AND workflow_id = $2
                 LIMIT 1",
                &[&user_id, &workflow_id],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn unsave_workflow(&self, user_id: Uuid, workflow_id: Uuid) -> Result<bool> {
        let connection = self.connection().await?;
        let removed = connection
            .query_opt(
                "WITH removed AS (
                     DELETE FROM saved_workflows WHERE user_id = $1 AND workflow_id = $2
                     RETURNING workflow_id
                 )
                 UPDATE workflows SET save_count = save_count - 1
                 FROM removed WHERE workflows.id = removed.workflow_id
                 RETURNING workflows.id",
                &[&user_id, &workflow_id],
            )
            .await?;
        Ok(removed.is_some())
    }

    async fn list_saved_workflows(
        &self,
        user_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<SavedWorkflowRecord>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let offset = i64::try_from(offset).unwrap_or(0);
        let rows = connection
            .query(
                &format!(
                    "WITH page AS (
                         SELECT s.workflow_id, s.created_at FROM saved_workflows s
                         JOIN workflows w ON w.id = s.workflow_id
                         WHERE s.user_id = $1
                           AND (w.owner_id = $1 OR (w.status = 'published'
                                AND w.visibility <> 'private' AND w.latest_version IS NOT NULL))
                         ORDER BY s.created_at DESC, s.workflow_id LIMIT $2 OFFSET $3
                     )
                     SELECT page.created_at AS saved_at, listed.* FROM page
                     CROSS JOIN LATERAL ({WORKFLOW_SELECT} WHERE w.id = page.workflow_id) listed
                     ORDER BY page.created_at DESC, page.workflow_id"
                ),
                &[&user_id, &limit, &offset],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SavedWorkflowRecord {
                    workflow: workflow_from(row)?,
                    saved_at: row.get("saved_at"),
                })
            })
            .collect()
    }
}
