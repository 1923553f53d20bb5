//! Runs and credits on PostgreSQL: a run's hold, its record and its charge move together in
//! one transaction under the user's account row lock, so concurrent runs can never
//! overdraw (READ COMMITTED suffices: the lock serialises them) and a run is charged once.

use super::{
    Db,
    credits::{day_start, month_start, spent_since},
    execute, query_one, query_opt,
};
use crate::{
    Error, Result,
    domain::{
        agent_tools::ToolUse,
        llm::{RunFailure, ToolCall},
    },
    ports::{
        Attempt, CredentialKind, DailyRuns, FinishedRun, NewRun, RunError, RunRecord, RunSource,
        RunStatus, RunStore, StartRules, StartRunError, VersionStats,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

const RUN_COLUMNS: &str = "r.id, r.user_id, r.agent_id, u.handle || '/' || a.slug AS agent,
    r.agent_version, r.conversation_id, r.source, r.status, r.credential, r.provider, r.model,
    r.attempts, r.input_tokens, r.output_tokens, r.usage_estimated, r.model_cost_micros,
    r.agent_price_micros, r.charged_micros, r.hold_micros, r.price_table, r.cached, r.output,
    r.tool_calls, r.tool_uses, r.finish_reason, r.error_kind, r.error_detail, r.ttft_ms, r.latency_ms, r.created_at,
    r.finished_at";

const RUN_FROM: &str =
    "runs r JOIN agents a ON a.id = r.agent_id JOIN users u ON u.id = a.owner_id";

#[async_trait]
impl RunStore for Db {
    async fn start_run(&self, run: &NewRun, rules: &StartRules) -> Result<(), StartRunError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        // The run's row first, then its account: the order every other statement that
        // touches both keeps (settling, sweeping), so a duplicate start racing the first
        // one's settlement waits instead of deadlocking. A run id that exists already is
        // an idempotent retry, answered from its record (and this transaction rolled back);
        // a start refused below rolls its row back with it.
        let inserted = query_opt(
            &transaction,
            "INSERT INTO runs (id, user_id, agent_id, agent_version, creator_id, conversation_id,
                 source, credential, provider, model, hold_micros, hold_expires_at, price_table)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO NOTHING
             RETURNING id",
            &[
                &run.id,
                &run.user_id,
                &run.agent_id,
                &run.agent_version,
                &run.creator_id,
                &run.conversation_id,
                &run.source.as_str(),
                &run.credential.as_str(),
                &run.provider,
                &run.model,
                &run.hold_micros,
                &run.hold_expires_at,
                &run.price_table,
            ],
        )
        .await?;
        if inserted.is_none() {
            drop(transaction);
            let connection = self.connection().await?;
            return match find_run_by_id(&*connection, run.id).await? {
                Some(existing) => Err(StartRunError::Exists(Box::new(existing))),
                None => Err(StartRunError::Other(Error::Conflict(
                    "This run id is taken; retry with another Idempotency-Key.".into(),
                ))),
            };
        }
        // One statement opens the account (first use, empty: credits come from verifying
        // the email or a grant), locks its row for the rest of the transaction and reads it.
        let account = query_one(
            &transaction,
            "INSERT INTO credit_accounts (user_id, balance_micros) VALUES ($1, 0)
             ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
             RETURNING balance_micros, held_micros, daily_limit_micros, monthly_limit_micros",
            &[&run.user_id],
        )
        .await?;
        // Counted after the lock, in a statement of its own: its snapshot then holds every
        // run that starts which went before (a count in the locking statement would read
        // the snapshot from before the wait, and let simultaneous starts past the cap).
        let running: i64 = query_one(
            &transaction,
            "SELECT count(*) FROM runs WHERE user_id = $1 AND status = 'running' AND id <> $2",
            &[&run.user_id, &run.id],
        )
        .await?
        .get(0);
        let balance: i64 = account.get("balance_micros");
        let held: i64 = account.get("held_micros");
        if running >= i64::from(rules.max_concurrent_runs) {
            return Err(StartRunError::TooManyRuns {
                max: rules.max_concurrent_runs,
            });
        }
        // Live holds count as spent: a cap is never exceeded by runs racing each other.
        for (period, limit, since) in [
            (
                "daily",
                account.get::<_, Option<i64>>("daily_limit_micros"),
                day_start(rules.now),
            ),
            (
                "monthly",
                account.get::<_, Option<i64>>("monthly_limit_micros"),
                month_start(rules.now),
            ),
        ] {
            let Some(limit) = limit else { continue };
            let spent = spent_since(&transaction, run.user_id, since).await? + held;
            if spent + run.hold_micros > limit {
                return Err(StartRunError::SpendingLimit {
                    period,
                    limit,
                    spent,
                });
            }
        }
        if balance - held < run.hold_micros {
            return Err(StartRunError::InsufficientCredits {
                available: balance - held,
                needed: run.hold_micros,
            });
        }
        execute(
            &transaction,
            "UPDATE credit_accounts SET held_micros = held_micros + $2, updated_at = now()
             WHERE user_id = $1",
            &[&run.user_id, &run.hold_micros],
        )
        .await?;
        if let (Some(answer), Some(conversation)) = (run.supersedes, run.conversation_id) {
            let superseded = execute(
                &transaction,
                "UPDATE messages SET status = 'superseded'
                 WHERE id = $1 AND conversation_id = $2 AND status <> 'superseded'",
                &[&answer, &conversation],
            )
            .await?;
            if superseded == 0 {
                return Err(StartRunError::Other(Error::Conflict(
                    "The conversation changed while regenerating; reload it and try again.".into(),
                )));
            }
        }
        if let Some(message) = &run.user_message {
            execute(
                &transaction,
                "WITH conversation AS (
                     UPDATE conversations SET updated_at = now(),
                         title = CASE WHEN title = '' THEN left($4, 80) ELSE title END
                     WHERE id = $2
                 )
                 INSERT INTO messages (id, conversation_id, role, content) VALUES ($1, $2, 'user', $3)",
                &[&message.id, &message.conversation_id, &message.content, &message.content],
            )
            .await?;
        }
        transaction.commit().await.map_err(Error::from)?;
        Ok(())
    }

    async fn finish_run(&self, run: &FinishedRun) -> Result<bool> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let attempts = serde_json::to_value(&run.attempts)
            .map_err(|error| Error::Internal(format!("attempts do not serialise: {error}")))?;
        let tool_calls = serde_json::to_value(&run.tool_calls)
            .map_err(|error| Error::Internal(format!("tool calls do not serialise: {error}")))?;
        let tool_uses = serde_json::to_value(&run.tool_uses)
            .map_err(|error| Error::Internal(format!("tool uses do not serialise: {error}")))?;
        let input_tokens = i64::try_from(run.usage.input_tokens).unwrap_or(i64::MAX);
        let output_tokens = i64::try_from(run.usage.output_tokens).unwrap_or(i64::MAX);
        let agent_price = if run.status == RunStatus::Succeeded {
            run.agent_price_micros
        } else {
            0
        };
        // Settle first, so a run already finished (by the sweeper, or a duplicate) changes
        // nothing. The charge never exceeds the hold (the table checks it too).
        let Some(row) = query_opt(
            &transaction,
            "UPDATE runs SET status = $2, provider = $3, model = $4, attempts = $5,
                 input_tokens = $6, output_tokens = $7, usage_estimated = $8,
                 model_cost_micros = $9, agent_price_micros = $10,
                 charged_micros = LEAST($9::bigint + $10::bigint, hold_micros),
                 cached = $11, output = $12, finish_reason = $13, error_kind = $14,
                 error_detail = $15, ttft_ms = $16, latency_ms = $17, finished_at = $18,
                 tool_calls = $19, tool_uses = $20
             WHERE id = $1 AND status = 'running'
             RETURNING user_id, creator_id, hold_micros, charged_micros, agent_id, conversation_id",
            &[
                &run.id,
                &run.status.as_str(),
                &run.provider,
                &run.model,
                &attempts,
                &input_tokens,
                &output_tokens,
                &run.usage_estimated,
                &run.model_cost_micros,
                &agent_price,
                &run.cached,
                &run.output,
                &run.finish_reason.map(|reason| reason.as_str()),
                &run.error.as_ref().map(|error| error.kind.as_str()),
                &run.error.as_ref().map(|error| error.detail.as_str()),
                &run.ttft_ms.map(clamp_i32),
                &clamp_i32(run.latency_ms),
                &run.finished_at,
                &tool_calls,
                &tool_uses,
            ],
        )
        .await?
        else {
            return Ok(false);
        };
        let user_id: Uuid = row.get("user_id");
        let creator_id: Uuid = row.get("creator_id");
        let hold: i64 = row.get("hold_micros");
        let charged: i64 = row.get("charged_micros");
        let agent_id: Uuid = row.get("agent_id");
        let conversation_id: Option<Uuid> = row.get("conversation_id");
        // Whatever the model cost beyond the price, the creator earns the price only from
        // what was actually charged.
        let earning = if creator_id == user_id {
            0
        } else {
            agent_price.min(charged)
        };
        if earning > 0 {
            execute(
                &transaction,
                "INSERT INTO credit_accounts (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
                &[&creator_id],
            )
            .await?;
        }
        // Both balances in one statement: the primary-key scan locks the rows in id order,
        // so settlements between two creators never deadlock; the ledger rows come from
        // the balances it returns.
        execute(
            &transaction,
            "WITH moved AS (
                 UPDATE credit_accounts SET
                     held_micros = held_micros - CASE WHEN user_id = $1::uuid THEN $3::bigint ELSE 0 END,
                     balance_micros = balance_micros
                         - CASE WHEN user_id = $1::uuid THEN $4::bigint ELSE 0 END
                         + CASE WHEN user_id = $2::uuid THEN $5::bigint ELSE 0 END,
                     updated_at = now()
                 WHERE user_id = ANY(ARRAY[$1::uuid, $2::uuid])
                   AND (user_id = $1 OR $5::bigint > 0)
                 RETURNING user_id, balance_micros
             )
             INSERT INTO credit_ledger (user_id, kind, amount_micros, balance_after_micros, run_id)
             SELECT user_id, 'run_charge', -$4::bigint, balance_micros, $6::uuid FROM moved
                 WHERE user_id = $1 AND $4::bigint > 0
             UNION ALL
             SELECT user_id, 'creator_earning', $5::bigint, balance_micros, $6::uuid FROM moved
                 WHERE user_id = $2 AND $5::bigint > 0",
            &[&user_id, &creator_id, &hold, &charged, &earning, &run.id],
        )
        .await?;
        if let (Some(conversation_id), Some(answer_id)) = (conversation_id, run.answer_id) {
            let status = match run.status {
                RunStatus::Succeeded => "complete",
                RunStatus::Stopped | RunStatus::Disconnected => "stopped",
                RunStatus::Failed | RunStatus::Running => "failed",
            };
            execute(
                &transaction,
                "WITH conversation AS (UPDATE conversations SET updated_at = now() WHERE id = $2)
                 INSERT INTO messages (id, conversation_id, role, content, run_id, status)
                 VALUES ($1, $2, 'assistant', $3, $4, $5)",
                &[&answer_id, &conversation_id, &run.output, &run.id, &status],
            )
            .await?;
        }
        if run.status == RunStatus::Succeeded {
            // Trending counts distinct users who ran the agent over the last 7 days (the
            // statement's snapshot does not see its own new row: hence the + 1).
            execute(
                &transaction,
                "WITH first AS (
                     INSERT INTO agent_run_users (agent_id, user_id, day) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING RETURNING 1
                 )
                 UPDATE agents SET run_count = run_count + 1,
                     trending_score = CASE WHEN EXISTS (SELECT 1 FROM first) THEN
                         (SELECT count(DISTINCT user_id) FROM agent_run_users
                          WHERE agent_id = $1 AND day > $3::date - 7 AND user_id <> $2) + 1
                         ELSE trending_score END
                 WHERE id = $1",
                &[&agent_id, &user_id, &run.finished_at.date_naive()],
            )
            .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    async fn find_run(&self, user_id: Uuid, id: Uuid) -> Result<Option<RunRecord>> {
        let connection = self.connection().await?;
        Ok(find_run_by_id(&*connection, id)
            .await?
            .filter(|run| run.user_id == user_id))
    }

    async fn list_runs(
        &self,
        user_id: Uuid,
        agent_id: Option<Uuid>,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<RunRecord>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let rows = connection
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM {RUN_FROM}
                     WHERE r.user_id = $1 AND ($2::uuid IS NULL OR r.agent_id = $2)
                       AND ($3::uuid IS NULL OR (r.created_at, r.id) <
                            (SELECT created_at, id FROM runs WHERE id = $3 AND user_id = $1))
                     ORDER BY r.created_at DESC, r.id DESC LIMIT $4"
                ),
                &[&user_id, &agent_id, &before, &limit],
            )
            .await?;
        rows.iter().map(run_from).collect()
    }

    async fn stale_runs(&self, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let connection = self.connection().await?;
        Ok(connection
            .query(
                "SELECT id FROM runs WHERE status = 'running' AND hold_expires_at < $1 LIMIT 1000",
                &[&now],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }

    async fn release_stale_runs(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let released = transaction
            .query(
                "UPDATE runs SET status = 'failed', error_kind = 'abandoned',
                     error_detail = 'The run stopped answering before it finished; nothing was charged.',
                     finished_at = $1
                 WHERE id IN (SELECT id FROM runs WHERE status = 'running' AND hold_expires_at < $1
                              ORDER BY user_id FOR UPDATE SKIP LOCKED)
                 RETURNING user_id, hold_micros",
                &[&now],
            )
            .await?;
        let mut per_user: std::collections::BTreeMap<Uuid, i64> = Default::default();
        for row in &released {
            *per_user.entry(row.get(0)).or_default() += row.get::<_, i64>(1);
        }
        for (user_id, hold) in per_user {
            transaction
                .execute(
                    "UPDATE credit_accounts SET held_micros = held_micros - $2, updated_at = now()
                     WHERE user_id = $1",
                    &[&user_id, &hold],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(released.len() as u64)
    }

    async fn version_stats(&self, agent_id: Uuid) -> Result<Vec<VersionStats>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT agent_version, count(*), count(*) FILTER (WHERE status = 'succeeded'),
                        count(*) FILTER (WHERE status = 'failed'), count(DISTINCT user_id),
                        COALESCE(sum(input_tokens), 0)::bigint, COALESCE(sum(output_tokens), 0)::bigint,
                        COALESCE(sum(LEAST(agent_price_micros, charged_micros))
                                 FILTER (WHERE user_id <> creator_id), 0)::bigint
                 FROM runs WHERE agent_id = $1 AND status <> 'running'
                 GROUP BY agent_version ORDER BY agent_version DESC NULLS FIRST",
                &[&agent_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| VersionStats {
                version: row.get(0),
                runs: row.get(1),
                succeeded: row.get(2),
                failed: row.get(3),
                distinct_users: row.get(4),
                input_tokens: row.get(5),
                output_tokens: row.get(6),
                revenue_micros: row.get(7),
            })
            .collect())
    }

    async fn daily_runs(&self, agent_id: Uuid, since: NaiveDate) -> Result<Vec<DailyRuns>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*), count(DISTINCT user_id),
                        COALESCE(sum(LEAST(agent_price_micros, charged_micros))
                                 FILTER (WHERE user_id <> creator_id), 0)::bigint
                 FROM runs WHERE agent_id = $1 AND status <> 'running'
                   AND created_at >= $2::date
                 GROUP BY day ORDER BY day",
                &[&agent_id, &since],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| DailyRuns {
                day: row.get(0),
                runs: row.get(1),
                distinct_users: row.get(2),
                revenue_micros: row.get(3),
            })
            .collect())
    }
}

