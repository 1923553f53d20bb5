//! The uploads table: who asked for which blob key, what for, and whether it was verified.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Db;
use crate::{
    Error, Result,
    ports::{UploadPurpose, UploadRecord, UploadStore},
};

#[async_trait]
impl UploadStore for Db {
    async fn insert_upload(&self, upload: &UploadRecord) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "INSERT INTO uploads (key, owner_id, purpose, content_type, max_bytes) VALUES ($1, $2, $3, $4, $5)",
                &[&upload.key, &upload.owner_id, &upload.purpose.as_str(), &upload.content_type, &upload.max_bytes],
            )
            .await?;
        Ok(())
    }

    async fn find_upload(&self, key: &str) -> Result<Option<UploadRecord>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                "SELECT key, owner_id, purpose, content_type, max_bytes, verified_at IS NOT NULL AS verified
                 FROM uploads WHERE key = $1",
                &[&key],
            )
            .await?;
        row.map(|row| {
            Ok(UploadRecord {
                key: row.get("key"),
                owner_id: row.get("owner_id"),
                purpose: UploadPurpose::from_stored(row.get("purpose"))
                    .ok_or_else(|| Error::Internal("an upload has an unknown purpose".into()))?,
                content_type: row.get("content_type"),
                max_bytes: row.get("max_bytes"),
                verified: row.get("verified"),
            })
        })
        .transpose()
    }

    async fn mark_verified(&self, key: &str, size: i64) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "UPDATE uploads SET verified_at = now(), size_bytes = $2 WHERE key = $1",
                &[&key, &size],
            )
            .await?;
        Ok(())
    }

    async fn delete_upload(&self, key: &str) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute("DELETE FROM uploads WHERE key = $1", &[&key])
            .await?;
        Ok(())
    }

    async fn unclaimed_uploads(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<String>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT key FROM uploads WHERE verified_at IS NULL AND created_at < $1
                 ORDER BY created_at LIMIT $2",
                &[&before, &limit],
            )
            .await?;
        Ok(rows.iter().map(|row| row.get("key")).collect())
    }

    async fn forget_unclaimed_upload(&self, key: &str) -> Result<bool> {
        let connection = self.connection().await?;
        let deleted = connection
            .execute(
                "DELETE FROM uploads WHERE key = $1 AND verified_at IS NULL",
                &[&key],
            )
            .await?;
        Ok(deleted == 1)
    }
}
