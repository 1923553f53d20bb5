//! The account stores on PostgreSQL: users, refresh-token families, API keys and the audit
//! log. Writes that belong together (an action and its audit row, a rotation and its
//! successor) share one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Db;
use crate::{
    Error, Result,
    domain::{DisplayName, Email, Handle, Role},
    ports::{
        ApiKeyOwner, ApiKeyRecord, ApiKeyStore, AuditEntry, AuditLog, AuditRecord,
        InsertApiKeyError, InsertUserError, NewApiKey, NewUser, PasswordUpdate, ProfileChange,
        Rotation, RotationRequest, SessionStore, SessionUser, UserRecord, UserStore,
    },
};

const USER_COLUMNS: &str =
    "id, email, handle, display_name, bio, avatar, role, password_hash, email_verified_at, created_at,
     updated_at";
const API_KEY_COLUMNS: &str = "id, name, prefix, created_at, expires_at, last_used_at, revoked_at";

fn user_from(row: &Row) -> UserRecord {
    UserRecord {
        id: row.get("id"),
        email: row.get("email"),
        handle: row.get("handle"),
        display_name: row.get("display_name"),
        bio: row.get("bio"),
        avatar: row.get("avatar"),
        role: Role::from_stored(row.get("role")),
        password_hash: row.get("password_hash"),
        email_verified_at: row.get("email_verified_at"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

fn api_key_from(row: &Row) -> ApiKeyRecord {
    ApiKeyRecord {
        id: row.get("id"),
        name: row.get("name"),
        prefix: row.get("prefix"),
        created_at: row.get("created_at"),
        expires_at: row.get("expires_at"),
        last_used_at: row.get("last_used_at"),
        revoked_at: row.get("revoked_at"),
    }
}

/// Writes one audit row on `client` (a transaction when the action has one).
pub(super) async fn insert_audit(client: &impl GenericClient, record: &AuditRecord) -> Result<()> {
    client
        .execute(
            "INSERT INTO audit_log (actor_id, action, subject, client_addr, request_id, details)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &record.actor_id,
                &record.action.as_str(),
                &record.subject,
                &record.origin.client_addr,
                &record.origin.request_id,
                &record.details,
            ],
        )
        .await?;
    Ok(())
}

fn is_unique_violation(error: &tokio_postgres::Error, constraint: &str) -> bool {
    error.as_db_error().is_some_and(|db| {
        db.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some(constraint)
    })
}

#[async_trait]
impl UserStore for Db {
    async fn insert_user(
        &self,
        user: &NewUser,
        audit: &AuditRecord,
    ) -> Result<UserRecord, InsertUserError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        let row = transaction
            .query_one(
                &format!(
                    "INSERT INTO users (id, email, display_name, role, password_hash, handle,
                                        email_verified_at)
                     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END)
                     RETURNING {USER_COLUMNS}"
                ),
                &[
                    &user.id,
                    &user.email.as_str(),
                    &user.display_name.as_str(),
                    &user.role.as_str(),
                    &user.password_hash,
                    &user.handle.as_str(),
                    &user.email_verified,
                ],
            )
            .await
            .map_err(|error| {
                if is_unique_violation(&error, "users_email_key") {
                    InsertUserError::EmailTaken
                } else if is_unique_violation(&error, "users_handle_key") {
                    InsertUserError::HandleTaken
                } else {
                    InsertUserError::Other(error.into())
                }
            })?;
        insert_audit(&transaction, audit).await?;
        transaction.commit().await.map_err(Error::from)?;
        Ok(user_from(&row))
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<UserRecord>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE lower(email) = $1"),
                &[&email.as_str()],
            )
            .await?;
        Ok(row.as_ref().map(user_from))
    }

    async fn find_user(&self, id: Uuid) -> Result<Option<UserRecord>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
                &[&id],
            )
            .await?;
        Ok(row.as_ref().map(user_from))
    }

    async fn update_profile(
        &self,
        id: Uuid,
        profile: &ProfileChange,
    ) -> Result<Option<UserRecord>, InsertUserError> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                &format!(
                    "UPDATE users SET display_name = COALESCE($2, display_name),
                         handle = COALESCE($3, handle), bio = COALESCE($4, bio),
                         avatar = COALESCE($5, avatar), updated_at = now()
                     WHERE id = $1
                     RETURNING {USER_COLUMNS}"
                ),
                &[
                    &id,
                    &profile.display_name.as_ref().map(DisplayName::as_str),
                    &profile.handle.as_ref().map(Handle::as_str),
                    &profile.bio,
                    &profile.avatar,
                ],
            )
            .await
            .map_err(|error| {
                if is_unique_violation(&error, "users_handle_key") {
                    InsertUserError::HandleTaken
                } else {
                    InsertUserError::Other(error.into())
                }
            })?;
        Ok(row.as_ref().map(user_from))
    }

    async fn update_password_hash(
        &self,
        id: Uuid,
        hash: &str,
        update: PasswordUpdate,
    ) -> Result<Vec<Uuid>> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let mut sessions = Vec::new();
        match &update {
            PasswordUpdate::Rehash => {
                transaction
                    .execute(
                        "UPDATE users SET password_hash = $2 WHERE id = $1",
                        &[&id, &hash],
                    )
                    .await?;
            }
            PasswordUpdate::Change { audit } => {
                transaction
                    .execute(
                        "UPDATE users SET password_hash = $2, password_changed_at = now(),
                             updated_at = now()
                         WHERE id = $1",
                        &[&id, &hash],
                    )
                    .await?;
                sessions = transaction
                    .query(
                        "WITH revoked AS (
                             UPDATE refresh_tokens SET revoked_at = now()
                             WHERE user_id = $1 AND revoked_at IS NULL
                             RETURNING family_id
                         )
                         SELECT DISTINCT family_id FROM revoked",
                        &[&id],
                    )
                    .await?
                    .iter()
                    .map(|row| row.get(0))
                    .collect();
                insert_audit(&transaction, audit).await?;
            }
        }
        transaction.commit().await?;
        Ok(sessions)
    }

    async fn promote_to_admin(&self, id: Uuid, audit: &AuditRecord) -> Result<()> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        transaction
            .execute(
                "UPDATE users SET role = 'admin', updated_at = now() WHERE id = $1",
                &[&id],
            )
            .await?;
        insert_audit(&transaction, audit).await?;
        transaction.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for Db {
    async fn start_session(
        &self,
        user_id: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<Uuid> {
        let connection = self.connection().await?;
        let family_id = Uuid::now_v7();
        connection
            .execute(
                "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &Uuid::now_v7(),
                    &family_id,
                    &user_id,
                    &token_hash,
                    &expires_at,
                ],
            )
            .await?;
        Ok(family_id)
    }

    async fn rotate(&self, request: RotationRequest<'_>) -> Result<Rotation> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        // The row lock serialises concurrent presentations of one token: the second waits,
        // then sees the first one's rotation (READ COMMITTED re-reads the locked row).
        let Some(row) = transaction
            .query_opt(
                "SELECT t.id, t.family_id, t.user_id, t.expires_at, t.rotated_at, t.revoked_at,
                        u.role
                 FROM refresh_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1
                 FOR UPDATE OF t",
                &[&request.presented_hash],
            )
            .await?
        else {
            return Ok(Rotation::Refused);
        };
        let id: Uuid = row.get("id");
        let user = SessionUser {
            user_id: row.get("user_id"),
            role: Role::from_stored(row.get("role")),
            session_id: row.get("family_id"),
        };
        let expires_at: DateTime<Utc> = row.get("expires_at");
        let revoked_at: Option<DateTime<Utc>> = row.get("revoked_at");
        if revoked_at.is_some() || expires_at <= request.now {
            return Ok(Rotation::Refused);
        }
        let Some(successor_hash) = request.successor_hashes.first() else {
            return Err(Error::Internal("rotation without a successor".into()));
        };
        let rotated_at: Option<DateTime<Utc>> = row.get("rotated_at");
        let Some(rotated_at) = rotated_at else {
            transaction
                .execute(
                    "UPDATE refresh_tokens SET rotated_at = $2 WHERE id = $1",
                    &[&id, &request.now],
                )
                .await?;
            transaction
                .execute(
                    "INSERT INTO refresh_tokens
                         (id, family_id, user_id, token_hash, parent_id, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &Uuid::now_v7(),
                        &user.session_id,
                        &user.user_id,
                        successor_hash,
                        &id,
                        &request.now,
                        &request.successor_expires_at,
                    ],
                )
                .await?;
            transaction.commit().await?;
            return Ok(Rotation::Rotated { user, successor: 0 });
        };
        // A racer may have read the clock just before the rotation that beat it to the row
        // lock; a rotation "in its future" is a concurrent one, so it is within the grace.
        let within_grace = request
            .now
            .signed_duration_since(rotated_at)
            .to_std()
            .map_or(true, |elapsed| elapsed <= request.grace);
        if within_grace {
            let child = transaction
                .query_opt(
                    "SELECT token_hash FROM refresh_tokens
                     WHERE parent_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL",
                    &[&id],
                )
                .await?;
            let replayed = child.and_then(|child| {
                let hash: Vec<u8> = child.get("token_hash");
                request.successor_hashes.iter().position(|h| *h == hash)
            });
            if let Some(successor) = replayed {
                transaction.commit().await?;
                return Ok(Rotation::Replayed { user, successor });
            }
        }
        transaction
            .execute(
                "UPDATE refresh_tokens SET revoked_at = $2
                 WHERE family_id = $1 AND revoked_at IS NULL",
                &[&user.session_id, &request.now],
            )
            .await?;
        insert_audit(&transaction, &request.reuse_audit).await?;
        transaction.commit().await?;
        Ok(Rotation::Reused { user })
    }

    async fn end_session(&self, token_hash: &[u8]) -> Result<Option<SessionUser>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                "WITH presented AS (
                     SELECT t.family_id, t.user_id, u.role
                     FROM refresh_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = $1
                 ), revoked AS (
                     UPDATE refresh_tokens SET revoked_at = now()
                     WHERE family_id = (SELECT family_id FROM presented) AND revoked_at IS NULL
                 )
                 SELECT family_id, user_id, role FROM presented",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|row| SessionUser {
            user_id: row.get("user_id"),
            role: Role::from_stored(row.get("role")),
            session_id: row.get("family_id"),
        }))
    }
}

