//! Running one step of a run from its queue message, as the worker delivers it: every
//! decision is made from the stored state, so duplicates, reordering and redelivery never
//! run or bill a step twice (see the module documentation of `services::workflows`).

use std::{collections::BTreeMap, time::Duration};

use serde_json::Value;
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::{
        Caller, Role,
        caller::{Credential, Principal},
        workflow::{self, Action, Reference, Scope, Template, WorkflowPlan},
    },
    ports::{
        Delivery, MAX_SEND_DELAY, RunRecord, StepMessage, StepRecord, StepResult, StepStatus,
        Verdict, WorkflowFailure, WorkflowRunError, WorkflowRunRecord, WorkflowRunStatus,
    },
};

use super::{WorkflowService, step_run_id};

impl WorkflowService {
    // ---- steps (what the worker runs; see `worker`) ----------------------------------------

    /// Sends again the ready steps (unfinished, with all they need finished) of every
    /// running run: what a restarted local worker does, as its queue lived in memory.
    /// Messages that survived elsewhere make duplicates, which change nothing.
    pub async fn resume_runs(&self) -> Result<usize> {
        let mut sent = 0;
        for run_id in self
            .ports
            .workflow_runs
            .stale_runs(self.ports.clock.now())
            .await?
        {
            let Some(run) = self.ports.workflow_runs.find_run(run_id).await? else {
                continue;
            };
            let Ok(plan) = run.spec.plan() else {
                continue;
            };
            let ready = ready_steps(&run, &plan, run.spec.steps.iter());
            self.ports.queue.send(&ready).await?;
            sent += ready.len();
        }
        Ok(sent)
    }

    /// Handles one delivery of a step message; see the module documentation.
    pub async fn process(&self, delivery: &Delivery) -> Result<Verdict> {
        let message: StepMessage = serde_json::from_str(&delivery.body).map_err(|error| {
            Error::MalformedBody(format!("not a workflow step message: {error}"))
        })?;
        let last_chance = delivery.receive_count >= self.settings.max_receive_count;
        match self.process_step(&message).await {
            Ok(verdict @ Verdict::Retry(_)) if last_chance => {
                self.dead_letter(&message, "kept failing").await?;
                Ok(verdict)
            }
            Err(error) if last_chance => {
                self.dead_letter(&message, &error.to_string()).await?;
                Err(error)
            }
            other => other,
        }
    }

