//! Operators' side of accounts: the audit log, administrator grants (only `agora admin
//! create` reaches them) and the content accounts demo and benchmark agents belong to.

use super::{AccountService, AdminGrant};
use crate::domain::tokens::random_token;
use crate::{
    Error, Result,
    domain::{Caller, DisplayName, Email, Handle, Password, RequestOrigin, Role},
    ports::{AuditAction, AuditEntry, ProfileChange, UserRecord},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl AccountService {
    /// The audit log, newest first: administrators only.
    pub async fn list_audit(
        &self,
        caller: &Caller,
        actor_id: Option<Uuid>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        caller.admin()?;
        self.ports.audit.list_audit(actor_id, before, limit).await
    }

    /// The account with this email, for operators' tools (`agora credits grant`).
    pub async fn find_by_email(&self, email: &Email) -> Result<Option<UserRecord>> {
        self.ports.users.find_user_by_email(email).await
    }

    /// Makes `email` an administrator, creating the account with `password` when it does
    /// not exist. Only the `agora admin create` command calls this; no HTTP route does.
    pub async fn create_admin(
        &self,
        email: &str,
        password: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<AdminGrant> {
        let email = Email::parse(email).map_err(|message| Error::invalid("email", message))?;
        if let Some(user) = self.ports.users.find_user_by_email(&email).await? {
            if user.role == Role::Admin {
                return Ok(AdminGrant::AlreadyAdmin { user_id: user.id });
            }
            let audit = self.audit_record(
                None,
                AuditAction::AdminGranted,
                Some(user.id.to_string()),
                origin,
            );
            self.ports.users.promote_to_admin(user.id, &audit).await?;
            return Ok(AdminGrant::Promoted { user_id: user.id });
        }
        let password = password
            .ok_or_else(|| Error::invalid("password", "is required to create a new account"))?;
        let password =
            Password::parse(password).map_err(|message| Error::invalid("password", message))?;
        let id = Uuid::now_v7();
        let audit = self.audit_record(
            None,
            AuditAction::AdminGranted,
            Some(id.to_string()),
            origin,
        );
        let password_hash = self.ports.hasher.hash(&password).await?;
        let display_name = DisplayName::from_email(&email);
        let user = self
            .insert_user(
                id,
                email,
                None,
                display_name,
                Role::Admin,
                password_hash,
                &audit,
            )
            .await?;
        Ok(AdminGrant::Created { user_id: user.id })
    }

    /// The account that owns seeded content (`agora seed`): found by email, or created with
    /// a random password nobody knows, so it cannot sign in. Returns its id.
    pub async fn ensure_content_account(
        &self,
        email: &str,
        handle: &str,
        display_name: &str,
        bio: &str,
    ) -> Result<Uuid> {
        let email = Email::parse(email).map_err(Error::Internal)?;
        if let Some(user) = self.ports.users.find_user_by_email(&email).await? {
            return Ok(user.id);
        }
        let handle = Handle::parse(handle).map_err(Error::Internal)?;
        let display_name = DisplayName::parse(display_name).map_err(Error::Internal)?;
        let unusable = random_token("").map_err(|error| Error::Internal(error.to_string()))?;
        let password_hash = self
            .ports
            .hasher
            .hash(&Password::for_login(&unusable).map_err(Error::Internal)?)
            .await?;
        let id = Uuid::now_v7();
        let mut audit = self.audit_record(
            Some(id),
            AuditAction::UserRegistered,
            None,
            &RequestOrigin::default(),
        );
        audit.details = serde_json::json!({ "content_account": true });
        let user = self
            .insert_user(
                id,
                email,
                Some(handle),
                display_name,
                Role::User,
                password_hash,
                &audit,
            )
            .await?;
        let change = ProfileChange {
            bio: Some(bio.to_owned()),
            ..ProfileChange::default()
        };
        self.ports
            .users
            .update_profile(user.id, &change)
            .await
            .map_err(|error| Error::Internal(error.to_string()))?;
        Ok(user.id)
    }
}

/// One audit row as read back.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject: Option<String>,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(record: AuditEntry) -> Self {
        Self {
            id: record.id,
            occurred_at: record.occurred_at,
            actor_id: record.actor_id,
            action: record.action,
            subject: record.subject,
            client_addr: record.client_addr,
            request_id: record.request_id,
            details: record.details,
        }
    }
}
