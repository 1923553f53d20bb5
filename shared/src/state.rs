//! Application state, built once per process (once per Lambda cold start) and shared by
//! every request. Building it opens no connection: pools connect on first use.

use std::{sync::Arc, time::Duration};

use crate::{
    Config,
    adapters::{
        argon2::Argon2Hasher,
        aws,
        local::cache::InProcessCache,
        postgres::Db,
        redis::RedisCache,
        secrets::{InlineSecret, LocalSecretFile, SecretsManagerSecret},
    },
    adapters::{
        embedders::{bedrock::BedrockEmbedder, openai::OpenAiEmbedder},
        local::{blobs::FolderBlobStore, embedder::OfflineEmbedder},
        opensearch::OpenSearchIndex,
        s3::S3BlobStore,
    },
    config::{EmbedderConfig, SecretLocation},
    ports::{
        BlobStore, Cache, Clock, DependencyProbe, Embedder, PasswordHasher, SearchIndex,
        SecretSource, SystemClock,
    },
    services::{
        accounts::{AccountPorts, AccountService},
        billing::BillingService,
        catalog::{CatalogPorts, CatalogService},
        conversations::ConversationService,
        credentials::CredentialService,
        health::{self, HealthReport},
        reviews::ReviewService,
        runs::{
            RunPorts, RunService,
            providers::{PlatformKeys, ProviderFactory, Providers},
        },
        uploads::UploadService,
    },
};
use crate::{
    adapters::{
        dynamodb::DynamoIdempotency,
        egress,
        kms::KmsKeyWrapper,
        llm::bedrock::BedrockConverse,
        local::{echo::EchoModel, keys::LocalKeyWrapper},
    },
    ports::{IdempotencyStore, KeyWrapper, LlmProvider},
};
use crate::{
    adapters::{local::queue::InProcessQueue, sqs::SqsQueue},
    ports::Queue,
    services::workflows::{WorkflowPorts, WorkflowService},
};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: Option<Db>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    accounts: Option<AccountService>,
    catalog: Option<CatalogService>,
    runs: Option<Arc<RunService>>,
    workflows: Option<Arc<WorkflowService>>,
    /// The in-process queue, when steps are not sent to SQS.
    local_queue: Option<InProcessQueue>,
    /// The SQS workflow queue, when configured.
    workflow_sqs: Option<SqsQueue>,
    conversations: Option<ConversationService>,
    credentials: Option<Arc<CredentialService>>,
    billing: Option<BillingService>,
    reviews: Option<ReviewService>,
    idempotency: Option<Arc<dyn IdempotencyStore>>,
    uploads: Option<Arc<UploadService>>,
    /// The local blob folder, when files are not in S3 (its upload route needs it).
    local_blobs: Option<Arc<FolderBlobStore>>,
    probes: Vec<Arc<dyn DependencyProbe>>,
}

