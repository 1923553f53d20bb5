//! Conversations with an agent: the version is pinned when the conversation starts, each
//! reply is a run through the metering chokepoint with the history so far, and a reply can
//! be regenerated (the last answer is superseded, not deleted: its run stays on record).

use std::{collections::BTreeMap, sync::Arc};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::{
        AgentAddress, Caller, VersionChoice,
        llm::{Message, Role, ToolChoice},
    },
    ports::{Clock, ConversationRecord, ConversationStore, MessageRecord, NewMessage, RunSource},
    services::runs::{ActiveRun, ConversationTurn, RunRequest, RunService, prompt},
};

/// The most conversations one listing returns.
pub const MAX_LISTED: usize = 100;

pub struct ConversationService {
    store: Arc<dyn ConversationStore>,
    runs: Arc<RunService>,
    clock: Arc<dyn Clock>,
}

/// A conversation with its messages.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub conversation: ConversationEntry,
    /// Oldest first; regenerated answers are left out.
    pub messages: Vec<MessageView>,
}

/// Options of one reply.
#[derive(Clone, Debug, Default)]
pub struct ReplyOptions {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub stream: bool,
}

impl ConversationService {
    pub fn new(
        store: Arc<dyn ConversationStore>,
        runs: Arc<RunService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { store, runs, clock }
    }

    /// Starts a conversation with `agent`, pinned to its version (the latest published one
    /// by default), with its input fields filled in.
    pub async fn create(
        &self,
        caller: &Caller,
        agent: &AgentAddress,
        inputs: BTreeMap<String, serde_json::Value>,
    ) -> Result<ConversationRecord> {
        let user_id = caller.user()?.user_id;
        let target = self.runs.resolve(caller, agent).await?;
        prompt::system_prompt(&target.spec, &inputs)?;
        let now = self.clock.now();
        let record = ConversationRecord {
            id: Uuid::now_v7(),
            user_id,
            agent_id: target.record.id,
            agent: target.address,
            agent_name: target.spec.name.clone(),
            agent_version: target.version,
            title: String::new(),
            inputs,
            created_at: now,
            updated_at: now,
        };
        self.store.create_conversation(&record).await?;
        Ok(record)
    }

    pub async fn list(&self, caller: &Caller) -> Result<Vec<ConversationRecord>> {
        let user_id = caller.user()?.user_id;
        self.store.list_conversations(user_id, MAX_LISTED).await
    }

    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<ConversationView> {
        let conversation = self.find(caller, id).await?;
        let messages = self.store.messages(id).await?;
        Ok(ConversationView {
            conversation: conversation.into(),
            messages: messages.into_iter().map(Into::into).collect(),
        })
    }

