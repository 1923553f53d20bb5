//! An agent's own tools in a run: which the model is offered, and each call made, bounded
//! in time and size: Agora's built-ins, and the pinned tools of the creator's MCP servers. A tool's result is data for the model, never an instruction to Agora:
//! nothing in it can name a tool the agent did not declare (only declared names run) or
//! widen where a tool may reach (the egress guard decides that, per address).

use std::{sync::Arc, time::Duration};

use tokio::{sync::OnceCell, time::Instant};
use uuid::Uuid;

use super::guard::PromptGuard;
use crate::{
    domain::{
        agent_tools::{AgentTool, BuiltinTool, PinnedTool, ToolOutcome, ToolUse, tool_specs},
        llm::{ToolCall, ToolResult, ToolSpec},
    },
    ports::{Clock, McpClient, McpServer, PageFetcher},
    services::credentials::CredentialService,
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
    pub mcp: Arc<dyn McpClient>,
    /// Where the creator's MCP servers (their URLs and tokens) are kept.
    pub credentials: Arc<CredentialService>,
    pub clock: Arc<dyn Clock>,
    /// How long one call may take.
    pub timeout: Duration,
}

/// The tools of one agent version.
pub struct AgentToolbox {
    tools: Vec<AgentTool>,
    /// The agent's owner, whose MCP servers its tools name.
    owner_id: Uuid,
    /// Per MCP server of `tools` (by position): the server, once looked up and its pinned
    /// tools checked against what it lists now (once per run).
    servers: Vec<OnceCell<Result<McpServer, String>>>,
    ports: ToolPorts,
}

