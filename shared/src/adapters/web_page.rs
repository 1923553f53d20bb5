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
        // Rendering is CPU work on untrusted input: off the async threads, so a slow page
        // holds a blocking thread, never the server, and the tool's timeout still ends it
        // for the run.
        let text = tokio::task::spawn_blocking(move || text_of(&body, is_html))
            .await
            .map_err(|_| "the page's HTML cannot be read".to_owned())??;
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

/// A page's text: HTML's text content, anything else read as UTF-8.
fn text_of(body: &[u8], is_html: bool) -> Result<String, String> {
    let text = String::from_utf8_lossy(body);
    if !is_html {
        return Ok(text.into_owned());
    }
    Ok(html_text(&text))
}

/// The text of an HTML document, by the HTML5 tokenizer (html5ever's, the one browsers'
/// algorithm specifies) in one pass: no tree is built, so a hostile page (deep nesting,
/// endless tables, broken markup) costs time linear in its size, never a stack or a layout.
/// Scripts, styles and templates are skipped; block elements start new lines.
fn html_text(html: &str) -> String {
    use html5ever::{
        tendril::StrTendril,
        tokenizer::{
            BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
            states::RawKind,
        },
    };
    use std::cell::{Cell, RefCell};

    struct Sink {
        out: RefCell<String>,
        /// Inside a script, style or the like.
        hidden: Cell<bool>,
    }

    impl Sink {
        fn push_text(&self, text: &str) {
            let mut out = self.out.borrow_mut();
            for word in text.split_whitespace() {
                if !out.is_empty() && !out.ends_with(['\n', ' ']) {
                    out.push(' ');
                }
                out.push_str(word);
            }
            if text.ends_with(char::is_whitespace) && !out.ends_with(['\n', ' ']) && !out.is_empty()
            {
                out.push(' ');
            }
        }

        fn new_line(&self) {
            let mut out = self.out.borrow_mut();
            while out.ends_with(' ') {
                out.pop();
            }
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
        }
    }

    impl TokenSink for Sink {
        type Handle = ();

        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            match token {
                Token::CharacterTokens(text) if !self.hidden.get() => self.push_text(&text),
                Token::TagToken(tag) => {
                    let name: &str = &tag.name;
                    let hidden = matches!(
                        name,
                        "script" | "style" | "template" | "noscript" | "svg" | "head"
                    );
                    match (tag.kind, hidden) {
                        (TagKind::StartTag, true) if !tag.self_closing => {
                            self.hidden.set(true);
                            return match name {
                                "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                                "style" | "noscript" => TokenSinkResult::RawData(RawKind::Rawtext),
                                _ => TokenSinkResult::Continue,
                            };
                        }
                        (TagKind::EndTag, true) => self.hidden.set(false),
                        _ => {}
                    }
                    if matches!(
                        name,
                        "p" | "div"
                            | "br"
                            | "li"
                            | "ul"
                            | "ol"
                            | "tr"
                            | "table"
                            | "section"
                            | "article"
                            | "header"
                            | "footer"
                            | "nav"
                            | "main"
                            | "aside"
                            | "blockquote"
                            | "pre"
                            | "h1"
                            | "h2"
                            | "h3"
                            | "h4"
                            | "h5"
                            | "h6"
                            | "hr"
                            | "dt"
                            | "dd"
                            | "figcaption"
                            | "title"
                    ) {
                        self.new_line();
                    } else if matches!(name, "td" | "th") {
                        self.push_text(" ");
                    }
                }
                _ => {}
            }
            TokenSinkResult::Continue
        }
    }

    let tokenizer = Tokenizer::new(
        Sink {
            out: RefCell::new(String::new()),
            hidden: Cell::new(false),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let text = tokenizer.sink.out.take();
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text_without_markup_or_scripts() {
        let text = text_of(
            b"<html><head><script>steal()</script><style>p{}</style></head><body><h1>Hours</h1><p>Open <b>9</b> to 17.</p></body></html>",
            true,
        )
        .unwrap();
        assert!(
            text.contains("Hours") && text.contains("Open 9 to 17."),
            "{text}"
        );
        assert!(!text.contains("steal()") && !text.contains('<'), "{text}");
    }

    #[test]
    fn hostile_html_is_read_without_a_crash() {
        // Deep nesting, unclosed tags and broken bytes, at the size a page may have.
        let deep = format!("{}text{}", "<div>".repeat(200_000), "</div>".repeat(10));
        assert_eq!(text_of(deep.as_bytes(), true).unwrap(), "text");
        let mut broken = b"<p>caf\xe9 <table><tr><td>".repeat(20_000);
        broken.extend_from_slice(&[0xff, 0xfe, 0x00]);
        assert!(text_of(&broken, true).is_ok());
        assert!(text_of(&[0xff, 0x00, 0xc3], false).is_ok());
    }
}
