//! What a step does: an agent call (once per map item, a few at a time) through the run
//! path's metering, or a built-in transform; each agent run has an id derived from the
//! run, step, item and attempt, so a retry finds the run it made before.

use std::collections::BTreeMap;

use futures::{StreamExt, stream};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Error,
    domain::{
        AgentAddress, Caller, VersionChoice,
        llm::{Message, Role as MessageRole, ToolChoice},
        workflow::{self, Action, AgentCall, Reference, Scope, Template},
    },
    ports::{RunSource, RunStatus, WorkflowRunRecord},
    services::runs::{RunEvent, RunRequest},
};

use super::WorkflowService;
use super::steps::{StepFailure, Usage, describe, in_flight_wait, short};

impl WorkflowService {
    pub(super) async fn execute(
        &self,
        caller: &Caller,
        run: &WorkflowRunRecord,
        step: &workflow::Step,
        scope: &Scope<'_>,
    ) -> std::result::Result<(Value, Usage), StepFailure> {
        let fatal = |message: String| StepFailure::Fatal(message);
        match step.action() {
            None => Err(fatal("the step has no action".into())),
            Some(Action::Template(template)) => {
                let text = Template::parse(&template.text)
                    .and_then(|template| template.render(scope))
                    .map_err(fatal)?;
                Ok((Value::String(text), Usage::default()))
            }
            Some(Action::Extract(extract)) => {
                let reference = Reference::parse(&extract.from).map_err(fatal)?;
                let source = workflow::as_json(scope.resolve(&reference).map_err(fatal)?);
                let value = source.pointer(&extract.path).cloned().ok_or_else(|| {
                    fatal(format!(
                        "{} has nothing at {}",
                        extract.from,
                        if extract.path.is_empty() {
                            "/"
                        } else {
                            &extract.path
                        }
                    ))
                })?;
                Ok((value, Usage::default()))
            }
            Some(Action::Condition(condition)) => {
                let render = |text: &str| {
                    Template::parse(text)
                        .and_then(|template| template.render(scope))
                        .map_err(fatal)
                };
                let value = render(&condition.value)?;
                let compare = render(&condition.compare)?;
                Ok((
                    Value::Bool(workflow::evaluate(condition.operator, &value, &compare)),
                    Usage::default(),
                ))
            }
            Some(Action::Agent(call)) => {
                let mut usage = Usage::default();
                let answer = self
                    .run_agent(caller, run, &step.id, None, call, scope, &mut usage)
                    .await?;
                Ok((Value::String(answer), usage))
            }
            Some(Action::Map(map)) => {
                let reference = Reference::parse(&map.over).map_err(fatal)?;
                let items = match workflow::as_json(scope.resolve(&reference).map_err(fatal)?) {
                    Value::Array(items) => items,
                    other => {
                        return Err(fatal(format!(
                            "{} is not a list (it is {})",
                            map.over,
                            short(&other)
                        )));
                    }
                };
                if items.len() > map.max_items as usize {
                    return Err(fatal(format!(
                        "{} has {} items, more than this map's max_items ({})",
                        map.over,
                        items.len(),
                        map.max_items
                    )));
                }
                // Boxed: the futures borrow the run, which a plain async closure cannot
                // prove `Send` for every lifetime.
                let item_runs: Vec<futures::future::BoxFuture<'_, _>> = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| -> futures::future::BoxFuture<'_, _> {
                        Box::pin(async move {
                            let scope = Scope {
                                inputs: scope.inputs,
                                outputs: scope.outputs,
                                item: Some(item),
                            };
                            let mut usage = Usage::default();
                            let answer = self
                                .run_agent(
                                    caller,
                                    run,
                                    &step.id,
                                    Some(index),
                                    &map.agent,
                                    &scope,
                                    &mut usage,
                                )
                                .await;
                            (index, answer, usage)
                        })
                    })
                    .collect();
                let results = stream::iter(item_runs)
                    .buffer_unordered(map.concurrency as usize)
                    .collect::<Vec<_>>()
                    .await;
                let mut answers = vec![Value::Null; items.len()];
                let mut usage = Usage::default();
                let mut failure = None;
                for (index, answer, item_usage) in results {
                    usage.input_tokens += item_usage.input_tokens;
                    usage.output_tokens += item_usage.output_tokens;
                    usage.charged_micros += item_usage.charged_micros;
                    usage.creator_share_micros += item_usage.creator_share_micros;
                    usage.run_ids.extend(item_usage.run_ids);
                    match answer {
                        Ok(text) => answers[index] = Value::String(text),
                        // A fatal failure wins over a retry: retrying cannot help.
                        Err(error @ StepFailure::Fatal(_)) => failure = Some(error),
                        Err(error) => {
                            if !matches!(failure, Some(StepFailure::Fatal(_))) {
                                failure = Some(error);
                            }
                        }
                    }
                }
                match failure {
                    Some(failure) => Err(failure),
                    None => Ok((Value::Array(answers), usage)),
                }
            }
        }
    }

    /// Runs an agent for a step (or one map item) exactly once in effect: attempt `n`'s
    /// run id is derived from (run, step, item, n); a finished attempt is adopted or, when
    /// it failed, followed by the next one; one in flight makes the message wait.
    #[expect(
        clippy::too_many_arguments,
        reason = "one item of one step of one run: all needed"
    )]
    pub(super) async fn run_agent(
        &self,
        caller: &Caller,
        run: &WorkflowRunRecord,
        step: &str,
        item: Option<usize>,
        call: &AgentCall,
        scope: &Scope<'_>,
        usage: &mut Usage,
    ) -> std::result::Result<String, StepFailure> {
        let mut last_error = String::new();
        for attempt in 0..self.settings.max_step_attempts {
            let id = step_run_id(run.id, step, item, attempt);
            match self.ports.run_store.find_run(run.user_id, id).await? {
                Some(existing) if existing.status == RunStatus::Succeeded => {
                    usage.add(&existing);
                    return Ok(existing.output);
                }
                Some(existing) if existing.status == RunStatus::Running => {
                    let now = self.ports.clock.now();
                    let running = (now - existing.created_at).to_std().unwrap_or_default();
                    let hold_ttl = self.ports.runs.settings().hold_ttl;
                    if running < hold_ttl {
                        return Err(StepFailure::InFlight(in_flight_wait(
                            running,
                            hold_ttl - running,
                        )));
                    }
                    // Past its hold, nothing settles it (its worker was killed): the
                    // sweeper ends it now, uncharged, and the next delivery runs the next
                    // attempt.
                    self.ports.runs.release_stale_runs().await?;
                    return Err(StepFailure::Retry(
                        self.settings.retry_base,
                        "an abandoned agent run was ended".into(),
                    ));
                }
                Some(existing) => {
                    usage.add(&existing);
                    last_error = existing
                        .error
                        .map(|error| error.detail)
                        .unwrap_or_else(|| format!("the run ended {}", existing.status.as_str()));
                    continue;
                }
                None => {}
            }
            // A cancelled (or otherwise ended) run starts nothing more: not its next map
            // item, not another attempt.
            let status = self.ports.workflow_runs.run_status(run.id).await?;
            if status != Some(crate::ports::WorkflowRunStatus::Running) {
                return Err(StepFailure::Fatal("the workflow run has ended".into()));
            }
            let prompt = Template::parse(&call.prompt)
                .and_then(|template| template.render(scope))
                .map_err(StepFailure::Fatal)?;
            let mut inputs = BTreeMap::new();
            for (name, text) in &call.inputs {
                let template = Template::parse(text).map_err(StepFailure::Fatal)?;
                let value = match template.sole_reference() {
                    Some(reference) => scope.resolve(reference).map_err(StepFailure::Fatal)?,
                    None => Value::String(template.render(scope).map_err(StepFailure::Fatal)?),
                };
                inputs.insert(name.clone(), value);
            }
            let agent = AgentAddress::parse(&call.agent)
                .map_err(StepFailure::Fatal)?
                .at(VersionChoice::Number(call.version));
            let request = RunRequest {
                id,
                agent,
                messages: vec![Message::new(MessageRole::User, prompt)],
                inputs,
                tools: Vec::new(),
                tool_choice: ToolChoice::Auto,
                max_tokens: None,
                temperature: None,
                top_p: None,
                stream: false,
                source: RunSource::Workflow,
                conversation: None,
            };
            // Its own task: a worker that stops waiting (a delivery cut short) never cuts a
            // run between its record and its charge; the next delivery adopts its result.
            let runs = self.ports.runs.clone();
            let run_caller = caller.clone();
            #[expect(
                clippy::disallowed_methods,
                reason = "an agent run is never cut between its record and its charge when the delivery waiting for it is"
            )]
            let task = tokio::spawn(async move {
                let mut active = runs.start(&run_caller, request).await?;
                let mut outcome = None;
                while let Some(event) = active.events.recv().await {
                    if let RunEvent::Done(done) = event {
                        outcome = Some(done);
                    }
                }
                Ok::<_, Error>(outcome)
            });
            let started = task
                .await
                .map_err(|error| Error::Internal(format!("a step's run task failed: {error}")))?;
            let outcome = match started {
                Ok(outcome) => outcome,
                Err(Error::RateLimited {
                    retry_after,
                    detail,
                }) => {
                    return Err(StepFailure::Retry(retry_after, detail));
                }
                Err(Error::InFlight { retry_after }) => {
                    return Err(StepFailure::Retry(retry_after, "in flight".into()));
                }
                Err(error @ Error::RunFailed { .. }) => {
                    // Every model failed; the run is recorded (failed): try the next attempt.
                    last_error = error.to_string();
                    if let Some(record) = self.ports.run_store.find_run(run.user_id, id).await? {
                        usage.add(&record);
                    }
                    if attempt + 1 < self.settings.max_step_attempts {
                        return Err(StepFailure::Retry(self.backoff(attempt + 1), last_error));
                    }
                    continue;
                }
                Err(
                    error @ (Error::InsufficientCredits { .. }
                    | Error::SpendingLimit { .. }
                    | Error::NotFound(_)
                    | Error::Validation(_)
                    | Error::NoProvider(_)
                    | Error::Forbidden(_)),
                ) => return Err(StepFailure::Fatal(describe(&error))),
                Err(other) => return Err(StepFailure::Internal(other)),
            };
            let record = self
                .ports
                .run_store
                .find_run(run.user_id, id)
                .await?
                .ok_or_else(|| Error::Internal("a finished run vanished".into()))?;
            usage.add(&record);
            match outcome {
                Some(done) if done.status == RunStatus::Succeeded => return Ok(done.output),
                Some(done) => {
                    last_error = done
                        .error
                        .map(|error| error.detail)
                        .unwrap_or_else(|| format!("the run ended {}", done.status.as_str()));
                }
                None => last_error = "the run ended without an outcome".into(),
            }
            if attempt + 1 < self.settings.max_step_attempts {
                return Err(StepFailure::Retry(self.backoff(attempt + 1), last_error));
            }
        }
        Err(StepFailure::Fatal(format!(
            "{}@{} failed {} times; the last error: {last_error}",
            call.agent, call.version, self.settings.max_step_attempts
        )))
    }
}

/// The id of a step's agent run: the same (run, step, item, attempt) always names the
/// same run, which is what makes a redelivered step adopt it instead of billing again.
pub fn step_run_id(run_id: Uuid, step: &str, item: Option<usize>, attempt: u32) -> Uuid {
    let mut hash = Sha256::new();
    hash.update(b"agora.workflow-step-run/v1\0");
    hash.update(run_id.as_bytes());
    hash.update(step.as_bytes());
    hash.update(b"\0");
    hash.update(item.map_or(u64::MAX, |item| item as u64).to_be_bytes());
    hash.update(attempt.to_be_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_steps_run_ids_differ_by_run_step_item_and_attempt_and_never_change() {
        let run = Uuid::from_u128(7);
        let first = step_run_id(run, "each", Some(0), 0);
        assert_eq!(first, step_run_id(run, "each", Some(0), 0));
        for other in [
            step_run_id(Uuid::from_u128(8), "each", Some(0), 0),
            step_run_id(run, "eac", Some(0), 0),
            step_run_id(run, "each", Some(1), 0),
            step_run_id(run, "each", None, 0),
            step_run_id(run, "each", Some(0), 1),
        ] {
            assert_ne!(first, other);
        }
    }
}
