//! The composition root: the one place that knows every adapter. It reads the
//! [`Config`], chooses each port's adapter (production when its setting is present, the
//! embedded default otherwise), builds the services over them, and hands the API its
//! [`AppState`]. Once per process, once per Lambda cold start; nothing connects until used.

mod backends;
mod providers;

use std::sync::Arc;

use self::backends::Backends;
use crate::{
    AppState, Config,
    adapters::{local::queue::InProcessQueue, postgres::Db, sqs::SqsQueue},
    api::state::Services,
    ports::{Clock, Embedder, PasswordHasher},
    services::{
        accounts::{AccountPorts, AccountService},
        billing::BillingService,
        catalog::{CatalogPorts, CatalogService},
        conversations::ConversationService,
        credentials::CredentialService,
        health::HealthService,
        maintenance::MaintenanceService,
        rate_limit::RateLimiter,
        reviews::ReviewService,
        runs::{RunPorts, RunService},
        uploads::UploadService,
        workflows::{WorkflowPorts, WorkflowService, WorkflowWorker},
    },
};

/// A process's state and the handles of the adapters that only its own tools use
/// (migrations, the queues that tests and `agora workflows` drive directly).
pub struct App {
    pub state: AppState,
    pub db: Option<Db>,
    /// The in-process workflow queue, when steps are not sent to SQS.
    pub local_queue: Option<InProcessQueue>,
    /// The SQS workflow queue, when `QUEUE_URL` is set.
    pub sqs_queue: Option<SqsQueue>,
}

/// Replaceable parts for tests: a counting password hasher, a clock that can be moved,
/// an embedder that is told what to return.
#[derive(Clone, Default)]
pub struct Overrides {
    pub hasher: Option<Arc<dyn PasswordHasher>>,
    pub clock: Option<Arc<dyn Clock>>,
    pub embedder: Option<Arc<dyn Embedder>>,
}

/// Why the process cannot start; says which setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Database(#[from] crate::adapters::postgres::DbSetupError),
    #[error("REDIS_URL: {0}")]
    Cache(#[from] crate::ports::CacheError),
    #[error("password hashing: {0}")]
    Hasher(String),
    #[error("AGORA_EMBEDDER: {0}")]
    Embedder(String),
    #[error("OPENSEARCH_URL: {0}")]
    SearchIndex(String),
    #[error("blob store: {0}")]
    Blobs(String),
    #[error("model providers: {0}")]
    Providers(String),
}

impl AppState {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Ok(assemble(config, Overrides::default()).await?.state)
    }

    /// [`AppState::build`] with some parts replaced (tests).
    pub async fn build_with(config: Config, overrides: Overrides) -> Result<Self, StartupError> {
        Ok(assemble(config, overrides).await?.state)
    }
}

