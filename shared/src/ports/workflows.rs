//! Workflows and their runs as the Workflow Service keeps them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::catalog::{AgentStatus, Exposure, Visibility};
use crate::domain::workflow::WorkflowSpec;

/// A workflow: its owner's draft and, once published, its numbered versions.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowRecord {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_handle: String,
    pub slug: String,
    pub visibility: Visibility,
    pub status: AgentStatus,
    pub draft: WorkflowSpec,
    pub latest_version: Option<i32>,
    /// `handle/slug` of the workflow this one was forked from.
    pub forked_from: Option<String>,
    pub fork_count: i64,
    pub run_count: i64,
    /// How many users have it in their library.
    pub save_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WorkflowRecord {
    /// What decides who may see it (the same rule as agents).
    pub fn exposure(&self) -> Exposure {
        Exposure {
            owner_id: self.owner_id,
            visibility: self.visibility,
            status: self.status,
            published: self.latest_version.is_some(),
        }
    }
}

/// A workflow in a user's library.
#[derive(Clone, Debug)]
pub struct SavedWorkflowRecord {
    pub workflow: WorkflowRecord,
    pub saved_at: DateTime<Utc>,
}

/// One published version: immutable.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowVersionRecord {
    pub version: i32,
    pub spec: WorkflowSpec,
    pub changelog: String,
    pub created_at: DateTime<Utc>,
}

/// A workflow to create.
#[derive(Clone, Debug)]
pub struct NewWorkflow {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub slug: String,
    pub visibility: Visibility,
    pub draft: WorkflowSpec,
    pub forked_from: Option<Uuid>,
}

/// What a listing asks for.
#[derive(Clone, Debug, Default)]
pub struct WorkflowQuery {
    /// Words that must appear in the name, summary, description or tags.
    pub text: Option<String>,
    /// Only this owner's workflows (all of them when the owner asks).
    pub owner_id: Option<Uuid>,
    pub include_unlisted: bool,
    pub limit: usize,
    pub offset: usize,
}

/// How a run and its steps stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowRunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl WorkflowRunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => Self::Running,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
    Cancelled,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            "cancelled" => Self::Cancelled,
            _ => Self::Pending,
        }
    }

    /// The step will not change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// Why a run failed: the step and what went wrong, as a problem detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkflowRunError {
    pub step: Option<String>,
    pub kind: WorkflowFailure,
    pub detail: String,
}

/// How a workflow run failed (a problem type's last segment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WorkflowFailure {
    /// A step failed for good (after its retries).
    StepFailed,
    /// A step's message kept failing and went to the dead-letter queue; a redrive opens
    /// the run again.
    DeadLettered,
    /// Its user cancelled it.
    Cancelled,
    /// It outlived the longest a run may take.
    TimedOut,
    /// Its first steps could not be queued.
    QueueUnavailable,
}

impl WorkflowFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StepFailed => "step-failed",
            Self::DeadLettered => "dead-lettered",
            Self::Cancelled => "cancelled",
            Self::TimedOut => "timed-out",
            Self::QueueUnavailable => "queue-unavailable",
        }
    }

    /// A stored kind; anything unknown counts as a failed step.
    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "dead-lettered" => Self::DeadLettered,
            "cancelled" => Self::Cancelled,
            "timed-out" => Self::TimedOut,
            "queue-unavailable" => Self::QueueUnavailable,
            _ => Self::StepFailed,
        }
    }
}

/// A run of a workflow, with every step.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowRunRecord {
    pub id: Uuid,
    pub workflow_id: Uuid,
    /// `handle/slug` of the workflow.
    pub workflow: String,
    /// `None`: the owner's draft.
    pub workflow_version: Option<i32>,
    pub user_id: Uuid,
    pub status: WorkflowRunStatus,
    /// The definition this run follows, as it was when the run started.
    pub spec: WorkflowSpec,
    pub inputs: BTreeMap<String, serde_json::Value>,
    pub outputs: Option<BTreeMap<String, serde_json::Value>>,
    pub error: Option<WorkflowRunError>,
    /// The worst-case cost computed when the run started (micro-credits).
    pub worst_case_micros: i64,
    /// What is still held for steps that have not started.
    pub hold_micros: i64,
    pub steps: Vec<StepRecord>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl WorkflowRunRecord {
    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|step| step.step_id == id)
    }

    /// What the finished steps cost, in micro-credits.
    pub fn charged_micros(&self) -> i64 {
        self.steps.iter().map(|step| step.charged_micros).sum()
    }
}

/// One step of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub step_id: String,
    /// `agent`, `template`, `extract`, `condition` or `map`.
    pub kind: String,
    pub status: StepStatus,
    /// Times the step was started (a redelivered message that finds it running adds none).
    pub attempts: i32,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub charged_micros: i64,
    /// The part of the charge that went to the agents' creators.
    pub creator_share_micros: i64,
    /// The agent runs this step made (`GET /v1/runs/{id}`).
    pub run_ids: Vec<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A run to record, with its steps and its hold.
