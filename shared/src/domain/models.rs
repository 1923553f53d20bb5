//! The models an agent may name: each provider's known models and their output limits.
//! Unknown models are rejected when an agent is saved, not when it first runs.

use serde::{Deserialize, Serialize};

/// Who serves a model.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Openai,
    Anthropic,
    Bedrock,
    /// Agora's offline model (`echo`): answers without any provider, clearly labelled.
    Agora,
    /// The creator's own OpenAI-compatible server (vLLM, Ollama, a model on EKS/ECS),
    /// named by `endpoint`: any model name it serves.
    OpenaiCompatible,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Bedrock => "bedrock",
            Self::Agora => "agora",
            Self::OpenaiCompatible => "openai_compatible",
        }
    }
}

/// One model Agora knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    pub provider: Provider,
    pub name: &'static str,
    /// The most tokens one answer may have.
    pub max_output_tokens: u32,
}

const fn model(provider: Provider, name: &'static str, max_output_tokens: u32) -> ModelInfo {
    ModelInfo {
        provider,
        name,
        max_output_tokens,
    }
}

/// Every model an agent may use.
pub const MODELS: &[ModelInfo] = &[
    model(Provider::Openai, "gpt-4o", 16_384),
    model(Provider::Openai, "gpt-4o-mini", 16_384),
    model(Provider::Openai, "gpt-4.1", 32_768),
    model(Provider::Openai, "gpt-4.1-mini", 32_768),
    model(Provider::Openai, "gpt-4.1-nano", 32_768),
    model(Provider::Openai, "o4-mini", 100_000),
    model(Provider::Anthropic, "claude-opus-4-1", 32_000),
    model(Provider::Anthropic, "claude-sonnet-4-5", 64_000),
    model(Provider::Anthropic, "claude-3-5-haiku-latest", 8_192),
    model(
        Provider::Bedrock,
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        8_192,
    ),
    model(Provider::Bedrock, "amazon.nova-pro-v1:0", 5_120),
    model(Provider::Bedrock, "amazon.nova-lite-v1:0", 5_120),
    model(Provider::Bedrock, "meta.llama3-1-70b-instruct-v1:0", 2_048),
    model(Provider::Agora, "echo", 4_096),
];

/// The most tokens one answer of a creator's own endpoint may have.
pub const MAX_COMPATIBLE_OUTPUT_TOKENS: u32 = 32_768;

/// The most tokens one answer of `name` at `provider` may have, if Agora knows the model
/// (any model of a creator's own endpoint is known).
pub fn output_limit(provider: Provider, name: &str) -> Option<u32> {
    match provider {
        Provider::OpenaiCompatible => Some(MAX_COMPATIBLE_OUTPUT_TOKENS),
        provider => find_model(provider, name).map(|model| model.max_output_tokens),
    }
}

/// The model named `name` at `provider`, if Agora knows it.
pub fn find_model(provider: Provider, name: &str) -> Option<&'static ModelInfo> {
    MODELS
        .iter()
        .find(|model| model.provider == provider && model.name == name)
}
