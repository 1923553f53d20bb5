//! HTTP idempotency records (Stripe's semantics): DynamoDB or PostgreSQL.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What an idempotency key has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use (or the earlier one expired, or died in flight): go ahead.
    Started,
    /// A finished request with this key: replay its response.
    Completed {
        request_hash: Vec<u8>,
        response: Vec<u8>,
    },
    /// Another request with this key is executing.
    InProgress { request_hash: Vec<u8> },
}

/// Idempotency records: DynamoDB in AWS, PostgreSQL otherwise.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `request_hash`, unless a live record holds it.
    async fn claim(
        &self,
        key: &str,
        request_hash: &[u8],
        now: DateTime<Utc>,
        in_progress_for: Duration,
        keep_for: Duration,
    ) -> crate::Result<IdempotencyClaim>;
    /// Stores the response of a claimed key.
    async fn complete(
        &self,
        key: &str,
        response: &[u8],
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> crate::Result<()>;
    /// Forgets a claimed key whose request was refused before it did anything.
    async fn release(&self, key: &str) -> crate::Result<()>;
    /// Deletes the records that expired by `now`; returns how many. Stores that expire
    /// records themselves (DynamoDB's TTL) delete nothing here.
    async fn forget_expired(&self, now: DateTime<Utc>) -> crate::Result<u64>;
}
