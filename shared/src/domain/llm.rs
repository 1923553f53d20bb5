//! The normalised language-model call every provider adapter speaks: a request (messages,
//! tools, parameters) and a stream of events (text deltas, tool calls, usage, finish).
//!
//! Provider wire formats never leave their adapter; services see only these types.

use serde::{Deserialize, Serialize};

use super::FieldError;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MessageRole)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One message of a conversation, as a provider receives it. An assistant message may
/// carry the tool calls the model made (its text may then be empty); the user message
/// after it carries their results, as Anthropic and Bedrock put them (each adapter renders
/// them in its provider's format: OpenAI's are `tool` messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_results: Vec<ToolResult>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_results: Vec::new(),
        }
    }

    /// The characters a message sends: its text, its calls' names and arguments, its
    /// results.
    pub fn chars(&self) -> usize {
        let calls: usize = self
            .tool_calls
            .iter()
            .map(|call| call.name.chars().count() + call.arguments.chars().count())
            .sum();
        let results: usize = self
            .tool_results
            .iter()
            .map(|result| result.content.chars().count())
            .sum();
        self.content.chars().count() + calls + results
    }

    /// The bytes a message sends, ids included (for the input-token bound).
    fn bytes(&self) -> usize {
        let calls: usize = self
            .tool_calls
            .iter()
            .map(|call| call.id.len() + call.name.len() + call.arguments.len())
            .sum();
        let results: usize = self
            .tool_results
            .iter()
            .map(|result| result.call_id.len() + result.content.len())
            .sum();
        self.content.len() + calls + results
    }
}

/// A call the model made to a tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolCall {
    /// The provider's id of the call, which its result quotes.
    pub id: String,
    pub name: String,
    /// The arguments as the model wrote them: JSON text, not validated by the provider.
    pub arguments: String,
}

/// What a tool answered to one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The [`ToolCall::id`] this answers.
    pub call_id: String,
    pub content: String,
}

/// Whether and which tool the model must call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// No tool: an answer in text.
    None,
    /// At least one tool call.
    Required,
    /// This tool.
    Named(String),
}

/// A tool the model may call (a JSON Schema for its arguments).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// Sampling parameters; `None` leaves the provider's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Always set on a call: the worst-case cost is computed from it.
    pub max_tokens: u32,
}

/// Checks sampling parameters a caller asked for: `temperature` 0 to 2, `top_p` above 0 and
/// at most 1 (the range every provider accepts).
pub fn check_sampling(temperature: Option<f64>, top_p: Option<f64>) -> Result<(), FieldError> {
    if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        return Err(FieldError::new("temperature", "must be 0 to 2"));
    }
    if top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
        return Err(FieldError::new("top_p", "must be above 0 and at most 1"));
    }
    Ok(())
}

/// One call to one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    /// The provider's own model id (`gpt-4o-mini`, `anthropic.claude-3-5-haiku-...`).
    pub model: String,
    /// The system prompt, kept apart: Anthropic and Bedrock take it outside the messages.
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    /// Ignored without tools.
    pub tool_choice: ToolChoice,
    pub sampling: Sampling,
    /// Stream the answer (the provider's streaming API) or take it whole.
    pub stream: bool,
}

/// Tokens as the provider counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Why the model stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The answer is complete.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The model asked for a tool.
    ToolCalls,
    /// The provider withheld content.
    ContentFilter,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::ContentFilter => "content_filter",
        }
    }
}

/// One event of a model's answer, in order: deltas and tool calls, then usage, then finish
/// (usage and finish may come in either order; an adapter yields each at most once).
#[derive(Clone, Debug, PartialEq)]
pub enum LlmEvent {
    TextDelta(String),
    ToolCall {
        id: String,
        name: String,
        /// The arguments as the model wrote them (JSON text, not yet validated).
        arguments: String,
    },
    Usage(Usage),
    Finish(FinishReason),
}

/// Why a provider call failed; decides retry and fallback.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 429: wait `retry_after` (when the provider said) and retry.
    #[error("rate limited by the provider")]
    RateLimited {
        retry_after: Option<std::time::Duration>,
    },
    /// 5xx, overloaded, or the connection failed: retry, then fall back.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// No answer (or no next event) within the budget.
    #[error("the provider did not answer in time")]
    Timeout,
    /// An answer Agora cannot use: malformed or truncated stream, impossible usage,
    /// oversized body, a redirect. Never billed from, never trusted.
    #[error("the provider's answer is invalid: {0}")]
    Invalid(String),
    /// The provider refused the request itself (400, 401, 403, 404): retrying the same
    /// request cannot help; another model may.
    #[error("the provider refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
}

/// How a run failed at its provider: the last segment of the problem type the caller gets,
/// and what the run record keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RunFailure {
    /// An answer Agora cannot use; nothing unusable is billed as an answer.
    UpstreamInvalid,
    /// No answer in time.
    UpstreamTimeout,
    /// The provider is unavailable or rate limited; retry in a moment.
    UpstreamUnavailable,
    /// The provider refused the request itself.
    UpstreamRefused,
    /// The process running it stopped; the maintenance job ended it unbilled.
    Abandoned,
    /// The model kept calling the agent's tools past the run's limits (calls, turns, or
    /// what its hold covers); billed for what the model did, not the agent's price.
    ToolCallLimit,
}