/// Replaceable parts for tests: a counting password hasher, a clock that can be moved.
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
        Self::build_with(config, Overrides::default()).await
    }

    /// [`AppState::build`] with some parts replaced (tests).
    pub async fn build_with(config: Config, overrides: Overrides) -> Result<Self, StartupError> {
        // One TLS crypto provider for every client that asks rustls for the default
        // (Redis over rediss://); an error only means it is installed already.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let needs_sdk = config.aws.any_configured()
            || config.providers.bedrock
            || config.database.as_ref().is_some_and(|db| db.iam_auth);
        let sdk = if needs_sdk {
            Some(aws::load_sdk_config().await)
        } else {
            None
        };
        let db = config
            .database
            .as_ref()
            .map(|db| Db::new(db, sdk.as_ref()))
            .transpose()?;
        let (cache, cache_probe): (Arc<dyn Cache>, Arc<dyn DependencyProbe>) = match &config.redis {
            Some(redis) => {
                let cache = Arc::new(RedisCache::new(redis)?);
                (cache.clone(), cache)
            }
            None => {
                let cache = Arc::new(InProcessCache::new());
                (cache.clone(), cache)
            }
        };
        let clock = overrides.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let hasher: Arc<dyn PasswordHasher> = match overrides.hasher {
            Some(hasher) => hasher,
            None => Arc::new(Argon2Hasher::new().map_err(StartupError::Hasher)?),
        };
        let secret: Arc<dyn SecretSource> = match &config.auth.secret {
            SecretLocation::Inline(value) => Arc::new(InlineSecret(value.clone())),
            SecretLocation::LocalFile(path) => Arc::new(LocalSecretFile { path: path.clone() }),
            SecretLocation::SecretsManager(id) => {
                let sdk = match &sdk {
                    Some(sdk) => sdk.clone(),
                    None => aws::load_sdk_config().await,
                };
                Arc::new(SecretsManagerSecret::new(&sdk, id.clone()))
            }
        };
        let embedder: Arc<dyn Embedder> = match (overrides.embedder, &config.embedder) {
            (Some(embedder), _) => embedder,
            (None, EmbedderConfig::Offline) => Arc::new(OfflineEmbedder),
            (
                None,
                EmbedderConfig::OpenAi {
                    base_url,
                    model,
                    api_key,
                },
            ) => Arc::new(
                OpenAiEmbedder::new(base_url, model, api_key.clone())
                    .map_err(|error| StartupError::Embedder(error.to_string()))?,
            ),
            (None, EmbedderConfig::Bedrock { model_id }) => {
                let sdk = match &sdk {
                    Some(sdk) => sdk.clone(),
                    None => aws::load_sdk_config().await,
                };
                Arc::new(BedrockEmbedder::new(&sdk, model_id))
            }
        };
        let opensearch = match &config.opensearch {
            Some(search) => {
                let sdk = match (&sdk, search.sigv4) {
                    (_, false) => None,
                    (Some(sdk), true) => Some(sdk.clone()),
                    (None, true) => Some(aws::load_sdk_config().await),
                };
                Some(Arc::new(
                    OpenSearchIndex::new(&search.url, &search.index, sdk.as_ref())
                        .map_err(|error| StartupError::SearchIndex(error.to_string()))?,
                ))
            }
            None => None,
        };
        let (blobs, local_blobs): (Arc<dyn BlobStore>, Option<Arc<FolderBlobStore>>) =
            match (&config.aws.s3_bucket, &sdk) {
                (Some(bucket), Some(sdk)) => (
                    Arc::new(S3BlobStore::new(
                        sdk,
                        bucket,
                        config.aws.endpoint_url.as_deref(),
                    )),
                    None,
                ),
                _ => {
                    let folder = Arc::new(
                        FolderBlobStore::new(config.local.home.join("blobs"))
                            .map_err(|error| StartupError::Blobs(error.to_string()))?,
                    );
                    (folder.clone(), Some(folder))
                }
            };
        let uploads = db.as_ref().map(|db| {
            Arc::new(UploadService::new(
                blobs.clone(),
                Arc::new(db.clone()),
                clock.clone(),
            ))
        });
        let key_wrapper: Arc<dyn KeyWrapper> = match (&config.aws.kms_key_id, &sdk) {
            (Some(key_id), Some(sdk)) => Arc::new(KmsKeyWrapper::new(sdk, key_id)),
            _ => Arc::new(LocalKeyWrapper::new(config.local.home.join("master.key"))),
        };
        let credentials = db.as_ref().map(|db| {
            Arc::new(CredentialService::new(
                Arc::new(db.clone()),
                key_wrapper,
                config.providers.egress.clone(),
            ))
        });
        let providers = build_providers(&config, sdk.as_ref(), &secret, credentials.clone())?;
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
                },
                config.runs.clone(),
            ))
        });
        let workflow_sqs = match (&config.aws.queue_url, &sdk) {
            (Some(url), Some(sdk)) => Some(SqsQueue::new(sdk, url)),
            _ => None,
        };
        let (workflows, local_queue) = match (&db, &runs) {
            (Some(db), Some(runs)) => {
                let (queue, local_queue, receiver): (Arc<dyn Queue>, _, _) = match &workflow_sqs {
                    Some(sqs) => (Arc::new(sqs.clone()), None, None),
                    _ => {
                        let (queue, receiver) = InProcessQueue::new();
                        (Arc::new(queue.clone()), Some(queue), Some(receiver))
                    }
                };
                let store = Arc::new(db.clone());
                let service = Arc::new(WorkflowService::new(
                    WorkflowPorts {
                        store: store.clone(),
                        library: store.clone(),
                        workflow_runs: store.clone(),
                        queue,
                        runs: runs.clone(),
                        run_store: store,
                        clock: clock.clone(),
                    },
                    config.workflows.clone(),
                ));
                if let (Some(local), Some(receiver)) = (&local_queue, receiver) {
                    // Steps run in this process, as messages arrive; runs a previous
                    // process left running go on where they stopped.
                    tokio::spawn(local.clone().consume(receiver, service.clone()));
                    let resuming = service.clone();
                    tokio::spawn(async move {
                        match resuming.resume_runs().await {
                            Ok(0) => {}
                            Ok(steps) => tracing::info!(steps, "resumed running workflow runs"),
                            Err(error) => {
                                tracing::warn!(%error, "cannot resume running workflow runs");
                            }
                        }
                    });
                }
                (Some(service), local_queue)
            }
            _ => (None, None),
        };
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
        let idempotency: Option<Arc<dyn IdempotencyStore>> =
            match (&config.aws.idempotency_table, &sdk, &db) {
                (Some(table), Some(sdk), _) => Some(Arc::new(DynamoIdempotency::new(sdk, table))),
                (_, _, Some(db)) => Some(Arc::new(db.clone())),
                _ => None,
            };
        let catalog = db.as_ref().zip(uploads.clone()).map(|(db, uploads)| {
            let store = Arc::new(db.clone());
            let index: Arc<dyn SearchIndex> = match &opensearch {
                Some(opensearch) => opensearch.clone(),
                None => store.clone(),
            };
            CatalogService::new(CatalogPorts {
                directory: store.clone(),
                agents: store.clone(),
                library: store.clone(),
                categories: store.clone(),
                listings: store.clone(),
                index,
                embedder,
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
                    hasher,
                    secret,
                    uploads,
                    cache: cache.clone(),
                    clock: clock.clone(),
                },
                config.auth.clone(),
            )
        });
        let mut probes: Vec<Arc<dyn DependencyProbe>> = Vec::new();
        match &db {
            Some(db) => probes.push(Arc::new(db.clone())),
            None => probes.push(Arc::new(NotConfigured("database", "set DATABASE_URL"))),
        }
        probes.push(cache_probe);
        if let Some(opensearch) = opensearch {
            probes.push(opensearch);
        }
        if let Some(sdk) = &sdk {
            probes.extend(aws::probes(&config.aws, sdk));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                db,
                cache,
                clock,
                accounts,
                catalog,
                runs,
                workflows,
                local_queue,
                workflow_sqs,
                conversations,
                credentials,
                billing,
                reviews,
                idempotency,
                uploads,
                local_blobs,
                probes,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The database, or a 503 naming the missing setting.
    pub fn db(&self) -> crate::Result<&Db> {
        self.inner
            .db
            .as_ref()
            .ok_or_else(|| crate::Error::Unavailable {
                dependency: "database",
                cause: "DATABASE_URL is not set".into(),
            })
    }

    /// The account service, or a 503 when no database is configured.
    pub fn accounts(&self) -> crate::Result<&AccountService> {
        self.inner
            .accounts
            .as_ref()
            .ok_or_else(|| crate::Error::Unavailable {
                dependency: "database",
                cause: "DATABASE_URL is not set".into(),
            })
    }

    /// The catalog service, or a 503 when no database is configured.
    pub fn catalog(&self) -> crate::Result<&CatalogService> {
        self.inner
            .catalog
            .as_ref()
            .ok_or_else(|| crate::Error::Unavailable {
                dependency: "database",
                cause: "DATABASE_URL is not set".into(),
            })
    }

    /// The upload service, or a 503 when no database is configured.
    pub fn uploads(&self) -> crate::Result<&UploadService> {
        self.inner
            .uploads
            .as_deref()
            .ok_or_else(|| crate::Error::Unavailable {
                dependency: "database",
                cause: "DATABASE_URL is not set".into(),
            })
    }

    /// The local blob folder, when files are not kept in S3.
    pub fn local_blobs(&self) -> Option<&FolderBlobStore> {
        self.inner.local_blobs.as_deref()
    }

    pub fn cache(&self) -> &Arc<dyn Cache> {
        &self.inner.cache
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The run path (the metering chokepoint), or a 503 when no database is configured.
    pub fn runs(&self) -> crate::Result<&RunService> {
        self.inner.runs.as_deref().ok_or_else(no_database)
    }

    pub fn workflows(&self) -> crate::Result<&WorkflowService> {
        self.inner.workflows.as_deref().ok_or_else(no_database)
    }

    /// The SQS workflow queue, when steps go to SQS.
    pub fn workflow_sqs(&self) -> Option<&SqsQueue> {
        self.inner.workflow_sqs.as_ref()
    }

    /// The in-process workflow queue (absent when steps go to SQS).
    pub fn local_queue(&self) -> Option<&InProcessQueue> {
        self.inner.local_queue.as_ref()
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

    /// Deletes idempotency records of PostgreSQL that expired (DynamoDB's TTL does its own).
    pub async fn forget_expired_idempotency_records(&self) -> crate::Result<u64> {
        match (&self.inner.config.aws.idempotency_table, &self.inner.db) {
            (None, Some(db)) => {
                db.forget_expired_idempotency_records(self.inner.clock.now())
                    .await
            }
            _ => Ok(0),
        }
    }

    pub fn reviews(&self) -> crate::Result<&ReviewService> {
        self.inner.reviews.as_ref().ok_or_else(no_database)
    }

    pub fn idempotency(&self) -> crate::Result<Arc<dyn IdempotencyStore>> {
        self.inner.idempotency.clone().ok_or_else(no_database)
    }

    /// Probes every configured dependency.
    pub async fn health(&self, budget: Duration) -> HealthReport {
        health::check_dependencies(&self.inner.probes, budget).await
    }
}

fn no_database() -> crate::Error {
    crate::Error::Unavailable {
        dependency: "database",
        cause: "DATABASE_URL is not set".into(),
    }
}

/// The language-model providers: Agora's accounts as configured, Bedrock through the
/// SDK, the offline model, and the clients for users' keys and endpoints.
fn build_providers(
    config: &Config,
    sdk: Option<&aws_config::SdkConfig>,
    secret: &Arc<dyn SecretSource>,
    credentials: Option<Arc<CredentialService>>,
) -> Result<Providers, StartupError> {
    let settings = &config.providers;
    let idle = config.runs.provider_timeout;
    let client =
        egress::client(idle).map_err(|error| StartupError::Providers(error.to_string()))?;
    let guarded = egress::guarded_client(settings.egress.clone(), idle)
        .map_err(|error| StartupError::Providers(error.to_string()))?;
    let bedrock: Option<Arc<dyn LlmProvider>> = match (settings.bedrock, sdk) {
        (true, Some(sdk)) => Some(Arc::new(BedrockConverse::new(
            sdk,
            settings.bedrock_endpoint_url.as_deref(),
            idle,
        ))),
        (true, None) => {
            return Err(StartupError::Providers(
                "AGORA_BEDROCK=true needs the AWS SDK configuration (region and credentials)"
                    .into(),
            ));
        }
        (false, _) => None,
    };
    let secret = match &config.auth.secret {
        SecretLocation::SecretsManager(_) | SecretLocation::Inline(_) => Some(secret.clone()),
        SecretLocation::LocalFile(_) => None,
    };
    Ok(Providers::new(
        PlatformKeys {
            openai: settings.openai_api_key.clone(),
            anthropic: settings.anthropic_api_key.clone(),
            secret,
        },
        bedrock,
        Arc::new(EchoModel {
            word_delay: settings.echo_word_delay,
        }),
        ProviderFactory {
            client,
            guarded,
            openai_base_url: settings.openai_base_url.clone(),
            anthropic_base_url: settings.anthropic_base_url.clone(),
            idle,
        },
        credentials,
    ))
}

/// A required dependency nobody configured: always failed, with the fix.
struct NotConfigured(&'static str, &'static str);

#[async_trait::async_trait]
impl DependencyProbe for NotConfigured {
    fn name(&self) -> &'static str {
        self.0
    }

    async fn probe(&self) -> Result<(), String> {
        Err(format!("not configured: {}", self.1))
    }
}
