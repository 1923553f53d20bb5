//! AWS: one SDK configuration per process (region, credentials and `AWS_ENDPOINT_URL`
//! from the standard sources, so every client also works against moto), and the health
//! probes of each configured service.

use std::sync::Arc;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::ports::DependencyProbe;

/// AWS services Agora uses when configured. The SDK itself reads the region, credentials
/// and `AWS_ENDPOINT_URL` (moto in tests) from the standard variables.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub s3_bucket: Option<String>,
    /// The workflow step queue; without it steps run in process.
    pub queue_url: Option<String>,
    /// Its dead-letter queue (only `agora workflows redrive` reads it).
    pub dead_letter_queue_url: Option<String>,
    pub idempotency_table: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_id: Option<String>,
    /// Where the functions that sign people in publish the verification keys
    /// (`AGORA_VERIFICATION_KEYS_ID`); only those functions have it.
    pub verification_keys_id: Option<String>,
    /// The secret with Agora's own provider keys (`AGORA_PROVIDER_SECRET_ID`); only the
    /// functions that call providers have it.
    pub provider_secret_id: Option<String>,
    /// The database owner's `{"username", "password"}` (`DATABASE_OWNER_SECRET_ID`), for
    /// the `migrate` function alone.
    pub database_owner_secret_id: Option<String>,
    /// Set when any AWS-backed setting is present, or `AWS_ENDPOINT_URL` is given.
    pub endpoint_url: Option<String>,
}

impl AwsSettings {
    /// Whether any AWS service is configured, so an SDK config must be loaded.
    pub fn any_configured(&self) -> bool {
        self.s3_bucket.is_some()
            || self.queue_url.is_some()
            || self.idempotency_table.is_some()
            || self.kms_key_id.is_some()
            || self.secret_id.is_some()
            || self.verification_keys_id.is_some()
            || self.provider_secret_id.is_some()
    }
}

/// Loads the SDK configuration. It resolves settings only; no request is made until a
/// client is used.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// The IAM action each probe below needs (S3's HeadBucket is authorized by
/// `s3:ListBucket`): the health function's policies in `template.yaml` must grant them all,
/// or `/v1/health` reports a healthy service as failing.
pub const PROBE_ACTIONS: [&str; 5] = [
    "s3:ListBucket",
    "sqs:GetQueueAttributes",
    "dynamodb:DescribeTable",
    "kms:DescribeKey",
    "secretsmanager:DescribeSecret",
];

/// A probe for every AWS service the configuration names.
pub fn probes(config: &AwsSettings, sdk: &SdkConfig) -> Vec<Arc<dyn DependencyProbe>> {
    let mut probes: Vec<Arc<dyn DependencyProbe>> = Vec::new();
    if let Some(bucket) = &config.s3_bucket {
        // Path-style addressing works with moto and any endpoint override; real S3
        // accepts it too for HeadBucket.
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(config.endpoint_url.is_some())
            .build();
        probes.push(Arc::new(S3Probe {
            client: aws_sdk_s3::Client::from_conf(s3),
            bucket: bucket.clone(),
        }));
    }
    if let Some(queue_url) = &config.queue_url {
        probes.push(Arc::new(SqsProbe {
            client: aws_sdk_sqs::Client::new(sdk),
            queue_url: queue_url.clone(),
        }));
    }
    if let Some(table) = &config.idempotency_table {
        probes.push(Arc::new(DynamoDbProbe {
            client: aws_sdk_dynamodb::Client::new(sdk),
            table: table.clone(),
        }));
    }
    if let Some(key_id) = &config.kms_key_id {
        probes.push(Arc::new(KmsProbe {
            client: aws_sdk_kms::Client::new(sdk),
            key_id: key_id.clone(),
        }));
    }
    if let Some(secret_id) = &config.secret_id {
        probes.push(Arc::new(SecretsProbe {
            client: aws_sdk_secretsmanager::Client::new(sdk),
            secret_id: secret_id.clone(),
        }));
    }
    probes
}

/// The SDK's errors print as "service error"; the cause chain says which.
fn describe(error: impl std::error::Error) -> String {
    crate::error::describe_chain(&error)
}

struct S3Probe {
    client: aws_sdk_s3::Client,
    bucket: String,
}

#[async_trait]
impl DependencyProbe for S3Probe {
    fn name(&self) -> &'static str {
        "s3"
    }

    async fn probe(&self) -> Result<(), String> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }
}

struct SqsProbe {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

#[async_trait]
impl DependencyProbe for SqsProbe {
    fn name(&self) -> &'static str {
        "sqs"
    }

    async fn probe(&self) -> Result<(), String> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }
}

struct DynamoDbProbe {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

#[async_trait]
impl DependencyProbe for DynamoDbProbe {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    async fn probe(&self) -> Result<(), String> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }
}

struct KmsProbe {
    client: aws_sdk_kms::Client,
    key_id: String,
}

#[async_trait]
impl DependencyProbe for KmsProbe {
    fn name(&self) -> &'static str {
        "kms"
    }

    async fn probe(&self) -> Result<(), String> {
        self.client
            .describe_key()
            .key_id(&self.key_id)
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }
}

struct SecretsProbe {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

#[async_trait]
impl DependencyProbe for SecretsProbe {
    fn name(&self) -> &'static str {
        "secretsmanager"
    }

    async fn probe(&self) -> Result<(), String> {
        // DescribeSecret proves access without fetching the secret value.
        self.client
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }
}
