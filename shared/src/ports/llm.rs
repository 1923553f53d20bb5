//! Language models: one provider endpoint with its credential, answering as normalised
//! events.

use std::{pin::Pin, sync::Arc};

use async_trait::async_trait;
use futures::Stream;

use crate::domain::{
    llm::{LlmEvent, LlmRequest, ProviderError},
    models::Provider,
    secret::SecretString,
};

/// A model's answer as normalised events.
pub type LlmStream = Pin<Box<dyn Stream<Item = Result<LlmEvent, ProviderError>> + Send>>;

/// One provider endpoint with its credential: OpenAI, Anthropic, Bedrock, an
/// OpenAI-compatible server, or the offline model.
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// Sends the request; the answer streams as events, ending with a finish or an error.
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError>;
}

/// Makes provider adapters for the credentials that arrive with a run: a user's own key
/// for a provider Agora knows (sent only to the configured provider host), or a creator's
/// OpenAI-compatible endpoint (reached only through the SSRF guard, with its owner's key).
pub trait ProviderConnector: Send + Sync {
    /// OpenAI or Anthropic with `key`; `None` for providers that take no key.
    fn with_key(&self, provider: Provider, key: SecretString) -> Option<Arc<dyn LlmProvider>>;
    /// An OpenAI-compatible server at a user-supplied URL, with its owner's key, its
    /// connections held to the addresses of `reach`.
    fn endpoint(
        &self,
        base_url: &str,
        key: Option<SecretString>,
        reach: super::Reach,
    ) -> Arc<dyn LlmProvider>;
}
