//! Conversations and their messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A conversation as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    /// `handle/slug`.
    pub agent: String,
    pub agent_name: String,
    pub agent_version: Option<i32>,
    pub title: String,
    /// The agent's input fields, as given when the conversation started.
    pub inputs: std::collections::BTreeMap<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageRecord {
    pub id: Uuid,
    pub role: crate::domain::llm::Role,
    pub content: String,
    pub run_id: Option<Uuid>,
    /// `complete`, `stopped`, `failed` or `superseded` (regenerated).
    pub status: String,
    /// Of an answer: the model that wrote it and what it cost, in micro-credits.
    pub model: Option<String>,
    pub charged_micros: Option<i64>,
    /// Of an answer: the calls its run made to the agent's tools.
    pub tool_uses: Vec<crate::domain::agent_tools::ToolUse>,
    pub created_at: DateTime<Utc>,
}

/// Conversations and their messages.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn create_conversation(&self, conversation: &ConversationRecord) -> crate::Result<()>;
    /// The user's conversation, `None` when it is not theirs or does not exist.
    async fn find_conversation(
        &self,
        user_id: Uuid,
        id: Uuid,
    ) -> crate::Result<Option<ConversationRecord>>;
    async fn list_conversations(
        &self,
        user_id: Uuid,
        limit: usize,
    ) -> crate::Result<Vec<ConversationRecord>>;
    /// The messages that are not superseded, oldest first.
    async fn messages(&self, conversation_id: Uuid) -> crate::Result<Vec<MessageRecord>>;
    async fn delete_conversation(&self, user_id: Uuid, id: Uuid) -> crate::Result<bool>;
}
