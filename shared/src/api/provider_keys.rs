//! `/v1/me/provider-keys`: the caller's own provider keys and OpenAI-compatible
//! endpoints, sealed at rest and never shown again after saving.

use axum::extract::{Path, State};

use http::StatusCode;

use serde::{Deserialize, Serialize};

use utoipa::ToSchema;

use uuid::Uuid;

use super::{SignedIn, json::StrictJson};

use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::secret::SecretString,
    services::credentials::{CredentialProvider, CredentialView, NewCredential},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProviderKeyRequest {
    /// 1 to 40 lower-case letters, digits and hyphens; agents name endpoints by it.
    #[schema(example = "my-vllm")]
    pub name: String,
    pub provider: CredentialProvider,
    /// The key; never shown again. Optional for an openai_compatible endpoint.
    pub api_key: Option<String>,
    /// The endpoint's base URL, e.g. `https://llm.example.com/v1` (openai_compatible only).
    pub base_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderKeyList {
    pub provider_keys: Vec<CredentialView>,
}

/// The caller's provider keys (never the keys themselves).
#[utoipa::path(
    get,
    path = "/v1/me/provider-keys",
    tag = "billing",
    operation_id = "list_provider_keys",
    summary = "Your provider keys",
    responses((status = 200, description = "Names, providers and last four characters", body = ProviderKeyList))
)]
pub async fn list_provider_keys(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<ProviderKeyList>, Error> {
    Ok(axum::Json(ProviderKeyList {
        provider_keys: state.credentials()?.list(&caller).await?,
    }))
}

/// Saves a provider key (encrypted; never returned) or an OpenAI-compatible endpoint.
#[utoipa::path(
    post,
    path = "/v1/me/provider-keys",
    tag = "billing",
    operation_id = "create_provider_key",
    summary = "Add a provider key or endpoint",
    description = "An `openai` or `anthropic` key is used instead of Agora's when you run agents on that provider (you then pay the provider, and Agora charges no tokens). An `openai_compatible` endpoint (vLLM, Ollama, your model on EKS/ECS) can be named by your agents: `model: {provider: openai_compatible, endpoint: <name>, name: <model>}`. Its URL must be public (or on the operator's allowlist).",
    request_body = CreateProviderKeyRequest,
    responses(
        (status = 201, description = "Saved", body = CredentialView),
        (status = 409, description = "A key of this name exists, or the cap is reached", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid name, key or URL (a private or metadata address, say)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_provider_key(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictJson(request): StrictJson<CreateProviderKeyRequest>,
) -> Result<(StatusCode, axum::Json<CredentialView>), Error> {
    let saved = state
        .credentials()?
        .save(
            &caller,
            NewCredential {
                name: request.name,
                provider: request.provider,
                api_key: request.api_key.map(SecretString::new),
                base_url: request.base_url,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(saved)))
}

/// Deletes one of the caller's provider keys.
#[utoipa::path(
    delete,
    path = "/v1/me/provider-keys/{id}",
    tag = "billing",
    operation_id = "delete_provider_key",
    summary = "Delete a provider key",
    params(("id" = Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "You have no provider key with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_provider_key(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| Error::NotFound("You have no provider key with this id.".into()))?;
    state.credentials()?.delete(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
