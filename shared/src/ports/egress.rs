//! The guard on URLs users supply (their OpenAI-compatible endpoints now; tools, webhooks
//! and imports later): only public addresses, or the networks an operator allowed.

use async_trait::async_trait;

/// Which addresses a URL may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only: every user's URLs.
    Public,
    /// Public addresses and the networks the operator allowed (`AGORA_EGRESS_ALLOW`):
    /// URLs an administrator saved, for the operator's own models.
    PrivateNetworks,
}

#[async_trait]
pub trait UrlGuard: Send + Sync {
    /// Checks a URL's scheme, port and any IP literal, without a lookup: for a URL saved
    /// earlier, checked again before use (connections re-check every address anyway).
    fn check_shape(&self, raw: &str, reach: Reach) -> Result<(), String>;
    /// Checks a URL and every address its host resolves to now; returns it without a
    /// trailing slash. The message says what is wrong, for the user.
    async fn check(&self, raw: &str, reach: Reach) -> Result<String, String>;
}
