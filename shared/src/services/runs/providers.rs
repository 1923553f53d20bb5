//! Which endpoint, with whose credential, answers each model of an agent's list: the
//! caller's own key first, then Agora's, with the offline model always available and a
//! creator's OpenAI-compatible endpoint for the models that name one. Platform keys are
//! only ever sent to the provider hosts the operator configured; a user-supplied endpoint
//! gets its owner's key and nothing else, through the SSRF-guarded client.

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::{
    Error, Result,
    domain::{
        agent::{ModelChoice, ModelRef},
        llm::Usage,
        models::{self, Provider},
        pricing::{self, ModelPrice},
        secret::SecretString,
    },
    ports::{CredentialKind, LlmProvider, ProviderConnector, SecretSource},
    services::credentials::CredentialService,
};

/// Provider keys in the JSON secret (other fields, the signing keys, are ignored here).
#[derive(Default, serde::Deserialize)]
struct StoredKeys {
    openai_api_key: Option<String>,
    anthropic_api_key: Option<String>,
}

/// The providers a process can call.
pub struct Providers {
    /// Agora's OpenAI and Anthropic accounts, set up on first use (their keys may live
    /// in Secrets Manager, read once per process).
    platform: OnceCell<PlatformProviders>,
    keys: PlatformKeys,
    pub bedrock: Option<Arc<dyn LlmProvider>>,
    pub echo: Arc<dyn LlmProvider>,
    pub factory: Arc<dyn ProviderConnector>,
    /// Users' own keys and creators' endpoints; `None` without a database.
    pub credentials: Arc<CredentialService>,
}

/// Where Agora's own provider keys come from: the configuration first, then the secret.
pub struct PlatformKeys {
    pub openai: Option<SecretString>,
    pub anthropic: Option<SecretString>,
    /// The JSON secret that may hold `openai_api_key` and `anthropic_api_key`.
    pub secret: Option<Arc<dyn SecretSource>>,
}

/// Agora's own provider accounts, each present when its key is configured.
#[derive(Default)]
struct PlatformProviders {
    openai: Option<Arc<dyn LlmProvider>>,
    anthropic: Option<Arc<dyn LlmProvider>>,
}

/// One model of a run's list, ready to call.
#[derive(Clone)]
pub struct PlannedModel {
    /// As run records name it: `openai`, `anthropic`, `bedrock`, `agora`, or
    /// `openai_compatible:<endpoint>`.
    pub provider_name: String,
    pub model: String,
    pub adapter: Arc<dyn LlmProvider>,
    pub credential: CredentialKind,
    /// The price Agora charges for its tokens; `None` when Agora does not pay for them.
    pub price: Option<ModelPrice>,
    pub max_tokens: u32,
}

impl PlannedModel {
    /// What `usage` of this model costs the caller, in micro-credits.
    pub fn cost(&self, usage: &Usage) -> i64 {
        match (self.credential, &self.price) {
            (CredentialKind::Platform | CredentialKind::Offline, Some(price)) => price.cost(usage),
            _ => 0,
        }
    }
}

impl Providers {
    pub fn new(
        keys: PlatformKeys,
        bedrock: Option<Arc<dyn LlmProvider>>,
        echo: Arc<dyn LlmProvider>,
        factory: Arc<dyn ProviderConnector>,
        credentials: Arc<CredentialService>,
    ) -> Self {
        Self {
            platform: OnceCell::new(),
            keys,
            bedrock,
            echo,
            factory,
            credentials,
        }
    }

