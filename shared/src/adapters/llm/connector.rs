//! [`ProviderConnector`]: provider adapters for the credentials that arrive with a run.

use std::{sync::Arc, time::Duration};

use super::{
    anthropic::AnthropicMessages,
    openai::{Dialect, OpenAiChat},
};
use crate::{
    domain::{models::Provider, secret::SecretString},
    ports::{LlmProvider, ProviderConnector},
};

pub struct LlmConnector {
    /// For the configured provider hosts.
    pub client: reqwest::Client,
    /// For user-supplied URLs: every resolved address checked, no redirects.
    pub guarded: reqwest::Client,
    pub openai_base_url: String,
    pub anthropic_base_url: String,
    /// How long a provider may stay silent.
    pub idle: Duration,
}

impl ProviderConnector for LlmConnector {
    fn with_key(&self, provider: Provider, key: SecretString) -> Option<Arc<dyn LlmProvider>> {
        match provider {
            Provider::Openai => Some(Arc::new(OpenAiChat::new(
                self.client.clone(),
                &self.openai_base_url,
                Some(key),
                Dialect::OpenAi,
                self.idle,
            ))),
            Provider::Anthropic => Some(Arc::new(AnthropicMessages::new(
                self.client.clone(),
                &self.anthropic_base_url,
                key,
                self.idle,
            ))),
            Provider::Bedrock | Provider::Agora | Provider::OpenaiCompatible => None,
        }
    }

    fn endpoint(&self, base_url: &str, key: Option<SecretString>) -> Arc<dyn LlmProvider> {
        Arc::new(OpenAiChat::new(
            self.guarded.clone(),
            base_url,
            key,
            Dialect::Compatible,
            self.idle,
        ))
    }
}
