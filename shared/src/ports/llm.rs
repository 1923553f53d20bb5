//! Language models: one provider endpoint with its credential, answering as normalised
//! events.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;

use crate::domain::llm::{LlmEvent, LlmRequest, ProviderError};

/// A model's answer as normalised events.
pub type LlmStream = Pin<Box<dyn Stream<Item = Result<LlmEvent, ProviderError>> + Send>>;

/// One provider endpoint with its credential: OpenAI, Anthropic, Bedrock, an
/// OpenAI-compatible server, or the offline model.
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// Sends the request; the answer streams as events, ending with a finish or an error.
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError>;
}
