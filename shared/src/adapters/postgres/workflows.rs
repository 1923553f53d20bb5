//! Workflows and their runs on PostgreSQL. A run's hold moves with the run's rows under
//! the user's account lock; each step's result is written by the first worker to finish
//! it (`status` leaves pending/running once), whatever duplicates race.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Db, credits::ensure_account};
use crate::{
    Error, Result,
    domain::workflow::WorkflowSpec,
    ports::{
        AgentStatus, NewWorkflow, NewWorkflowRun, SavedWorkflowRecord, StartWorkflowRunError,
        StepRecord, StepResult, StepStatus, Visibility, WorkflowFailure, WorkflowLibrary,
        WorkflowQuery, WorkflowRecord, WorkflowRunError, WorkflowRunRecord, WorkflowRunStatus,
        WorkflowRunStore, WorkflowStore, WorkflowVersionRecord,
    },
};

const WORKFLOW_SELECT: &str = "SELECT w.id, w.owner_id, u.handle AS owner_handle, w.slug,
        w.visibility, w.status, w.draft, w.latest_version, w.fork_count, w.run_count, w.save_count,
        w.created_at, w.updated_at,
        (SELECT fu.handle || '/' || f.slug FROM workflows f JOIN users fu ON fu.id = f.owner_id
          WHERE f.id = w.forked_from) AS forked_from
    FROM workflows w JOIN users u ON u.id = w.owner_id";

const RUN_SELECT: &str = "SELECT r.id, r.workflow_id, u.handle || '/' || w.slug AS workflow,
        r.workflow_version, r.user_id, r.spec, r.inputs, r.status, r.outputs, r.error_step,
        r.error_kind, r.error_detail, r.worst_case_micros, r.hold_micros, r.created_at,
        r.finished_at
    FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id JOIN users u ON u.id = w.owner_id";

/// The end of a statement whose `step` part set a step's hold to 0 and returned what it
/// held (`released`) with the run's user: the run and the account let go of that much.
const RELEASE_STEP_HOLD: &str = ", run AS (
         UPDATE workflow_runs SET hold_micros = hold_micros - step.released
         FROM step WHERE id = $1 AND step.released > 0
     ), account AS (
         UPDATE credit_accounts SET held_micros = held_micros - step.released, updated_at = now()
         FROM step WHERE credit_accounts.user_id = step.user_id AND step.released > 0
     )
     SELECT step.released FROM step";

const STEP_COLUMNS: &str = "run_id, step_id, kind, status, attempts, output, error, input_tokens,
    output_tokens, charged_micros, creator_share_micros, run_ids, started_at, finished_at";

fn spec_from(value: serde_json::Value) -> Result<WorkflowSpec> {
    serde_json::from_value(value)
        .map_err(|error| Error::Internal(format!("a stored workflow does not parse: {error}")))
}

