//! Reviews on PostgreSQL; a review and its agent's rating change in one transaction.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Db;
use crate::{
    Error, Result,
    ports::{RatingSummary, ReviewError, ReviewRecord, ReviewStore},
};

const COLUMNS: &str = "r.id, r.agent_id, r.user_id, u.handle AS author_handle,
    u.display_name AS author_name, r.rating, r.body, r.reply, r.replied_at, r.created_at, r.updated_at";

#[async_trait]
impl ReviewStore for Db {
    async fn upsert_review(
        &self,
        id: Uuid,
        agent_id: Uuid,
        user_id: Uuid,
        rating: i16,
        body: &str,
    ) -> Result<ReviewRecord, ReviewError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        let ran = transaction
            .query_opt(
                "SELECT 1 FROM runs WHERE agent_id = $1 AND user_id = $2 AND status = 'succeeded' LIMIT 1",
                &[&agent_id, &user_id],
            )
            .await
            .map_err(Error::from)?
            .is_some();
        if !ran {
            return Err(ReviewError::NoCompletedRun);
        }
        // The agent row lock serialises rating updates.
        transaction
            .execute(
                "SELECT 1 FROM agents WHERE id = $1 FOR UPDATE",
                &[&agent_id],
            )
            .await
            .map_err(Error::from)?;
        let review_id: Uuid = transaction
            .query_one(
                "INSERT INTO reviews (id, agent_id, user_id, rating, body) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (agent_id, user_id) DO UPDATE
                     SET rating = EXCLUDED.rating, body = EXCLUDED.body, updated_at = now()
                 RETURNING id",
                &[&id, &agent_id, &user_id, &rating, &body],
            )
            .await
            .map_err(Error::from)?
            .get(0);
        transaction
            .execute(
                "UPDATE agents SET rating_count = stats.count, rating_sum = stats.sum,
                     rating_score = round((5 * 3.5 + stats.sum) * 1000.0 / (5 + stats.count))::bigint
                 FROM (SELECT count(*)::int AS count, COALESCE(sum(rating), 0)::int AS sum
                       FROM reviews WHERE agent_id = $1) stats
                 WHERE id = $1",
                &[&agent_id],
            )
            .await
            .map_err(Error::from)?;
        let review = find(&transaction, review_id).await?.ok_or_else(|| {
            ReviewError::Other(Error::Internal("a review vanished while written".into()))
        })?;
        transaction.commit().await.map_err(Error::from)?;
        Ok(review)
    }

    async fn list_reviews(&self, agent_id: Uuid, limit: usize) -> Result<Vec<ReviewRecord>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let rows = connection
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM reviews r JOIN users u ON u.id = r.user_id
                     WHERE r.agent_id = $1 ORDER BY r.updated_at DESC, r.id DESC LIMIT $2"
                ),
                &[&agent_id, &limit],
            )
            .await?;
        Ok(rows.iter().map(review_from).collect())
    }

    async fn rating(&self, agent_id: Uuid) -> Result<RatingSummary> {
        let connection = self.connection().await?;
        let row = connection
            .query_one(
                "SELECT rating_count, rating_sum, rating_score FROM agents WHERE id = $1",
                &[&agent_id],
            )
            .await?;
        let count: i32 = row.get(0);
        let sum: i32 = row.get(1);
        let score: i64 = row.get(2);
        Ok(RatingSummary {
            count,
            average: (count > 0).then(|| f64::from(sum) / f64::from(count)),
            score: score as f64 / 1000.0,
        })
    }

    async fn reviewer(
        &self,
        agent_id: Uuid,
        user_id: Uuid,
    ) -> Result<(Option<ReviewRecord>, bool)> {
        let connection = self.connection().await?;
        let review = connection
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM reviews r JOIN users u ON u.id = r.user_id
                     WHERE r.agent_id = $1 AND r.user_id = $2"
                ),
                &[&agent_id, &user_id],
            )
            .await?
            .as_ref()
            .map(review_from);
        let ran = connection
            .query_opt(
                "SELECT 1 FROM runs WHERE agent_id = $1 AND user_id = $2 AND status = 'succeeded' LIMIT 1",
                &[&agent_id, &user_id],
            )
            .await?
            .is_some();
        Ok((review, ran))
    }

    async fn reply(
        &self,
        agent_id: Uuid,
        review_id: Uuid,
        reply: &str,
    ) -> Result<Option<ReviewRecord>> {
        let connection = self.connection().await?;
        let updated = connection
            .execute(
                "UPDATE reviews SET reply = $3, replied_at = now() WHERE id = $2 AND agent_id = $1",
                &[&agent_id, &review_id, &reply],
            )
            .await?;
        if updated == 0 {
            return Ok(None);
        }
        find(&*connection, review_id).await
    }

    async fn report(
        &self,
        agent_id: Uuid,
        review_id: Uuid,
        user_id: Uuid,
        reason: &str,
    ) -> Result<bool> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let exists = transaction
            .query_opt(
                "SELECT 1 FROM reviews WHERE id = $1 AND agent_id = $2",
                &[&review_id, &agent_id],
            )
            .await?
            .is_some();
        if !exists {
            return Ok(false);
        }
        let added = transaction
            .execute(
                "INSERT INTO review_reports (review_id, user_id, reason) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&review_id, &user_id, &reason],
            )
            .await?;
        if added > 0 {
            transaction
                .execute(
                    "UPDATE reviews SET report_count = report_count + 1 WHERE id = $1",
                    &[&review_id],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }
}

async fn find(client: &impl GenericClient, id: Uuid) -> Result<Option<ReviewRecord>> {
    Ok(client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = $1"
            ),
            &[&id],
        )
        .await?
        .as_ref()
        .map(review_from))
}

fn review_from(row: &Row) -> ReviewRecord {
    ReviewRecord {
        id: row.get("id"),
        agent_id: row.get("agent_id"),
        user_id: row.get("user_id"),
        author_handle: row.get("author_handle"),
        author_name: row.get("author_name"),
        rating: row.get("rating"),
        body: row.get("body"),
        reply: row.get("reply"),
        replied_at: row.get("replied_at"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}
