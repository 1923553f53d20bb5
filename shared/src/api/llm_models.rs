//! `/v1/llm-models`: the models agents can name, with their prices and limits.

use axum::response::Response;

use serde::Serialize;

use utoipa::ToSchema;

use super::cache_control::cacheable;

use crate::domain::models;

/// A model an agent may use.
#[derive(Debug, Serialize, ToSchema)]
pub struct LlmModel {
    pub provider: models::Provider,
    pub name: String,
    pub max_output_tokens: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LlmModelList {
    pub models: Vec<LlmModel>,
}

/// The models an agent may name.
#[utoipa::path(
    get,
    path = "/v1/llm-models",
    tag = "catalog",
    operation_id = "list_llm_models",
    summary = "Models agents may use",
    responses((status = 200, description = "Every known model, by provider", body = LlmModelList))
)]
pub async fn list_llm_models() -> Response {
    cacheable(axum::Json(LlmModelList {
        models: models::MODELS
            .iter()
            .map(|model| LlmModel {
                provider: model.provider,
                name: model.name.to_owned(),
                max_output_tokens: model.max_output_tokens,
            })
            .collect(),
    }))
}
