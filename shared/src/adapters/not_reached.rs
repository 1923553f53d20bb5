//! What a Lambda function was not built to reach: its route does not name that need (see
//! [`crate::api::needs`]), so its binary holds no adapter for it and its role no grant.
//! Reaching it anyway is a bug in the route table, answered as an internal error that
//! names the missing need, never a silent fallback to a local store.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        llm::{LlmRequest, ProviderError},
        models::Provider,
        secret::SecretString,
    },
    ports::{
        BlobArea, BlobInfo, BlobStore, CatalogEntry, CatalogFilters, CatalogSort, DataKey,
        Delivery, Embedder, Facets, KeyWrapper, LlmProvider, LlmStream, ProviderConnector, Queue,
        QueueConsumer, Reach, SearchIndex, SecretError, SecretSource, SortKey, StepMessage,
        UploadForm,
    },
};

/// The port of a need (`api::Need`, by name) this function's route did not declare.
pub struct NotReached(pub &'static str);

impl NotReached {
    fn cause(&self) -> String {
        format!(
            "this function was built without the need {}: its route must declare it",
            self.0
        )
    }

    fn error(&self) -> crate::Error {
        crate::Error::Internal(self.cause())
    }
}

#[async_trait]
impl SearchIndex for NotReached {
    async fn index_agents(&self, _: &[CatalogEntry]) -> crate::Result<()> {
        Err(self.error())
    }

    async fn remove_agent(&self, _: Uuid) -> crate::Result<()> {
        Err(self.error())
    }

    async fn keyword_ids(&self, _: &CatalogFilters, _: &str, _: usize) -> crate::Result<Vec<Uuid>> {
        Err(self.error())
    }

    async fn semantic_ids(
        &self,
        _: &CatalogFilters,
        _: &[f32],
        _: usize,
    ) -> crate::Result<Vec<Uuid>> {
        Err(self.error())
    }

    async fn sorted(&self, _: &[Uuid], _: CatalogSort) -> crate::Result<Vec<Uuid>> {
        Err(self.error())
    }

    async fn browse(
        &self,
        _: &CatalogFilters,
        _: CatalogSort,
        _: Option<SortKey>,
        _: usize,
    ) -> crate::Result<Vec<SortKey>> {
        Err(self.error())
    }

    async fn facets(&self, _: &CatalogFilters, _: Option<&[Uuid]>) -> crate::Result<Facets> {
        Err(self.error())
    }
}

#[async_trait]
impl Embedder for NotReached {
    fn model(&self) -> &str {
        "none"
    }

    async fn embed(&self, _: &[String]) -> crate::Result<Vec<Vec<f32>>> {
        Err(self.error())
    }
}

#[async_trait]
impl BlobStore for NotReached {
    async fn upload_form(
        &self,
        _: &str,
        _: &str,
        _: u64,
        _: DateTime<Utc>,
    ) -> crate::Result<UploadForm> {
        Err(self.error())
    }

    async fn head(&self, _: BlobArea, _: &str) -> crate::Result<Option<BlobInfo>> {
        Err(self.error())
    }

    async fn read(&self, _: BlobArea, _: &str, _: u64) -> crate::Result<Option<Vec<u8>>> {
        Err(self.error())
    }

    async fn keep(&self, _: &str) -> crate::Result<()> {
        Err(self.error())
    }

    async fn delete(&self, _: BlobArea, _: &str) -> crate::Result<()> {
        Err(self.error())
    }
}

#[async_trait]
impl KeyWrapper for NotReached {
    async fn generate_data_key(&self) -> crate::Result<DataKey> {
        Err(self.error())
    }

    async fn unwrap_data_key(&self, _: &[u8]) -> crate::Result<Vec<u8>> {
        Err(self.error())
    }

    fn key_id(&self) -> &str {
        "none"
    }
}

#[async_trait]
impl Queue for NotReached {
    async fn send_after(&self, _: &[StepMessage], _: Duration) -> crate::Result<()> {
        Err(self.error())
    }
}

#[async_trait]
impl QueueConsumer for NotReached {
    async fn receive(&self, _: usize, _: Duration) -> crate::Result<Vec<Delivery>> {
        Err(self.error())
    }

    async fn acknowledge(&self, _: &Delivery) -> crate::Result<()> {
        Err(self.error())
    }

    async fn retry_later(&self, _: &Delivery, _: Duration) -> crate::Result<()> {
        Err(self.error())
    }
}

#[async_trait]
impl SecretSource for NotReached {
    async fn read(&self) -> Result<String, SecretError> {
        Err(SecretError::Unavailable(self.cause()))
    }

    fn describe(&self) -> String {
        format!(
            "no secret ({:?} is not among this function's needs)",
            self.0
        )
    }
}

#[async_trait]
impl LlmProvider for NotReached {
    async fn call(&self, _: &LlmRequest) -> Result<LlmStream, ProviderError> {
        Err(ProviderError::Refused {
            status: 500,
            message: self.cause(),
        })
    }
}

impl ProviderConnector for NotReached {
    fn with_key(&self, _: Provider, _: SecretString) -> Option<Arc<dyn LlmProvider>> {
        Some(Arc::new(NotReached(self.0)))
    }

    fn endpoint(&self, _: &str, _: Option<SecretString>, _: Reach) -> Arc<dyn LlmProvider> {
        Arc::new(NotReached(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reaching_it_names_the_need_the_route_forgot() {
        let error = BlobStore::keep(&NotReached("Uploads"), "key")
            .await
            .unwrap_err();
        assert!(matches!(&error, crate::Error::Internal(cause) if cause.contains("Uploads")));
        let secret = SecretSource::read(&NotReached("SigningKeys"))
            .await
            .unwrap_err();
        assert!(secret.to_string().contains("SigningKeys"));
    }
}
