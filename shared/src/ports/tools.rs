//! What agents' built-in tools reach outside Agora: public web pages.

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
