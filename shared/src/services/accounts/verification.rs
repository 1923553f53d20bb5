//! Confirming the email address: a link mailed at sign-up (and again on request), which
//! adds the sign-up credits when followed. Credits wait for it so that accounts made in
//! bulk by a script cost the platform nothing.

use chrono::{DateTime, Utc};

use super::{AccountService, account_gone, chrono_duration};
use crate::{
    Error, Result,
    domain::{
        Caller, Credits, RequestOrigin,
        tokens::{VERIFICATION_TOKEN_PREFIX, random_token, token_hash},
    },
    ports::{
        AuditAction, EmailVerified, MailError, NewEmailVerification, OutgoingMail, SentMail,
        UserRecord,
    },
    services::rate_limit::Limit,
};

/// A confirmation link that went out.
#[derive(Clone, Debug)]
pub struct VerificationMail {
    pub sent_to: String,
    pub expires_at: DateTime<Utc>,
}

/// Longer than any token Agora makes: a longer one is refused unread.
const MAX_TOKEN_CHARS: usize = 128;

impl AccountService {
    /// Mails `user` a confirmation link. Without a mail provider (a prod deployment with
    /// no `AGORA_MAIL_FROM`) this is a 503 `provider-not-configured` that says so.
    pub(super) async fn send_verification(&self, user: &UserRecord) -> Result<VerificationMail> {
        let mailer = self.ports.mailer.as_ref().ok_or_else(|| {
            Error::NoProvider(
                "This deployment sends no email, so addresses cannot be confirmed here; its \
                 operator sets AGORA_MAIL_FROM (docs/deploy.md)."
                    .into(),
            )
        })?;
        let token = random_token(VERIFICATION_TOKEN_PREFIX)
            .map_err(|error| Error::Internal(error.to_string()))?;
        let expires_at =
            self.ports.clock.now() + chrono_duration(self.settings.verification.link_ttl);
        self.ports
            .verifications
            .add_verification(&NewEmailVerification {
                user_id: user.id,
                email: user.email.clone(),
                token_hash: token_hash(&token),
                expires_at,
            })
            .await?;
        // A fragment, not a query: the token never reaches a server log or a Referer.
        let link = format!(
            "{}/verify-email#token={token}",
            self.settings.verification.public_url
        );
        mailer
            .send(&confirmation_mail(user, &link, self.settings.verification.link_ttl))
            .await
            .map_err(|error| match error {
                MailError::Rejected(_) => Error::Conflict(
                    "The confirmation email could not be delivered to your address; check it, or contact support."
                        .into(),
                ),
                MailError::Unavailable(cause) => Error::Unavailable {
                    dependency: "email service",
                    cause,
                },
            })?;
        Ok(VerificationMail {
            sent_to: user.email.clone(),
            expires_at,
        })
    }

    /// Sends the signed-in user a new confirmation link (a few an hour).
    pub async fn resend_verification(&self, caller: &Caller) -> Result<VerificationMail> {
        let user = self.me(caller).await?;
        if user.email_verified_at.is_some() {
            return Err(Error::Conflict(
                "Your email address is already confirmed.".into(),
            ));
        }
        let limit = Limit {
            max: self.settings.verification.mails_per_hour,
            window: std::time::Duration::from_secs(3600),
        };
        self.ports
            .limiter
            .hit(&format!("verification-mails:{}", user.id), limit)
            .await
            .map_err(|limited| Error::RateLimited {
                retry_after: limited.retry_after,
                detail: "Several confirmation emails went out in the last hour; use the newest, \
                         or try again later."
                    .into(),
            })?;
        self.send_verification(&user).await
    }

    /// Follows a confirmation link: the address is verified and the sign-up credits added
    /// (once per user, however often links are followed). Returns the credits added.
    pub async fn verify_email(&self, token: &str, origin: &RequestOrigin) -> Result<Credits> {
        let invalid = |message: &str| Error::invalid("token", message);
        let token = token.trim();
        if token.is_empty()
            || token.chars().count() > MAX_TOKEN_CHARS
            || !token.starts_with(VERIFICATION_TOKEN_PREFIX)
        {
            return Err(invalid(
                "is not a confirmation link from Agora; copy the whole link from the email",
            ));
        }
        let audit = self.audit_record(None, AuditAction::EmailVerified, None, origin);
        let outcome = self
            .ports
            .verifications
            .verify_email(
                &token_hash(token),
                self.ports.clock.now(),
                self.settings.verification.signup_grant_micros,
                &audit,
            )
            .await?;
        match outcome {
            EmailVerified::Verified { granted_micros, .. } => {
                Credits::from_micros(granted_micros).map_err(Error::Internal)
            }
            EmailVerified::AlreadyVerified { .. } => Ok(Credits::ZERO),
            EmailVerified::Expired => Err(invalid(
                "has expired; ask for a new link with Send a new link at the top of any page, signed in",
            )),
            EmailVerified::Unknown => Err(invalid(
                "is not a valid confirmation link; sign in and send a new one",
            )),
        }
    }

    /// The dev outbox's mail to the signed-in user; 404 where mail is really sent.
    pub async fn outbox(&self, caller: &Caller) -> Result<Vec<SentMail>> {
        let outbox = self.ports.outbox.as_ref().ok_or_else(|| {
            Error::NotFound(
                "This server sends real email, so it keeps no dev outbox; check your inbox.".into(),
            )
        })?;
        let user = self
            .ports
            .users
            .find_user(caller.user()?.user_id)
            .await?
            .ok_or_else(account_gone)?;
        Ok(outbox.sent_to(&user.email))
    }
}

fn confirmation_mail(user: &UserRecord, link: &str, ttl: std::time::Duration) -> OutgoingMail {
    let hours = (ttl.as_secs() / 3600).max(1);
    let name = html_escape::encode_text(&user.display_name);
    OutgoingMail {
        to: user.email.clone(),
        subject: "Confirm your email for Agora".into(),
        text: format!(
            "Hello {},\n\nConfirm your email address to finish setting up your Agora account \
             and receive your free credits:\n\n{link}\n\nThe link works for {hours} hours. \
             If you did not sign up for Agora, ignore this email.\n",
            user.display_name
        ),
        html: format!(
            "<p>Hello {name},</p><p>Confirm your email address to finish setting up your Agora \
             account and receive your free credits:</p><p><a href=\"{link}\">Confirm my email</a>\
             </p><p>The link works for {hours} hours. If you did not sign up for Agora, ignore \
             this email.</p>",
            link = html_escape::encode_double_quoted_attribute(link),
        ),
        link: Some(link.to_owned()),
    }
}
