//! `/v1/me/credits`, `/v1/me/provider-keys` and `/v1/agents/{handle}/{slug}/stats`: what
//! runs cost you, the keys you bring, and what your agents earn.

use axum::extract::{Path, State};
use chrono::NaiveDate;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{SignedIn, json::StrictJson, query::StrictQuery};
use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{Credits, secret::SecretString},
    ports::{DailyCredits, DailyRuns, LedgerEntry, VersionStats},
    services::credentials::{CredentialProvider, CredentialView, NewCredential},
};

/// The caller's credits, in credits (`"4.75"`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsView {
    #[schema(value_type = String)]
    pub balance: Credits,
    /// Held for runs in progress.
    #[schema(value_type = String)]
    pub held: Credits,
    /// What a new run may hold: balance less held.
    #[schema(value_type = String)]
    pub available: Credits,
    #[schema(value_type = Option<String>)]
    pub daily_limit: Option<Credits>,
    #[schema(value_type = Option<String>)]
    pub monthly_limit: Option<Credits>,
    #[schema(value_type = String)]
    pub spent_today: Credits,
    #[schema(value_type = String)]
    pub spent_this_month: Credits,
    /// The last 30 days, oldest first (days without activity left out).
    pub daily: Vec<DailyCredits>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 100; 50 by default.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerPage {
    /// Newest first.
    pub entries: Vec<LedgerEntry>,
    pub next_before: Option<i64>,
}

/// Your own spending caps; `null` removes one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendingLimitsRequest {
    #[schema(value_type = Option<String>, example = "2.50")]
    pub daily: Option<Credits>,
    #[schema(value_type = Option<String>, example = "20")]
    pub monthly: Option<Credits>,
}

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

/// An agent's figures, for its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentStats {
    /// Per version, newest first (`null`: runs of the draft).
    pub versions: Vec<VersionStats>,
    /// The last 30 days, oldest first.
    pub daily: Vec<DailyRuns>,
}

/// The caller's balance, holds, limits and recent spending.
#[utoipa::path(
    get,
    path = "/v1/me/credits",
    tag = "billing",
    operation_id = "get_credits",
    summary = "Your credits",
    responses((status = 200, description = "Balance, limits and the last 30 days", body = CreditsView))
)]
pub async fn get_credits(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<CreditsView>, Error> {
    let billing = state.billing()?;
    let (account, daily) = billing.summary(&caller).await?;
    let credits = |micros: i64| Credits::from_micros(micros.max(0)).unwrap_or_default();
    Ok(axum::Json(CreditsView {
        balance: credits(account.balance_micros),
        held: credits(account.held_micros),
        available: credits(account.balance_micros - account.held_micros),
        daily_limit: account.daily_limit_micros.map(credits),
        monthly_limit: account.monthly_limit_micros.map(credits),
        spent_today: credits(account.spent_today_micros),
        spent_this_month: credits(account.spent_this_month_micros),
        daily,
    }))
}

/// The caller's ledger: every grant, charge and earning.
#[utoipa::path(
    get,
    path = "/v1/me/credits/ledger",
    tag = "billing",
    operation_id = "list_ledger",
    summary = "Your credit ledger",
    params(LedgerQuery),
    responses((status = 200, description = "One page, newest first", body = LedgerPage))
)]
pub async fn list_ledger(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictQuery(query): StrictQuery<LedgerQuery>,
) -> Result<axum::Json<LedgerPage>, Error> {
    let limit = match query.limit {
        None => 50,
        Some(limit @ 1..=100) => limit,
        Some(_) => return Err(Error::invalid("limit", "must be 1 to 100")),
    };
    let entries = state
        .billing()?
        .ledger(&caller, query.before, limit)
        .await?;
    let next_before = (entries.len() == limit)
        .then(|| entries.last().map(|entry| entry.id))
        .flatten();
    Ok(axum::Json(LedgerPage {
        entries,
        next_before,
    }))
}

/// Sets the caller's daily and monthly spending caps.
#[utoipa::path(
    put,
    path = "/v1/me/credits/limits",
    tag = "billing",
    operation_id = "set_spending_limits",
    summary = "Set your spending limits",
    request_body = SpendingLimitsRequest,
    responses(
        (status = 200, description = "The credits with the new limits", body = CreditsView),
        (status = 422, description = "Not an amount of credits", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_spending_limits(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    StrictJson(request): StrictJson<SpendingLimitsRequest>,
) -> Result<axum::Json<CreditsView>, Error> {
    state
        .billing()?
        .set_limits(&caller, request.daily, request.monthly)
        .await?;
    get_credits(State(state), SignedIn(caller)).await
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

/// An agent's runs, users, tokens and revenue, per version and per day: the owner only.
#[utoipa::path(
    get,
    path = "/v1/agents/{handle}/{slug}/stats",
    tag = "agents",
    operation_id = "get_agent_stats",
    summary = "Your agent's figures",
    params(
        ("handle" = String, Path, description = "The creator's handle"),
        ("slug" = String, Path, description = "The agent's slug"),
    ),
    responses(
        (status = 200, description = "Per version and per day", body = AgentStats),
        (status = 404, description = "You have no agent at this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_agent_stats(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((handle, slug)): Path<(String, String)>,
) -> Result<axum::Json<AgentStats>, Error> {
    let (versions, daily) = state
        .billing()?
        .agent_stats(&caller, &handle, &slug)
        .await?;
    Ok(axum::Json(AgentStats { versions, daily }))
}

/// The first day of a 30-day chart ending today.
pub fn thirty_days_before(today: NaiveDate) -> NaiveDate {
    today - chrono::Duration::days(29)
}