async fn find_run_by_id(client: &impl GenericClient, id: Uuid) -> Result<Option<RunRecord>> {
    client
        .query_opt(
            &format!("SELECT {RUN_COLUMNS} FROM {RUN_FROM} WHERE r.id = $1"),
            &[&id],
        )
        .await?
        .as_ref()
        .map(run_from)
        .transpose()
}

fn run_from(row: &Row) -> Result<RunRecord> {
    let attempts: serde_json::Value = row.get("attempts");
    let attempts: Vec<Attempt> = serde_json::from_value(attempts)
        .map_err(|error| Error::Internal(format!("stored attempts are malformed: {error}")))?;
    let tool_calls: serde_json::Value = row.get("tool_calls");
    let tool_calls: Vec<ToolCall> = serde_json::from_value(tool_calls)
        .map_err(|error| Error::Internal(format!("stored tool calls are malformed: {error}")))?;
    let tool_uses: serde_json::Value = row.get("tool_uses");
    let tool_uses: Vec<ToolUse> = serde_json::from_value(tool_uses)
        .map_err(|error| Error::Internal(format!("stored tool uses are malformed: {error}")))?;
    let error_kind: Option<String> = row.get("error_kind");
    let error_detail: Option<String> = row.get("error_detail");
    Ok(RunRecord {
        id: row.get("id"),
        user_id: row.get("user_id"),
        agent_id: row.get("agent_id"),
        agent: row.get("agent"),
        agent_version: row.get("agent_version"),
        conversation_id: row.get("conversation_id"),
        source: RunSource::from_stored(row.get("source")),
        status: RunStatus::from_stored(row.get("status")),
        credential: CredentialKind::from_stored(row.get("credential")),
        provider: row.get("provider"),
        model: row.get("model"),
        attempts,
        input_tokens: row.get("input_tokens"),
        output_tokens: row.get("output_tokens"),
        usage_estimated: row.get("usage_estimated"),
        model_cost_micros: row.get("model_cost_micros"),
        agent_price_micros: row.get("agent_price_micros"),
        charged_micros: row.get("charged_micros"),
        hold_micros: row.get("hold_micros"),
        price_table: row.get("price_table"),
        cached: row.get("cached"),
        output: row.get("output"),
        tool_calls,
        tool_uses,
        finish_reason: row.get("finish_reason"),
        error: error_kind.map(|kind: String| RunError {
            kind: RunFailure::from_stored(&kind),
            detail: error_detail.unwrap_or_default(),
        }),
        ttft_ms: row.get("ttft_ms"),
        latency_ms: row.get("latency_ms"),
        created_at: row.get("created_at"),
        finished_at: row.get("finished_at"),
    })
}

fn clamp_i32(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
