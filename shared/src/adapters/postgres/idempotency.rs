//! Idempotency records on PostgreSQL (when no DynamoDB table is configured). A claim is one
//! statement: insert, or take over a record that expired or died in flight, else read what
//! holds the key.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Db;
use crate::{
    Result,
    ports::{IdempotencyClaim, IdempotencyStore},
};

/// Records in this adapter share one table; the scope is part of the key the service builds.
const SCOPE: &str = "http";

#[async_trait]
impl IdempotencyStore for Db {
    async fn claim(
        &self,
        key: &str,
        claim_id: Uuid,
        request_hash: &[u8],
        now: DateTime<Utc>,
        in_progress_for: Duration,
        keep_for: Duration,
    ) -> Result<IdempotencyClaim> {
        let connection = self.connection().await?;
        let in_progress_until = now + chrono_duration(in_progress_for);
        let expires_at = now + chrono_duration(keep_for);
        let claimed = connection
            .query_opt(
                "INSERT INTO idempotency_records
                     (scope, key, request_hash, status, in_progress_expires_at, expires_at, claim_id)
                 VALUES ($1, $2, $3, 'in_progress', $4, $5, $7)
                 ON CONFLICT (scope, key) DO UPDATE SET
                     request_hash = EXCLUDED.request_hash, status = 'in_progress', response = NULL,
                     claim_id = EXCLUDED.claim_id,
                     in_progress_expires_at = EXCLUDED.in_progress_expires_at,
                     expires_at = EXCLUDED.expires_at
                 WHERE idempotency_records.expires_at <= $6
                    OR (idempotency_records.status = 'in_progress'
                        AND idempotency_records.in_progress_expires_at <= $6)
                 RETURNING 1",
                &[
                    &SCOPE,
                    &key,
                    &request_hash,
                    &in_progress_until,
                    &expires_at,
                    &now,
                    &claim_id,
                ],
            )
            .await?;
        if claimed.is_some() {
            return Ok(IdempotencyClaim::Started);
        }
        let row = connection
            .query_one(
                "SELECT request_hash, status, response FROM idempotency_records
                 WHERE scope = $1 AND key = $2",
                &[&SCOPE, &key],
            )
            .await?;
        let request_hash: Vec<u8> = row.get(0);
        Ok(
            match (row.get::<_, &str>(1), row.get::<_, Option<Vec<u8>>>(2)) {
                ("completed", Some(response)) => IdempotencyClaim::Completed {
                    request_hash,
                    response,
                },
                _ => IdempotencyClaim::InProgress { request_hash },
            },
        )
    }

    async fn complete(
        &self,
        key: &str,
        claim_id: Uuid,
        response: &[u8],
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> Result<bool> {
        let connection = self.connection().await?;
        let stored = connection
            .execute(
                "UPDATE idempotency_records SET status = 'completed', response = $3, expires_at = $4
                 WHERE scope = $1 AND key = $2 AND claim_id = $5 AND status = 'in_progress'",
                &[
                    &SCOPE,
                    &key,
                    &response,
                    &(now + chrono_duration(keep_for)),
                    &claim_id,
                ],
            )
            .await?;
        Ok(stored > 0)
    }

    async fn release(&self, key: &str, claim_id: Uuid) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "DELETE FROM idempotency_records
                 WHERE scope = $1 AND key = $2 AND claim_id = $3 AND status = 'in_progress'",
                &[&SCOPE, &key, &claim_id],
            )
            .await?;
        Ok(())
    }

    fn max_response_bytes(&self) -> usize {
        4 << 20
    }

    async fn forget_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let connection = self.connection().await?;
        Ok(connection
            .execute(
                "DELETE FROM idempotency_records WHERE expires_at <= $1",
                &[&now],
            )
            .await?)
    }
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
