//! Workflow runs as their users see them: started with the worst case held and the ready
//! steps enqueued, read, listed, cancelled, and ended by maintenance when they outlive
//! their time.

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::{Caller, VersionChoice},
    ports::{
        NewWorkflowRun, StartWorkflowRunError, StepMessage, StepStatus, WorkflowFailure,
        WorkflowRunError, WorkflowRunRecord, WorkflowRunStatus,
    },
};

use super::definitions::workflow_not_found;
use super::{WorkflowService, credits, step_run_id, views::WorkflowRunView};

impl WorkflowService {
    // ---- runs ------------------------------------------------------------------------------

    /// Starts a run: checks the inputs and the whole definition, holds the worst case
    /// (`402` when the balance cannot cover it, before anything runs), records the run and
    /// enqueues the steps that need nothing. `run_id` comes from the `Idempotency-Key`
    /// when there is one: a retry finds the run it started.
    pub async fn start_run(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: VersionChoice,
        inputs: BTreeMap<String, Value>,
        run_id: Uuid,
    ) -> Result<WorkflowRunView> {
        let user_id = caller.user()?.user_id;
        let record = self.visible(caller, handle, slug).await?;
        let owner = record.owner_id == user_id;
        let (workflow_version, spec) = match (version, record.latest_version) {
            (VersionChoice::Draft, _) | (VersionChoice::Latest, None) if owner => {
                (None, record.draft.clone())
            }
            (VersionChoice::Draft, _) | (VersionChoice::Latest, None) => {
                return Err(workflow_not_found());
            }
            (VersionChoice::Latest, Some(number)) | (VersionChoice::Number(number), _) => {
                let found = self
                    .ports
                    .store
                    .find_workflow_version(record.id, number)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!("{handle}/{slug} has no version {number}."))
                    })?;
                (Some(number), found.spec)
            }
        };
        spec.check_inputs(&inputs).map_err(Error::Validation)?;
        let plan = spec.plan().map_err(Error::Validation)?;
        let estimate = self.estimate(caller, &spec, &plan, Some(&inputs)).await?;
        let holds: BTreeMap<&str, i64> = estimate
            .steps
            .iter()
            .map(|step| (step.step.as_str(), step.worst_case.micros()))
            .collect();
        let new_run = NewWorkflowRun {
            id: run_id,
            workflow_id: record.id,
            workflow_version,
            user_id,
            steps: spec
                .steps
                .iter()
                .map(|step| {
                    (
                        step.id.clone(),
                        step.kind(),
                        holds.get(step.id.as_str()).copied().unwrap_or(0),
                    )
                })
                .collect(),
            spec,
            inputs,
            worst_case_micros: estimate.worst_case.micros(),
        };
        match self.ports.workflow_runs.start_run(&new_run).await {
            Ok(()) => {}
            Err(StartWorkflowRunError::Exists(existing)) => {
                if existing.user_id != user_id || existing.workflow_id != record.id {
                    return Err(Error::IdempotencyKeyReused);
                }
                return Ok((*existing).into());
            }
            Err(StartWorkflowRunError::InsufficientCredits { available, needed }) => {
                return Err(Error::InsufficientCredits {
                    available: credits(available.max(0)),
                    needed: credits(needed),
                });
            }
            Err(StartWorkflowRunError::Other(error)) => return Err(error),
        }
        let ready: Vec<StepMessage> = plan
            .needs
            .iter()
            .zip(&new_run.spec.steps)
            .filter(|(needs, _)| needs.is_empty())
            .map(|(_, step)| StepMessage {
                run_id,
                step: step.id.clone(),
                redriven: false,
            })
            .collect();
        if let Err(error) = self.ports.queue.send(&ready).await {
            // Nothing ran: end the run and release its hold rather than leave it waiting.
            self.ports
                .workflow_runs
                .finish_run(
                    run_id,
                    WorkflowRunStatus::Failed,
                    None,
                    Some(&WorkflowRunError {
                        step: None,
                        kind: WorkflowFailure::QueueUnavailable,
                        detail: "The run could not be queued; nothing ran and nothing was charged. Try again.".into(),
                    }),
                )
                .await?;
            return Err(error);
        }
        self.find_run(caller, run_id).await
    }

    /// One of the caller's runs, with every step.
    pub async fn find_run(&self, caller: &Caller, id: Uuid) -> Result<WorkflowRunView> {
        self.owned_run(caller, id).await.map(Into::into)
    }

    async fn owned_run(&self, caller: &Caller, id: Uuid) -> Result<WorkflowRunRecord> {
        let user_id = caller.user()?.user_id;
        self.ports
            .workflow_runs
            .find_run(id)
            .await?
            .filter(|run| run.user_id == user_id)
            .ok_or_else(|| Error::NotFound("You have no workflow run with this id.".into()))
    }

    pub async fn list_runs(
        &self,
        caller: &Caller,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<WorkflowRunView>> {
        let user_id = caller.user()?.user_id;
        let runs = self
            .ports
            .workflow_runs
            .list_runs(user_id, before, limit)
            .await?;
        Ok(runs.into_iter().map(Into::into).collect())
    }

    /// Cancels a running run: no step starts after this; a step's agent run in flight is
    /// asked to stop (it is charged for what it used); what is still held is released.
    pub async fn cancel_run(&self, caller: &Caller, id: Uuid) -> Result<WorkflowRunView> {
        let run = self.owned_run(caller, id).await?;
        if run.status == WorkflowRunStatus::Running {
            self.ports
                .workflow_runs
                .finish_run(
                    id,
                    WorkflowRunStatus::Cancelled,
                    None,
                    Some(&WorkflowRunError {
                        step: None,
                        kind: WorkflowFailure::Cancelled,
                        detail: "Cancelled by its user.".into(),
                    }),
                )
                .await?;
            for step in run
                .steps
                .iter()
                .filter(|step| step.status == StepStatus::Running)
            {
                for attempt in 0..self.settings.max_step_attempts {
                    let run_id = step_run_id(id, &step.step_id, None, attempt);
                    let _ = self.ports.runs.stop(caller, run_id).await;
                }
            }
        }
        self.find_run(caller, id).await
    }

    /// Ends runs that outlived `run_ttl` as failed (`timed-out`), releasing their holds;
    /// returns how many. Safe to run at any time, any number of times.
    pub async fn end_stale_runs(&self) -> Result<u64> {
        let ttl =
            chrono::Duration::from_std(self.settings.run_ttl).unwrap_or(chrono::Duration::MAX);
        let before = self.ports.clock.now() - ttl;
        let mut ended = 0;
        for id in self.ports.workflow_runs.stale_runs(before).await? {
            let error = WorkflowRunError {
                step: None,
                kind: WorkflowFailure::TimedOut,
                detail: format!(
                    "The run did not finish within {} hours; what was still held is released.",
                    self.settings.run_ttl.as_secs() / 3600
                ),
            };
            if self
                .ports
                .workflow_runs
                .finish_run(id, WorkflowRunStatus::Failed, None, Some(&error))
                .await?
            {
                ended += 1;
            }
        }
        Ok(ended)
    }
}
