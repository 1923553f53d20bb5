//! Credits as users and creators see them: balances, the ledger, spending limits, grants
//! (administrators, through the CLI only) and what agents earn. Charges themselves happen
//! in the run path's chokepoint, never here.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::{Caller, Credits},
    ports::{
        AgentDirectory, Clock, CreditAccount, CreditStore, DailyCredits, DailyRuns, LedgerEntry,
        LedgerKind, RunStore, VersionStats,
    },
};

pub struct BillingService {
    credits: Arc<dyn CreditStore>,
    runs: Arc<dyn RunStore>,
    agents: Arc<dyn AgentDirectory>,
    clock: Arc<dyn Clock>,
}

impl BillingService {
    pub fn new(
        credits: Arc<dyn CreditStore>,
        runs: Arc<dyn RunStore>,
        agents: Arc<dyn AgentDirectory>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            credits,
            runs,
            agents,
            clock,
        }
    }

    /// The caller's account (opened, empty, on first use) and its last 30 days.
    pub async fn summary(&self, caller: &Caller) -> Result<(CreditAccount, Vec<DailyCredits>)> {
        let user_id = caller.user()?.user_id;
        let now = self.clock.now();
        let account = self.credits.account(user_id, now).await?;
        let since = now.date_naive() - chrono::Duration::days(29);
        let daily = self.credits.daily_credits(user_id, since).await?;
        Ok((account, daily))
    }

    pub async fn ledger(
        &self,
        caller: &Caller,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>> {
        let user_id = caller.user()?.user_id;
        self.credits.ledger(user_id, before, limit).await
    }

    pub async fn set_limits(
        &self,
        caller: &Caller,
        daily: Option<Credits>,
        monthly: Option<Credits>,
    ) -> Result<()> {
        let user_id = caller.user()?.user_id;
        if let (Some(daily), Some(monthly)) = (daily, monthly)
            && daily > monthly
        {
            return Err(Error::invalid(
                "daily",
                "must not be above the monthly limit",
            ));
        }
        // Opens the account first, so limits can be set before the first run.
        self.credits.account(user_id, self.clock.now()).await?;
        self.credits
            .set_limits(
                user_id,
                daily.map(Credits::micros),
                monthly.map(Credits::micros),
            )
            .await
    }

    /// Adds credits to a user's balance: for operators (`agora credits grant`), never an
    /// HTTP route.
    pub async fn grant(&self, user_id: Uuid, amount: Credits, note: &str) -> Result<LedgerEntry> {
        if amount == Credits::ZERO || amount > Credits::MAX_GRANT {
            return Err(Error::invalid(
                "credits",
                format!("must be more than 0 and at most {}", Credits::MAX_GRANT),
            ));
        }
        if note.chars().count() > 500 {
            return Err(Error::invalid("note", "must be at most 500 characters"));
        }
        self.credits.grant(user_id, amount.micros(), note).await
    }

    /// An agent's figures, for its owner only (404 for anyone else, like a missing agent).
    pub async fn agent_stats(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<(Vec<VersionStats>, Vec<DailyRuns>)> {
        let user_id = caller.user()?.user_id;
        let agent = self
            .agents
            .find_agent(handle, slug)
            .await?
            .filter(|agent| agent.owner_id == user_id)
            .ok_or_else(|| Error::NotFound("You have no agent at this address.".into()))?;
        let since = self.clock.now().date_naive() - chrono::Duration::days(29);
        let versions = self.runs.version_stats(agent.id).await?;
        let daily = self.runs.daily_runs(agent.id, since).await?;
        Ok((versions, daily))
    }
}

/// One ledger row.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = LedgerEntry)]
pub struct LedgerEntryView {
    pub id: i64,
    pub kind: LedgerKind,
    /// Positive: credits in; negative: credits out.
    pub amount_micros: i64,
    pub balance_after_micros: i64,
    pub run_id: Option<Uuid>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(record: LedgerEntry) -> Self {
        Self {
            id: record.id,
            kind: record.kind,
            amount_micros: record.amount_micros,
            balance_after_micros: record.balance_after_micros,
            run_id: record.run_id,
            note: record.note,
            created_at: record.created_at,
        }
    }
}

/// One day of a user's spending and earning, for charts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = DailyCredits)]
pub struct DailyCreditsView {
    pub day: NaiveDate,
    pub spent_micros: i64,
    pub earned_micros: i64,
    pub runs: i64,
}

impl From<DailyCredits> for DailyCreditsView {
    fn from(record: DailyCredits) -> Self {
        Self {
            day: record.day,
            spent_micros: record.spent_micros,
            earned_micros: record.earned_micros,
            runs: record.runs,
        }
    }
}
