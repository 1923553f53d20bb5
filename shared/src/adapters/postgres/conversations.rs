//! Conversations and their messages on PostgreSQL. Messages are written with the run that
//! answers them (see `runs.rs`); this module reads, regenerates and deletes.

use async_trait::async_trait;
use tokio_postgres::Row;
use uuid::Uuid;

use super::Db;
use crate::{
    Result,
    domain::llm::Role,
    ports::{ConversationRecord, ConversationStore, MessageRecord},
};

const CONVERSATION_COLUMNS: &str =
    "c.id, c.user_id, c.agent_id, u.handle || '/' || a.slug AS agent,
    COALESCE(v.spec->>'name', a.draft->>'name') AS agent_name, c.agent_version, c.title,
    c.inputs, c.created_at, c.updated_at";
const CONVERSATION_FROM: &str = "conversations c JOIN agents a ON a.id = c.agent_id
    JOIN users u ON u.id = a.owner_id
    LEFT JOIN agent_versions v ON v.agent_id = c.agent_id AND v.version = c.agent_version";

#[async_trait]
impl ConversationStore for Db {
    async fn create_conversation(&self, conversation: &ConversationRecord) -> Result<()> {
        let connection = self.connection().await?;
        connection
            .execute(
                "INSERT INTO conversations (id, user_id, agent_id, agent_version, title, inputs)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &conversation.id,
                    &conversation.user_id,
                    &conversation.agent_id,
                    &conversation.agent_version,
                    &conversation.title,
                    &serde_json::to_value(&conversation.inputs).unwrap_or_default(),
                ],
            )
            .await?;
        Ok(())
    }

    async fn find_conversation(
        &self,
        user_id: Uuid,
        id: Uuid,
    ) -> Result<Option<ConversationRecord>> {
        let connection = self.connection().await?;
        let row = connection
            .query_opt(
                &format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM {CONVERSATION_FROM}
                     WHERE c.id = $1 AND c.user_id = $2"
                ),
                &[&id, &user_id],
            )
            .await?;
        Ok(row.as_ref().map(conversation_from))
    }

    async fn list_conversations(
        &self,
        user_id: Uuid,
        limit: usize,
    ) -> Result<Vec<ConversationRecord>> {
        let connection = self.connection().await?;
        let limit = i64::try_from(limit).unwrap_or(100);
        let rows = connection
            .query(
                &format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM {CONVERSATION_FROM}
                     WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.id DESC LIMIT $2"
                ),
                &[&user_id, &limit],
            )
            .await?;
        Ok(rows.iter().map(conversation_from).collect())
    }

    async fn messages(&self, conversation_id: Uuid) -> Result<Vec<MessageRecord>> {
        let connection = self.connection().await?;
        let rows = connection
            .query(
                "SELECT m.id, m.role, m.content, m.run_id, m.status, m.created_at, r.model,
                        r.charged_micros, r.tool_uses
                 FROM messages m LEFT JOIN runs r ON r.id = m.run_id
                 WHERE m.conversation_id = $1 AND m.status <> 'superseded'
                 ORDER BY m.created_at, m.id",
                &[&conversation_id],
            )
            .await?;
        Ok(rows.iter().map(message_from).collect())
    }

    async fn delete_conversation(&self, user_id: Uuid, id: Uuid) -> Result<bool> {
        let connection = self.connection().await?;
        Ok(connection
            .execute(
                "DELETE FROM conversations WHERE id = $1 AND user_id = $2",
                &[&id, &user_id],
            )
            .await?
            > 0)
    }
}

fn conversation_from(row: &Row) -> ConversationRecord {
    ConversationRecord {
        id: row.get("id"),
        user_id: row.get("user_id"),
        agent_id: row.get("agent_id"),
        agent: row.get("agent"),
        agent_name: row
            .get::<_, Option<String>>("agent_name")
            .unwrap_or_default(),
        agent_version: row.get("agent_version"),
        title: row.get("title"),
        inputs: serde_json::from_value(row.get("inputs")).unwrap_or_default(),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

fn message_from(row: &Row) -> MessageRecord {
    MessageRecord {
        id: row.get("id"),
        role: match row.get::<_, &str>("role") {
            "assistant" => Role::Assistant,
            _ => Role::User,
        },
        content: row.get("content"),
        run_id: row.get("run_id"),
        status: row.get("status"),
        model: row.get("model"),
        charged_micros: row.get("charged_micros"),
        // A record the application wrote; one it cannot read shows no tool calls rather
        // than hiding the conversation.
        tool_uses: row
            .get::<_, Option<serde_json::Value>>("tool_uses")
            .and_then(|uses| serde_json::from_value(uses).ok())
            .unwrap_or_default(),
        created_at: row.get("created_at"),
    }
}
