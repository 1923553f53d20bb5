//! What callers see of workflow runs and versions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::workflow::WorkflowSpec,
    ports::{
        StepRecord, StepStatus, WorkflowRunError, WorkflowRunRecord, WorkflowRunStatus,
        WorkflowVersionRecord,
    },
};

/// A run of a workflow, with every step.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = WorkflowRunRecord)]
pub struct WorkflowRunView {
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
    #[schema(value_type = HashMap<String, Object>)]
    pub inputs: BTreeMap<String, serde_json::Value>,
    #[schema(value_type = Option<HashMap<String, Object>>)]
    pub outputs: Option<BTreeMap<String, serde_json::Value>>,
    pub error: Option<WorkflowRunError>,
    /// The worst-case cost computed when the run started (micro-credits).
    pub worst_case_micros: i64,
    /// What is still held for steps that have not started.
    pub hold_micros: i64,
    pub steps: Vec<StepView>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<WorkflowRunRecord> for WorkflowRunView {
    fn from(record: WorkflowRunRecord) -> Self {
        Self {
            id: record.id,
            workflow_id: record.workflow_id,
            workflow: record.workflow,
            workflow_version: record.workflow_version,
            user_id: record.user_id,
            status: record.status,
            spec: record.spec,
            inputs: record.inputs,
            outputs: record.outputs,
            error: record.error,
            worst_case_micros: record.worst_case_micros,
            hold_micros: record.hold_micros,
            steps: record.steps.into_iter().map(Into::into).collect(),
            created_at: record.created_at,
            finished_at: record.finished_at,
        }
    }
}

/// One step of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = StepRecord)]
pub struct StepView {
    pub step_id: String,
    /// `agent`, `template`, `extract`, `condition` or `map`.
    pub kind: String,
    pub status: StepStatus,
    /// Times the step was started (a redelivered message that finds it running adds none).
    pub attempts: i32,
    #[schema(value_type = Option<Object>)]
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

impl From<StepRecord> for StepView {
    fn from(record: StepRecord) -> Self {
        Self {
            step_id: record.step_id,
            kind: record.kind,
            status: record.status,
            attempts: record.attempts,
            output: record.output,
            error: record.error,
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            charged_micros: record.charged_micros,
            creator_share_micros: record.creator_share_micros,
            run_ids: record.run_ids,
            started_at: record.started_at,
            finished_at: record.finished_at,
        }
    }
}

/// One published version: immutable.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = WorkflowVersionRecord)]
pub struct WorkflowVersionView {
    pub version: i32,
    pub spec: WorkflowSpec,
    pub changelog: String,
    pub created_at: DateTime<Utc>,
}

impl From<WorkflowVersionRecord> for WorkflowVersionView {
    fn from(record: WorkflowVersionRecord) -> Self {
        Self {
            version: record.version,
            spec: record.spec,
            changelog: record.changelog,
            created_at: record.created_at,
        }
    }
}
