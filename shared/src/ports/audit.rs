//! The audit log of security-relevant actions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::RequestOrigin;

/// Security-relevant actions, as the audit log records them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub enum AuditAction {
    #[serde(rename = "user.registered")]
    UserRegistered,
    #[serde(rename = "login.succeeded")]
    LoginSucceeded,
    #[serde(rename = "login.failed")]
    LoginFailed,
    #[serde(rename = "login.limited")]
    LoginLimited,
    #[serde(rename = "session.ended")]
    SessionEnded,
    #[serde(rename = "refresh_token.reused")]
    RefreshTokenReused,
    #[serde(rename = "password.changed")]
    PasswordChanged,
    #[serde(rename = "email.verified")]
    EmailVerified,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    #[serde(rename = "admin.granted")]
    AdminGranted,
    #[serde(rename = "agent.delisted")]
    AgentDelisted,
    #[serde(rename = "agent.relisted")]
    AgentRelisted,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginLimited => "login.limited",
            Self::SessionEnded => "session.ended",
            Self::RefreshTokenReused => "refresh_token.reused",
            Self::PasswordChanged => "password.changed",
            Self::EmailVerified => "email.verified",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::AdminGranted => "admin.granted",
            Self::AgentDelisted => "agent.delisted",
            Self::AgentRelisted => "agent.relisted",
        }
    }
}

/// One audit row to write. Never holds a secret.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    /// What the action was about: a key id, a session id, an email for failed logins.
    pub subject: Option<String>,
    pub origin: RequestOrigin,
    pub details: serde_json::Value,
}

/// One audit row as read back.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject: Option<String>,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// The audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, entry: &AuditRecord) -> crate::Result<()>;
    /// Newest first, rows with ids below `before` (a cursor), at most `limit`.
    async fn list_audit(
        &self,
        actor_id: Option<Uuid>,
        before: Option<i64>,
        limit: usize,
    ) -> crate::Result<Vec<AuditEntry>>;
}
