//! [`BlobStore`] in a local folder (`$AGORA_HOME/blobs`): the default without `S3_BUCKET`.
//! Its upload form posts to Agora itself (`POST /v1/uploads/local`) with a token that
//! pins the key, type, size limit and expiry, the way S3's POST policy does; Agora checks
//! the token and the size before writing. Keys are Agora's own (`icon-<uuid>`), never file
//! names from users, so they cannot name a path outside the folder.

use std::path::PathBuf;

use async_trait::async_trait;
use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};

use crate::{
    Error, Result,
    domain::blob::is_blob_key,
    ports::{BlobArea, BlobInfo, BlobStore, DirectUploads, FormField, PostedForm, UploadForm},
};

/// The path of the local upload route.
pub const LOCAL_UPLOAD_PATH: &str = "/v1/uploads/local";

pub struct FolderBlobStore {
    root: PathBuf,
    /// Signs upload tokens; random per process (a form lives minutes).
    key: hmac::Key,
}

impl FolderBlobStore {
    pub fn new(root: PathBuf) -> Result<Self> {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).map_err(|error| Error::Internal(error.to_string()))?;
        Ok(Self {
            root,
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        })
    }

    /// Kept files at the folder's top, incoming ones in `incoming/`.
    fn path(&self, area: BlobArea, key: &str) -> Result<PathBuf> {
        if !is_blob_key(key) {
            return Err(Error::NotFound("No file has this key.".into()));
        }
        Ok(match area {
            BlobArea::Incoming => self.root.join("incoming").join(key),
            BlobArea::Kept => self.root.join(key),
        })
    }

    fn token(&self, key: &str, content_type: &str, max_bytes: u64, expires: i64) -> String {
        let tag = hmac::sign(
            &self.key,
            format!("{key}\n{content_type}\n{max_bytes}\n{expires}").as_bytes(),
        );
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[async_trait]
impl DirectUploads for FolderBlobStore {
    async fn accept(
        &self,
        upload: &PostedForm,
        content_type: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let genuine = hmac::verify(
            &self.key,
            format!(
                "{}\n{}\n{}\n{}",
                upload.key, upload.content_type, upload.max_bytes, upload.expires
            )
            .as_bytes(),
            &hex_bytes(&upload.token),
        )
        .is_ok();
        if !genuine || now.timestamp() > upload.expires {
            return Err(Error::Forbidden(
                "The upload form is not valid or has expired; ask for a new one.".into(),
            ));
        }
        if content_type != upload.content_type {
            return Err(Error::invalid(
                "file",
                format!("must be {}", upload.content_type),
            ));
        }
        if bytes.is_empty() {
            return Err(Error::invalid("file", "is empty"));
        }
        if bytes.len() as u64 > upload.max_bytes {
            return Err(Error::PayloadTooLarge {
                limit: usize::try_from(upload.max_bytes).unwrap_or(usize::MAX),
            });
        }
        let path = self.path(BlobArea::Incoming, &upload.key)?;
        create_parent(&path).await?;
        tokio::fs::write(&path, bytes).await.map_err(|error| {
            Error::Internal(format!("cannot write {}: {error}", path.display()))
        })?;
        tokio::fs::write(path.with_extension("type"), content_type)
            .await
            .map_err(|error| Error::Internal(format!("cannot write {}: {error}", path.display())))
    }
}

async fn create_parent(path: &std::path::Path) -> Result<()> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|error| Error::Internal(format!("cannot create {}: {error}", parent.display())))
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}

#[async_trait]
impl BlobStore for FolderBlobStore {
    async fn upload_form(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadForm> {
        let expires = expires_at.timestamp();
        let fields = [
            ("key", key.to_owned()),
            ("content_type", content_type.to_owned()),
            ("max_bytes", max_bytes.to_string()),
            ("expires", expires.to_string()),
            ("token", self.token(key, content_type, max_bytes, expires)),
        ];
        Ok(UploadForm {
            url: LOCAL_UPLOAD_PATH.to_owned(),
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
        let path = self.path(area, key)?;
        match tokio::fs::metadata(&path).await {
            Ok(metadata) => Ok(Some(BlobInfo {
                size: metadata.len(),
                content_type: tokio::fs::read_to_string(path.with_extension("type"))
                    .await
                    .ok(),
            })),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(Error::Internal(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    async fn read(&self, area: BlobArea, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let Some(info) = self.head(area, key).await? else {
            return Ok(None);
        };
        if info.size > max_bytes {
            return Err(Error::Internal(format!(
                "blob {key} is larger than {max_bytes} bytes"
            )));
        }
        let path = self.path(area, key)?;
        tokio::fs::read(&path)
            .await
            .map(Some)
            .map_err(|error| Error::Internal(format!("cannot read {}: {error}", path.display())))
    }

    async fn keep(&self, key: &str) -> Result<()> {
        let from = self.path(BlobArea::Incoming, key)?;
        let to = self.path(BlobArea::Kept, key)?;
        create_parent(&to).await?;
        // The type first: a move cut short leaves the file itself incoming, to be kept again.
        for (from, to) in [
            (from.with_extension("type"), to.with_extension("type")),
            (from, to),
        ] {
            match tokio::fs::rename(&from, &to).await {
                Ok(()) => {}
                Err(error)
                    if error.kind() == std::io::ErrorKind::NotFound
                        && from.extension().is_some_and(|e| e == "type") => {}
                Err(error) => {
                    return Err(Error::Internal(format!(
                        "cannot move {}: {error}",
                        from.display()
                    )));
                }
            }
        }
        Ok(())
    }

    async fn delete(&self, area: BlobArea, key: &str) -> Result<()> {
        let path = self.path(area, key)?;
        for file in [path.clone(), path.with_extension("type")] {
            match tokio::fs::remove_file(&file).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(Error::Internal(format!(
                        "cannot delete {}: {error}",
                        file.display()
                    )));
                }
            }
        }
        Ok(())
    }
}