/// Builds every service over the adapters `config` selects. With the in-process queue, it
/// also starts the local workflow worker and resumes the runs a previous process left.
pub async fn assemble(config: Config, overrides: Overrides) -> Result<App, StartupError> {
    let backends = Backends::connect(&config, overrides).await?;
    let credentials = backends.db.as_ref().map(|db| {
        Arc::new(CredentialService::new(
            Arc::new(db.clone()),
            backends.key_wrapper.clone(),
            Arc::new(config.providers.egress.clone()),
        ))
    });
    let providers = providers::build(&config, &backends, credentials.clone())?;
    let Backends {
        db,
        cache,
        local_cache,
        clock,
        ..
    } = &backends;
    let limiter = RateLimiter::new(cache.clone(), local_cache.clone(), clock.clone());
    let uploads = db.as_ref().map(|db| {
        Arc::new(UploadService::new(
            backends.blobs.clone(),
            Arc::new(db.clone()),
            clock.clone(),
            backends.direct_uploads.clone(),
        ))
    });
    let runs = db.as_ref().map(|db| {
        let store = Arc::new(db.clone());
        Arc::new(RunService::new(
            RunPorts {
                agents: store.clone(),
                runs: store.clone(),
                credits: store,
                providers: Arc::new(providers),
                cache: cache.clone(),
                clock: clock.clone(),
                limiter: limiter.clone(),
            },
            config.runs.clone(),
        ))
    });
    let workflows = db.as_ref().zip(runs.clone()).map(|(db, runs)| {
        let store = Arc::new(db.clone());
        Arc::new(WorkflowService::new(
            WorkflowPorts {
                store: store.clone(),
                library: store.clone(),
                workflow_runs: store.clone(),
                queue: backends.queue.clone(),
                runs,
                run_store: store,
                clock: clock.clone(),
            },
            config.workflows.clone(),
        ))
    });
    let workflow_worker = workflows
        .clone()
        .map(|service| Arc::new(WorkflowWorker::new(service, backends.consumer.clone())));
    if let (Some(worker), Some(_)) = (&workflow_worker, &backends.local_queue) {
        start_local_worker(worker.clone());
    }
    let maintenance = runs
        .clone()
        .zip(workflows.clone())
        .zip(backends.idempotency.clone())
        .map(|((runs, workflows), idempotency)| {
            MaintenanceService::new(runs, workflows, idempotency, clock.clone())
        });
    let catalog = db.as_ref().zip(uploads.clone()).map(|(db, uploads)| {
        let store = Arc::new(db.clone());
        CatalogService::new(CatalogPorts {
            directory: store.clone(),
            agents: store.clone(),
            library: store.clone(),
            categories: store.clone(),
            listings: store,
            index: backends.search_index(db),
            embedder: backends.embedder.clone(),
            cache: cache.clone(),
            clock: clock.clone(),
            uploads,
            credentials: credentials.clone(),
        })
    });
    let accounts = db.as_ref().zip(uploads.clone()).map(|(db, uploads)| {
        let store = Arc::new(db.clone());
        AccountService::new(
            AccountPorts {
                users: store.clone(),
                sessions: store.clone(),
                api_keys: store.clone(),
                audit: store,
                hasher: backends.hasher.clone(),
                secret: backends.secret.clone(),
                uploads,
                cache: cache.clone(),
                clock: clock.clone(),
                limiter,
            },
            config.auth.clone(),
        )
    });
    let conversations = db
        .as_ref()
        .zip(runs.clone())
        .map(|(db, runs)| ConversationService::new(Arc::new(db.clone()), runs, clock.clone()));
    let billing = db.as_ref().map(|db| {
        let store = Arc::new(db.clone());
        BillingService::new(
            store.clone(),
            store.clone(),
            store,
            clock.clone(),
            config.runs.signup_grant_micros,
        )
    });
    let reviews = db
        .as_ref()
        .map(|db| ReviewService::new(Arc::new(db.clone()), Arc::new(db.clone())));
    let state = AppState::new(Services {
        http: config.http.clone(),
        clock: clock.clone(),
        health: HealthService::new(backends.probes(&config)),
        accounts,
        catalog,
        uploads,
        runs,
        conversations,
        credentials,
        billing,
        reviews,
        idempotency: backends.idempotency.clone(),
        workflows,
        workflow_worker,
        maintenance,
    });
    Ok(App {
        state,
        db: backends.db,
        local_queue: backends.local_queue,
        sqs_queue: backends.sqs_queue,
    })
}

/// Steps run in this process as messages arrive; runs a previous process left running go
/// on where they stopped (its queue lived in memory).
#[expect(
    clippy::disallowed_methods,
    reason = "the in-process queue's worker lives as long as the process"
)]
fn start_local_worker(worker: Arc<WorkflowWorker>) {
    tokio::spawn(worker.clone().run());
    tokio::spawn(async move {
        match worker.resume().await {
            Ok(0) => {}
            Ok(steps) => tracing::info!(steps, "resumed running workflow runs"),
            Err(error) => tracing::warn!(%error, "cannot resume running workflow runs"),
        }
    });
}
