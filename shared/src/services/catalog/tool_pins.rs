//! Pinning an agent's MCP tools: when a draft is saved, each tool it lists from one of the
//! creator's MCP servers gets the description and input schema the server gives now. A
//! published version keeps them, so a server that changes a tool later cannot change what
//! a version offers its model (the run refuses the changed tool and says why).

use super::{CatalogService, drafts::prefixed};
use crate::{
    Error, Result,
    domain::{AgentSpec, Caller, FieldError, agent_tools::AgentTool},
    ports::McpServer,
};

impl CatalogService {
    /// Fills in the pinned tools of `spec`'s MCP servers from the servers, or says what is
    /// wrong (an unknown server, one that cannot be reached, a tool it does not have) at
    /// the field's path under `prefix`.
    pub(super) async fn pin_mcp_tools(
        &self,
        caller: &Caller,
        spec: &mut AgentSpec,
        prefix: &str,
    ) -> Result<()> {
        let Some(owner_id) = caller.user_id() else {
            return Ok(());
        };
        let field = |path: String| prefixed(prefix, &path);
        let mut errors = Vec::new();
        for (index, tool) in spec.tools.iter_mut().enumerate() {
            let AgentTool::Mcp { server, tools } = tool else {
                continue;
            };
            let Some((url, token, _)) = self.ports.credentials.mcp_server(owner_id, server).await?
            else {
                errors.push(FieldError::new(
                    field(format!("tools[{index}].server")),
                    format!(
                        "you have no MCP server named `{server}`; add it with POST /v1/me/provider-keys (provider `mcp_server`)"
                    ),
                ));
                continue;
            };
            let listed = match self.ports.mcp.list_tools(&McpServer { url, token }).await {
                Ok(listed) => listed,
                Err(problem) => {
                    errors.push(FieldError::new(
                        field(format!("tools[{index}].server")),
                        problem,
                    ));
                    continue;
                }
            };
            for (position, pinned) in tools.iter_mut().enumerate() {
                match listed.iter().find(|listed| listed.name == pinned.name) {
                    Some(now) if jsonschema::validator_for(&now.input_schema).is_err() => {
                        errors.push(FieldError::new(
                            field(format!("tools[{index}].tools[{position}].name")),
                            format!(
                                "`{server}` describes `{}` with an input schema Agora cannot check arguments against",
                                pinned.name
                            ),
                        ));
                    }
                    Some(now) => {
                        pinned.description.clone_from(&now.description);
                        pinned.input_schema = now.input_schema.clone();
                    }
                    None => {
                        let names: Vec<&str> =
                            listed.iter().map(|tool| tool.name.as_str()).collect();
                        errors.push(FieldError::new(
                            field(format!("tools[{index}].tools[{position}].name")),
                            format!(
                                "`{server}` has no tool `{}`; it has: {}",
                                pinned.name,
                                names.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }
}
