//! OpenAI's embeddings API (`POST {base}/embeddings`), and any server that speaks it
//! (vLLM, Ollama, a model served on EKS/ECS). Asks for [`EMBEDDING_DIMENSIONS`]
//! dimensions, which OpenAI's v3 models support.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::checked;
use crate::{
    Error,
    adapters::egress,
    ports::{EMBEDDING_DIMENSIONS, Embedder},
};

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

pub struct OpenAiEmbedder {
    client: reqwest::Client,
    base_url: String,
    model: String,
    api_key: Option<String>,
    /// What [`Embedder::model`] reports: `openai/<model>`.
    label: String,
}

#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingData>,
}

#[derive(Deserialize)]
struct EmbeddingData {
    embedding: Vec<f32>,
    index: usize,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: String,
}

impl OpenAiEmbedder {
    /// `base_url` without the trailing `/embeddings` (`https://api.openai.com/v1`).
    pub fn new(base_url: &str, model: &str, api_key: Option<String>) -> Result<Self, Error> {
        Ok(Self {
            client: egress::client(Duration::from_secs(20))?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            api_key,
            label: format!("openai/{model}"),
        })
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    #[expect(
        clippy::misnamed_getters,
        reason = "the port's `model` is the labelled name"
    )]
    fn model(&self) -> &str {
        &self.label
    }

    async fn embed(&self, texts: &[String]) -> crate::Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut request = self
            .client
            .post(format!("{}/embeddings", self.base_url))
            .json(&serde_json::json!({
                "model": self.model,
                "input": texts,
                "dimensions": EMBEDDING_DIMENSIONS,
                "encoding_format": "float",
            }));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|error| egress::upstream("embeddings provider", &error))?;
        let status = response.status();
        let body = egress::read_body(response, "embeddings provider").await?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorResponse>(&body)
                .map(|e| e.error.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(if status.as_u16() == 429 || status.is_server_error() {
                Error::Unavailable {
                    dependency: "embeddings provider",
                    cause: format!("{status}: {message}"),
                }
            } else {
                Error::Upstream(format!("embeddings provider answered {status}: {message}"))
            });
        }
        let mut parsed: EmbeddingsResponse = serde_json::from_slice(&body).map_err(|error| {
            Error::Upstream(format!("embeddings provider sent malformed JSON: {error}"))
        })?;
        parsed.data.sort_by_key(|data| data.index);
        checked(
            parsed.data.into_iter().map(|data| data.embedding).collect(),
            texts.len(),
            &self.label,
        )
    }
}
