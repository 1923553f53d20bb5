//! What agents' tools reach outside Agora: public web pages, and MCP servers.

use async_trait::async_trait;

/// A web page as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebPage {
    /// The address fetched (after its check).
    pub url: String,
    pub content_type: String,
    /// The page's text (HTML rendered to text), at most the characters asked for.
    pub text: String,
    /// Whether the page was longer than what is kept.
    pub truncated: bool,
}

#[async_trait]
pub trait PageFetcher: Send + Sync {
    /// Fetches `url` through the egress guard (public addresses only, no redirects
    /// followed, bounded time and size) as at most `max_chars` characters of text. The
    /// error says what went wrong in words the model (and the user) can act on.
    async fn fetch(&self, url: &str, max_chars: usize) -> Result<WebPage, String>;
}

/// An MCP server as the creator saved it.
#[derive(Clone, Debug)]
pub struct McpServer {
    pub url: String,
    /// Sent as a bearer token, to this server only.
    pub token: Option<crate::domain::secret::SecretString>,
}

/// A tool as an MCP server lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct McpToolInfo {
    pub name: String,
    pub description: String,
    pub input_schema: serde_json::Value,
}

/// What an MCP tool answered: its text content, and whether it reported an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpToolAnswer {
    pub text: String,
    pub is_error: bool,
}

/// A client of MCP servers (Streamable HTTP), through the egress guard. Errors say what
/// went wrong in words the creator (or the model) can act on, never with the token.
#[async_trait]
pub trait McpClient: Send + Sync {
    async fn list_tools(&self, server: &McpServer) -> Result<Vec<McpToolInfo>, String>;
    async fn call_tool(
        &self,
        server: &McpServer,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<McpToolAnswer, String>;
}
