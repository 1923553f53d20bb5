//! Users' own provider keys, sealed under data keys that a key wrapper (KMS or a local key)
//! protects.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Wraps and unwraps data keys: KMS in AWS, a local key file locally.
#[async_trait]
pub trait KeyWrapper: Send + Sync {
    /// A fresh 256-bit data key, in plaintext and wrapped.
    async fn generate_data_key(&self) -> crate::Result<DataKey>;
    async fn unwrap_data_key(&self, wrapped: &[u8]) -> crate::Result<Vec<u8>>;
    /// Which master key wraps (stored beside each wrapped key).
    fn key_id(&self) -> &str;
}

/// A data key: use the plaintext, store the wrapped copy.
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub wrapped: Vec<u8>,
}

/// A user's stored provider credential.
#[derive(Clone, Debug)]
pub struct ProviderCredentialRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub provider: String,
    pub base_url: Option<String>,
    pub key_last_four: String,
    pub wrapped_data_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub key_id: String,
    pub created_at: DateTime<Utc>,
    /// Saved by an administrator: the URL may reach the operator's networks.
    pub private_networks: bool,
}

#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// `Err(Conflict)` when the user has a credential of this name, or `max` of them
    /// already (checked under a lock on the user, so simultaneous saves cannot pass it).
    async fn insert_credential(
        &self,
        credential: &ProviderCredentialRecord,
        max: usize,
    ) -> crate::Result<()>;
    async fn list_credentials(&self, user_id: Uuid)
    -> crate::Result<Vec<ProviderCredentialRecord>>;
    async fn delete_credential(&self, user_id: Uuid, id: Uuid) -> crate::Result<bool>;
}