fn spec_json(spec: &WorkflowSpec) -> Result<serde_json::Value> {
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

fn step_from(row: &Row) -> StepRecord {
    StepRecord {
        step_id: row.get("step_id"),
        kind: row.get("kind"),
        status: StepStatus::from_stored(row.get("status")),
        attempts: row.get("attempts"),
        output: row.get("output"),
        error: row.get("error"),
        input_tokens: row.get("input_tokens"),
        output_tokens: row.get("output_tokens"),
        charged_micros: row.get("charged_micros"),
        creator_share_micros: row.get("creator_share_micros"),
        run_ids: row.get("run_ids"),
        started_at: row.get("started_at"),
        finished_at: row.get("finished_at"),
    }
}

fn run_from(row: &Row, steps: Vec<StepRecord>) -> Result<WorkflowRunRecord> {
    let inputs: serde_json::Value = row.get("inputs");
    let outputs: Option<serde_json::Value> = row.get("outputs");
    let kind: Option<String> = row.get("error_kind");
    Ok(WorkflowRunRecord {
        id: row.get("id"),
        workflow_id: row.get("workflow_id"),
        workflow: row.get("workflow"),
        workflow_version: row.get("workflow_version"),
        user_id: row.get("user_id"),
        status: WorkflowRunStatus::from_stored(row.get("status")),
        spec: spec_from(row.get("spec"))?,
        inputs: serde_json::from_value(inputs).unwrap_or_default(),
        outputs: outputs.and_then(|outputs| serde_json::from_value(outputs).ok()),
        error: kind.map(|kind| WorkflowRunError {
            step: row.get("error_step"),
            kind: WorkflowFailure::from_stored(&kind),
            detail: row
                .get::<_, Option<String>>("error_detail")
                .unwrap_or_default(),
        }),
        worst_case_micros: row.get("worst_case_micros"),
        hold_micros: row.get("hold_micros"),
        steps,
        created_at: row.get("created_at"),
        finished_at: row.get("finished_at"),
    })
}

async fn run_by_id(client: &impl GenericClient, id: Uuid) -> Result<Option<WorkflowRunRecord>> {
    let statement = client
        .prepare_cached(&format!("{RUN_SELECT} WHERE r.id = $1"))
        .await?;
    let Some(row) = client.query_opt(&statement, &[&id]).await? else {
        return Ok(None);
    };
    let statement = client
        .prepare_cached(&format!(
            "SELECT {STEP_COLUMNS} FROM workflow_steps WHERE run_id = $1 ORDER BY position"
        ))
        .await?;
    let steps = client
        .query(&statement, &[&id])
        .await?
        .iter()
        .map(step_from)
        .collect();
    run_from(&row, steps).map(Some)
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

#[async_trait]
impl WorkflowRunStore for Db {
    async fn start_run(&self, run: &NewWorkflowRun) -> Result<(), StartWorkflowRunError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        if let Some(existing) = run_by_id(&transaction, run.id).await? {
            return Err(StartWorkflowRunError::Exists(Box::new(existing)));
        }
        ensure_account(&transaction, run.user_id, run.signup_grant_micros).await?;
        let account = transaction
            .query_one(
                "SELECT balance_micros, held_micros FROM credit_accounts WHERE user_id = $1 FOR UPDATE",
                &[&run.user_id],
            )
            .await
            .map_err(Error::from)?;
        let available = account.get::<_, i64>(0) - account.get::<_, i64>(1);
        if available < run.worst_case_micros {
            return Err(StartWorkflowRunError::InsufficientCredits {
                available,
                needed: run.worst_case_micros,
            });
        }
        let inputs = serde_json::to_value(&run.inputs)
            .map_err(|error| Error::Internal(format!("inputs do not serialise: {error}")))?;
        transaction
            .execute(
                "INSERT INTO workflow_runs (id, workflow_id, workflow_version, user_id, spec, inputs,
                     worst_case_micros, hold_micros)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                &[
                    &run.id,
                    &run.workflow_id,
                    &run.workflow_version,
                    &run.user_id,
                    &spec_json(&run.spec)?,
                    &inputs,
                    &run.worst_case_micros,
                ],
            )
            .await
            .map_err(Error::from)?;
        let ids: Vec<&str> = run.steps.iter().map(|(id, _, _)| id.as_str()).collect();
        let kinds: Vec<&str> = run.steps.iter().map(|(_, kind, _)| *kind).collect();
        let holds: Vec<i64> = run.steps.iter().map(|(_, _, hold)| *hold).collect();
        transaction
            .execute(
                "INSERT INTO workflow_steps (run_id, step_id, kind, hold_micros, position)
                 SELECT $1, id, kind, hold, position::int
                 FROM unnest($2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS s(id, kind, hold, position)",
                &[&run.id, &ids, &kinds, &holds],
            )
            .await
            .map_err(Error::from)?;
        transaction
            .execute(
                "UPDATE credit_accounts SET held_micros = held_micros + $2, updated_at = now()
                 WHERE user_id = $1",
                &[&run.user_id, &run.worst_case_micros],
            )
            .await
            .map_err(Error::from)?;
        transaction
            .execute(
                "UPDATE workflows SET run_count = run_count + 1 WHERE id = $1",
                &[&run.workflow_id],
            )
            .await
            .map_err(Error::from)?;
        transaction.commit().await.map_err(Error::from)?;
        Ok(())
    }

    async fn find_run(&self, id: Uuid) -> Result<Option<WorkflowRunRecord>> {
        let connection = self.connection().await?;
        run_by_id(&connection, id).await
    }

    async fn list_runs(
        &self,
        user_id: Uuid,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<WorkflowRunRecord>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let rows = connection
            .query(
                &format!(
                    "{RUN_SELECT} WHERE r.user_id = $1
                       AND ($2::uuid IS NULL OR (r.created_at, r.id) <
                            (SELECT created_at, id FROM workflow_runs WHERE id = $2))
                     ORDER BY r.created_at DESC, r.id DESC LIMIT $3"
                ),
                &[&user_id, &before, &limit],
            )
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|row| row.get("id")).collect();
        let step_rows = connection
            .query(
                &format!(
                    "SELECT {STEP_COLUMNS} FROM workflow_steps WHERE run_id = ANY($1) ORDER BY position"
                ),
                &[&ids],
            )
            .await?;
        let mut steps: BTreeMap<Uuid, Vec<StepRecord>> = BTreeMap::new();
        for row in &step_rows {
            steps
                .entry(row.get("run_id"))
                .or_default()
                .push(step_from(row));
        }
        rows.iter()
            .map(|row| run_from(row, steps.remove(&row.get("id")).unwrap_or_default()))
            .collect()
    }

    async fn begin_step(&self, run_id: Uuid, step_id: &str) -> Result<bool> {
        let connection = self.connection().await?;
        // One statement: the step starts (or counts another attempt), its share of the
        // run's hold leaves the run and the account, and nothing happens unless the run
        // is running and the step unfinished.
        let row = connection
            .query_opt(
                &format!(
                    "WITH old AS (
                         SELECT s.hold_micros, r.user_id FROM workflow_steps s
                         JOIN workflow_runs r ON r.id = s.run_id
                         WHERE s.run_id = $1 AND s.step_id = $2 AND r.status = 'running'
                           AND s.status IN ('pending', 'running')
                         FOR UPDATE OF s
                     ), step AS (
                         UPDATE workflow_steps s SET status = 'running', attempts = s.attempts + 1,
                             started_at = COALESCE(s.started_at, now()), hold_micros = 0
                         FROM old WHERE s.run_id = $1 AND s.step_id = $2
                         RETURNING old.user_id, old.hold_micros AS released
                     ){RELEASE_STEP_HOLD}"
                ),
                &[&run_id, &step_id],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn finish_step(&self, run_id: Uuid, step_id: &str, result: &StepResult) -> Result<bool> {
        let connection = self.connection().await?;
        // A step skipped or cancelled before it began still holds its share: release it.
        let stored = connection
            .query_opt(
                &format!(
                    "WITH old AS (
                         SELECT s.hold_micros, r.user_id FROM workflow_steps s
                         JOIN workflow_runs r ON r.id = s.run_id
                         WHERE s.run_id = $1 AND s.step_id = $2 AND s.status IN ('pending', 'running')
                         FOR UPDATE OF s
                     ), step AS (
                         UPDATE workflow_steps s SET status = $3, output = $4, error = $5,
                             input_tokens = $6, output_tokens = $7, charged_micros = $8,
                             creator_share_micros = $9, run_ids = $10, finished_at = now(),
                             hold_micros = 0
                         FROM old WHERE s.run_id = $1 AND s.step_id = $2
                         RETURNING old.user_id, old.hold_micros AS released
                     ){RELEASE_STEP_HOLD}"
                ),
                &[
                    &run_id,
                    &step_id,
                    &result.status.as_str(),
                    &result.output,
                    &result.error,
                    &result.input_tokens,
                    &result.output_tokens,
                    &result.charged_micros,
                    &result.creator_share_micros,
                    &result.run_ids,
                ],
            )
            .await?;
        Ok(stored.is_some())
    }

    async fn finish_run(
        &self,
        run_id: Uuid,
        status: WorkflowRunStatus,
        outputs: Option<&BTreeMap<String, serde_json::Value>>,
        error: Option<&WorkflowRunError>,
    ) -> Result<bool> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let outputs = outputs
            .map(serde_json::to_value)
            .transpose()
            .map_err(|error| Error::Internal(format!("outputs do not serialise: {error}")))?;
        // Locked first: the hold read is the one released, whatever steps release meanwhile.
        let Some(row) = transaction
            .query_opt(
                "SELECT user_id, hold_micros FROM workflow_runs WHERE id = $1 AND status = 'running'
                 FOR UPDATE",
                &[&run_id],
            )
            .await?
        else {
            return Ok(false);
        };
        let user_id: Uuid = row.get("user_id");
        let released: i64 = row.get("hold_micros");
        transaction
            .execute(
                "UPDATE workflow_runs SET status = $2, outputs = $3, error_step = $4,
                     error_kind = $5, error_detail = $6, finished_at = now(), hold_micros = 0
                 WHERE id = $1",
                &[
                    &run_id,
                    &status.as_str(),
                    &outputs,
                    &error.and_then(|error| error.step.clone()),
                    &error.map(|error| error.kind.as_str()),
                    &error.map(|error| error.detail.clone()),
                ],
            )
            .await?;
        transaction
            .execute(
                "UPDATE workflow_steps SET status = 'cancelled', finished_at = now(), hold_micros = 0
                 WHERE run_id = $1 AND status IN ('pending', 'running')",
                &[&run_id],
            )
            .await?;
        if released > 0 {
            transaction
                .execute(
                    "UPDATE credit_accounts SET held_micros = held_micros - $2, updated_at = now()
                     WHERE user_id = $1",
                    &[&user_id, &released],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    async fn stale_runs(&self, before: chrono::DateTime<chrono::Utc>) -> Result<Vec<Uuid>> {
        let connection = self.connection().await?;
        Ok(connection
            .query(
                "SELECT id FROM workflow_runs WHERE status = 'running' AND created_at < $1 LIMIT 1000",
                &[&before],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }

    async fn reopen_run(&self, run_id: Uuid) -> Result<bool> {
        let connection = self.connection().await?;
        let reopened = connection
            .execute(
                "WITH run AS (
                     UPDATE workflow_runs SET status = 'running', error_step = NULL, error_kind = NULL,
                         error_detail = NULL, finished_at = NULL
                     WHERE id = $1 AND status = 'failed' AND error_kind = 'dead-lettered'
                     RETURNING id
                 )
                 UPDATE workflow_steps SET status = 'pending', finished_at = NULL
                 FROM run WHERE workflow_steps.run_id = run.id AND workflow_steps.status = 'cancelled'",
                &[&run_id],
            )
            .await?;
        let run_open = connection
            .query_one(
                "SELECT status = 'running' FROM workflow_runs WHERE id = $1",
                &[&run_id],
            )
            .await?
            .get::<_, bool>(0);
        Ok(reopened > 0 || run_open)
    }
}
