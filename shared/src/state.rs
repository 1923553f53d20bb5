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
        catalog::{CatalogPorts, CatalogService},
        health::{self, HealthReport},
        uploads::UploadService,
    },
};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: Option<Db>,
    cache: Arc<dyn Cache>,
    accounts: Option<AccountService>,
    catalog: Option<CatalogService>,
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
        let needs_sdk =
            config.aws.any_configured() || config.database.as_ref().is_some_and(|db| db.iam_auth);
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
        let catalog = db.as_ref().zip(uploads.clone()).map(|(db, uploads)| {
            let store = Arc::new(db.clone());
            let index: Arc<dyn SearchIndex> = match &opensearch {
                Some(opensearch) => opensearch.clone(),
                None => store.clone(),
            };
            CatalogService::new(CatalogPorts {
                agents: store.clone(),
                index,
                embedder,
                cache: cache.clone(),
                clock: clock.clone(),
                uploads,
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
                    clock,
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
                accounts,
                catalog,
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

    /// Probes every configured dependency.
    pub async fn health(&self, budget: Duration) -> HealthReport {
        health::check_dependencies(&self.inner.probes, budget).await
    }
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