    pub async fn delete(&self, caller: &Caller, id: Uuid) -> Result<()> {
        let user_id = caller.user()?.user_id;
        if self.store.delete_conversation(user_id, id).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    /// Sends the user's message and starts the agent's answer.
    pub async fn reply(
        &self,
        caller: &Caller,
        id: Uuid,
        run_id: Uuid,
        content: String,
        options: ReplyOptions,
    ) -> Result<ActiveRun> {
        let conversation = self.find(caller, id).await?;
        let mut messages = self.history(id, false).await?;
        messages.push(Message::new(Role::User, content.clone()));
        let question = NewMessage {
            id: Uuid::now_v7(),
            conversation_id: id,
            content,
        };
        self.run(
            caller,
            &conversation,
            run_id,
            messages,
            Some(question),
            None,
            options,
        )
        .await
    }

    /// Answers the last question again. The previous answer is superseded only once the
    /// new run is admitted, in the same transaction: a refused start (no credits, too many
    /// runs) leaves the conversation as it was.
    pub async fn regenerate(
        &self,
        caller: &Caller,
        id: Uuid,
        run_id: Uuid,
        options: ReplyOptions,
    ) -> Result<ActiveRun> {
        let conversation = self.find(caller, id).await?;
        let mut records = self.store.messages(id).await?;
        let supersedes = match records.as_slice() {
            [.., question, answer]
                if question.role == Role::User && answer.role == Role::Assistant =>
            {
                Some(answer.id)
            }
            // A question whose answer was never written: answer it again.
            [.., question] if question.role == Role::User => None,
            _ => {
                return Err(Error::Conflict(
                    "This conversation has no question to answer again; send a message first."
                        .into(),
                ));
            }
        };
        if supersedes.is_some() {
            records.pop();
        }
        let messages = history_of(records, true);
        self.run(
            caller,
            &conversation,
            run_id,
            messages,
            None,
            supersedes,
            options,
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one turn of one conversation: all needed"
    )]
    async fn run(
        &self,
        caller: &Caller,
        conversation: &ConversationRecord,
        run_id: Uuid,
        messages: Vec<Message>,
        question: Option<NewMessage>,
        supersedes: Option<Uuid>,
        options: ReplyOptions,
    ) -> Result<ActiveRun> {
        let agent = AgentAddress::parse(&conversation.agent)
            .map_err(|_| Error::Internal("a conversation's agent has no handle".into()))?
            .at(conversation
                .agent_version
                .map_or(VersionChoice::Draft, VersionChoice::Number));
        let request = RunRequest {
            id: run_id,
            agent,
            messages,
            inputs: conversation.inputs.clone(),
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            max_tokens: options.max_tokens,
            temperature: options.temperature,
            top_p: None,
            stream: options.stream,
            source: RunSource::Chat,
            conversation: Some(ConversationTurn {
                id: conversation.id,
                question,
                answer_id: Uuid::now_v7(),
                supersedes,
            }),
        };
        self.runs.start(caller, request).await
    }

    /// The messages so far, as the model sees them (see [`history_of`]).
    async fn history(&self, id: Uuid, keep_last_question: bool) -> Result<Vec<Message>> {
        Ok(history_of(
            self.store.messages(id).await?,
            keep_last_question,
        ))
    }

    async fn find(&self, caller: &Caller, id: Uuid) -> Result<ConversationRecord> {
        let user_id = caller.user()?.user_id;
        self.store
            .find_conversation(user_id, id)
            .await?
            .ok_or_else(not_found)
    }
}

/// The messages so far, as the model sees them: answers that failed before saying
/// anything are left out, and so is the question they answered. A trailing question is
/// kept only when it is the one to answer again.
fn history_of(records: Vec<crate::ports::MessageRecord>, keep_last_question: bool) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    for message in records {
        match message.role {
            Role::Assistant if message.content.is_empty() => {
                if messages.last().is_some_and(|last| last.role == Role::User) {
                    messages.pop();
                }
            }
            role => messages.push(Message::new(role, message.content)),
        }
    }
    // A question left unanswered (its run never finished) is dropped, so roles keep
    // alternating.
    if !keep_last_question && messages.last().is_some_and(|last| last.role == Role::User) {
        messages.pop();
    }
    messages
}

fn not_found() -> Error {
    Error::NotFound("You have no conversation with this id.".into())
}

/// A conversation as listed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ConversationRecord)]
pub struct ConversationEntry {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    /// `handle/slug`.
    pub agent: String,
    pub agent_name: String,
    pub agent_version: Option<i32>,
    pub title: String,
    /// The agent's input fields, as given when the conversation started.
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub inputs: std::collections::BTreeMap<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ConversationRecord> for ConversationEntry {
    fn from(record: ConversationRecord) -> Self {
        Self {
            id: record.id,
            user_id: record.user_id,
            agent_id: record.agent_id,
            agent: record.agent,
            agent_name: record.agent_name,
            agent_version: record.agent_version,
            title: record.title,
            inputs: record.inputs,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MessageRecord)]
pub struct MessageView {
    pub id: Uuid,
    pub role: crate::domain::llm::Role,
    pub content: String,
    pub run_id: Option<Uuid>,
    /// `complete`, `stopped`, `failed` or `superseded` (regenerated).
    pub status: String,
    /// Of an answer: the model that wrote it and what it cost, in micro-credits.
    pub model: Option<String>,
    pub charged_micros: Option<i64>,
    /// Of an answer: the calls its run made to the agent's tools, in order.
    pub tool_uses: Vec<crate::domain::agent_tools::ToolUse>,
    pub created_at: DateTime<Utc>,
}

impl From<MessageRecord> for MessageView {
    fn from(record: MessageRecord) -> Self {
        Self {
            id: record.id,
            role: record.role,
            content: record.content,
            run_id: record.run_id,
            status: record.status,
            model: record.model,
            charged_micros: record.charged_micros,
            tool_uses: record.tool_uses,
            created_at: record.created_at,
        }
    }
}
