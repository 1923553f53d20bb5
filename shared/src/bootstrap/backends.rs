//! Which adapter serves each port: the production one when its setting is present, the
//! embedded default otherwise, and none at all for what the process does not need (a
//! Lambda function built for its route's needs: see [`reaches`]).

use std::sync::Arc;

use aws_config::SdkConfig;

use super::{Overrides, StartupError};
use crate::{
    Config,
    adapters::{
        argon2::Argon2Hasher,
        aws,
        dynamodb::DynamoIdempotency,
        embedders::{EmbedderSettings, bedrock::BedrockEmbedder, openai::OpenAiEmbedder},
        kms::KmsKeyWrapper,
        local::{
            blobs::FolderBlobStore, cache::InProcessCache, embedder::OfflineEmbedder,
            keys::LocalKeyWrapper, outbox::DevOutbox, queue::InProcessQueue,
        },
        not_reached::NotReached,
        opensearch::OpenSearchIndex,
        postgres::Db,
        redis::RedisCache,
        s3::S3BlobStore,
        secrets::{InlineSecret, LocalSecretFile, SecretLocation, SecretsManagerSecret},
        ses::SesMailer,
        sqs::SqsQueue,
    },
    api::Need,
    config::Profile,
    ports::{
        BlobStore, Cache, Clock, DependencyProbe, DirectUploads, Embedder, IdempotencyStore,
        KeyWrapper, MailOutbox, Mailer, PasswordHasher, PublicKeyDirectory, Queue, QueueConsumer,
        SearchIndex, SecretSource, SystemClock,
    },
};

/// The adapters of one process.
pub(super) struct Backends {
    /// The AWS SDK configuration, loaded when any AWS service is configured.
    pub sdk: Option<SdkConfig>,
    pub db: Option<Db>,
    pub cache: Arc<dyn Cache>,
    /// This process's own cache: the rate limits' fallback while Redis is unreachable.
    pub local_cache: Arc<dyn Cache>,
    cache_probe: Arc<dyn DependencyProbe>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub secret: Arc<dyn SecretSource>,
    pub embedder: Arc<dyn Embedder>,
    /// The catalog's search index when it is not the database's (OpenSearch).
    search: Option<Arc<dyn SearchIndex>>,
    search_probe: Option<Arc<dyn DependencyProbe>>,
    pub blobs: Arc<dyn BlobStore>,
    pub direct_uploads: Option<Arc<dyn DirectUploads>>,
    pub key_wrapper: Arc<dyn KeyWrapper>,
    pub idempotency: Option<Arc<dyn IdempotencyStore>>,
    pub queue: Arc<dyn Queue>,
    pub consumer: Arc<dyn QueueConsumer>,
    pub local_queue: Option<InProcessQueue>,
    pub sqs_queue: Option<SqsQueue>,
    /// Amazon SES when `AGORA_MAIL_FROM` is set, the dev outbox in the dev profile, and
    /// nothing in a prod deployment without a sender.
    pub mailer: Option<Arc<dyn Mailer>>,
    pub outbox: Option<Arc<dyn MailOutbox>>,
    /// Where this process publishes the verification keys (the functions that sign in).
    pub key_directory: Option<Arc<dyn PublicKeyDirectory>>,
}

/// The catalog's search index when it is not the database's, and its health probe.
type SearchAdapters = (
    Option<Arc<dyn SearchIndex>>,
    Option<Arc<dyn DependencyProbe>>,
);

/// Whether a process built for `NEEDS` ([`NeedSet::bits`](crate::api::NeedSet::bits))
/// reaches `need`. Written out here rather than through `NeedSet`'s methods: a generic
/// function is compiled in the function's own crate, where this folds to a constant
/// without cross-crate inlining, so the adapters behind a `false` are never referenced and
/// stay out of its binary.
pub(super) const fn reaches<const NEEDS: u32>(need: Need) -> bool {
    NEEDS & (1 << need as u32) != 0
}

pub(super) const fn reaches_any<const NEEDS: u32>(needs: &[Need]) -> bool {
    let mut at = 0;
    while at < needs.len() {
        if reaches::<NEEDS>(needs[at]) {
            return true;
        }
        at += 1;
    }
    false
}

