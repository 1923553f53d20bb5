//! Workflow runs and their steps on PostgreSQL. A run's hold moves with the run's rows
//! under the user's account lock; each step's result is written by the first worker to
//! finish it (`status` leaves pending/running once), whatever duplicates race. Every
//! statement that touches a run and its steps locks the run first.

use std::collections::BTreeMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{
    Db,
    credits::ensure_account,
    workflows::{spec_from, spec_json},
};
use crate::{
    Error, Result,
    ports::{
        NewWorkflowRun, StartWorkflowRunError, StepRecord, StepResult, StepStatus, WorkflowFailure,
        WorkflowRunError, WorkflowRunRecord, WorkflowRunStatus, WorkflowRunStore,
    },
};

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

/// Locks a run's row before any of its steps: the one order every statement that touches
/// both keeps (starting and finishing a step, finishing or cancelling the run), so a
/// cancel racing a step waits instead of deadlocking.
async fn lock_run(transaction: &tokio_postgres::Transaction<'_>, run_id: Uuid) -> Result<()> {
    transaction
        .execute(
            "SELECT 1 FROM workflow_runs WHERE id = $1 FOR NO KEY UPDATE",
            &[&run_id],
        )
        .await?;
    Ok(())
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
impl WorkflowRunStore for Db {
    async fn start_run(&self, run: &NewWorkflowRun) -> Result<(), StartWorkflowRunError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        if let Some(existing) = run_by_id(&transaction, run.id).await? {
            return Err(StartWorkflowRunError::Exists(Box::new(existing)));
        }
        ensure_account(&transaction, run.user_id).await?;
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
        run_by_id(&*connection, id).await
    }

    async fn run_status(&self, id: Uuid) -> Result<Option<WorkflowRunStatus>> {
        let connection = self.connection().await?;
        Ok(connection
            .query_opt("SELECT status FROM workflow_runs WHERE id = $1", &[&id])
            .await?
            .map(|row| WorkflowRunStatus::from_stored(row.get(0))))
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
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        lock_run(&transaction, run_id).await?;
        // One statement: the step starts (or counts another attempt), its share of the
        // run's hold leaves the run and the account, and nothing happens unless the run
        // is running and the step unfinished.
        let row = transaction
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
        transaction.commit().await?;
        Ok(row.is_some())
    }

    async fn finish_step(&self, run_id: Uuid, step_id: &str, result: &StepResult) -> Result<bool> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        lock_run(&transaction, run_id).await?;
        // A step skipped or cancelled before it began still holds its share: release it.
        let stored = transaction
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
        transaction.commit().await?;
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
