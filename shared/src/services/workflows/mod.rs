//! The Workflow Service: definitions (create, edit, validate, publish, list, fork) and
//! asynchronous runs.
//!
//! A run is recorded with its worst-case cost held and its ready steps enqueued. A worker
//! ([`WorkflowService::process`]) runs one step per message, stores its result once, and
//! enqueues the steps that became ready; the last step to finish ends the run. Delivery is
//! at least once and in any order, so every decision is made from the stored state:
//! - a step already finished is never run again (its dependents are enqueued again, which
//!   is what a worker that died after storing the result left undone);
//! - a step's agent runs have ids derived from (run, step, item, attempt), so a run that
//!   finished before a crash is found and adopted, never run and billed again, and a
//!   duplicate racing it gets "in flight" and is retried later;
//! - a step that is not ready yet (a reordered or duplicated message) is dropped: the last
//!   of its dependencies enqueues it.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use futures::{StreamExt, stream};

mod worker;

pub use self::worker::WorkflowWorker;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::FieldError,
    domain::{
        Caller, Credits, Role,
        caller::{Credential, Principal},
        llm::{Message, Role as MessageRole},
        workflow::{
            self, Action, AgentCall, Reference, Scope, Template, WorkflowPlan, WorkflowSpec,
        },
    },
    ports::{
        AgentStatus, Clock, Delivery, MAX_SEND_DELAY, NewWorkflow, NewWorkflowRun, Queue,
        RunRecord, RunSource, RunStatus, RunStore, SavedWorkflowRecord, StartWorkflowRunError,
        StepMessage, StepRecord, StepResult, StepStatus, Verdict, Visibility, WorkflowLibrary,
        WorkflowQuery, WorkflowRecord, WorkflowRunError, WorkflowRunRecord, WorkflowRunStatus,
        WorkflowRunStore, WorkflowStore, WorkflowVersionRecord,
    },
    services::runs::{RunEvent, RunRequest, RunService, RunTarget, VersionChoice},
};

pub struct WorkflowPorts {
    pub store: Arc<dyn WorkflowStore>,
    pub library: Arc<dyn WorkflowLibrary>,
    pub workflow_runs: Arc<dyn WorkflowRunStore>,
    pub queue: Arc<dyn Queue>,
    pub runs: Arc<RunService>,
    pub run_store: Arc<dyn RunStore>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Clone, Debug)]
pub struct WorkflowSettings {
    /// Agent runs one step (or one map item) may make before the step fails.
    pub max_step_attempts: u32,
    /// The first retry's delay; each later one doubles it.
    pub retry_base: Duration,
    /// The queue's `maxReceiveCount`: a message failing this often goes to the DLQ, and
    /// its run is failed with a problem detail (`dead-lettered`).
    pub max_receive_count: u32,
    pub signup_grant_micros: i64,
    /// A run still going after this long is ended by the maintenance job (its messages
    /// were lost: an in-process queue whose process stopped, a purged queue).
    pub run_ttl: Duration,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            max_step_attempts: 3,
            retry_base: Duration::from_secs(2),
            max_receive_count: 5,
            signup_grant_micros: 0,
            run_ttl: Duration::from_secs(86_400),
        }
    }
}

pub struct WorkflowService {
    ports: WorkflowPorts,
    settings: WorkflowSettings,
}

/// A workflow as its caller may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowView {
    /// `handle/slug`.
    pub address: String,
    pub owner_handle: String,
    pub slug: String,
    pub visibility: Visibility,
    pub status: AgentStatus,
    pub latest_version: Option<i32>,
    /// The definition: the owner's draft for the owner, the latest version for others.
    pub spec: WorkflowSpec,
    /// The agents its steps run, each pinned to a version, with its price per run.
    pub agents: Vec<AgentUse>,
    pub forked_from: Option<String>,
    pub fork_count: i64,
    pub run_count: i64,
    /// How many users have it in their library.
    pub save_count: i64,
    pub is_owner: bool,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A workflow in the caller's library.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SavedWorkflow {
    pub workflow: WorkflowView,
    pub saved_at: chrono::DateTime<chrono::Utc>,
}

