//! [`McpClient`] with the official Rust MCP SDK (`rmcp`) over Streamable HTTP, its requests
//! made by Agora's guarded HTTP client: every address the server's name resolves to is
//! checked at connection time, redirects are not followed, and each operation is bounded in
//! time. One session per operation (initialize, then list or call, then close): a run's
//! calls are few, and a server that forgets a session between calls cannot break a run.

use std::time::Duration;

use async_trait::async_trait;
use rmcp::{
    ServiceExt,
    model::{CallToolRequestParams, ContentBlock},
    service::{RoleClient, RunningService},
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};

use super::egress::{self, EgressPolicy};
use crate::{
    Error,
    ports::{McpClient, McpServer, McpToolAnswer, McpToolInfo},
};

pub struct RmcpClient {
    http: reqwest::Client,
    policy: EgressPolicy,
    timeout: Duration,
}

impl RmcpClient {
    /// Servers reachable under `policy`, each operation within `timeout`.
    pub fn new(policy: EgressPolicy, timeout: Duration) -> Result<Self, Error> {
        Ok(Self {
            http: egress::guarded_client(policy.clone(), timeout)?,
            policy,
            timeout,
        })
    }

    async fn connect(&self, server: &McpServer) -> Result<RunningService<RoleClient, ()>, String> {
        self.policy
            .check_url(&server.url)
            .map_err(|problem| format!("the MCP server's address {problem}"))?;
        let mut config = StreamableHttpClientTransportConfig::with_uri(server.url.clone());
        if let Some(token) = &server.token {
            config = config.auth_header(token.expose().to_owned());
        }
        let transport = StreamableHttpClientTransport::with_client(self.http.clone(), config);
        ().serve(transport).await.map_err(|error| {
            format!(
                "cannot start a session with the MCP server: {}",
                plain(&error.to_string(), server)
            )
        })
    }

    /// `operation` on a fresh session, within the timeout; the session is closed after.
    async fn within<T>(
        &self,
        server: &McpServer,
        operation: impl AsyncFnOnce(&RunningService<RoleClient, ()>) -> Result<T, String>,
    ) -> Result<T, String> {
        let work = async {
            let mut session = self.connect(server).await?;
            let outcome = operation(&session).await;
            let _ = session.close().await;
            outcome
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "the MCP server did not answer within {} seconds",
                    self.timeout.as_secs()
                ))
            })
    }
}

#[async_trait]
impl McpClient for RmcpClient {
    async fn list_tools(&self, server: &McpServer) -> Result<Vec<McpToolInfo>, String> {
        self.within(server, async |session| {
            let tools = session.list_all_tools().await.map_err(|error| {
                format!(
                    "the MCP server did not list its tools: {}",
                    plain(&error.to_string(), server)
                )
            })?;
            Ok(tools
                .into_iter()
                .map(|tool| McpToolInfo {
                    name: tool.name.into_owned(),
                    description: tool
                        .description
                        .map(|text| text.into_owned())
                        .unwrap_or_default(),
                    input_schema: serde_json::Value::Object((*tool.input_schema).clone()),
                })
                .collect())
        })
        .await
    }

    async fn call_tool(
        &self,
        server: &McpServer,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<McpToolAnswer, String> {
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        self.within(server, async move |session| {
            let result = session.call_tool(params).await.map_err(|error| {
                format!("the MCP tool failed: {}", plain(&error.to_string(), server))
            })?;
            let text: Vec<String> = result
                .content
                .iter()
                .map(|block| match block {
                    ContentBlock::Text(text) => text.text.clone(),
                    ContentBlock::Image(_) => "[an image, not shown to the model]".to_owned(),
                    ContentBlock::Audio(_) => "[audio, not given to the model]".to_owned(),
                    ContentBlock::Resource(_) | ContentBlock::ResourceLink(_) => {
                        "[a resource, not read]".to_owned()
                    }
                    // A kind of content newer than this client: not for the model.
                    _ => "[content of a kind Agora does not read]".to_owned(),
                })
                .collect();
            let text = match (text.is_empty(), &result.structured_content) {
                (true, Some(structured)) => structured.to_string(),
                _ => text.join("\n"),
            };
            Ok(McpToolAnswer {
                text,
                is_error: result.is_error.unwrap_or(false),
            })
        })
        .await
    }
}

/// An SDK error as a sentence without the server's token in it.
fn plain(message: &str, server: &McpServer) -> String {
    match &server.token {
        Some(token) if !token.expose().is_empty() => message.replace(token.expose(), "[token]"),
        _ => message.to_owned(),
    }
}
