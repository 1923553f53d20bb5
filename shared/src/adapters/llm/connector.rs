//! [`ProviderConnector`]: provider adapters for the credentials that arrive with a run.

use std::{sync::Arc, time::Duration};

use super::{
    anthropic::AnthropicMessages,
    openai::{Dialect, OpenAiChat},
};
use crate::{
    domain::{models::Provider, secret::SecretString},
    ports::{LlmProvider, ProviderConnector, Reach},
};

pub struct LlmConnector {
    /// For the configured provider hosts.
    pub client: reqwest::Client,
    /// For user-supplied URLs: every resolved address public, no redirects.
    pub guarded: reqwest::Client,
    /// For URLs an administrator saved: public addresses or the operator's networks.
    pub guarded_private: reqwest::Client,
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

    fn endpoint(
        &self,
        base_url: &str,
        key: Option<SecretString>,
        reach: Reach,
    ) -> Arc<dyn LlmProvider> {
        let client = match reach {
            Reach::Public => &self.guarded,
            Reach::PrivateNetworks => &self.guarded_private,
        };
        Arc::new(OpenAiChat::new(
            client.clone(),
            base_url,
            key,
            Dialect::Compatible,
            self.idle,
        ))
    }
}