    /// The message goes to the DLQ after this failure: its run fails with a problem detail
    /// now, and is opened again if the message is redriven.
    pub(super) async fn dead_letter(&self, message: &StepMessage, why: &str) -> Result<()> {
        self.ports
            .workflow_runs
            .finish_run(
                message.run_id,
                WorkflowRunStatus::Failed,
                None,
                Some(&WorkflowRunError {
                    step: Some(message.step.clone()),
                    kind: WorkflowFailure::DeadLettered,
                    detail: format!(
                        "Step `{}` failed {} times ({why}); its message is in the dead-letter queue. `agora workflows redrive` retries it.",
                        message.step, self.settings.max_receive_count
                    ),
                }),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn process_step(&self, message: &StepMessage) -> Result<Verdict> {
        let Some(mut run) = self.ports.workflow_runs.find_run(message.run_id).await? else {
            return Err(Error::NotFound(format!(
                "workflow run {} does not exist",
                message.run_id
            )));
        };
        if message.redriven
            && run.status == WorkflowRunStatus::Failed
            && run
                .error
                .as_ref()
                .is_some_and(|error| error.kind == WorkflowFailure::DeadLettered)
        {
            // A redriven message (never a late duplicate): the run continues where it
            // stopped, every branch of it, not only this message's step.
            self.ports.workflow_runs.reopen_run(run.id).await?;
            run = self
                .ports
                .workflow_runs
                .find_run(message.run_id)
                .await?
                .ok_or_else(|| Error::Internal("a reopened run vanished".into()))?;
            if let Ok(plan) = run.spec.plan() {
                let others: Vec<StepMessage> = ready_steps(&run, &plan, run.spec.steps.iter())
                    .into_iter()
                    .filter(|ready| ready.step != message.step)
                    .collect();
                if !others.is_empty() {
                    self.ports.queue.send(&others).await?;
                }
            }
        }
        if run.status != WorkflowRunStatus::Running {
            return Ok(Verdict::Done);
        }
        let plan = match run.spec.plan() {
            Ok(plan) => plan,
            Err(errors) => {
                let detail = errors
                    .first()
                    .map(|error| format!("{}: {}", error.field, error.message))
                    .unwrap_or_default();
                self.fail_run(&run, None, &format!("The definition is invalid: {detail}"))
                    .await?;
                return Ok(Verdict::Done);
            }
        };
        let Some(step) = run.spec.step(&message.step).cloned() else {
            return Err(Error::NotFound(format!(
                "workflow run {} has no step `{}`",
                run.id, message.step
            )));
        };
        let Some(record) = run.step(&step.id).cloned() else {
            return Err(Error::Internal("a run without its step row".into()));
        };
        if record.status.is_final() {
            // Finished before (a redelivery, or a worker that died before the rest).
            self.advance(run.id, &step.id).await?;
            return Ok(Verdict::Done);
        }
        let needs = plan.needs_of(&run.spec, &step.id);
        let needed: Vec<&StepRecord> = run
            .steps
            .iter()
            .filter(|other| needs.contains(&other.step_id))
            .collect();
        if needed.iter().any(|other| !other.status.is_final()) {
            // Early (reordered or duplicated): the last of its needs enqueues it.
            return Ok(Verdict::Done);
        }
        let outputs: BTreeMap<String, Value> = run
            .steps
            .iter()
            .filter(|other| other.status.is_final())
            .map(|other| {
                (
                    other.step_id.clone(),
                    other.output.clone().unwrap_or(Value::Null),
                )
            })
            .collect();
        let scope = Scope {
            inputs: &run.inputs,
            outputs: &outputs,
            item: None,
        };
        let skip = needed
            .iter()
            .any(|other| other.status != StepStatus::Succeeded)
            || match &step.when {
                Some(when) => {
                    let reference = Reference::parse(when).map_err(Error::Internal)?;
                    scope.resolve(&reference).map_err(Error::Internal)? != Value::Bool(true)
                }
                None => false,
            };
        if skip {
            self.ports
                .workflow_runs
                .finish_step(
                    run.id,
                    &step.id,
                    &StepResult::without_runs(StepStatus::Skipped, None),
                )
                .await?;
            self.advance(run.id, &step.id).await?;
            return Ok(Verdict::Done);
        }
        if !self
            .ports
            .workflow_runs
            .begin_step(run.id, &step.id)
            .await?
        {
            return Ok(Verdict::Done);
        }
        let caller = run_caller(&run);
        let result = self.execute(&caller, &run, &step, &scope).await;
        match result {
            Ok((output, usage)) => {
                self.ports
                    .workflow_runs
                    .finish_step(
                        run.id,
                        &step.id,
                        &StepResult {
                            status: StepStatus::Succeeded,
                            output: Some(output),
                            error: None,
                            input_tokens: usage.input_tokens,
                            output_tokens: usage.output_tokens,
                            charged_micros: usage.charged_micros,
                            creator_share_micros: usage.creator_share_micros,
                            run_ids: usage.run_ids,
                        },
                    )
                    .await?;
                self.advance(run.id, &step.id).await?;
                Ok(Verdict::Done)
            }
            Err(StepFailure::Retry(delay, why)) => {
                tracing::info!(run_id = %run.id, step = %step.id, delay_ms = delay.as_millis() as u64, why, "workflow step retried later");
                Ok(Verdict::Retry(delay))
            }
            Err(StepFailure::InFlight(delay)) => {
                tracing::info!(run_id = %run.id, step = %step.id, delay_ms = delay.as_millis() as u64, "an earlier delivery is still running this step; looking again later");
                self.ports
                    .queue
                    .send_after(std::slice::from_ref(message), delay)
                    .await?;
                Ok(Verdict::Done)
            }
            Err(StepFailure::Fatal(detail)) => {
                let mut result = StepResult::without_runs(StepStatus::Failed, None);
                result.error = Some(detail.clone());
                let usage = self.usage_of(&run, &step).await?;
                result.input_tokens = usage.input_tokens;
                result.output_tokens = usage.output_tokens;
                result.charged_micros = usage.charged_micros;
                result.creator_share_micros = usage.creator_share_micros;
                result.run_ids = usage.run_ids;
                self.ports
                    .workflow_runs
                    .finish_step(run.id, &step.id, &result)
                    .await?;
                self.fail_run(&run, Some(&step.id), &detail).await?;
                Ok(Verdict::Done)
            }
            Err(StepFailure::Internal(error)) => Err(error),
        }
    }

    pub(super) async fn fail_run(
        &self,
        run: &WorkflowRunRecord,
        step: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        self.ports
            .workflow_runs
            .finish_run(
                run.id,
                WorkflowRunStatus::Failed,
                None,
                Some(&WorkflowRunError {
                    step: step.map(str::to_owned),
                    kind: WorkflowFailure::StepFailed,
                    detail: detail.to_owned(),
                }),
            )
            .await?;
        Ok(())
    }

    /// After `finished` ended: enqueue its dependents that became ready, and end the run
    /// when every step has.
    pub(super) async fn advance(&self, run_id: Uuid, finished: &str) -> Result<()> {
        let Some(run) = self.ports.workflow_runs.find_run(run_id).await? else {
            return Ok(());
        };
        if run.status != WorkflowRunStatus::Running {
            return Ok(());
        }
        let Ok(plan) = run.spec.plan() else {
            return Ok(());
        };
        let ready = ready_steps(&run, &plan, plan.dependents(&run.spec, finished));
        if !ready.is_empty() {
            self.ports.queue.send(&ready).await?;
        }
        if run.steps.iter().all(|step| step.status.is_final()) {
            let outputs: BTreeMap<String, Value> = run
                .steps
                .iter()
                .map(|step| {
                    (
                        step.step_id.clone(),
                        step.output.clone().unwrap_or(Value::Null),
                    )
                })
                .collect();
            let scope = Scope {
                inputs: &run.inputs,
                outputs: &outputs,
                item: None,
            };
            let mut rendered = BTreeMap::new();
            for (name, text) in &run.spec.outputs {
                let value = Template::parse(text)
                    .and_then(|template| match template.sole_reference() {
                        Some(reference) => scope.resolve(reference),
                        None => template.render(&scope).map(Value::String),
                    })
                    .unwrap_or(Value::Null);
                rendered.insert(name.clone(), value);
            }
            self.ports
                .workflow_runs
                .finish_run(run_id, WorkflowRunStatus::Succeeded, Some(&rendered), None)
                .await?;
        }
        Ok(())
    }

    /// What a failed step's agent runs used (they are charged whatever the step's fate).
    pub(super) async fn usage_of(
        &self,
        run: &WorkflowRunRecord,
        step: &workflow::Step,
    ) -> Result<Usage> {
        let mut usage = Usage::default();
        let items = match step.action() {
            Some(Action::Map(map)) => (0..map.max_items as usize).map(Some).collect(),
            Some(Action::Agent(_)) => vec![None],
            _ => Vec::new(),
        };
        for item in items {
            let mut found_any = false;
            for attempt in 0..self.settings.max_step_attempts {
                let id = step_run_id(run.id, &step.id, item, attempt);
                if let Some(record) = self.ports.run_store.find_run(run.user_id, id).await? {
                    usage.add(&record);
                    found_any = true;
                }
            }
            if !found_any && item.is_some() {
                break;
            }
        }
        Ok(usage)
    }

    /// How long the `attempt`th retry waits: doubling from `retry_base` (at most 2^8 times,
    /// and at most 5 minutes), half of it jittered.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(8);
        crate::services::backoff::half_jitter(crate::services::backoff::exponential(
            self.settings.retry_base,
            doublings,
            Duration::from_secs(300),
        ))
    }
}

/// Why a step did not finish this time.
pub(super) enum StepFailure {
    /// Try again later (backoff, a rate limit).
    Retry(Duration, String),
    /// Another delivery's agent run for this step is in flight: look again after this
    /// long, with a fresh message (waiting must not use up this one's receives).
    InFlight(Duration),
    /// The step failed for good; the run fails with this.
    Fatal(String),
    /// Agora itself failed (database, queue): the message is retried as is.
    Internal(Error),
}

impl From<Error> for StepFailure {
    fn from(error: Error) -> Self {
        Self::Internal(error)
    }
}

/// The agent runs of a step, summed.
#[derive(Default)]
pub(super) struct Usage {
    pub(super) input_tokens: i64,
    pub(super) output_tokens: i64,
    pub(super) charged_micros: i64,
    pub(super) creator_share_micros: i64,
    pub(super) run_ids: Vec<Uuid>,
}

impl Usage {
    pub(super) fn add(&mut self, run: &RunRecord) {
        self.input_tokens += run.input_tokens;
        self.output_tokens += run.output_tokens;
        self.charged_micros += run.charged_micros;
        self.creator_share_micros += run.agent_price_micros;
        self.run_ids.push(run.id);
    }
}

/// Messages for the steps among `candidates` that may run now: unfinished, with every
/// step they need finished.
pub(super) fn ready_steps<'a>(
    run: &WorkflowRunRecord,
    plan: &WorkflowPlan,
    candidates: impl Iterator<Item = &'a workflow::Step>,
) -> Vec<StepMessage> {
    let is_final = |id: &str| run.step(id).is_some_and(|step| step.status.is_final());
    candidates
        .filter(|step| !is_final(&step.id))
        .filter(|step| {
            plan.needs_of(&run.spec, &step.id)
                .iter()
                .all(|need| is_final(need))
        })
        .map(|step| StepMessage {
            run_id: run.id,
            step: step.id.clone(),
            redriven: false,
        })
        .collect()
}

