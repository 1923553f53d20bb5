//! Users' provider credentials on PostgreSQL: only ciphertext and wrapped data keys.

use async_trait::async_trait;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Db;
use crate::{
    Error, Result,
    ports::{CredentialStore, ProviderCredentialRecord},
};

#[async_trait]
impl CredentialStore for Db {
    async fn insert_credential(
        &self,
        credential: &ProviderCredentialRecord,
        max: usize,
    ) -> Result<()> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        // Locking the owner serialises concurrent saves, so the cap holds.
        transaction
            .execute(
                "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
                &[&credential.user_id],
            )
            .await?;
        let saved: i64 = transaction
            .query_one(
                "SELECT count(*) FROM provider_credentials WHERE user_id = $1",
                &[&credential.user_id],
            )
            .await?
            .get(0);
        if usize::try_from(saved).unwrap_or(usize::MAX) >= max {
            return Err(Error::Conflict(format!(
                "You have {max} provider keys, the most allowed; delete one first."
            )));
        }
        transaction
            .execute(
                "INSERT INTO provider_credentials
                     (id, user_id, name, provider, base_url, key_last_four, wrapped_data_key,
                      ciphertext, key_id, private_networks)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &credential.id,
                    &credential.user_id,
                    &credential.name,
                    &credential.provider,
                    &credential.base_url,
                    &credential.key_last_four,
                    &credential.wrapped_data_key,
                    &credential.ciphertext,
                    &credential.key_id,
                    &credential.private_networks,
                ],
            )
            .await
            .map_err(|error| match error.as_db_error().and_then(|e| e.constraint()) {
                Some("provider_credentials_name_key") => Error::Conflict(format!(
                    "You already have a provider key named `{}`; delete it first or pick another name.",
                    credential.name
                )),
                _ => Error::from(error),
            })?;
        transaction.commit().await?;
        Ok(())
    }

    async fn list_credentials(&self, user_id: Uuid) -> Result<Vec<ProviderCredentialRecord>> {
        let connection = self.connection().await?;
        // Asked on every run of an OpenAI or Anthropic agent: prepared once per connection.
        let statement = connection
            .prepare_cached(
                "SELECT id, user_id, name, provider, base_url, key_last_four, wrapped_data_key,
                        ciphertext, key_id, created_at, private_networks
                 FROM provider_credentials WHERE user_id = $1 ORDER BY created_at, id",
            )
            .await?;
        let rows = connection.query(&statement, &[&user_id]).await?;
        Ok(rows.iter().map(credential_from).collect())
    }

    async fn delete_credential(&self, user_id: Uuid, id: Uuid) -> Result<bool> {
        let connection = self.connection().await?;
        Ok(connection
            .execute(
                "DELETE FROM provider_credentials WHERE id = $1 AND user_id = $2",
                &[&id, &user_id],
            )
            .await?
            > 0)
    }
}

fn credential_from(row: &Row) -> ProviderCredentialRecord {
    ProviderCredentialRecord {
        id: row.get("id"),
        user_id: row.get("user_id"),
        name: row.get("name"),
        provider: row.get("provider"),
        base_url: row.get("base_url"),
        key_last_four: row.get("key_last_four"),
        wrapped_data_key: row.get("wrapped_data_key"),
        ciphertext: row.get("ciphertext"),
        key_id: row.get("key_id"),
        created_at: row.get("created_at"),
        private_networks: row.get("private_networks"),
    }
}