/// An agent a workflow uses.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgentUse {
    /// `handle/slug`.
    pub agent: String,
    pub version: i32,
    /// The agent's name, when the caller may see it.
    pub name: Option<String>,
    /// What its creator earns per run (credits), when known.
    #[schema(value_type = Option<String>)]
    pub price_per_run: Option<Credits>,
}

/// What validation found: the cost of the worst case and of each step.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkflowEstimate {
    /// The most one run can cost, in credits: every model at full length, every map at
    /// its `max_items`.
    #[schema(value_type = String)]
    pub worst_case: Credits,
    pub steps: Vec<StepEstimate>,
    pub agents: Vec<AgentUse>,
    /// Step ids in an order that respects their dependencies.
    pub order: Vec<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StepEstimate {
    pub step: String,
    #[schema(value_type = String)]
    pub worst_case: Credits,
    /// Of which the agents' creators earn (their price per run).
    #[schema(value_type = String)]
    pub creators_share: Credits,
}

/// Why a step did not finish this time.
enum StepFailure {
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
struct Usage {
    input_tokens: i64,
    output_tokens: i64,
    charged_micros: i64,
    creator_share_micros: i64,
    run_ids: Vec<Uuid>,
}

impl Usage {
    fn add(&mut self, run: &RunRecord) {
        self.input_tokens += run.input_tokens;
        self.output_tokens += run.output_tokens;
        self.charged_micros += run.charged_micros;
        self.creator_share_micros += run.agent_price_micros;
        self.run_ids.push(run.id);
    }
}

impl WorkflowService {
    pub fn new(ports: WorkflowPorts, settings: WorkflowSettings) -> Self {
        Self { ports, settings }
    }

    pub fn settings(&self) -> &WorkflowSettings {
        &self.settings
    }

    // ---- definitions ---------------------------------------------------------------------

    /// Checks a definition completely — shapes, references, cycles, types, the agents and
    /// versions it names and whether the caller may run them, their input fields — and
    /// computes its worst-case cost. Every failure at once, each at its JSON path.
    pub async fn validate(&self, caller: &Caller, spec: &WorkflowSpec) -> Result<WorkflowEstimate> {
        caller.user()?;
        let plan = spec.plan().map_err(Error::Validation)?;
        self.estimate(caller, spec, &plan, None).await
    }

