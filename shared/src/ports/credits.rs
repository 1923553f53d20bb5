//! Credits: accounts, holds and the append-only ledger.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A user's credits.
#[derive(Clone, Debug, PartialEq)]
pub struct CreditAccount {
    pub balance_micros: i64,
    pub held_micros: i64,
    pub daily_limit_micros: Option<i64>,
    pub monthly_limit_micros: Option<i64>,
    pub spent_today_micros: i64,
    pub spent_this_month_micros: i64,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    SignupGrant,
    AdminGrant,
    RunCharge,
    CreatorEarning,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignupGrant => "signup_grant",
            Self::AdminGrant => "admin_grant",
            Self::RunCharge => "run_charge",
            Self::CreatorEarning => "creator_earning",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "signup_grant" => Self::SignupGrant,
            "admin_grant" => Self::AdminGrant,
            "creator_earning" => Self::CreatorEarning,
            _ => Self::RunCharge,
        }
    }
}

/// One ledger row.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: LedgerKind,
    /// Positive: credits in; negative: credits out.
    pub amount_micros: i64,
    pub balance_after_micros: i64,
    pub run_id: Option<Uuid>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// One day of a user's spending and earning, for charts.
#[derive(Clone, Debug, PartialEq)]
pub struct DailyCredits {
    pub day: NaiveDate,
    pub spent_micros: i64,
    pub earned_micros: i64,
    pub runs: i64,
}

/// Balances and the ledger.
#[async_trait]
pub trait CreditStore: Send + Sync {
    /// The user's account, opened (empty) on first use.
    async fn account(&self, user_id: Uuid, now: DateTime<Utc>) -> crate::Result<CreditAccount>;
    /// Adds credits (an administrator's grant) with a ledger row; returns the row.
    async fn grant(
        &self,
        user_id: Uuid,
        amount_micros: i64,
        note: &str,
    ) -> crate::Result<LedgerEntry>;
    async fn ledger(
        &self,
        user_id: Uuid,
        before: Option<i64>,
        limit: usize,
    ) -> crate::Result<Vec<LedgerEntry>>;
    async fn set_limits(
        &self,
        user_id: Uuid,
        daily_micros: Option<i64>,
        monthly_micros: Option<i64>,
    ) -> crate::Result<()>;
    async fn daily_credits(
        &self,
        user_id: Uuid,
        since: NaiveDate,
    ) -> crate::Result<Vec<DailyCredits>>;
}
