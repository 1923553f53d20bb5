//! Sending email (confirmation links), and reading the local development outbox.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One message to one recipient, in plain text and HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one link the message is about (a confirmation link), for the dev outbox's
    /// button; mail clients read it from the text and HTML.
    pub link: Option<String>,
}

/// A message the dev outbox kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMail {
    pub id: Uuid,
    pub sent_at: DateTime<Utc>,
    pub mail: OutgoingMail,
}

/// Why a message was not sent; never names the recipient or the link.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The provider refused this message (an unverified sender, a suppressed address).
    #[error("the mail provider refused the message: {0}")]
    Rejected(String),
    /// The provider could not be reached or failed; sending again later may work.
    #[error("the mail provider is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// The local development outbox: where mail goes when the process sends none for real.
pub trait MailOutbox: Send + Sync {
    /// Messages to `address` (compared case-insensitively), newest first.
    fn sent_to(&self, address: &str) -> Vec<SentMail>;
}