#[derive(Clone, Debug)]
pub struct NewWorkflowRun {
    pub id: Uuid,
    pub workflow_id: Uuid,
    pub workflow_version: Option<i32>,
    pub user_id: Uuid,
    pub spec: WorkflowSpec,
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// Each step's id, kind and share of the hold.
    pub steps: Vec<(String, &'static str, i64)>,
    pub worst_case_micros: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StartWorkflowRunError {
    #[error("the balance cannot cover the run's worst case")]
    InsufficientCredits { available: i64, needed: i64 },
    /// A run with this id exists (an idempotent retry).
    #[error("the run exists")]
    Exists(Box<WorkflowRunRecord>),
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// The result of a step, stored once.
#[derive(Clone, Debug)]
pub struct StepResult {
    pub status: StepStatus,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub charged_micros: i64,
    pub creator_share_micros: i64,
    pub run_ids: Vec<Uuid>,
}

impl StepResult {
    pub fn without_runs(status: StepStatus, output: Option<serde_json::Value>) -> Self {
        Self {
            status,
            output,
            error: None,
            input_tokens: 0,
            output_tokens: 0,
            charged_micros: 0,
            creator_share_micros: 0,
            run_ids: Vec::new(),
        }
    }
}

/// Workflow definitions: drafts, numbered versions and the listings.
#[async_trait]
pub trait WorkflowStore: Send + Sync {
    async fn create_workflow(&self, workflow: &NewWorkflow) -> crate::Result<()>;
    async fn find_workflow(
        &self,
        handle: &str,
        slug: &str,
    ) -> crate::Result<Option<WorkflowRecord>>;
    async fn find_workflow_by_id(&self, id: Uuid) -> crate::Result<Option<WorkflowRecord>>;
    async fn update_workflow(
        &self,
        id: Uuid,
        draft: &WorkflowSpec,
        visibility: Visibility,
    ) -> crate::Result<()>;
    /// Publishes the draft as the next version; returns its number.
    async fn publish_workflow(&self, id: Uuid, changelog: &str) -> crate::Result<i32>;
    async fn find_workflow_version(
        &self,
        id: Uuid,
        version: i32,
    ) -> crate::Result<Option<WorkflowVersionRecord>>;
    async fn list_workflow_versions(&self, id: Uuid) -> crate::Result<Vec<WorkflowVersionRecord>>;
    /// Published workflows anyone may see (and, with `owner_id`, that owner's).
    async fn list_workflows(&self, query: &WorkflowQuery) -> crate::Result<Vec<WorkflowRecord>>;
}

/// Users' libraries of saved workflows.
#[async_trait]
pub trait WorkflowLibrary: Send + Sync {
    /// Adds a workflow to the user's library (saving it again changes nothing); returns
    /// when it was first saved.
    async fn save_workflow(&self, user_id: Uuid, workflow_id: Uuid)
    -> crate::Result<DateTime<Utc>>;
    /// `false` when it was not in the library.
    async fn unsave_workflow(&self, user_id: Uuid, workflow_id: Uuid) -> crate::Result<bool>;
    /// The user's library, most recently saved first: the workflows they may still see
    /// (their own, or published and not private), so pages are full.
    async fn list_saved_workflows(
        &self,
        user_id: Uuid,
        limit: usize,
        offset: usize,
    ) -> crate::Result<Vec<SavedWorkflowRecord>>;
}

/// Workflow runs and their steps: what the API starts and the worker advances.
#[async_trait]
pub trait WorkflowRunStore: Send + Sync {
    /// Records the run and its steps and holds its worst-case cost, in one transaction
    /// under the user's account lock.
    async fn start_run(&self, run: &NewWorkflowRun) -> Result<(), StartWorkflowRunError>;
    async fn find_run(&self, id: Uuid) -> crate::Result<Option<WorkflowRunRecord>>;
    /// A run's status alone (asked before each agent run a step starts).
    async fn run_status(&self, id: Uuid) -> crate::Result<Option<WorkflowRunStatus>>;
    async fn list_runs(
        &self,
        user_id: Uuid,
        before: Option<Uuid>,
        limit: usize,
    ) -> crate::Result<Vec<WorkflowRunRecord>>;
    /// Marks a pending step running (once), counts an attempt and releases the step's
    /// share of the run's hold, so the step's own agent runs can hold it. `false` when
    /// the run is no longer running or the step has finished.
    async fn begin_step(&self, run_id: Uuid, step_id: &str) -> crate::Result<bool>;
    /// Stores a step's result; the first result wins. `false` when one was stored already.
    async fn finish_step(
        &self,
        run_id: Uuid,
        step_id: &str,
        result: &StepResult,
    ) -> crate::Result<bool>;
    /// Ends a running run: its status, outputs or error; steps not finished are cancelled
    /// and what is still held is released. `false` when it had already ended.
    async fn finish_run(
        &self,
        run_id: Uuid,
        status: WorkflowRunStatus,
        outputs: Option<&BTreeMap<String, serde_json::Value>>,
        error: Option<&WorkflowRunError>,
    ) -> crate::Result<bool>;
    /// Runs still running that started before `before`.
    async fn stale_runs(&self, before: DateTime<Utc>) -> crate::Result<Vec<Uuid>>;
    /// Opens a run failed by a dead-lettered step again, when the step is redriven.
    async fn reopen_run(&self, run_id: Uuid) -> crate::Result<bool>;
}
