//! The scheduled maintenance job (the `maintenance` function every minute in AWS, a timer in
//! `agora serve`): ends runs whose process died, releasing their holds, ends workflow runs
//! that outlived their time, and forgets expired idempotency records, confirmation links
//! and uploads nobody claimed. Safe to run at any time, any number of times.

use std::sync::Arc;

use serde::Serialize;

use crate::{
    Result,
    ports::{Clock, EmailVerificationStore, IdempotencyStore},
    services::{runs::RunService, uploads::UploadService, workflows::WorkflowService},
};

pub struct MaintenanceService {
    runs: Arc<RunService>,
    workflows: Arc<WorkflowService>,
    idempotency: Arc<dyn IdempotencyStore>,
    verifications: Arc<dyn EmailVerificationStore>,
    uploads: Arc<UploadService>,
    clock: Arc<dyn Clock>,
}

/// How long an expired confirmation link is kept, so that following it late still says
/// "expired" (and what to do) rather than "not a valid link".
const EXPIRED_LINKS_KEPT: chrono::Duration = chrono::Duration::days(7);

/// What one pass did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MaintenanceReport {
    pub stale_runs_released: u64,
    pub stale_workflow_runs_ended: u64,
    pub idempotency_records_forgotten: u64,
    pub confirmation_links_forgotten: u64,
    pub unclaimed_uploads_forgotten: u64,
}

impl MaintenanceService {
    pub fn new(
        runs: Arc<RunService>,
        workflows: Arc<WorkflowService>,
        idempotency: Arc<dyn IdempotencyStore>,
        verifications: Arc<dyn EmailVerificationStore>,
        uploads: Arc<UploadService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            runs,
            workflows,
            idempotency,
            verifications,
            uploads,
            clock,
        }
    }

    pub async fn run(&self) -> Result<MaintenanceReport> {
        let report = MaintenanceReport {
            stale_runs_released: self.runs.release_stale_runs().await?,
            stale_workflow_runs_ended: self.workflows.end_stale_runs().await?,
            idempotency_records_forgotten: self
                .idempotency
                .forget_expired(self.clock.now())
                .await?,
            confirmation_links_forgotten: self
                .verifications
                .forget_verifications(self.clock.now() - EXPIRED_LINKS_KEPT)
                .await?,
            unclaimed_uploads_forgotten: self.uploads.forget_unclaimed().await?,
        };
        tracing::info!(
            released = report.stale_runs_released,
            workflows_ended = report.stale_workflow_runs_ended,
            forgotten = report.idempotency_records_forgotten,
            links_forgotten = report.confirmation_links_forgotten,
            uploads_forgotten = report.unclaimed_uploads_forgotten,
            "maintenance done"
        );
        Ok(report)
    }
}
