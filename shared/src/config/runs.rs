//! Running agents and workflows: limits, budgets and retries.

use std::time::Duration;

use super::{ConfigError, env::Env};
use crate::services::{runs::RunSettings, workflows::WorkflowSettings};

pub fn runs(env: &Env, request_timeout: Duration) -> Result<RunSettings, ConfigError> {
    let hold_ttl = env.parse_seconds("AGORA_RUN_HOLD_TTL_SECONDS", 900, 60..=86_400)?;
    Ok(RunSettings {
        max_output_tokens: env.parse_range("AGORA_MAX_OUTPUT_TOKENS", 8_192, 1..=200_000)?,
        default_max_tokens: env.parse_range("AGORA_DEFAULT_MAX_TOKENS", 1_024, 1..=200_000)?,
        max_retries: env.parse_range("AGORA_PROVIDER_RETRIES", 2, 0..=5)?,
        retry_base: env.parse_millis("AGORA_PROVIDER_RETRY_BASE_MS", 250)?,
        max_retry_wait: env.parse_millis("AGORA_PROVIDER_MAX_RETRY_WAIT_MS", 10_000)?,
        provider_timeout: env.parse_millis("AGORA_PROVIDER_TIMEOUT_MS", 60_000)?,
        // Finding a model that answers must end before the request's own budget.
        start_budget: request_timeout
            .saturating_sub(Duration::from_secs(1))
            .max(Duration::from_millis(500)),
        max_concurrent_runs: env.parse_range("AGORA_MAX_CONCURRENT_RUNS", 4, 1..=1_000)?,
        runs_per_minute: env.parse_range("AGORA_RUNS_PER_MINUTE", 60, 1..=1_000_000)?,
        hold_ttl,
        answer_budget: answer_budget(env, hold_ttl)?,
        response_cache_ttl: env.parse_seconds(
            "AGORA_RESPONSE_CACHE_TTL_SECONDS",
            3_600,
            0..=604_800,
        )?,
        tool_timeout: env.parse_seconds("AGORA_TOOL_TIMEOUT_SECONDS", 15, 1..=120)?,
        max_tool_turns: env.parse_range("AGORA_MAX_TOOL_TURNS", 6, 2..=20)?,
    })
}

/// `AGORA_RUN_ANSWER_SECONDS` (10 minutes by default), and always at least 30 seconds
/// inside the hold, so a run settles before the maintenance job would end it.
fn answer_budget(env: &Env, hold_ttl: Duration) -> Result<Duration, ConfigError> {
    let asked = env.parse_seconds("AGORA_RUN_ANSWER_SECONDS", 600, 1..=86_400)?;
    Ok(asked.min(hold_ttl.saturating_sub(Duration::from_secs(30))))
}

pub fn workflows(env: &Env) -> Result<WorkflowSettings, ConfigError> {
    Ok(WorkflowSettings {
        max_step_attempts: env.parse_range("AGORA_WORKFLOW_STEP_ATTEMPTS", 3, 1..=10)?,
        retry_base: env.parse_millis("AGORA_WORKFLOW_RETRY_BASE_MS", 2_000)?,
        // The template's maxReceiveCount: the worker fails a run when its message is
        // about to be dead-lettered.
        max_receive_count: env.parse_range("AGORA_WORKFLOW_MAX_RECEIVE_COUNT", 5, 1..=1_000)?,
        run_ttl: env.parse_seconds("AGORA_WORKFLOW_RUN_TTL_SECONDS", 86_400, 60..=2_592_000)?,
        streams_per_minute: env.parse_range("AGORA_WORKFLOW_STREAMS_PER_MINUTE", 20, 1..=10_000)?,
    })
}
