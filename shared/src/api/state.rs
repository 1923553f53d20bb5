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
    /// The secret CloudFront adds to every request it forwards (`X-Agora-Edge-Secret`),
    /// then the one it replaces while a rotation rolls out. When set, a request that reached
    /// a Lambda function without one is refused (nothing bypasses CloudFront), and only a
    /// request carrying one is believed about its viewer's address
    /// (`X-Agora-Viewer-Address`); behind CloudFront the source IP is the edge's.
    pub edge_secrets: Vec<crate::domain::secret::SecretString>,
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Services>,
}

/// The services of one process.
pub struct Services {
    pub http: HttpSettings,
    pub clock: Arc<dyn Clock>,
    pub health: HealthService,
    /// HTTP idempotency records (DynamoDB, or the database).
    pub idempotency: Option<Arc<dyn IdempotencyStore>>,
    /// Everything that keeps its state in the database: absent without one, and then
    /// their routes answer 503 saying what to set.
    pub stored: Option<StoredServices>,
}

/// The services that keep their state in the database.
pub struct StoredServices {
    pub accounts: AccountService,
    pub catalog: CatalogService,
    pub uploads: Arc<UploadService>,
    pub runs: Arc<RunService>,
    pub conversations: ConversationService,
    pub credentials: Arc<CredentialService>,
    pub billing: BillingService,
    pub reviews: ReviewService,
    pub workflows: Arc<WorkflowService>,
    pub workflow_worker: Arc<WorkflowWorker>,
    pub maintenance: MaintenanceService,
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

    /// Opens what a route will use before its first request (a Lambda function's init,
    /// which runs at full speed and is not billed up to 10 s): a pooled database
    /// connection, the cache's (every route's limits live there) and the token keys. What
    /// cannot be opened now is said, and opened by the first request instead.
    pub async fn warm_up(&self, needs: crate::api::NeedSet) -> Vec<String> {
        use crate::api::Need;
        let mut dependencies = vec!["cache"];
        if needs.contains(Need::Database) {
            dependencies.push("database");
        }
        let report = self
            .inner
            .health
            .warm(&dependencies, Duration::from_secs(2))
            .await;
        let mut problems: Vec<String> = report
            .checks
            .into_iter()
            .filter_map(|check| check.error.map(|error| format!("{}: {error}", check.name)))
            .collect();
        if needs.contains_any(&[Need::VerificationKeys, Need::SigningKeys])
            && let Ok(accounts) = self.accounts()
            && let Err(error) = accounts.preload_keys().await
        {
            problems.push(format!("signing keys: {error}"));
        }
        problems
    }

    /// The health report anyone may read: recent, and without the probes' own words.
    pub async fn public_health(&self, budget: Duration) -> Arc<HealthReport> {
        self.inner.health.public_report(budget).await
    }

    pub fn idempotency(&self) -> crate::Result<Arc<dyn IdempotencyStore>> {
        self.inner.idempotency.clone().ok_or_else(no_database)
    }

    /// The services that need the database, or a 503 naming the missing setting.
    fn stored(&self) -> crate::Result<&StoredServices> {
        self.inner.stored.as_ref().ok_or_else(no_database)
    }

    pub fn accounts(&self) -> crate::Result<&AccountService> {
        Ok(&self.stored()?.accounts)
    }

    pub fn catalog(&self) -> crate::Result<&CatalogService> {
        Ok(&self.stored()?.catalog)
    }

    pub fn uploads(&self) -> crate::Result<&UploadService> {
        Ok(&self.stored()?.uploads)
    }

    /// The run path (the metering chokepoint).
    pub fn runs(&self) -> crate::Result<&RunService> {
        Ok(&self.stored()?.runs)
    }

    pub fn conversations(&self) -> crate::Result<&ConversationService> {
        Ok(&self.stored()?.conversations)
    }

    pub fn credentials(&self) -> crate::Result<&CredentialService> {
        Ok(&self.stored()?.credentials)
    }

    pub fn billing(&self) -> crate::Result<&BillingService> {
        Ok(&self.stored()?.billing)
    }

    pub fn reviews(&self) -> crate::Result<&ReviewService> {
        Ok(&self.stored()?.reviews)
    }

    pub fn workflows(&self) -> crate::Result<&WorkflowService> {
        Ok(&self.stored()?.workflows)
    }

    /// The worker that runs workflow steps off the queue.
    pub fn workflow_worker(&self) -> crate::Result<&Arc<WorkflowWorker>> {
        Ok(&self.stored()?.workflow_worker)
    }

    pub fn maintenance(&self) -> crate::Result<&MaintenanceService> {
        Ok(&self.stored()?.maintenance)
    }
}

/// The 503 of a service that needs the database when none is configured.
fn no_database() -> Error {
    Error::Unavailable {
        dependency: "database",
        cause: "DATABASE_URL is not set".into(),
    }
}