impl AgentToolbox {
    pub fn new(tools: &[AgentTool], owner_id: Uuid, ports: ToolPorts) -> Self {
        Self {
            tools: tools.to_vec(),
            owner_id,
            servers: tools.iter().map(|_| OnceCell::new()).collect(),
            ports,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// What the model is offered.
    pub fn specs(&self) -> Vec<ToolSpec> {
        tool_specs(&self.tools)
    }

    /// Whether `name` is one of this agent's tools.
    pub fn owns(&self, name: &str) -> bool {
        self.specs().iter().any(|spec| spec.name == name)
    }

    /// Makes `call` (one of [`Self::owns`]), or refuses it when its arguments would carry
    /// the sealed prompt `guard` protects out of Agora. Never fails: a failure is a result
    /// that tells the model what went wrong. What it returns is unredacted: the caller
    /// redacts what users see.
    pub async fn call(
        &self,
        call: &ToolCall,
        guard: Option<&PromptGuard>,
    ) -> (ToolUse, ToolResult) {
        if guard.is_some_and(|guard| guard.redacted(&call.arguments) != call.arguments) {
            return Self::refused(
                call,
                "refused: the arguments contain the agent's confidential instructions".to_owned(),
            );
        }
        let started = Instant::now();
        let (outcome, content) =
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
            };
        let (mut tool_use, result) = Self::answered(call, outcome, limit(content));
        tool_use.latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        (tool_use, result)
    }

    /// A call Agora does not make, and why (told to the model as its result).
    pub fn refused(call: &ToolCall, content: String) -> (ToolUse, ToolResult) {
        Self::answered(call, ToolOutcome::Refused, content)
    }

    /// The record of `call` and the result the model gets.
    fn answered(call: &ToolCall, outcome: ToolOutcome, content: String) -> (ToolUse, ToolResult) {
        let tool_use = ToolUse {
            call: call.clone(),
            outcome,
            result_preview: content.chars().take(PREVIEW_CHARS).collect(),
            result_chars: u64::try_from(content.chars().count()).unwrap_or(u64::MAX),
            latency_ms: 0,
        };
        let result = ToolResult {
            call_id: call.id.clone(),
            content,
        };
        (tool_use, result)
    }

    async fn run(&self, call: &ToolCall) -> Result<String, String> {
        let arguments: serde_json::Value = serde_json::from_str(&call.arguments)
            .map_err(|_| "the arguments are not JSON; send a JSON object".to_owned())?;
        let Some(object) = arguments.as_object() else {
            return Err("the arguments must be a JSON object".into());
        };
        let Some((position, tool, spec)) =
            self.tools.iter().enumerate().find_map(|(position, tool)| {
                tool.specs()
                    .into_iter()
                    .find(|spec| spec.name == call.name)
                    .map(|spec| (position, tool, spec))
            })
        else {
            return Err(format!("there is no tool named {}", call.name));
        };
        // Checked against the tool's schema before anything runs: a tool never gets
        // arguments it did not declare.
        check_arguments(&spec.parameters, &arguments)?;
        let builtin = match tool {
            AgentTool::Builtin { name } => *name,
            AgentTool::Mcp { server, tools } => {
                let pinned = tools
                    .iter()
                    .find(|pinned| pinned.name == call.name)
                    .ok_or_else(|| format!("there is no tool named {}", call.name))?;
                return self
                    .call_mcp(position, server, tools, pinned, object.clone())
                    .await;
            }
        };
        match builtin {
            BuiltinTool::CurrentTime => {
                let now = self.ports.clock.now();
                Ok(format!(
                    "{} ({})",
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    now.format("%A")
                ))
            }
            BuiltinTool::FetchPage => {
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
        }
    }

    /// Calls `pinned` on the creator's MCP server `name` (the `position`th tool source).
    async fn call_mcp(
        &self,
        position: usize,
        name: &str,
        pinned_tools: &[PinnedTool],
        pinned: &PinnedTool,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, String> {
        let cell = self
            .servers
            .get(position)
            .ok_or("the tool's server is not known")?;
        let server = cell
            .get_or_init(|| self.checked_server(name, pinned_tools))
            .await
            .clone()?;
        let answer = self
            .ports
            .mcp
            .call_tool(&server, &pinned.name, arguments)
            .await?;
        if answer.is_error {
            return Err(format!("the tool reported an error: {}", answer.text));
        }
        Ok(answer.text)
    }

    /// The server `name` of the agent's owner, if its tools are still those pinned: a server
    /// that changed one since the version was published is not called.
    async fn checked_server(&self, name: &str, pinned: &[PinnedTool]) -> Result<McpServer, String> {
        let (url, token, _) = self
            .ports
            .credentials
            .mcp_server(self.owner_id, name)
            .await
            .map_err(|error| format!("the MCP server `{name}` cannot be used: {error}"))?
            .ok_or_else(|| {
                format!("the creator no longer has an MCP server named `{name}`; the agent's tools from it cannot run")
            })?;
        let server = McpServer { url, token };
        let listed = self.ports.mcp.list_tools(&server).await?;
        for tool in pinned {
            let now = listed.iter().find(|listed| listed.name == tool.name);
            match now {
                None => {
                    return Err(format!(
                        "the MCP server `{name}` no longer has the tool `{}`; the creator must publish a new version",
                        tool.name
                    ));
                }
                Some(now)
                    if now.input_schema != tool.input_schema
                        || now.description != tool.description =>
                {
                    return Err(format!(
                        "the MCP server `{name}` changed the tool `{}` since this version was published; it is not called until the creator publishes again",
                        tool.name
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(server)
    }
}

/// Whether `arguments` match the tool's JSON Schema; the error names the first field that
/// does not, for the model to correct.
pub fn check_arguments(
    schema: &serde_json::Value,
    arguments: &serde_json::Value,
) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|error| format!("the tool's schema cannot be used: {error}"))?;
    validator.validate(arguments).map_err(|error| {
        let path = error.instance_path().to_string();
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" at {path}")
        };
        format!("the arguments do not match the tool's schema{at}: {error}")
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_against_the_tools_schema_naming_what_is_wrong() {
        let fetch = BuiltinTool::FetchPage.spec().parameters;
        assert!(
            check_arguments(&fetch, &serde_json::json!({"url": "https://example.com"})).is_ok()
        );
        let missing = check_arguments(&fetch, &serde_json::json!({})).unwrap_err();
        assert!(missing.contains("url"), "{missing}");
        let extra = check_arguments(&fetch, &serde_json::json!({"url": "x", "method": "DELETE"}))
            .unwrap_err();
        assert!(extra.contains("method"), "{extra}");
        let typed = check_arguments(&fetch, &serde_json::json!({"url": 5})).unwrap_err();
        assert!(typed.contains("/url"), "{typed}");
        let broken_schema =
            serde_json::json!({"type": "object", "properties": {"a": {"type": "nonsense"}}});
        assert!(check_arguments(&broken_schema, &serde_json::json!({"a": 1})).is_err());
    }
}
