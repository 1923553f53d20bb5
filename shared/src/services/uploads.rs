//! Icons and avatars: a signed-in user asks for an upload form (key, type and size fixed
//! by Agora), the browser sends the file straight to the blob store, and the file is
//! verified (present, within the size, and its bytes really are the declared image type)
//! before anything may use it. Only verified files are served, as downloads with
//! `nosniff`; SVG is not accepted at all (it can carry script).

use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use crate::{
    Error, Result,
    domain::Caller,
    domain::blob::is_blob_key,
    ports::{
        BlobArea, BlobStore, Clock, DirectUploads, PostedForm, UploadForm, UploadPurpose,
        UploadRecord, UploadStore,
    },
};

/// How long an upload form works.
const FORM_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The image types Agora accepts, with the bytes that start a file of each.
const IMAGE_TYPES: &[(&str, &[u8])] = &[
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/webp", b"RIFF"),
];

impl UploadPurpose {
    /// The largest file of this purpose, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::AgentIcon => 256 * 1024,
            Self::Avatar => 512 * 1024,
        }
    }

    fn key_prefix(self) -> &'static str {
        match self {
            Self::AgentIcon => "icon",
            Self::Avatar => "avatar",
        }
    }
}

/// How long an upload may wait to be claimed: as long as the bucket's lifecycle rule keeps
/// an incoming file (`expire-abandoned-uploads` in template.yaml).
pub const UNCLAIMED_UPLOADS_KEPT: chrono::Duration = chrono::Duration::days(1);

pub struct UploadService {
    blobs: Arc<dyn BlobStore>,
    uploads: Arc<dyn UploadStore>,
    clock: Arc<dyn Clock>,
    /// The store's own upload endpoint, when its forms post to Agora (the local folder).
    direct: Option<Arc<dyn DirectUploads>>,
}

/// A form to upload one file, and the key to use it by.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadTicket {
    /// Put this in `icon` (agent definitions) or `avatar` (`PATCH /v1/me`) once uploaded.
    pub key: String,
    pub form: UploadForm,
    pub max_bytes: u64,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A verified file, ready to serve.
#[derive(Clone, Debug)]
pub struct ServedFile {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl UploadService {
    pub fn new(
        blobs: Arc<dyn BlobStore>,
        uploads: Arc<dyn UploadStore>,
        clock: Arc<dyn Clock>,
        direct: Option<Arc<dyn DirectUploads>>,
    ) -> Self {
        Self {
            blobs,
            uploads,
            clock,
            direct,
        }
    }

    /// Stores a file posted with one of the local store's forms; 404 when files go
    /// straight to S3 instead.
    pub async fn accept_posted(
        &self,
        form: &PostedForm,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let direct = self.direct.as_ref().ok_or_else(|| {
            Error::NotFound("Files are stored in S3 here; post the form to its url.".into())
        })?;
        direct
            .accept(form, content_type, bytes, self.clock.now())
            .await
    }

    /// Whether files are posted to Agora itself (the local store) rather than to S3.
    pub fn accepts_posted_files(&self) -> bool {
        self.direct.is_some()
    }

    /// A form for one file of `content_type` and at most `size` bytes.
    pub async fn request_upload(
        &self,
        caller: &Caller,
        purpose: UploadPurpose,
        content_type: &str,
        size: u64,
    ) -> Result<UploadTicket> {
        let principal = caller.user()?;
        if !IMAGE_TYPES.iter().any(|(known, _)| *known == content_type) {
            return Err(Error::invalid(
                "content_type",
                "must be image/png, image/jpeg or image/webp",
            ));
        }
        let max_bytes = purpose.max_bytes();
        if size == 0 || size > max_bytes {
            return Err(Error::invalid(
                "size",
                format!("must be 1 to {max_bytes} bytes"),
            ));
        }
        let key = format!("{}-{}", purpose.key_prefix(), Uuid::now_v7().simple());
        self.uploads
            .insert_upload(&UploadRecord {
                key: key.clone(),
                owner_id: principal.user_id,
                purpose,
                content_type: content_type.to_owned(),
                max_bytes: i64::try_from(max_bytes).unwrap_or(i64::MAX),
                verified: false,
            })
            .await?;
        let expires_at =
            self.clock.now() + chrono::Duration::from_std(FORM_LIFETIME).unwrap_or_default();
        let form = self
            .blobs
            .upload_form(&key, content_type, max_bytes, expires_at)
            .await?;
        Ok(UploadTicket {
            key,
            form,
            max_bytes,
            expires_at,
        })
    }

