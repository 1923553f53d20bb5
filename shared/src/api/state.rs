//! What every handler reaches: the services, built once per process (once per Lambda cold
//! start, by [`crate::bootstrap`]) and shared by every request, and the HTTP settings.
//! Building it opens no connection: pools connect on first use.

use std::{path::PathBuf, sync::Arc, time::Duration};

use crate::{
    Error,
    ports::{Clock, IdempotencyStore},
    services::{
        accounts::AccountService,
        billing::BillingService,
        catalog::CatalogService,
        conversations::ConversationService,
        credentials::CredentialService,
        health::{HealthReport, HealthService},
        maintenance::MaintenanceService,
        reviews::ReviewService,
        runs::RunService,
        uploads::UploadService,
        workflows::{WorkflowService, WorkflowWorker},
    },
};

/// The HTTP server's own settings (`AGORA_BODY_LIMIT_BYTES`, `AGORA_REQUEST_TIMEOUT_MS`,
/// `AGORA_CORS_ORIGINS`, `AGORA_WEB_DIR`).
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Whole-request budget; kept below API Gateway's 30 s integration limit.
    pub request_timeout: Duration,
    /// Browser origins allowed by CORS; empty means same-origin only.
    pub cors_origins: Vec<String>,
    /// The built web UI the local server serves at `/`.
    pub web_dir: PathBuf,
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Services>,
}

/// The services of one process. Those that need the database are absent without one, and
/// their routes answer 503 saying what to set.
pub struct Services {
    pub http: HttpSettings,
    pub clock: Arc<dyn Clock>,
    pub health: HealthService,
    pub accounts: Option<AccountService>,
    pub catalog: Option<CatalogService>,
    pub uploads: Option<Arc<UploadService>>,
    pub runs: Option<Arc<RunService>>,
    pub conversations: Option<ConversationService>,
    pub credentials: Option<Arc<CredentialService>>,
    pub billing: Option<BillingService>,
    pub reviews: Option<ReviewService>,
    pub idempotency: Option<Arc<dyn IdempotencyStore>>,
    pub workflows: Option<Arc<WorkflowService>>,
    pub workflow_worker: Option<Arc<WorkflowWorker>>,
    pub maintenance: Option<MaintenanceService>,
}

impl AppState {
    pub fn new(services: Services) -> Self {
        Self {
            inner: Arc::new(services),
        }
    }

    pub fn http(&self) -> &HttpSettings {
        &self.inner.http
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Probes every configured dependency.
    pub async fn health(&self, budget: Duration) -> HealthReport {
        self.inner.health.report(budget).await
    }

    pub fn accounts(&self) -> crate::Result<&AccountService> {
        self.inner.accounts.as_ref().ok_or_else(no_database)
    }

    pub fn catalog(&self) -> crate::Result<&CatalogService> {
        self.inner.catalog.as_ref().ok_or_else(no_database)
    }

    pub fn uploads(&self) -> crate::Result<&UploadService> {
        self.inner.uploads.as_deref().ok_or_else(no_database)
    }

    /// The run path (the metering chokepoint).
    pub fn runs(&self) -> crate::Result<&RunService> {
        self.inner.runs.as_deref().ok_or_else(no_database)
    }

    pub fn conversations(&self) -> crate::Result<&ConversationService> {
        self.inner.conversations.as_ref().ok_or_else(no_database)
    }

    pub fn credentials(&self) -> crate::Result<&CredentialService> {
        self.inner.credentials.as_deref().ok_or_else(no_database)
    }

    pub fn billing(&self) -> crate::Result<&BillingService> {
        self.inner.billing.as_ref().ok_or_else(no_database)
    }

    pub fn reviews(&self) -> crate::Result<&ReviewService> {
        self.inner.reviews.as_ref().ok_or_else(no_database)
    }

    pub fn idempotency(&self) -> crate::Result<Arc<dyn IdempotencyStore>> {
        self.inner.idempotency.clone().ok_or_else(no_database)
    }

    pub fn workflows(&self) -> crate::Result<&WorkflowService> {
        self.inner.workflows.as_deref().ok_or_else(no_database)
    }

    /// The worker that runs workflow steps off the queue.
    pub fn workflow_worker(&self) -> crate::Result<&Arc<WorkflowWorker>> {
        self.inner.workflow_worker.as_ref().ok_or_else(no_database)
    }

    pub fn maintenance(&self) -> crate::Result<&MaintenanceService> {
        self.inner.maintenance.as_ref().ok_or_else(no_database)
    }
}

/// The 503 of a service that needs the database when none is configured.
fn no_database() -> Error {
    Error::Unavailable {
        dependency: "database",
        cause: "DATABASE_URL is not set".into(),
    }
}