    async fn platform(&self) -> Result<&PlatformProviders> {
        self.platform
            .get_or_try_init(|| async {
                let mut openai = self.keys.openai.clone();
                let mut anthropic = self.keys.anthropic.clone();
                if let (Some(secret), true) =
                    (&self.keys.secret, openai.is_none() || anthropic.is_none())
                {
                    let stored = secret.read().await.map_err(|error| Error::Unavailable {
                        dependency: "secrets",
                        cause: error.to_string(),
                    })?;
                    let stored: StoredKeys = serde_json::from_str(&stored).unwrap_or_default();
                    openai = openai.or(stored.openai_api_key.map(SecretString::new));
                    anthropic = anthropic.or(stored.anthropic_api_key.map(SecretString::new));
                }
                Ok(PlatformProviders {
                    openai: openai.and_then(|key| self.factory.with_key(Provider::Openai, key)),
                    anthropic: anthropic
                        .and_then(|key| self.factory.with_key(Provider::Anthropic, key)),
                })
            })
            .await
    }

    /// The models of `choice` that can be called, in order; a model whose provider has no
    /// credential here is left out, and none at all is a 503 that says what to configure.
    pub async fn plan(
        &self,
        choice: &ModelChoice,
        user_id: uuid::Uuid,
        owner_id: uuid::Uuid,
        max_tokens: u32,
    ) -> Result<Vec<PlannedModel>> {
        let primary = ModelRef {
            provider: choice.provider,
            name: choice.name.clone(),
            endpoint: choice.endpoint.clone(),
        };
        let mut plan = Vec::new();
        let mut missing = Vec::new();
        for model in std::iter::once(&primary).chain(&choice.fallbacks) {
            match self.planned(model, user_id, owner_id, max_tokens).await? {
                Some(planned) => plan.push(planned),
                None => missing.push(model.provider.as_str()),
            }
        }
        if plan.is_empty() {
            return Err(Error::NoProvider(format!(
                "No model of this agent can run here: {} has no API key configured. Add your own key \
                 (POST /v1/me/provider-keys), or ask the operator to configure the provider.",
                missing.join(", ")
            )));
        }
        Ok(plan)
    }

    async fn planned(
        &self,
        model: &ModelRef,
        user_id: uuid::Uuid,
        owner_id: uuid::Uuid,
        max_tokens: u32,
    ) -> Result<Option<PlannedModel>> {
        let cap = models::output_limit(model.provider, &model.name)
            .map_or(max_tokens, |limit| limit.min(max_tokens));
        let planned = |provider_name: String, adapter, credential| PlannedModel {
            provider_name,
            model: model.name.clone(),
            adapter,
            credential,
            price: pricing::CURRENT.find(model.provider, &model.name).copied(),
            max_tokens: cap,
        };
        Ok(match model.provider {
            Provider::Agora => Some(planned(
                "agora".into(),
                self.echo.clone(),
                CredentialKind::Offline,
            )),
            Provider::OpenaiCompatible => {
                let Some(name) = &model.endpoint else {
                    return Ok(None);
                };
                self.credentials
                    .endpoint(owner_id, name)
                    .await?
                    .map(|(base_url, key, reach)| {
                        planned(
                            format!("openai_compatible:{name}"),
                            self.factory.endpoint(&base_url, key, reach),
                            CredentialKind::CreatorEndpoint,
                        )
                    })
            }
            provider @ (Provider::Openai | Provider::Anthropic) => {
                let own = self.credentials.own_key(user_id, provider).await?;
                let platform = self.platform().await?;
                let platform = match provider {
                    Provider::Openai => &platform.openai,
                    _ => &platform.anthropic,
                };
                match (
                    own.and_then(|key| self.factory.with_key(provider, key)),
                    platform,
                ) {
                    (Some(adapter), _) => Some(planned(
                        provider.as_str().into(),
                        adapter,
                        CredentialKind::OwnKey,
                    )),
                    (None, Some(adapter)) => Some(planned(
                        provider.as_str().into(),
                        adapter.clone(),
                        CredentialKind::Platform,
                    )),
                    (None, None) => None,
                }
            }
            Provider::Bedrock => self
                .bedrock
                .clone()
                .map(|adapter| planned("bedrock".into(), adapter, CredentialKind::Platform)),
        })
    }
}
