//! Credits on PostgreSQL: accounts (opened empty on first use), holds, the
//! append-only ledger with the balance after each entry, and spending per day and month.

use super::Db;
use crate::{
    Result,
    ports::{CreditAccount, CreditStore, DailyCredits, LedgerEntry, LedgerKind},
};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

#[async_trait]
impl CreditStore for Db {
    async fn account(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<CreditAccount> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        ensure_account(&transaction, user_id).await?;
        let row = transaction
            .query_one(
                "SELECT balance_micros, held_micros, daily_limit_micros, monthly_limit_micros
                 FROM credit_accounts WHERE user_id = $1",
                &[&user_id],
            )
            .await?;
        let spent_today = spent_since(&transaction, user_id, day_start(now)).await?;
        let spent_this_month = spent_since(&transaction, user_id, month_start(now)).await?;
        transaction.commit().await?;
        Ok(CreditAccount {
            balance_micros: row.get(0),
            held_micros: row.get(1),
            daily_limit_micros: row.get(2),
            monthly_limit_micros: row.get(3),
            spent_today_micros: spent_today,
            spent_this_month_micros: spent_this_month,
        })
    }

    async fn grant(&self, user_id: Uuid, amount_micros: i64, note: &str) -> Result<LedgerEntry> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let entry = add_credits(
            &transaction,
            user_id,
            LedgerKind::AdminGrant,
            amount_micros,
            note,
        )
        .await?;
        transaction.commit().await?;
        Ok(entry)
    }

    async fn ledger(
        &self,
        user_id: Uuid,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let rows = connection
            .query(
                "SELECT id, kind, amount_micros, balance_after_micros, run_id, note, created_at
                 FROM credit_ledger WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)
                 ORDER BY id DESC LIMIT $3",
                &[&user_id, &before, &limit],
            )
            .await?;
        Ok(rows.iter().map(ledger_from).collect())
    }

    async fn set_limits(
        &self,
        user_id: Uuid,
        daily_micros: Option<i64>,
        monthly_micros: Option<i64>,
    ) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "UPDATE credit_accounts SET daily_limit_micros = $2, monthly_limit_micros = $3,
                     updated_at = now()
                 WHERE user_id = $1",
                &[&user_id, &daily_micros, &monthly_micros],
            )
            .await?;
        Ok(())
    }

    async fn daily_credits(&self, user_id: Uuid, since: NaiveDate) -> Result<Vec<DailyCredits>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
                        COALESCE(-sum(amount_micros) FILTER (WHERE kind = 'run_charge'), 0)::bigint,
                        COALESCE(sum(amount_micros) FILTER (WHERE kind = 'creator_earning'), 0)::bigint,
                        count(*) FILTER (WHERE kind = 'run_charge')
                 FROM credit_ledger WHERE user_id = $1 AND created_at >= $2::date
                 GROUP BY day ORDER BY day",
                &[&user_id, &since],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| DailyCredits {
                day: row.get(0),
                spent_micros: row.get(1),
                earned_micros: row.get(2),
                runs: row.get(3),
            })
            .collect())
    }
}

/// Opens the user's account, empty, if it has none.
pub(super) async fn ensure_account(client: &impl GenericClient, user_id: Uuid) -> Result<()> {
    client
        .execute(
            "INSERT INTO credit_accounts (user_id, balance_micros) VALUES ($1, 0)
             ON CONFLICT (user_id) DO NOTHING",
            &[&user_id],
        )
        .await?;
    Ok(())
}

/// Adds credits to the user's balance (opening the account if needed) with their ledger
/// row, in the caller's transaction.
pub(super) async fn add_credits(
    client: &impl GenericClient,
    user_id: Uuid,
    kind: LedgerKind,
    amount_micros: i64,
    note: &str,
) -> Result<LedgerEntry> {
    let balance: i64 = client
        .query_one(
            "INSERT INTO credit_accounts (user_id, balance_micros) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE
                 SET balance_micros = credit_accounts.balance_micros + EXCLUDED.balance_micros,
                     updated_at = now()
             RETURNING balance_micros",
            &[&user_id, &amount_micros],
        )
        .await?
        .get(0);
    insert_ledger(client, user_id, kind, amount_micros, balance, None, note).await
}

pub(super) async fn insert_ledger(
    client: &impl GenericClient,
    user_id: Uuid,
    kind: LedgerKind,
    amount_micros: i64,
    balance_after: i64,
    run_id: Option<Uuid>,
    note: &str,
) -> Result<LedgerEntry> {
    let row = client
        .query_one(
            "INSERT INTO credit_ledger (user_id, kind, amount_micros, balance_after_micros, run_id, note)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, kind, amount_micros, balance_after_micros, run_id, note, created_at",
            &[&user_id, &kind.as_str(), &amount_micros, &balance_after, &run_id, &note],
        )
        .await?;
    Ok(ledger_from(&row))
}

/// Run charges since `since`, in micro-credits.
pub(super) async fn spent_since(
    client: &impl GenericClient,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> Result<i64> {
    Ok(client
        .query_one(
            "SELECT COALESCE(-sum(amount_micros), 0)::bigint FROM credit_ledger
             WHERE user_id = $1 AND kind = 'run_charge' AND created_at >= $2",
            &[&user_id, &since],
        )
        .await?
        .get(0))
}

pub(super) fn ledger_from(row: &Row) -> LedgerEntry {
    LedgerEntry {
        id: row.get("id"),
        kind: LedgerKind::from_stored(row.get("kind")),
        amount_micros: row.get("amount_micros"),
        balance_after_micros: row.get("balance_after_micros"),
        run_id: row.get("run_id"),
        note: row.get("note"),
        created_at: row.get("created_at"),
    }
}

pub(super) fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now, |start| Utc.from_utc_datetime(&start))
}

pub(super) fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .with_day(1)
        .and_then(|first| first.and_hms_opt(0, 0, 0))
        .map_or(now, |start| Utc.from_utc_datetime(&start))
}
