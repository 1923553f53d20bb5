//! An agent's own tools in a run: which the model is offered, and each call made, bounded
//! in time and size. A tool's result is data for the model, never an instruction to Agora:
//! nothing in it can name a tool the agent did not declare (only declared names run) or
//! widen where a tool may reach (the egress guard decides that, per address).

use std::{sync::Arc, time::Duration};

use tokio::time::Instant;

use super::guard::PromptGuard;
use crate::{
    domain::{
        agent_tools::{AgentTool, BuiltinTool, ToolOutcome, ToolUse, tool_specs},
        llm::{ToolCall, ToolResult, ToolSpec},
    },
    ports::{Clock, PageFetcher},
};

/// The most calls to an agent's tools in one run.
pub const MAX_TOOL_CALLS: usize = 10;
/// The most characters of one tool result the model gets.
pub const MAX_RESULT_CHARS: usize = 20_000;
/// The characters of a result kept on the run's record and shown in its events.
const PREVIEW_CHARS: usize = 600;

/// What the run's tools need from outside.
#[derive(Clone)]
pub struct ToolPorts {
    pub pages: Arc<dyn PageFetcher>,
    pub clock: Arc<dyn Clock>,
    /// How long one call may take.
    pub timeout: Duration,
}

/// The tools of one agent version.
pub struct AgentToolbox {
    builtins: Vec<BuiltinTool>,
    ports: ToolPorts,
}

impl AgentToolbox {
    pub fn new(tools: &[AgentTool], ports: ToolPorts) -> Self {
        let builtins = tools
            .iter()
            .map(|tool| match tool {
                AgentTool::Builtin { name } => *name,
            })
            .collect();
        Self { builtins, ports }
    }

    pub fn is_empty(&self) -> bool {
        self.builtins.is_empty()
    }

    /// What the model is offered.
    pub fn specs(&self) -> Vec<ToolSpec> {
        let tools: Vec<AgentTool> = self
            .builtins
            .iter()
            .map(|name| AgentTool::Builtin { name: *name })
            .collect();
        tool_specs(&tools)
    }

    /// Whether `name` is one of this agent's tools.
    pub fn owns(&self, name: &str) -> bool {
        BuiltinTool::from_name(name).is_some_and(|tool| self.builtins.contains(&tool))
    }

    /// Makes `call` (one of [`Self::owns`]), or refuses it when its arguments would carry
    /// the sealed prompt `guard` protects out of Agora. Never fails: a failure is a result
    /// that tells the model what went wrong.
    pub async fn call(
        &self,
        call: &ToolCall,
        guard: Option<&PromptGuard>,
    ) -> (ToolUse, ToolResult) {
        let started = Instant::now();
        let leaks = guard.is_some_and(|guard| guard.redacted(&call.arguments) != call.arguments);
        let (outcome, content) = if leaks {
            (
                ToolOutcome::Refused,
                "refused: the arguments contain the agent's confidential instructions".to_owned(),
            )
        } else {
            match tokio::time::timeout(self.ports.timeout, self.run(call)).await {
                Ok(Ok(content)) => (ToolOutcome::Ok, content),
                Ok(Err(problem)) => (ToolOutcome::Error, format!("error: {problem}")),
                Err(_) => (
                    ToolOutcome::Error,
                    format!(
                        "error: the tool did not answer within {} seconds",
                        self.ports.timeout.as_secs()
                    ),
                ),
            }
        };
        let content = limit(content);
        let shown = ToolCall {
            arguments: guard.map_or_else(
                || call.arguments.clone(),
                |guard| guard.redacted(&call.arguments),
            ),
            ..call.clone()
        };
        let preview = guard.map_or_else(
            || content.chars().take(PREVIEW_CHARS).collect(),
            |guard| guard.redacted(&content.chars().take(PREVIEW_CHARS).collect::<String>()),
        );
        let tool_use = ToolUse {
            call: shown,
            outcome,
            result_preview: preview,
            result_chars: u64::try_from(content.chars().count()).unwrap_or(u64::MAX),
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let result = ToolResult {
            call_id: call.id.clone(),
            content,
        };
        (tool_use, result)
    }

    /// A call Agora does not make: the run's limit of calls is reached.
    pub fn over_limit(call: &ToolCall) -> (ToolUse, ToolResult) {
        let content = format!(
            "refused: this run has made its {MAX_TOOL_CALLS} tool calls; answer with what you have"
        );
        (
            ToolUse {
                call: call.clone(),
                outcome: ToolOutcome::Refused,
                result_preview: content.clone(),
                result_chars: u64::try_from(content.len()).unwrap_or(u64::MAX),
                latency_ms: 0,
            },
            ToolResult {
                call_id: call.id.clone(),
                content,
            },
        )
    }

    async fn run(&self, call: &ToolCall) -> Result<String, String> {
        let arguments: serde_json::Value = serde_json::from_str(&call.arguments)
            .map_err(|_| "the arguments are not JSON; send a JSON object".to_owned())?;
        let Some(arguments) = arguments.as_object() else {
            return Err("the arguments must be a JSON object".into());
        };
        match BuiltinTool::from_name(&call.name) {
            Some(BuiltinTool::CurrentTime) => {
                let now = self.ports.clock.now();
                Ok(format!(
                    "{} ({})",
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    now.format("%A")
                ))
            }
            Some(BuiltinTool::FetchPage) => {
                let url = arguments
                    .get("url")
                    .and_then(serde_json::Value::as_str)
                    .ok_or("send {\"url\": \"https://...\"}")?;
                let page = self.ports.pages.fetch(url, MAX_RESULT_CHARS).await?;
                let note = if page.truncated {
                    "\n[the page goes on; the rest was cut]"
                } else {
                    ""
                };
                Ok(format!("{}\n\n{}{note}", page.url, page.text))
            }
            None => Err(format!("there is no tool named {}", call.name)),
        }
    }
}

/// At most [`MAX_RESULT_CHARS`] characters.
fn limit(content: String) -> String {
    if content.chars().count() <= MAX_RESULT_CHARS {
        return content;
    }
    let mut kept: String = content.chars().take(MAX_RESULT_CHARS).collect();
    kept.push_str("\n[cut: the result was longer]");
    kept
}