impl Backends {
    pub async fn connect<const NEEDS: u32>(
        config: &Config,
        overrides: Overrides,
    ) -> Result<Self, StartupError> {
        // One TLS crypto provider for every client that asks rustls for the default
        // (Redis over rediss://); an error only means it is installed already.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        // Loaded once, here: the adapters below are built without awaiting anything, so
        // in a function's build the branches its needs rule out are plain dead code (an
        // await inside one would keep its resumption, and the adapter, in the binary).
        let needs_sdk = config.aws.any_configured()
            || config.mail_from.is_some()
            || config.providers.bedrock
            || config.database.as_ref().is_some_and(|db| db.iam_auth)
            || matches!(config.embedder, EmbedderSettings::Bedrock { .. })
            || config
                .opensearch
                .as_ref()
                .is_some_and(|search| search.sigv4);
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
        let local_cache = Arc::new(InProcessCache::new());
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
        let hasher: Arc<dyn PasswordHasher> = match overrides.hasher {
            Some(hasher) => hasher,
            None => Arc::new(Argon2Hasher::new().map_err(StartupError::Hasher)?),
        };
        let secret: Arc<dyn SecretSource> = match &config.secret {
            SecretLocation::Inline(value) => Arc::new(InlineSecret(value.clone())),
            SecretLocation::LocalFile(path) => Arc::new(LocalSecretFile { path: path.clone() }),
            SecretLocation::SecretsManager(id)
                if reaches_any::<NEEDS>(&[
                    Need::SigningKeys,
                    Need::VerificationKeys,
                    Need::AgoraProviderKeys,
                ]) =>
            {
                Arc::new(SecretsManagerSecret::new(loaded(&sdk)?, id.clone()))
            }
            SecretLocation::SecretsManager(_) => Arc::new(NotReached("SigningKeys")),
        };
        let embedder: Arc<dyn Embedder> = match (overrides.embedder, &config.embedder) {
            (Some(embedder), _) => embedder,
            (None, EmbedderSettings::Offline) => Arc::new(OfflineEmbedder),
            (
                None,
                EmbedderSettings::OpenAi {
                    base_url,
                    model,
                    api_key,
                },
            ) => Arc::new(
                OpenAiEmbedder::new(base_url, model, api_key.clone())
                    .map_err(|error| StartupError::Embedder(error.to_string()))?,
            ),
            (None, EmbedderSettings::Bedrock { model_id }) if reaches::<NEEDS>(Need::Search) => {
                Arc::new(BedrockEmbedder::new(loaded(&sdk)?, model_id))
            }
            (None, EmbedderSettings::Bedrock { .. }) => Arc::new(NotReached("Search")),
        };
        let (search, search_probe): SearchAdapters = match &config.opensearch {
            Some(search) if reaches::<NEEDS>(Need::Search) => {
                let signing = match search.sigv4 {
                    true => Some(loaded(&sdk)?),
                    false => None,
                };
                let index = Arc::new(
                    OpenSearchIndex::new(&search.url, &search.index, signing)
                        .map_err(|error| StartupError::SearchIndex(error.to_string()))?,
                );
                (Some(index.clone()), Some(index))
            }
            Some(_) => (Some(Arc::new(NotReached("Search"))), None),
            None => (None, None),
        };
        let (blobs, direct_uploads): (Arc<dyn BlobStore>, Option<Arc<dyn DirectUploads>>) =
            match (&config.aws.s3_bucket, &sdk) {
                (Some(bucket), Some(sdk)) if reaches::<NEEDS>(Need::Uploads) => (
                    Arc::new(S3BlobStore::new(
                        sdk,
                        bucket,
                        config.aws.endpoint_url.as_deref(),
                    )),
                    None,
                ),
                (Some(_), Some(_)) => (Arc::new(NotReached("Uploads")), None),
                _ => {
                    let folder = Arc::new(
                        FolderBlobStore::new(config.local.home.join("blobs"))
                            .map_err(|error| StartupError::Blobs(error.to_string()))?,
                    );
                    (folder.clone(), Some(folder))
                }
            };
        let key_wrapper: Arc<dyn KeyWrapper> = match (&config.aws.kms_key_id, &sdk) {
            (Some(key_id), Some(sdk))
                if reaches_any::<NEEDS>(&[Need::SavedKeysDecrypt, Need::SavedKeysEncrypt]) =>
            {
                Arc::new(KmsKeyWrapper::new(sdk, key_id))
            }
            (Some(_), Some(_)) => Arc::new(NotReached("SavedKeysDecrypt")),
            _ => Arc::new(LocalKeyWrapper::new(config.local.home.join("master.key"))),
        };
        let idempotency: Option<Arc<dyn IdempotencyStore>> =
            match (&config.aws.idempotency_table, &sdk, &db) {
                (Some(table), Some(sdk), _) if reaches::<NEEDS>(Need::IdempotencyTable) => {
                    Some(Arc::new(DynamoIdempotency::new(sdk, table)))
                }
                // Expired records leave the table by its TTL; a function without the table
                // (maintenance) forgets only the database's.
                (_, _, Some(db)) => Some(Arc::new(db.clone())),
                _ => None,
            };
        let queue_reached =
            reaches_any::<NEEDS>(&[Need::WorkflowQueue, Need::WorkflowQueueReceive]);
        let sqs_queue = match (&config.aws.queue_url, &sdk) {
            (Some(url), Some(sdk)) if queue_reached => Some(SqsQueue::new(sdk, url)),
            _ => None,
        };
        let (queue, consumer, local_queue): (Arc<dyn Queue>, Arc<dyn QueueConsumer>, _) =
            match &sqs_queue {
                Some(sqs) => (Arc::new(sqs.clone()), Arc::new(sqs.clone()), None),
                // Steps belong to the queue in SQS, never to a worker in this function.
                None if config.aws.queue_url.is_some() && sdk.is_some() => (
                    Arc::new(NotReached("WorkflowQueue")),
                    Arc::new(NotReached("WorkflowQueueReceive")),
                    None,
                ),
                None => {
                    let local = InProcessQueue::new(config.workflows.max_receive_count);
                    (
                        Arc::new(local.clone()),
                        Arc::new(local.clone()),
                        Some(local),
                    )
                }
            };
        let clock = overrides.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let mut outbox: Option<Arc<dyn MailOutbox>> = None;
        let mailer: Option<Arc<dyn Mailer>> = match (&config.mail_from, config.profile) {
            (Some(from), _) if reaches::<NEEDS>(Need::Mail) => {
                Some(Arc::new(SesMailer::new(loaded(&sdk)?, from)))
            }
            (Some(_), _) => None,
            (None, Profile::Dev) => {
                let dev_outbox = Arc::new(DevOutbox::new(clock.clone()));
                outbox = Some(dev_outbox.clone());
                Some(dev_outbox)
            }
            (None, Profile::Prod) => None,
        };
        let key_directory: Option<Arc<dyn PublicKeyDirectory>> =
            match &config.aws.verification_keys_id {
                Some(id) if reaches::<NEEDS>(Need::SigningKeys) => Some(Arc::new(
                    SecretsManagerSecret::new(loaded(&sdk)?, id.clone()),
                )),
                _ => None,
            };
        Ok(Self {
            key_directory,
            db,
            cache,
            local_cache,
            cache_probe,
            clock,
            mailer,
            outbox,
            hasher,
            secret,
            embedder,
            search,
            search_probe,
            blobs,
            direct_uploads,
            key_wrapper,
            idempotency,
            queue,
            consumer,
            local_queue,
            sqs_queue,
            sdk,
        })
    }

