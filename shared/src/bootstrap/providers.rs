//! The language-model providers: Agora's accounts as configured, Bedrock through the SDK,
//! the offline model, and the connector for users' keys and creators' endpoints.

use std::sync::Arc;

use super::{
    StartupError,
    backends::{Backends, reaches, reaches_any},
};
use crate::{
    Config,
    adapters::{
        egress,
        llm::{bedrock::BedrockConverse, connector::LlmConnector},
        local::echo::EchoModel,
        not_reached::NotReached,
        secrets::{SecretLocation, SecretsManagerSecret},
    },
    api::Need,
    ports::{LlmProvider, ProviderConnector, Reach},
    services::{
        credentials::CredentialService,
        runs::providers::{PlatformKeys, Providers},
    },
};

pub(super) fn build<const NEEDS: u32>(
    config: &Config,
    backends: &Backends,
    credentials: Arc<CredentialService>,
) -> Result<Providers, StartupError> {
    let settings = &config.providers;
    let idle = config.runs.provider_timeout;
    let bedrock: Option<Arc<dyn LlmProvider>> = match (settings.bedrock, &backends.sdk) {
        (true, Some(sdk)) if reaches::<NEEDS>(Need::Bedrock) => Some(Arc::new(
            BedrockConverse::new(sdk, settings.bedrock_endpoint_url.as_deref(), idle),
        )),
        (true, Some(_)) => None,
        (true, None) => {
            return Err(StartupError::Providers(
                "AGORA_BEDROCK=true needs the AWS SDK configuration (region and credentials)"
                    .into(),
            ));
        }
        (false, _) => None,
    };
    // Agora's own provider keys live in a secret of their own in AWS, which only the
    // functions that call providers may read; elsewhere they may sit beside the signing
    // keys. A local install's generated secret never holds any.
    let secret: Option<Arc<dyn crate::ports::SecretSource>> =
        // The SDK configuration is loaded whenever a provider secret is named.
        match (&config.aws.provider_secret_id, &backends.sdk, &config.secret) {
            (Some(id), Some(sdk), _) if reaches::<NEEDS>(Need::AgoraProviderKeys) => {
                Some(Arc::new(SecretsManagerSecret::new(sdk, id.clone())))
            }
            (Some(_), Some(_), _) => None,
            (_, _, SecretLocation::SecretsManager(_) | SecretLocation::Inline(_)) => {
                Some(backends.secret.clone())
            }
            (_, _, SecretLocation::LocalFile(_)) => None,
        };
    Ok(Providers::new(
        PlatformKeys {
            openai: settings.openai_api_key.clone(),
            anthropic: settings.anthropic_api_key.clone(),
            secret,
        },
        bedrock,
        Arc::new(EchoModel {
            word_delay: settings.echo_word_delay,
        }),
        connector::<NEEDS>(config)?,
        credentials,
    ))
}

/// OpenAI, Anthropic and OpenAI-compatible endpoints, with Agora's keys or users' own: for
/// the functions that run agents only (their clients' TLS set-up is init time the others
/// need not spend).
fn connector<const NEEDS: u32>(
    config: &Config,
) -> Result<Arc<dyn ProviderConnector>, StartupError> {
    if !reaches_any::<NEEDS>(&[Need::AgoraProviderKeys, Need::SavedKeysDecrypt]) {
        return Ok(Arc::new(NotReached("AgoraProviderKeys")));
    }
    let settings = &config.providers;
    let idle = config.runs.provider_timeout;
    let failed = |error: crate::Error| StartupError::Providers(error.to_string());
    Ok(Arc::new(LlmConnector {
        client: egress::client(idle).map_err(failed)?,
        guarded: egress::guarded_client(settings.egress.for_reach(Reach::Public), idle)
            .map_err(failed)?,
        guarded_private: egress::guarded_client(
            settings.egress.for_reach(Reach::PrivateNetworks),
            idle,
        )
        .map_err(failed)?,
        openai_base_url: settings.openai_base_url.clone(),
        anthropic_base_url: settings.anthropic_base_url.clone(),
        idle,
    }))
}
