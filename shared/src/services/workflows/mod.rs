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

use std::{sync::Arc, time::Duration};

use serde::Serialize;

use crate::{
    domain::{Credits, workflow::WorkflowSpec},
    ports::{
        AgentStatus, Clock, Queue, RunStore, Visibility, WorkflowLibrary, WorkflowRunStore,
        WorkflowStore,
    },
    services::runs::RunService,
};

mod definitions;
mod execution;
mod runs;
mod steps;
pub mod views;
mod worker;

pub use self::{execution::step_run_id, worker::WorkflowWorker};

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
    /// A run still going after this long is ended by the maintenance job (its messages
    /// were lost: an in-process queue whose process stopped, a purged queue).
    pub run_ttl: Duration,
    /// Event streams one user may open a minute. Each polls the database and lives up to
    /// about 5 minutes, so this bounds the streams one user holds open (about five times
    /// this) and the load they make.
    pub streams_per_minute: u64,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            max_step_attempts: 3,
            retry_base: Duration::from_secs(2),
            max_receive_count: 5,
            run_ttl: Duration::from_secs(86_400),
            streams_per_minute: 20,
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

impl WorkflowService {
    pub fn new(ports: WorkflowPorts, settings: WorkflowSettings) -> Self {
        Self { ports, settings }
    }

    pub fn settings(&self) -> &WorkflowSettings {
        &self.settings
    }
}

pub(super) fn credits(micros: i64) -> Credits {
    Credits::from_micros(micros.max(0)).unwrap_or_default()
}
