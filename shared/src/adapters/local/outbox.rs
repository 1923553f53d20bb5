//! The dev outbox: mail kept in this process instead of sent, for the local server (where
//! no mail provider is configured) and the tests. The web UI shows each user the mail
//! addressed to them; nothing is ever delivered.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use uuid::Uuid;

use crate::ports::{Clock, MailError, MailOutbox, Mailer, OutgoingMail, SentMail};

/// Messages kept; older ones are dropped first.
const KEPT: usize = 500;

#[derive(Clone)]
pub struct DevOutbox {
    mails: Arc<Mutex<VecDeque<SentMail>>>,
    clock: Arc<dyn Clock>,
}

impl DevOutbox {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            mails: Arc::new(Mutex::new(VecDeque::new())),
            clock,
        }
    }
}

#[async_trait]
impl Mailer for DevOutbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let sent = SentMail {
            id: Uuid::now_v7(),
            sent_at: self.clock.now(),
            mail: mail.clone(),
        };
        // A poisoned lock only means another sender panicked mid-push; the queue is intact.
        let mut mails = self
            .mails
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if mails.len() == KEPT {
            mails.pop_front();
        }
        mails.push_back(sent);
        // The link is a credential: the log says where to find it, never what it is.
        tracing::info!(
            subject = %mail.subject,
            "mail kept in the dev outbox (no AGORA_MAIL_FROM): open /outbox in the web UI"
        );
        Ok(())
    }
}

impl MailOutbox for DevOutbox {
    fn sent_to(&self, address: &str) -> Vec<SentMail> {
        let mails = self
            .mails
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        mails
            .iter()
            .rev()
            .filter(|sent| sent.mail.to.eq_ignore_ascii_case(address))
            .cloned()
            .collect()
    }
}
