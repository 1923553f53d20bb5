//! Confirmation links on PostgreSQL, and the sign-up grant that following one adds.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, accounts::insert_audit, credits::add_credits};
use crate::{
    Result,
    ports::{AuditRecord, EmailVerificationStore, EmailVerified, LedgerKind, NewEmailVerification},
};

#[async_trait]
impl EmailVerificationStore for Db {
    async fn add_verification(&self, verification: &NewEmailVerification) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "INSERT INTO email_verifications (token_hash, user_id, email, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &verification.token_hash,
                    &verification.user_id,
                    &verification.email,
                    &verification.expires_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn verify_email(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        grant_micros: i64,
        audit: &AuditRecord,
    ) -> Result<EmailVerified> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        // The user's row is locked first: links followed at once (two tabs, a mail
        // scanner and a person) wait for each other, and only the first grants.
        let Some(link) = transaction
            .query_opt(
                "SELECT u.id, u.email_verified_at, v.expires_at, v.used_at,
                        lower(v.email) = lower(u.email) AS same_address
                 FROM email_verifications v JOIN users u ON u.id = v.user_id
                 WHERE v.token_hash = $1
                 FOR UPDATE OF u, v",
                &[&token_hash],
            )
            .await?
        else {
            return Ok(EmailVerified::Unknown);
        };
        let user_id: Uuid = link.get("id");
        if link
            .get::<_, Option<DateTime<Utc>>>("email_verified_at")
            .is_some()
        {
            return Ok(EmailVerified::AlreadyVerified { user_id });
        }
        if !link.get::<_, bool>("same_address") {
            return Ok(EmailVerified::Unknown);
        }
        let used = link.get::<_, Option<DateTime<Utc>>>("used_at").is_some();
        if !used && link.get::<_, DateTime<Utc>>("expires_at") <= now {
            return Ok(EmailVerified::Expired);
        }
        transaction
            .execute(
                "UPDATE users SET email_verified_at = $2, updated_at = $2 WHERE id = $1",
                &[&user_id, &now],
            )
            .await?;
        transaction
            .execute(
                "UPDATE email_verifications SET used_at = $2 WHERE token_hash = $1",
                &[&token_hash, &now],
            )
            .await?;
        let granted_micros = grant_micros.max(0);
        if granted_micros > 0 {
            add_credits(
                &transaction,
                user_id,
                LedgerKind::SignupGrant,
                granted_micros,
                "Welcome credits",
            )
            .await?;
        }
        let mut audit = audit.clone();
        audit.actor_id = Some(user_id);
        insert_audit(&transaction, &audit).await?;
        transaction.commit().await?;
        Ok(EmailVerified::Verified {
            user_id,
            granted_micros,
        })
    }

    async fn forget_verifications(&self, before: DateTime<Utc>) -> Result<u64> {
        let connection = self.connection().await?;
        Ok(connection
            .execute(
                "DELETE FROM email_verifications WHERE expires_at < $1",
                &[&before],
            )
            .await?)
    }
}