/// How long a delivery that finds its step's agent run in flight (for `running` so far,
/// its hold expiring in `left`) waits before looking again: half the time the run has
/// been going, at least 2 s, and never past the moment the run counts as abandoned.
pub(super) fn in_flight_wait(running: Duration, left: Duration) -> Duration {
    (running / 2)
        .max(Duration::from_secs(2))
        .min(left + Duration::from_secs(1))
        .min(MAX_SEND_DELAY)
}

/// Steps run as the user who started the run.
pub(super) fn run_caller(run: &WorkflowRunRecord) -> Caller {
    Caller::User(Principal {
        user_id: run.user_id,
        role: Role::User,
        credential: Credential::WorkflowRun { run_id: run.id },
    })
}

pub(super) fn describe(error: &Error) -> String {
    match error {
        Error::Validation(fields) => fields
            .iter()
            .map(|field| format!("{}: {}", field.field, field.message))
            .collect::<Vec<_>>()
            .join("; "),
        Error::InsufficientCredits { available, needed } => format!(
            "the balance ({available} available) cannot cover the step's worst case ({needed})"
        ),
        other => other.to_string(),
    }
}

pub(super) fn short(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ports::MAX_SEND_DELAY;

    #[test]
    fn a_step_in_flight_is_looked_at_again_later_the_longer_it_has_run_but_not_past_its_hold() {
        let seconds = Duration::from_secs;
        // Just started: 2 s; the longer it runs, the longer the wait.
        assert_eq!(in_flight_wait(seconds(0), seconds(900)), seconds(2));
        assert_eq!(in_flight_wait(seconds(60), seconds(840)), seconds(30));
        // Never past the hold's end (then it counts as abandoned), nor SQS's longest delay.
        assert_eq!(in_flight_wait(seconds(880), seconds(20)), seconds(21));
        assert_eq!(
            in_flight_wait(seconds(4_000), seconds(80_000)),
            MAX_SEND_DELAY
        );
    }
}
