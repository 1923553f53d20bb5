//! Uploaded files: the blob store (S3 or a local folder) and the records of uploads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What an upload is for; each has its own size limit and types.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UploadPurpose {
    AgentIcon,
    Avatar,
}

impl UploadPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgentIcon => "agent_icon",
            Self::Avatar => "avatar",
        }
    }

    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "agent_icon" => Some(Self::AgentIcon),
            "avatar" => Some(Self::Avatar),
            _ => None,
        }
    }
}

/// A form the browser posts the file with: `url`, then `fields` in order, then `file`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadForm {
    pub url: String,
    /// Form fields to send before the file, in this order.
    pub fields: Vec<FormField>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FormField {
    pub name: String,
    pub value: String,
}

/// What the blob store knows of a stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    pub size: u64,
    pub content_type: Option<String>,
}

/// Where a file is: just uploaded and not checked yet (nobody may have claimed it, and the
/// bucket's lifecycle rule expires what stays here a day), or checked and kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobArea {
    Incoming,
    Kept,
}

/// Where uploaded files live: S3 (presigned POST) or a local folder.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A form that lets a browser store one file of `content_type`, at most `max_bytes`,
    /// at `key` in the incoming area, until `expires_at`.
    async fn upload_form(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        expires_at: DateTime<Utc>,
    ) -> crate::Result<UploadForm>;
    async fn head(&self, area: BlobArea, key: &str) -> crate::Result<Option<BlobInfo>>;
    /// The object's bytes, refusing objects over `max_bytes`.
    async fn read(
        &self,
        area: BlobArea,
        key: &str,
        max_bytes: u64,
    ) -> crate::Result<Option<Vec<u8>>>;
    /// Moves a checked file from the incoming area to the kept one.
    async fn keep(&self, key: &str) -> crate::Result<()>;
    async fn delete(&self, area: BlobArea, key: &str) -> crate::Result<()>;
}

/// An upload as recorded.
#[derive(Clone, Debug)]
pub struct UploadRecord {
    pub key: String,
    pub owner_id: Uuid,
    pub purpose: UploadPurpose,
    pub content_type: String,
    pub max_bytes: i64,
    pub verified: bool,
}

/// The record of who may put what at which key.
#[async_trait]
pub trait UploadStore: Send + Sync {
    async fn insert_upload(&self, upload: &UploadRecord) -> crate::Result<()>;
    async fn find_upload(&self, key: &str) -> crate::Result<Option<UploadRecord>>;
    async fn mark_verified(&self, key: &str, size: i64) -> crate::Result<()>;
    async fn delete_upload(&self, key: &str) -> crate::Result<()>;
    /// Keys of at most `limit` uploads nobody claimed, asked for before `before`.
    async fn unclaimed_uploads(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> crate::Result<Vec<String>>;
    /// Forgets the upload at `key` if it is still unclaimed; whether it did.
    async fn forget_unclaimed_upload(&self, key: &str) -> crate::Result<bool>;
}

/// The fields of a signed upload form, as posted back to Agora (the local store's forms
/// post to Agora itself, the way S3's POST policy forms post to S3).
#[derive(Clone, Debug, Default)]
pub struct PostedForm {
    pub key: String,
    pub content_type: String,
    pub max_bytes: u64,
    pub expires: i64,
    pub token: String,
}

/// A blob store whose upload forms post to Agora (the local folder).
#[async_trait]
pub trait DirectUploads: Send + Sync {
    /// Stores a posted file if its form is genuine and unexpired and the file fits.
    async fn accept(
        &self,
        form: &PostedForm,
        content_type: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> crate::Result<()>;
}