    /// The catalog's search index: OpenSearch when configured, PostgreSQL otherwise.
    pub fn search_index(&self, db: &Db) -> Arc<dyn SearchIndex> {
        match &self.search {
            Some(search) => search.clone(),
            None => Arc::new(db.clone()),
        }
    }

    /// A probe for every configured dependency, and a failed one for a missing database.
    pub fn probes<const NEEDS: u32>(&self, config: &Config) -> Vec<Arc<dyn DependencyProbe>> {
        let mut probes: Vec<Arc<dyn DependencyProbe>> = Vec::new();
        match &self.db {
            Some(db) => probes.push(Arc::new(db.clone())),
            None => probes.push(Arc::new(NotConfigured("database", "set DATABASE_URL"))),
        }
        probes.push(self.cache_probe.clone());
        if let Some(search) = &self.search_probe {
            probes.push(search.clone());
        }
        if let Some(sdk) = &self.sdk
            && reaches::<NEEDS>(Need::DescribeDependencies)
        {
            probes.extend(aws::probes(&config.aws, sdk));
        }
        probes
    }
}

/// The SDK configuration, which `connect` loads whenever a setting names an AWS service.
fn loaded(sdk: &Option<SdkConfig>) -> Result<&SdkConfig, StartupError> {
    sdk.as_ref()
        .ok_or_else(|| StartupError::Aws("no AWS SDK configuration was loaded".into()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{NeedSet, functions};

    #[test]
    fn reaching_agrees_with_the_declared_needs() {
        const NEEDS: NeedSet = functions::agents_update::NEEDS;
        for need in Need::ALL {
            assert_eq!(
                reaches::<{ NEEDS.bits() }>(need),
                NEEDS.contains(need),
                "{need:?}"
            );
        }
        assert!(reaches_any::<{ NEEDS.bits() }>(&[
            Need::Mail,
            Need::Uploads
        ]));
        assert!(!reaches_any::<{ NEEDS.bits() }>(&[
            Need::Mail,
            Need::Bedrock
        ]));
    }
}