    async fn estimate(
        &self,
        caller: &Caller,
        spec: &WorkflowSpec,
        plan: &WorkflowPlan,
        inputs: Option<&BTreeMap<String, Value>>,
    ) -> Result<WorkflowEstimate> {
        let mut errors = Vec::new();
        let mut targets: BTreeMap<(String, i32), RunTarget> = BTreeMap::new();
        for (index, step) in spec.steps.iter().enumerate() {
            let Some(call) = step.agent_call() else {
                continue;
            };
            let at = match step.action() {
                Some(Action::Map(_)) => format!("steps[{index}].map.agent"),
                _ => format!("steps[{index}].agent"),
            };
            let key = (call.agent.clone(), call.version);
            if !targets.contains_key(&key) {
                match self.resolve_agent(caller, call).await {
                    Ok(target) => {
                        targets.insert(key.clone(), target);
                    }
                    Err(Error::NotFound(message)) => {
                        errors.push(FieldError {
                            field: format!("{at}.ref"),
                            message,
                        });
                        continue;
                    }
                    Err(Error::Validation(found)) => {
                        errors.extend(found.into_iter().map(|error| FieldError {
                            field: format!("{at}.{}", error.field),
                            message: error.message,
                        }));
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            }
            if let Some(target) = targets.get(&key) {
                check_agent_inputs(&mut errors, &at, call, target);
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }

        // Bounds: an agent's answer is at most its max_tokens, 4 bytes per token.
        let mut answers: BTreeMap<String, u32> = BTreeMap::new();
        for step in &spec.steps {
            if let Some(call) = step.agent_call()
                && let Some(target) = targets.get(&(call.agent.clone(), call.version))
            {
                let max_tokens = target
                    .spec
                    .model
                    .parameters
                    .max_tokens
                    .unwrap_or(self.ports.runs.settings().default_max_tokens);
                answers.insert(step.id.clone(), max_tokens);
            }
        }
        let mut bounds = spec.value_bounds(plan, |step| {
            u64::from(answers.get(&step.id).copied().unwrap_or(0)) * 4
        });
        if let Some(inputs) = inputs {
            for (name, value) in inputs {
                let size = match value {
                    Value::String(text) => text.len(),
                    other => other.to_string().len(),
                } as u64;
                bounds.insert(format!("inputs.{name}"), size);
            }
        }
        let mut steps = Vec::new();
        let mut total: i64 = 0;
        for &index in &plan.order {
            let step = &spec.steps[index];
            let (worst, share) = match (step.action(), step.agent_call()) {
                (Some(action), Some(call)) => {
                    let Some(target) = targets.get(&(call.agent.clone(), call.version)) else {
                        continue;
                    };
                    let mut item_bounds = bounds.clone();
                    let items = match action {
                        Action::Map(map) => {
                            let over = Reference::parse(&map.over)
                                .map(|reference| match reference {
                                    Reference::Input { name, .. } => format!("inputs.{name}"),
                                    Reference::StepOutput { step, .. } => {
                                        format!("steps.{step}.output")
                                    }
                                    Reference::Item { .. } => String::new(),
                                })
                                .unwrap_or_default();
                            let whole = bounds.get(&over).copied().unwrap_or(0);
                            item_bounds.insert("item".into(), whole);
                            i64::from(map.max_items)
                        }
                        _ => 1,
                    };
                    let prompt = call_bound(spec, call, &item_bounds);
                    let (per_run, _) = self.ports.runs.worst_case(caller, target, prompt).await?;
                    let price = if caller.user_id() == Some(target.record.owner_id) {
                        0
                    } else {
                        target.spec.price_per_run.micros()
                    };
                    (per_run.saturating_mul(items), price.saturating_mul(items))
                }
                _ => (0, 0),
            };
            total = total.saturating_add(worst);
            steps.push(StepEstimate {
                step: step.id.clone(),
                worst_case: credits(worst),
                creators_share: credits(share),
            });
        }
        let agents = targets
            .iter()
            .map(|((agent, version), target)| AgentUse {
                agent: agent.clone(),
                version: *version,
                name: Some(target.spec.name.clone()),
                price_per_run: Some(target.spec.price_per_run),
            })
            .collect();
        Ok(WorkflowEstimate {
            worst_case: credits(total),
            steps,
            agents,
            order: plan
                .order
                .iter()
                .map(|index| spec.steps[*index].id.clone())
                .collect(),
        })
    }

    /// The agent version a step names, if the caller may run it (published versions only:
    /// a workflow pins what it runs).
    async fn resolve_agent(&self, caller: &Caller, call: &AgentCall) -> Result<RunTarget> {
        let Some((handle, slug)) = call.agent.split_once('/') else {
            return Err(Error::NotFound(format!(
                "`{}` is not an agent address; write handle/slug",
                call.agent
            )));
        };
        if call.version < 1 {
            return Err(Error::invalid(
                "version",
                "must be a published version, 1 or more",
            ));
        }
        self.ports
            .runs
            .resolve(caller, handle, slug, VersionChoice::Number(call.version))
            .await
            .map_err(|error| match error {
                Error::NotFound(_) => Error::NotFound(format!(
                    "{}@{} is not an agent version you may run",
                    call.agent, call.version
                )),
                other => other,
            })
    }

    pub async fn create(
        &self,
        caller: &Caller,
        slug: &str,
        visibility: Visibility,
        spec: WorkflowSpec,
    ) -> Result<WorkflowView> {
        let owner_id = caller.user()?.user_id;
        check_slug(slug)?;
        spec.plan().map_err(Error::Validation)?;
        let id = Uuid::now_v7();
        self.ports
            .store
            .create_workflow(&NewWorkflow {
                id,
                owner_id,
                slug: slug.to_owned(),
                visibility,
                draft: spec,
                forked_from: None,
            })
            .await?;
        let record = self.created(id).await?;
        self.view(caller, record).await
    }

    /// A workflow the caller may see, as they may see it.
    pub async fn get(&self, caller: &Caller, handle: &str, slug: &str) -> Result<WorkflowView> {
        let record = self.visible(caller, handle, slug).await?;
        self.view(caller, record).await
    }

    pub async fn versions(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<Vec<WorkflowVersionRecord>> {
        let record = self.visible(caller, handle, slug).await?;
        self.ports.store.list_workflow_versions(record.id).await
    }

    pub async fn update(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        spec: Option<WorkflowSpec>,
        visibility: Option<Visibility>,
    ) -> Result<WorkflowView> {
        let record = self.owned(caller, handle, slug).await?;
        let spec = spec.unwrap_or_else(|| record.draft.clone());
        spec.plan().map_err(Error::Validation)?;
        self.ports
            .store
            .update_workflow(record.id, &spec, visibility.unwrap_or(record.visibility))
            .await?;
        let record = self.owned(caller, handle, slug).await?;
        self.view(caller, record).await
    }

    /// Publishes the draft as the next version, after the full validation.
    pub async fn publish(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        changelog: &str,
    ) -> Result<WorkflowView> {
        let record = self.owned(caller, handle, slug).await?;
        if changelog.chars().count() > 2000 {
            return Err(Error::invalid(
                "changelog",
                "must be at most 2,000 characters",
            ));
        }
        self.validate(caller, &record.draft).await?;
        self.ports
            .store
            .publish_workflow(record.id, changelog)
            .await?;
        let record = self.owned(caller, handle, slug).await?;
        self.view(caller, record).await
    }

    /// Copies a workflow the caller may see into their own drafts.
    pub async fn fork(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        new_slug: Option<&str>,
    ) -> Result<WorkflowView> {
        let owner_id = caller.user()?.user_id;
        let original = self.visible(caller, handle, slug).await?;
        let spec = self.visible_spec(caller, &original).await?;
        let slug = new_slug.unwrap_or(&original.slug);
        check_slug(slug)?;
        let id = Uuid::now_v7();
        self.ports
            .store
            .create_workflow(&NewWorkflow {
                id,
                owner_id,
                slug: slug.to_owned(),
                visibility: Visibility::Private,
                draft: spec,
                forked_from: Some(original.id),
            })
            .await?;
        let record = self.created(id).await?;
        self.view(caller, record).await
    }

    /// Published workflows (matching `text`), or with `mine` all of the caller's.
    pub async fn list(
        &self,
        caller: &Caller,
        text: Option<String>,
        mine: bool,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<WorkflowView>> {
        let owner_id = if mine {
            Some(caller.user()?.user_id)
        } else {
            None
        };
        let records = self
            .ports
            .store
            .list_workflows(&WorkflowQuery {
                text: text.filter(|text| !text.trim().is_empty()),
                owner_id,
                include_unlisted: false,
                limit,
                offset,
            })
            .await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            views.push(self.view_without_agents(caller, record).await?);
        }
        Ok(views)
    }

    // ---- the library ---------------------------------------------------------------------

    /// Adds a workflow the caller may see to their library; saving it again changes nothing.
    pub async fn save(&self, caller: &Caller, handle: &str, slug: &str) -> Result<SavedWorkflow> {
        let user_id = caller.user()?.user_id;
        let record = self.visible(caller, handle, slug).await?;
        let saved_at = self.ports.library.save_workflow(user_id, record.id).await?;
        let record = self.created(record.id).await?;
        Ok(SavedWorkflow {
            workflow: self.view_without_agents(caller, record).await?,
            saved_at,
        })
    }

    pub async fn unsave(&self, caller: &Caller, handle: &str, slug: &str) -> Result<()> {
        let user_id = caller.user()?.user_id;
        let not_saved = || Error::NotFound("This workflow is not in your library.".into());
        let record = self
            .ports
            .store
            .find_workflow(handle, slug)
            .await?
            .ok_or_else(not_saved)?;
        if self
            .ports
            .library
            .unsave_workflow(user_id, record.id)
            .await?
        {
            Ok(())
        } else {
            Err(not_saved())
        }
    }

    /// The caller's library, most recently saved first. A workflow its owner has made
    /// private since stays saved but is left out (the store's rule) until it is shared
    /// again.
    pub async fn saved(
        &self,
        caller: &Caller,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<SavedWorkflow>> {
        let user_id = caller.user()?.user_id;
        let records = self
            .ports
            .library
            .list_saved_workflows(user_id, limit, offset)
            .await?;
        let mut saved = Vec::with_capacity(records.len());
        for SavedWorkflowRecord { workflow, saved_at } in records {
            saved.push(SavedWorkflow {
                workflow: self.view_without_agents(caller, workflow).await?,
                saved_at,
            });
        }
        Ok(saved)
    }

    async fn visible(&self, caller: &Caller, handle: &str, slug: &str) -> Result<WorkflowRecord> {
        let record = self
            .ports
            .store
            .find_workflow(handle, slug)
            .await?
            .ok_or_else(workflow_not_found)?;
        if may_see(caller, &record) {
            Ok(record)
        } else {
            Err(workflow_not_found())
        }
    }

    async fn created(&self, id: Uuid) -> Result<WorkflowRecord> {
        self.ports
            .store
            .find_workflow_by_id(id)
            .await?
            .ok_or_else(|| Error::Internal("a created workflow vanished".into()))
    }

    async fn owned(&self, caller: &Caller, handle: &str, slug: &str) -> Result<WorkflowRecord> {
        let user_id = caller.user()?.user_id;
        let record = self.visible(caller, handle, slug).await?;
        if record.owner_id == user_id {
            Ok(record)
        } else {
            Err(Error::Forbidden(
                "Only the workflow's owner can change it.".into(),
            ))
        }
    }

    async fn visible_spec(&self, caller: &Caller, record: &WorkflowRecord) -> Result<WorkflowSpec> {
        if caller.user_id() == Some(record.owner_id) {
            return Ok(record.draft.clone());
        }
        let version = record.latest_version.ok_or_else(workflow_not_found)?;
        Ok(self
            .ports
            .store
            .find_workflow_version(record.id, version)
            .await?
            .ok_or_else(workflow_not_found)?
            .spec)
    }

    async fn view(&self, caller: &Caller, record: WorkflowRecord) -> Result<WorkflowView> {
        let mut view = self.view_without_agents(caller, record).await?;
        let mut agents = Vec::new();
        for (agent, version) in view.spec.agents() {
            let call = AgentCall {
                agent: agent.clone(),
                version,
                prompt: String::new(),
                inputs: BTreeMap::new(),
            };
            let target = self.resolve_agent(caller, &call).await.ok();
            agents.push(AgentUse {
                agent,
                version,
                name: target.as_ref().map(|target| target.spec.name.clone()),
                price_per_run: target.as_ref().map(|target| target.spec.price_per_run),
            });
        }
        view.agents = agents;
        Ok(view)
    }

    async fn view_without_agents(
        &self,
        caller: &Caller,
        record: WorkflowRecord,
    ) -> Result<WorkflowView> {
        let spec = self.visible_spec(caller, &record).await?;
        let agents = spec
            .agents()
            .into_iter()
            .map(|(agent, version)| AgentUse {
                agent,
                version,
                name: None,
                price_per_run: None,
            })
            .collect();
        Ok(WorkflowView {
            address: format!("{}/{}", record.owner_handle, record.slug),
            is_owner: caller.user_id() == Some(record.owner_id),
            owner_handle: record.owner_handle,
            slug: record.slug,
            visibility: record.visibility,
            status: record.status,
            latest_version: record.latest_version,
            spec,
            agents,
            forked_from: record.forked_from,
            fork_count: record.fork_count,
            run_count: record.run_count,
            save_count: record.save_count,
            updated_at: record.updated_at,
        })
    }

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
    ) -> Result<WorkflowRunRecord> {
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
            signup_grant_micros: self.settings.signup_grant_micros,
        };
        match self.ports.workflow_runs.start_run(&new_run).await {
            Ok(()) => {}
            Err(StartWorkflowRunError::Exists(existing)) => {
                if existing.user_id != user_id || existing.workflow_id != record.id {
                    return Err(Error::IdempotencyKeyReused);
                }
                return Ok(*existing);
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
                        kind: "queue-unavailable".into(),
                        detail: "The run could not be queued; nothing ran and nothing was charged. Try again.".into(),
                    }),
                )
                .await?;
            return Err(error);
        }
        self.find_run(caller, run_id).await
    }

    pub async fn find_run(&self, caller: &Caller, id: Uuid) -> Result<WorkflowRunRecord> {
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
    ) -> Result<Vec<WorkflowRunRecord>> {
        let user_id = caller.user()?.user_id;
        self.ports
            .workflow_runs
            .list_runs(user_id, before, limit)
            .await
    }

    /// Cancels a running run: no step starts after this; a step's agent run in flight is
    /// asked to stop (it is charged for what it used); what is still held is released.
    pub async fn cancel_run(&self, caller: &Caller, id: Uuid) -> Result<WorkflowRunRecord> {
        let run = self.find_run(caller, id).await?;
        if run.status == WorkflowRunStatus::Running {
            self.ports
                .workflow_runs
                .finish_run(
                    id,
                    WorkflowRunStatus::Cancelled,
                    None,
                    Some(&WorkflowRunError {
                        step: None,
                        kind: "cancelled".into(),
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
                kind: "timed-out".into(),
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
    async fn dead_letter(&self, message: &StepMessage, why: &str) -> Result<()> {
        self.ports
            .workflow_runs
            .finish_run(
                message.run_id,
                WorkflowRunStatus::Failed,
                None,
                Some(&WorkflowRunError {
                    step: Some(message.step.clone()),
                    kind: "dead-lettered".into(),
                    detail: format!(
                        "Step `{}` failed {} times ({why}); its message is in the dead-letter queue. `agora workflows redrive` retries it.",
                        message.step, self.settings.max_receive_count
                    ),
                }),
            )
            .await?;
        Ok(())
    }

    async fn process_step(&self, message: &StepMessage) -> Result<Verdict> {
        let Some(mut run) = self.ports.workflow_runs.find_run(message.run_id).await? else {
            return Err(Error::NotFound(format!(
                "workflow run {} does not exist",
                message.run_id
            )));
        };
        if run.status == WorkflowRunStatus::Failed
            && run
                .error
                .as_ref()
                .is_some_and(|error| error.kind == "dead-lettered")
        {
            // A redriven message: the run continues where it stopped.
            self.ports.workflow_runs.reopen_run(run.id).await?;
            run = self
                .ports
                .workflow_runs
                .find_run(message.run_id)
                .await?
                .ok_or_else(|| Error::Internal("a reopened run vanished".into()))?;
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

    async fn fail_run(
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
                    kind: "step-failed".into(),
                    detail: detail.to_owned(),
                }),
            )
            .await?;
        Ok(())
    }

    /// After `finished` ended: enqueue its dependents that became ready, and end the run
    /// when every step has.
    async fn advance(&self, run_id: Uuid, finished: &str) -> Result<()> {
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

    async fn execute(
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
    async fn run_agent(
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
            let (handle, slug) = call.agent.split_once('/').unwrap_or((&call.agent, ""));
            let request = RunRequest {
                id,
                handle: handle.to_owned(),
                slug: slug.to_owned(),
                version: VersionChoice::Number(call.version),
                messages: vec![Message {
                    role: MessageRole::User,
                    content: prompt,
                }],
                inputs,
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

    /// What a failed step's agent runs used (they are charged whatever the step's fate).
    async fn usage_of(&self, run: &WorkflowRunRecord, step: &workflow::Step) -> Result<Usage> {
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

    /// Full jitter over an exponential backoff: `retry_base × 2^(n-1)`, at most 5 minutes.
    /// How long the `attempt`th retry waits: doubling from `retry_base`, with jitter.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .settings
            .retry_base
            .saturating_mul(1 << attempt.saturating_sub(1).min(8))
            .min(Duration::from_secs(300));
        // Half fixed, half jitter: retries spread out but never come at once.
        ceiling.mul_f64(0.5 + crate::services::runs::execution::rand_fraction() / 2.0)
    }
}

/// Messages for the steps among `candidates` that may run now: unfinished, with every
/// step they need finished.
fn ready_steps<'a>(
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
        })
        .collect()
}

/// How long a delivery that finds its step's agent run in flight (for `running` so far,
/// its hold expiring in `left`) waits before looking again: half the time the run has
/// been going, at least 2 s, and never past the moment the run counts as abandoned.
fn in_flight_wait(running: Duration, left: Duration) -> Duration {
    (running / 2)
        .max(Duration::from_secs(2))
        .min(left + Duration::from_secs(1))
        .min(MAX_SEND_DELAY)
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

/// Steps run as the user who started the run.
fn run_caller(run: &WorkflowRunRecord) -> Caller {
    Caller::User(Principal {
        user_id: run.user_id,
        role: Role::User,
        credential: Credential::WorkflowRun { run_id: run.id },
    })
}

/// The most bytes an agent call's prompt and inputs render to.
fn call_bound(spec: &WorkflowSpec, call: &AgentCall, bounds: &BTreeMap<String, u64>) -> u64 {
    spec.template_bound(&call.prompt, bounds)
        + call
            .inputs
            .values()
            .map(|text| spec.template_bound(text, bounds))
            .sum::<u64>()
}

/// The agent's input fields: known names only, required ones given, numbers and booleans
/// fed something that can be one.
fn check_agent_inputs(
    errors: &mut Vec<FieldError>,
    at: &str,
    call: &AgentCall,
    target: &RunTarget,
) {
    use crate::domain::agent::InputKind;
    for name in call.inputs.keys() {
        if !target.spec.inputs.iter().any(|field| &field.name == name) {
            errors.push(FieldError {
                field: format!("{at}.inputs.{name}"),
                message: format!(
                    "{}@{} has no input field `{name}`",
                    call.agent, call.version
                ),
            });
        }
    }
    for field in &target.spec.inputs {
        let Some(text) = call.inputs.get(&field.name) else {
            if field.required {
                errors.push(FieldError {
                    field: format!("{at}.inputs.{}", field.name),
                    message: format!("is required by {}@{}", call.agent, call.version),
                });
            }
            continue;
        };
        let Ok(template) = Template::parse(text) else {
            continue;
        };
        if template.references().next().is_some() {
            continue;
        }
        let literal = text.trim();
        let fits = match field.kind {
            InputKind::Number => literal.parse::<f64>().is_ok(),
            InputKind::Boolean => matches!(literal, "true" | "false"),
            InputKind::Select => field.options.iter().any(|option| option == literal),
            InputKind::Text | InputKind::LongText => true,
        };
        if !fits {
            errors.push(FieldError {
                field: format!("{at}.inputs.{}", field.name),
                message: match field.kind {
                    InputKind::Number => "must be a number".into(),
                    InputKind::Boolean => "must be true or false".into(),
                    _ => format!("must be one of {}", field.options.join(", ")),
                },
            });
        }
    }
}

fn check_slug(slug: &str) -> Result<()> {
    crate::domain::Slug::parse(slug)
        .map(|_| ())
        .map_err(|message| Error::invalid("slug", message))
}

fn credits(micros: i64) -> Credits {
    Credits::from_micros(micros.max(0)).unwrap_or_default()
}

/// Its owner sees a workflow always; others once it is published and not private.
fn may_see(caller: &Caller, record: &WorkflowRecord) -> bool {
    caller.user_id() == Some(record.owner_id)
        || (record.status == AgentStatus::Published
            && record.visibility != Visibility::Private
            && record.latest_version.is_some())
}

fn workflow_not_found() -> Error {
    Error::NotFound("No workflow you may see has this address.".into())
}

fn describe(error: &Error) -> String {
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

fn short(value: &Value) -> &'static str {
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
    use super::*;

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