#[async_trait]
impl ApiKeyStore for Db {
    async fn insert_api_key(
        &self,
        key: &NewApiKey,
        max_live: usize,
        audit: &AuditRecord,
    ) -> Result<ApiKeyRecord, InsertApiKeyError> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await.map_err(Error::from)?;
        // Locking the owner serialises concurrent creations, so the cap holds.
        transaction
            .execute(
                "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
                &[&key.user_id],
            )
            .await
            .map_err(Error::from)?;
        let live: i64 = transaction
            .query_one(
                "SELECT count(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL
                     AND (expires_at IS NULL OR expires_at > now())",
                &[&key.user_id],
            )
            .await
            .map_err(Error::from)?
            .get(0);
        if usize::try_from(live).unwrap_or(usize::MAX) >= max_live {
            return Err(InsertApiKeyError::TooMany(max_live));
        }
        let row = transaction
            .query_one(
                &format!(
                    "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {API_KEY_COLUMNS}"
                ),
                &[
                    &key.id,
                    &key.user_id,
                    &key.name,
                    &key.prefix,
                    &key.key_hash,
                    &key.expires_at,
                ],
            )
            .await
            .map_err(Error::from)?;
        insert_audit(&transaction, audit).await?;
        transaction.commit().await.map_err(Error::from)?;
        Ok(api_key_from(&row))
    }

    async fn list_api_keys(&self, user_id: Uuid) -> Result<Vec<ApiKeyRecord>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                &format!(
                    "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE user_id = $1
                     ORDER BY created_at DESC, id DESC"
                ),
                &[&user_id],
            )
            .await?;
        Ok(rows.iter().map(api_key_from).collect())
    }

    async fn revoke_api_key(
        &self,
        user_id: Uuid,
        key_id: Uuid,
        now: DateTime<Utc>,
        audit: &AuditRecord,
    ) -> Result<Option<(ApiKeyRecord, Vec<u8>)>> {
        let mut connection = self.connection().await?;
        let transaction = connection.transaction().await?;
        let Some(row) = transaction
            .query_opt(
                &format!(
                    "SELECT {API_KEY_COLUMNS}, key_hash FROM api_keys
                     WHERE id = $1 AND user_id = $2 FOR UPDATE"
                ),
                &[&key_id, &user_id],
            )
            .await?
        else {
            return Ok(None);
        };
        let record = api_key_from(&row);
        let key_hash: Vec<u8> = row.get("key_hash");
        if record.revoked_at.is_some() {
            // Revoking twice changes nothing and audits nothing.
            return Ok(Some((record, key_hash)));
        }
        let row = transaction
            .query_one(
                &format!(
                    "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 RETURNING {API_KEY_COLUMNS}"
                ),
                &[&key_id, &now],
            )
            .await?;
        insert_audit(&transaction, audit).await?;
        transaction.commit().await?;
        Ok(Some((api_key_from(&row), key_hash)))
    }

    async fn use_api_key(
        &self,
        key_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyOwner>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                "UPDATE api_keys k SET last_used_at = $2
                 FROM users u
                 WHERE k.key_hash = $1 AND u.id = k.user_id AND k.revoked_at IS NULL
                     AND (k.expires_at IS NULL OR k.expires_at > $2)
                 RETURNING k.id, k.user_id, u.role, k.expires_at",
                &[&key_hash, &now],
            )
            .await?;
        Ok(row.map(|row| ApiKeyOwner {
            key_id: row.get("id"),
            user_id: row.get("user_id"),
            role: Role::from_stored(row.get("role")),
            expires_at: row.get("expires_at"),
        }))
    }
}

#[async_trait]
impl AuditLog for Db {
    async fn record(&self, entry: &AuditRecord) -> Result<()> {
        let connection = self.connection().await?;
        insert_audit(&*connection, entry).await
    }

    async fn list_audit(
        &self,
        actor_id: Option<Uuid>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let rows = connection
            .query(
                "SELECT id, occurred_at, actor_id, action, subject, host(client_addr) AS client_addr,
                        request_id, details
                 FROM audit_log
                 WHERE ($1::uuid IS NULL OR actor_id = $1) AND ($2::bigint IS NULL OR id < $2)
                 ORDER BY id DESC LIMIT $3",
                &[&actor_id, &before, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| AuditEntry {
                id: row.get("id"),
                occurred_at: row.get("occurred_at"),
                actor_id: row.get("actor_id"),
                action: row.get("action"),
                subject: row.get("subject"),
                client_addr: row.get("client_addr"),
                request_id: row.get("request_id"),
                details: row.get("details"),
            })
            .collect())
    }
}