    /// Lets the caller use `key` for `purpose`: it must be their upload of that purpose,
    /// and the stored file must check out. A file that fails is deleted. Errors name
    /// `field`.
    pub async fn claim(
        &self,
        caller: &Caller,
        key: &str,
        purpose: UploadPurpose,
        field: &str,
    ) -> Result<()> {
        let principal = caller.user()?;
        let upload = self
            .uploads
            .find_upload(key)
            .await?
            .filter(|upload| upload.owner_id == principal.user_id && upload.purpose == purpose)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    "is not a file you uploaded for this; upload it with POST /v1/uploads",
                )
            })?;
        if upload.verified {
            return Ok(());
        }
        let max_bytes = u64::try_from(upload.max_bytes).unwrap_or(0);
        let Some(info) = self.blobs.head(BlobArea::Incoming, key).await? else {
            // A claim cut short after the file was checked and kept: finish it.
            if let Some(kept) = self.blobs.head(BlobArea::Kept, key).await? {
                return self
                    .uploads
                    .mark_verified(key, i64::try_from(kept.size).unwrap_or(0))
                    .await;
            }
            return Err(Error::invalid(
                field,
                "has no file yet: send the upload form first",
            ));
        };
        let refusal = if info.size == 0 || info.size > max_bytes {
            Some(format!("is {} bytes; the limit is {max_bytes}", info.size))
        } else {
            let bytes = self
                .blobs
                .read(BlobArea::Incoming, key, max_bytes)
                .await?
                .unwrap_or_default();
            let magic = IMAGE_TYPES
                .iter()
                .find(|(known, _)| *known == upload.content_type)
                .map(|(_, magic)| *magic);
            let webp_ok =
                upload.content_type != "image/webp" || bytes.get(8..12) == Some(b"WEBP".as_slice());
            (!magic.is_some_and(|magic| bytes.starts_with(magic)) || !webp_ok)
                .then(|| format!("is not a {} file", upload.content_type))
        };
        if let Some(reason) = refusal {
            self.blobs.delete(BlobArea::Incoming, key).await?;
            self.uploads.delete_upload(key).await?;
            return Err(Error::invalid(field, reason));
        }
        self.blobs.keep(key).await?;
        self.uploads
            .mark_verified(key, i64::try_from(info.size).unwrap_or(0))
            .await
    }

    /// Forgets uploads nobody claimed within [`UNCLAIMED_UPLOADS_KEPT`], and their files
    /// (the bucket's lifecycle rule expires those in S3 too; the local folder has none).
    /// The record goes first: a claim racing with this finds no record, not a record
    /// without its file. How many were forgotten.
    pub async fn forget_unclaimed(&self) -> Result<u64> {
        let before = self.clock.now() - UNCLAIMED_UPLOADS_KEPT;
        let mut forgotten = 0;
        for key in self.uploads.unclaimed_uploads(before, 500).await? {
            if self.uploads.forget_unclaimed_upload(&key).await? {
                self.blobs.delete(BlobArea::Incoming, &key).await?;
                forgotten += 1;
            }
        }
        Ok(forgotten)
    }

    /// A verified file, for anyone: icons and avatars are public once used.
    pub async fn serve(&self, key: &str) -> Result<ServedFile> {
        let missing = || Error::NotFound("No file has this key.".into());
        if !is_blob_key(key) {
            return Err(missing());
        }
        let upload = self
            .uploads
            .find_upload(key)
            .await?
            .filter(|u| u.verified)
            .ok_or_else(missing)?;
        let bytes = self
            .blobs
            .read(
                BlobArea::Kept,
                key,
                u64::try_from(upload.max_bytes).unwrap_or(0),
            )
            .await?
            .ok_or_else(missing)?;
        Ok(ServedFile {
            content_type: upload.content_type,
            bytes,
        })
    }
}
