//! The composition root: the one place that knows every adapter. It reads the
//! [`Config`], chooses each port's adapter (production when its setting is present, the
//! embedded default otherwise), builds the services over them, and hands the API its
//! [`AppState`]. Once per process, once per Lambda cold start; nothing connects until used.

mod backends;
pub mod deploy;
pub mod key_rotation;
mod providers;

use std::sync::Arc;

use self::backends::Backends;
use crate::{
    AppState, Config,
    adapters::{local::queue::InProcessQueue, postgres::Db, sqs::SqsQueue},
    api::{
        NeedSet,
        state::{Services, StoredServices},
    },
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
    #[error("AWS: {0}")]
    Aws(String),
}

impl AppState {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_for::<{ NeedSet::ALL.bits() }>(config).await
    }

    /// The state of a process that reaches only `NEEDS` ([`NeedSet::bits`]): a Lambda
    /// function's. Adapters for what it does not need are never built (nor linked into its
    /// binary); the ports they would serve answer that this function does not reach them.
    pub async fn build_for<const NEEDS: u32>(config: Config) -> Result<Self, StartupError> {
        Ok(assemble_for::<NEEDS>(config, Overrides::default())
            .await?
            .state)
    }

    /// [`AppState::build`] with some parts replaced (tests).
    pub async fn build_with(config: Config, overrides: Overrides) -> Result<Self, StartupError> {
        Ok(assemble(config, overrides).await?.state)
    }
}

/// Builds every service over the adapters `config` selects. With the in-process queue, it
/// also starts the local workflow worker and resumes the runs a previous process left.
pub async fn assemble(config: Config, overrides: Overrides) -> Result<App, StartupError> {
    assemble_for::<{ NeedSet::ALL.bits() }>(config, overrides).await
}

/// [`assemble`] for a process that reaches only `NEEDS` (see [`AppState::build_for`]).
async fn assemble_for<const NEEDS: u32>(
    config: Config,
    overrides: Overrides,
) -> Result<App, StartupError> {
    let backends = Backends::connect::<NEEDS>(&config, overrides).await?;
    let stored = match &backends.db {
        Some(db) => Some(stored_services::<NEEDS>(&config, &backends, db)?),
        None => None,
    };
    if let (Some(stored), Some(_)) = (&stored, &backends.local_queue) {
        start_local_worker(stored.workflow_worker.clone());
    }
    let state = AppState::new(Services {
        http: config.http.clone(),
        clock: backends.clock.clone(),
        health: HealthService::new(
            backends.probes::<NEEDS>(&config),
            config.profile == crate::config::Profile::Dev,
        ),
        idempotency: backends.idempotency.clone(),
        stored,
    });
    Ok(App {
        state,
        db: backends.db,
        local_queue: backends.local_queue,
        sqs_queue: backends.sqs_queue,
    })
}

/// The services that keep their state in `db`, area by area.
fn stored_services<const NEEDS: u32>(
    config: &Config,
    backends: &Backends,
    db: &Db,
) -> Result<StoredServices, StartupError> {
    let store = Arc::new(db.clone());
    let clock = backends.clock.clone();
    let limiter = RateLimiter::new(
        backends.cache.clone(),
        backends.local_cache.clone(),
        clock.clone(),
    );
    let uploads = Arc::new(UploadService::new(
        backends.blobs.clone(),
        store.clone(),
        clock.clone(),
        backends.direct_uploads.clone(),
    ));
    let credentials = Arc::new(CredentialService::new(
        store.clone(),
        backends.key_wrapper.clone(),
        Arc::new(config.providers.egress.clone()),
    ));
    // One client of agents' MCP servers: the catalog pins their tools, runs call them.
    let mcp = mcp_client(config)?;
    let runs = Arc::new(run_service::<NEEDS>(
        config,
        backends,
        &store,
        credentials.clone(),
        mcp.clone(),
        limiter.clone(),
    )?);
    let workflows = Arc::new(workflow_service(config, backends, &store, runs.clone()));
    let idempotency = backends
        .idempotency
        .clone()
        .unwrap_or_else(|| store.clone());
    Ok(StoredServices {
        accounts: account_service(config, backends, &store, uploads.clone(), limiter),
        catalog: catalog_service(
            backends,
            db,
            &store,
            uploads.clone(),
            credentials.clone(),
            mcp,
        ),
        conversations: ConversationService::new(store.clone(), runs.clone(), clock.clone()),
        billing: BillingService::new(store.clone(), store.clone(), store.clone(), clock.clone()),
        reviews: ReviewService::new(store.clone(), store.clone()),
        maintenance: MaintenanceService::new(
            runs.clone(),
            workflows.clone(),
            idempotency,
            store.clone(),
            uploads.clone(),
            clock,
        ),
        workflow_worker: Arc::new(WorkflowWorker::new(
            workflows.clone(),
            backends.consumer.clone(),
        )),
        uploads,
        credentials,
        runs,
        workflows,
    })
}

