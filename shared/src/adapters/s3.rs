//! [`BlobStore`] on S3: browsers upload straight to the bucket with a presigned POST whose
//! policy pins the key, the content type and the size range (`content-length-range`), so
//! nothing larger or different can be stored; Agora reads objects back to verify and
//! serve them.
//!
//! The AWS SDK presigns PUTs but not POST policies, so the policy is signed here with
//! SigV4 (`aws-sigv4`'s signing-key derivation), as S3's "Browser-Based Uploads Using
//! POST" documentation describes.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_credential_types::provider::ProvideCredentials;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::{
    Error, Result,
    error::describe_chain,
    ports::{BlobArea, BlobInfo, BlobStore, FormField, UploadForm},
};

/// Every key lives under this prefix; files not checked yet under `uploads/incoming/`,
/// which the bucket's lifecycle rule expires after a day (abandoned uploads).
const PREFIX: &str = "uploads/";
pub const INCOMING_PREFIX: &str = "uploads/incoming/";

fn object(area: BlobArea, key: &str) -> String {
    match area {
        BlobArea::Incoming => format!("{INCOMING_PREFIX}{key}"),
        BlobArea::Kept => format!("{PREFIX}{key}"),
    }
}

pub struct S3BlobStore {
    client: aws_sdk_s3::Client,
    sdk: aws_config::SdkConfig,
    bucket: String,
    /// Set for S3-compatible endpoints (moto): path-style URLs.
    endpoint: Option<String>,
}

impl S3BlobStore {
    pub fn new(sdk: &aws_config::SdkConfig, bucket: &str, endpoint: Option<&str>) -> Self {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(endpoint.is_some())
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(config),
            sdk: sdk.clone(),
            bucket: bucket.to_owned(),
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_owned()),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn region(&self) -> String {
        self.sdk
            .region()
            .map_or_else(|| "us-east-1".to_owned(), |region| region.to_string())
    }

    fn form_url(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/{}", self.bucket),
            None => format!("https://{}.s3.{}.amazonaws.com", self.bucket, self.region()),
        }
    }
}

fn unavailable(action: &str, error: &dyn std::error::Error) -> Error {
    Error::Unavailable {
        dependency: "blob store",
        cause: format!("S3 {action}: {}", describe_chain(error)),
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn upload_form(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadForm> {
        let credentials = self
            .sdk
            .credentials_provider()
            .ok_or_else(|| Error::Internal("the AWS configuration has no credentials".into()))?
            .provide_credentials()
            .await
            .map_err(|error| unavailable("credentials", &error))?;
        let now = Utc::now();
        let region = self.region();
        let date = now.format("%Y%m%d").to_string();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{date}/{region}/s3/aws4_request",
            credentials.access_key_id()
        );
        let full_key = object(BlobArea::Incoming, key);
        let mut conditions = vec![
            json!({ "bucket": self.bucket }),
            json!(["eq", "$key", full_key]),
            json!(["eq", "$Content-Type", content_type]),
            json!(["content-length-range", 1, max_bytes]),
            json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
            json!({ "x-amz-credential": credential }),
            json!({ "x-amz-date": amz_date }),
        ];
        let mut fields = vec![
            ("key", full_key.clone()),
            ("Content-Type", content_type.to_owned()),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("x-amz-credential", credential),
            ("x-amz-date", amz_date),
        ];
        if let Some(token) = credentials.session_token() {
            conditions.push(json!({ "x-amz-security-token": token }));
            fields.push(("x-amz-security-token", token.to_owned()));
        }
        let policy = json!({
            "expiration": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "conditions": conditions,
        });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let signing_key = aws_sigv4::sign::v4::generate_signing_key(
            credentials.secret_access_key(),
            SystemTime::from(now),
            &region,
            "s3",
        );
        let signature = aws_sigv4::sign::v4::calculate_signature(signing_key, policy.as_bytes());
        fields.push(("policy", policy));
        fields.push(("x-amz-signature", signature));
        Ok(UploadForm {
            url: self.form_url(),
            fields: fields
                .into_iter()
                .map(|(name, value)| FormField {
                    name: name.to_owned(),
                    value,
                })
                .collect(),
        })
    }

    async fn head(&self, area: BlobArea, key: &str) -> Result<Option<BlobInfo>> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(object(area, key))
            .send()
            .await
        {
            Ok(head) => Ok(Some(BlobInfo {
                size: u64::try_from(head.content_length.unwrap_or(0)).unwrap_or(0),
                content_type: head.content_type,
            })),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(error) => Err(unavailable("HeadObject", &error)),
        }
    }

    async fn read(&self, area: BlobArea, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(object(area, key))
            .send()
            .await
        {
            Ok(object) => object,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None);
            }
            Err(error) => return Err(unavailable("GetObject", &error)),
        };
        if object
            .content_length
            .is_some_and(|length| u64::try_from(length).unwrap_or(u64::MAX) > max_bytes)
        {
            return Err(Error::Internal(format!(
                "blob {key} is larger than {max_bytes} bytes"
            )));
        }
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|error| unavailable("GetObject body", &error))?
            .into_bytes();
        Ok(Some(bytes.to_vec()))
    }

    /// A copy inside the bucket (encrypted like any object, by the bucket's default), then
    /// the incoming object's deletion.
    async fn keep(&self, key: &str) -> Result<()> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!(
                "{}/{}",
                self.bucket,
                object(BlobArea::Incoming, key)
            ))
            .key(object(BlobArea::Kept, key))
            .send()
            .await
            .map_err(|error| unavailable("CopyObject", &error))?;
        self.delete(BlobArea::Incoming, key).await
    }

    async fn delete(&self, area: BlobArea, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(object(area, key))
            .send()
            .await
            .map_err(|error| unavailable("DeleteObject", &error))?;
        Ok(())
    }
}