impl RunFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpstreamInvalid => "upstream-invalid",
            Self::UpstreamTimeout => "upstream-timeout",
            Self::UpstreamUnavailable => "upstream-unavailable",
            Self::UpstreamRefused => "upstream-refused",
            Self::Abandoned => "abandoned",
            Self::ToolCallLimit => "tool-call-limit",
        }
    }

    /// A stored kind; anything unknown counts as an unusable answer.
    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "upstream-timeout" => Self::UpstreamTimeout,
            "upstream-unavailable" => Self::UpstreamUnavailable,
            "upstream-refused" => Self::UpstreamRefused,
            "abandoned" => Self::Abandoned,
            "tool-call-limit" => Self::ToolCallLimit,
            _ => Self::UpstreamInvalid,
        }
    }
}

impl From<&ProviderError> for RunFailure {
    fn from(error: &ProviderError) -> Self {
        match error {
            ProviderError::Invalid(_) => Self::UpstreamInvalid,
            ProviderError::Timeout => Self::UpstreamTimeout,
            ProviderError::RateLimited { .. } | ProviderError::Unavailable(_) => {
                Self::UpstreamUnavailable
            }
            ProviderError::Refused { .. } => Self::UpstreamRefused,
        }
    }
}

impl ProviderError {
    /// Whether the same call may succeed if made again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Unavailable(_) | Self::Timeout => true,
            Self::Invalid(_) | Self::Refused { .. } => false,
        }
    }

    /// A stable name for run records and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Timeout => "timeout",
            Self::Invalid(_) => "invalid",
            Self::Refused { .. } => "refused",
        }
    }
}

/// Whether a provider's usage figures are believable for a request: never negative (they
/// fail to parse before this), output within `max_tokens` (a few tokens of slack for
/// providers that count a stop token), input within a generous multiple of the byte bound
/// (providers add framing of their own). Anything beyond is a broken or lying provider,
/// and is not billed from; a believable count above the hold is charged at the hold.
pub fn plausible_usage(usage: &Usage, input_bound: u64, max_tokens: u32) -> bool {
    usage.input_tokens <= input_bound.saturating_mul(4).saturating_add(1024)
        && usage.output_tokens <= u64::from(max_tokens) + 8
}

/// An upper bound on the input tokens of a request. Every tokenizer Agora's providers use
/// emits at least one byte per token (byte-level BPE), so the bytes bound the tokens; each
/// message adds a few tokens of framing.
pub fn input_token_bound(request: &LlmRequest) -> u64 {
    const FRAMING_PER_MESSAGE: u64 = 8;
    let system = request
        .system
        .as_ref()
        .map_or(0, |text| text.len() as u64 + FRAMING_PER_MESSAGE);
    let tools: u64 = request
        .tools
        .iter()
        .map(|tool| {
            (tool.name.len() + tool.description.len() + tool.parameters.to_string().len()) as u64
                + FRAMING_PER_MESSAGE
        })
        .sum();
    let messages: u64 = request
        .messages
        .iter()
        .map(|message| {
            let framing = FRAMING_PER_MESSAGE
                * (1 + message.tool_calls.len() as u64 + message.tool_results.len() as u64);
            message.bytes() as u64 + framing
        })
        .sum();
    system + tools + messages + FRAMING_PER_MESSAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(system: &str, messages: &[&str]) -> LlmRequest {
        LlmRequest {
            model: "m".into(),
            system: Some(system.into()),
            messages: messages
                .iter()
                .map(|text| Message::new(Role::User, *text))
                .collect(),
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            sampling: Sampling {
                max_tokens: 100,
                ..Sampling::default()
            },
            stream: false,
        }
    }

    #[test]
    fn the_input_bound_covers_every_byte_and_the_framing() {
        let bound = input_token_bound(&request("be brief", &["hello", "héllo"]));
        assert_eq!(bound, 8 + 8 + 5 + 8 + 6 + 8 + 8);
    }

    #[test]
    fn the_input_bound_covers_tool_calls_and_results_with_their_ids() {
        let mut asked = Message::new(Role::Assistant, "");
        asked.tool_calls.push(ToolCall {
            id: "c1".into(),
            name: "weather".into(),
            arguments: r#"{"city":"Oslo"}"#.into(),
        });
        let mut answered = Message::new(Role::User, "");
        answered.tool_results.push(ToolResult {
            call_id: "c1".into(),
            content: "4 °C".into(),
        });
        let mut request = request("", &[]);
        request.system = None;
        request.messages = vec![asked, answered];
        let call = 2 + 7 + 15;
        let result = 2 + "4 °C".len() as u64;
        assert_eq!(input_token_bound(&request), (call + 16) + (result + 16) + 8);
    }

    #[test]
    fn usage_far_beyond_the_request_is_implausible() {
        let bound = 50;
        let usage = |input_tokens, output_tokens| Usage {
            input_tokens,
            output_tokens,
        };
        assert!(plausible_usage(&usage(1224, 108), bound, 100));
        assert!(!plausible_usage(&usage(1225, 1), bound, 100));
        assert!(!plausible_usage(&usage(1, 109), bound, 100));
        assert!(!plausible_usage(&usage(u64::MAX, 1), bound, 100));
    }
}
