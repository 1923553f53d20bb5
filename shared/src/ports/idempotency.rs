//! HTTP idempotency records (Stripe's semantics): DynamoDB or PostgreSQL.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

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

/// Idempotency records: DynamoDB in AWS, PostgreSQL otherwise. Each claim has an id of its
/// own: only the claim that holds a record completes or releases it, so a request that
/// outlived its in-progress window cannot overwrite or delete the record of the retry
/// that took its key over.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` as `claim_id` for a request with `request_hash`, unless a live record
    /// holds it.
    async fn claim(
        &self,
        key: &str,
        claim_id: Uuid,
        request_hash: &[u8],
        now: DateTime<Utc>,
        in_progress_for: Duration,
        keep_for: Duration,
    ) -> crate::Result<IdempotencyClaim>;
    /// Stores the response of `claim_id`'s request; `false` when the key is no longer
    /// its own (another claim took it over), and nothing changed.
    async fn complete(
        &self,
        key: &str,
        claim_id: Uuid,
        response: &[u8],
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> crate::Result<bool>;
    /// Forgets `claim_id`'s claim of a key whose request was refused before it did
    /// anything; another claim's record stays.
    async fn release(&self, key: &str, claim_id: Uuid) -> crate::Result<()>;
    /// Deletes the records that expired by `now`; returns how many. Stores that expire
    /// records themselves (DynamoDB's TTL) delete nothing here.
    async fn forget_expired(&self, now: DateTime<Utc>) -> crate::Result<u64>;
    /// The largest response [`complete`](Self::complete) can store (DynamoDB items hold
    /// 400 KB); a larger one is not remembered.
    fn max_response_bytes(&self) -> usize;
}
