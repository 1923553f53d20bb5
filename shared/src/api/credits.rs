//! `/v1/me/credits`: the caller's balance, ledger, spending over the last 30 days and
//! spending limits.

use axum::extract::State;

use chrono::NaiveDate;

use serde::{Deserialize, Serialize};

use utoipa::{IntoParams, ToSchema};

use super::{SignedIn, json::StrictJson, query::StrictQuery};

use crate::services::billing::{DailyCreditsView, LedgerEntryView};
use crate::{AppState, Error, api::problem::Problem, domain::Credits};

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
    pub daily: Vec<DailyCreditsView>,
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
    pub entries: Vec<LedgerEntryView>,
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
        daily: daily.into_iter().map(Into::into).collect(),
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
        entries: entries.into_iter().map(Into::into).collect(),
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

/// The first day of a 30-day chart ending today.
pub fn thirty_days_before(today: NaiveDate) -> NaiveDate {
    today - chrono::Duration::days(29)
}
