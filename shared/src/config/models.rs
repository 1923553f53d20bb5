//! Models: the embedder behind semantic search, Agora's own provider accounts, and the
//! networks user-supplied URLs may reach.

use std::time::Duration;

use super::{ConfigError, env::Env};
use crate::{
    adapters::{
        egress::EgressPolicy,
        embedders::{EmbedderSettings, bedrock::TITAN_EMBED_V2, openai::OPENAI_BASE_URL},
        llm::{ProviderSettings, anthropic::ANTHROPIC_BASE_URL, openai},
    },
    domain::secret::SecretString,
};

pub fn embedder(env: &Env) -> Result<EmbedderSettings, ConfigError> {
    Ok(match env.get("AGORA_EMBEDDER").as_deref() {
        None | Some("offline") => EmbedderSettings::Offline,
        Some("openai") => EmbedderSettings::OpenAi {
            base_url: env
                .get("AGORA_EMBEDDING_URL")
                .unwrap_or_else(|| OPENAI_BASE_URL.to_owned()),
            model: env
                .get("AGORA_EMBEDDING_MODEL")
                .unwrap_or_else(|| "text-embedding-3-small".to_owned()),
            api_key: Some(env.get("AGORA_EMBEDDING_API_KEY").ok_or_else(|| {
                env.invalid(
                    "AGORA_EMBEDDING_API_KEY",
                    "is required with AGORA_EMBEDDER=openai".into(),
                )
            })?),
        },
        Some("openai-compatible") => EmbedderSettings::OpenAi {
            base_url: env.http_url("AGORA_EMBEDDING_URL")?,
            model: env.get("AGORA_EMBEDDING_MODEL").ok_or_else(|| {
                env.invalid(
                    "AGORA_EMBEDDING_MODEL",
                    "is required with AGORA_EMBEDDER=openai-compatible".into(),
                )
            })?,
            api_key: env.get("AGORA_EMBEDDING_API_KEY"),
        },
        Some("bedrock") => EmbedderSettings::Bedrock {
            model_id: env
                .get("AGORA_EMBEDDING_MODEL")
                .unwrap_or_else(|| TITAN_EMBED_V2.to_owned()),
        },
        Some(other) => {
            return Err(env.invalid(
                "AGORA_EMBEDDER",
                format!("`{other}` is not an embedder; use offline, openai, openai-compatible or bedrock"),
            ));
        }
    })
}

pub fn providers(env: &Env) -> Result<ProviderSettings, ConfigError> {
    Ok(ProviderSettings {
        openai_api_key: env.get("OPENAI_API_KEY").map(SecretString::new),
        anthropic_api_key: env.get("ANTHROPIC_API_KEY").map(SecretString::new),
        openai_base_url: env.http_url_or("AGORA_OPENAI_BASE_URL", openai::OPENAI_BASE_URL)?,
        anthropic_base_url: env.http_url_or("AGORA_ANTHROPIC_BASE_URL", ANTHROPIC_BASE_URL)?,
        bedrock: env.parse_bool("AGORA_BEDROCK", false)?,
        bedrock_endpoint_url: match env.get("AGORA_BEDROCK_ENDPOINT_URL") {
            Some(_) => Some(env.http_url("AGORA_BEDROCK_ENDPOINT_URL")?),
            None => None,
        },
        echo_word_delay: Duration::from_millis(env.parse_range(
            "AGORA_ECHO_DELAY_MS",
            30,
            0..=5_000,
        )?),
        egress: egress(env, "AGORA_EGRESS_ALLOW")?,
        tool_egress: egress(env, "AGORA_TOOL_EGRESS_ALLOW")?,
    })
}

/// `AGORA_EGRESS_ALLOW`: non-public networks user-supplied URLs may reach;
/// `AGORA_TOOL_EGRESS_ALLOW`: those agents' tools may reach (none in production).
fn egress(env: &Env, variable: &'static str) -> Result<EgressPolicy, ConfigError> {
    let allowed = match env.get(variable) {
        None => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(|net| {
                net.trim().parse::<ipnet::IpNet>().map_err(|_| {
                    env.invalid(
                        variable,
                        format!("`{}` is not a CIDR range like 10.0.0.0/8", net.trim()),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    EgressPolicy::new(allowed).map_err(|problem| env.invalid(variable, problem))
}
