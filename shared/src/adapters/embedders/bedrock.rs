//! Amazon Bedrock Titan text embeddings v2 (`InvokeModel amazon.titan-embed-text-v2:0`),
//! one text per call, [`EMBEDDING_DIMENSIONS`] dimensions, normalised by the model.

use async_trait::async_trait;
use aws_sdk_bedrockruntime::primitives::Blob;
use serde::Deserialize;

use super::checked;
use crate::{
    Error,
    error::describe_chain,
    ports::{EMBEDDING_DIMENSIONS, Embedder},
};

pub const TITAN_EMBED_V2: &str = "amazon.titan-embed-text-v2:0";

pub struct BedrockEmbedder {
    client: aws_sdk_bedrockruntime::Client,
    model_id: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TitanResponse {
    embedding: Vec<f32>,
}

impl BedrockEmbedder {
    pub fn new(sdk: &aws_config::SdkConfig, model_id: &str) -> Self {
        Self {
            client: aws_sdk_bedrockruntime::Client::new(sdk),
            model_id: model_id.to_owned(),
            label: format!("bedrock/{model_id}"),
        }
    }
}

#[async_trait]
impl Embedder for BedrockEmbedder {
    fn model(&self) -> &str {
        &self.label
    }

    async fn embed(&self, texts: &[String]) -> crate::Result<Vec<Vec<f32>>> {
        let mut vectors = Vec::with_capacity(texts.len());
        for text in texts {
            let body = serde_json::json!({
                "inputText": text,
                "dimensions": EMBEDDING_DIMENSIONS,
                "normalize": true,
            });
            let output = self
                .client
                .invoke_model()
                .model_id(&self.model_id)
                .content_type("application/json")
                .accept("application/json")
                .body(Blob::new(body.to_string()))
                .send()
                .await
                .map_err(|error| {
                    let throttled = error.as_service_error().is_some_and(|e| {
                        e.is_throttling_exception() || e.is_service_unavailable_exception()
                    });
                    let cause = describe_chain(&error);
                    if throttled || error.as_service_error().is_none() {
                        Error::Unavailable {
                            dependency: "embeddings provider",
                            cause,
                        }
                    } else {
                        Error::Upstream(format!("Bedrock InvokeModel: {cause}"))
                    }
                })?;
            let parsed: TitanResponse =
                serde_json::from_slice(output.body.as_ref()).map_err(|error| {
                    Error::Upstream(format!("Bedrock sent a malformed embedding: {error}"))
                })?;
            vectors.push(parsed.embedding);
        }
        checked(vectors, texts.len(), &self.label)
    }
}