fn account_service(
    config: &Config,
    backends: &Backends,
    store: &Arc<Db>,
    uploads: Arc<UploadService>,
    limiter: RateLimiter,
) -> AccountService {
    AccountService::new(
        AccountPorts {
            users: store.clone(),
            sessions: store.clone(),
            api_keys: store.clone(),
            verifications: store.clone(),
            mailer: backends.mailer.clone(),
            outbox: backends.outbox.clone(),
            audit: store.clone(),
            hasher: backends.hasher.clone(),
            secret: backends.secret.clone(),
            key_directory: backends.key_directory.clone(),
            uploads,
            cache: backends.cache.clone(),
            clock: backends.clock.clone(),
            limiter,
        },
        config.auth.clone(),
    )
}

fn catalog_service(
    backends: &Backends,
    db: &Db,
    store: &Arc<Db>,
    uploads: Arc<UploadService>,
    credentials: Arc<CredentialService>,
    mcp: Arc<dyn crate::ports::McpClient>,
) -> CatalogService {
    CatalogService::new(CatalogPorts {
        directory: store.clone(),
        agents: store.clone(),
        library: store.clone(),
        categories: store.clone(),
        listings: store.clone(),
        index: backends.search_index(db),
        embedder: backends.embedder.clone(),
        cache: backends.cache.clone(),
        clock: backends.clock.clone(),
        uploads,
        credentials,
        mcp,
    })
}

fn run_service<const NEEDS: u32>(
    config: &Config,
    backends: &Backends,
    store: &Arc<Db>,
    credentials: Arc<CredentialService>,
    mcp: Arc<dyn crate::ports::McpClient>,
    limiter: RateLimiter,
) -> Result<RunService, StartupError> {
    let providers = providers::build::<NEEDS>(config, backends, credentials.clone())?;
    Ok(RunService::new(
        RunPorts {
            agents: store.clone(),
            runs: store.clone(),
            credits: store.clone(),
            providers: Arc::new(providers),
            cache: backends.cache.clone(),
            clock: backends.clock.clone(),
            pages: Arc::new(
                crate::adapters::web_page::GuardedPageFetcher::new(
                    config.providers.tool_egress.clone(),
                    config.runs.tool_timeout,
                )
                .map_err(|error| StartupError::Providers(error.to_string()))?,
            ),
            mcp,
            credentials,
            limiter,
        },
        config.runs.clone(),
    ))
}

/// The client of agents' MCP servers: where agents' tools may reach
/// (`AGORA_TOOL_EGRESS_ALLOW`), each operation within the tool timeout.
fn mcp_client(config: &Config) -> Result<Arc<dyn crate::ports::McpClient>, StartupError> {
    Ok(Arc::new(
        crate::adapters::mcp::RmcpClient::new(
            config.providers.tool_egress.clone(),
            config.runs.tool_timeout,
        )
        .map_err(|error| StartupError::Providers(error.to_string()))?,
    ))
}

fn workflow_service(
    config: &Config,
    backends: &Backends,
    store: &Arc<Db>,
    runs: Arc<RunService>,
) -> WorkflowService {
    WorkflowService::new(
        WorkflowPorts {
            store: store.clone(),
            library: store.clone(),
            workflow_runs: store.clone(),
            queue: backends.queue.clone(),
            runs,
            run_store: store.clone(),
            clock: backends.clock.clone(),
        },
        config.workflows.clone(),
    )
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
