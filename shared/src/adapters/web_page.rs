//! [`PageFetcher`] over HTTP: the `fetch_page` tool's one way out. Every address is checked
//! by the egress guard at connection time (public only, unless the operator allowed a
//! network for tools), a redirect is reported rather than followed (its target is checked
//! when the model fetches it), the body is read up to a byte cap, and HTML becomes text.

use std::time::Duration;

use async_trait::async_trait;

use super::egress::{self, EgressPolicy};
use crate::{
    Error,
    ports::{PageFetcher, WebPage},
};

/// The most bytes of a page read; the rest is never downloaded.
const MAX_PAGE_BYTES: usize = 2 << 20;
/// The width HTML is rendered to (wide: lines are for the model, not a terminal).
const TEXT_WIDTH: usize = 400;

pub struct GuardedPageFetcher {
    client: reqwest::Client,
    policy: EgressPolicy,
}

impl GuardedPageFetcher {
    /// Pages reachable under `policy`, each fetched within `timeout`.
    pub fn new(policy: EgressPolicy, timeout: Duration) -> Result<Self, Error> {
        Ok(Self {
            client: egress::guarded_client(policy.clone(), timeout)?,
            policy,
        })
    }
}

#[async_trait]
impl PageFetcher for GuardedPageFetcher {
    async fn fetch(&self, url: &str, max_chars: usize) -> Result<WebPage, String> {
        let checked = self
            .policy
            .check_url(url)
            .map_err(|problem| format!("the address {problem}"))?;
        let mut response = self
            .client
            .get(checked.clone())
            .header("accept", "text/html, text/plain;q=0.9, */*;q=0.1")
            .send()
            .await
            .map_err(|error| format!("cannot fetch the page: {}", egress::describe(&error)))?;
        let status = response.status();
        if status.is_redirection() {
            let target = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .and_then(|location| checked.join(location).ok())
                .map_or_else(|| "another address".to_owned(), |target| target.to_string());
            return Err(format!(
                "the page moved to {target}; fetch that address instead"
            ));
        }
        if !status.is_success() {
            return Err(format!("the page answered HTTP {}", status.as_u16()));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let media = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        let is_html = matches!(media.as_str(), "text/html" | "application/xhtml+xml");
        if !(is_html || media.starts_with("text/") || media == "application/json") {
            return Err(format!(
                "the address is not a web page ({}); only HTML and text are read",
                if media.is_empty() {
                    "no content type"
                } else {
                    media.as_str()
                }
            ));
        }
        let mut body = Vec::new();
        let mut cut = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| format!("the page broke off: {}", egress::describe(&error)))?
        {
            let room = MAX_PAGE_BYTES.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(chunk.get(..room).unwrap_or_default());
                cut = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        let text = if is_html {
            html2text::from_read(body.as_slice(), TEXT_WIDTH)
                .map_err(|error| format!("the page's HTML cannot be read: {error}"))?
        } else {
            String::from_utf8_lossy(&body).into_owned()
        };
        let kept: String = text.chars().take(max_chars).collect();
        let truncated = cut || kept.len() < text.len();
        Ok(WebPage {
            url: checked.to_string(),
            content_type: media,
            text: kept,
            truncated,
        })
    }
}
