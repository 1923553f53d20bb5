//! Confirming the email address: following a link (`/v1/auth/verify-email`), asking for a
//! new one (`/v1/me/verification-email`), and the local dev outbox (`/v1/me/outbox`).

use axum::extract::State;
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{SignedIn, json::StrictJson};
use crate::{AppState, Error, api::problem::Problem, domain::Credits, domain::RequestOrigin};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token from the link in the email (`/verify-email#token=agora_ev_...`).
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailVerifiedResponse {
    pub email_verified: bool,
    /// Sign-up credits this confirmation added: `"0"` when the address already was
    /// confirmed (a link followed twice).
    #[schema(value_type = String, example = "5")]
    pub credits_granted: Credits,
}

/// A confirmation email that went out.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationEmailSent {
    pub sent_to: String,
    /// When the new link stops working.
    pub expires_at: DateTime<Utc>,
}

/// A message in the dev outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMail {
    pub id: Uuid,
    pub to: String,
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The link the message is about (a confirmation link).
    pub link: Option<String>,
    pub sent_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outbox {
    /// Newest first.
    pub mails: Vec<OutboxMail>,
}

/// Confirms an email address with the token from a confirmation link.
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email",
    tag = "auth",
    operation_id = "verify_email",
    summary = "Confirm your email address",
    description = "Needs no sign-in: the token is the proof. The first confirmation adds the sign-up credits; following a link again changes nothing and answers 200 with `credits_granted: \"0\"`.",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "The address is confirmed", body = EmailVerifiedResponse),
        (status = 422, description = "The token is unknown or expired; `errors` says which and what to do", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify_email(
    State(state): State<AppState>,
    origin: RequestOrigin,
    StrictJson(request): StrictJson<VerifyEmailRequest>,
) -> Result<axum::Json<EmailVerifiedResponse>, Error> {
    let credits_granted = state
        .accounts()?
        .verify_email(&request.token, &origin)
        .await?;
    Ok(axum::Json(EmailVerifiedResponse {
        email_verified: true,
        credits_granted,
    }))
}

/// Sends the signed-in user a new confirmation link.
#[utoipa::path(
    post,
    path = "/v1/me/verification-email",
    tag = "account",
    operation_id = "send_verification_email",
    summary = "Send a new confirmation email",
    description = "A few an hour per account; every link sent stays valid until it expires.",
    responses(
        (status = 202, description = "The email went out", body = VerificationEmailSent),
        (status = 409, description = "The address is already confirmed, or the mail provider refused it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many confirmation emails this hour; Retry-After says when to ask again", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This deployment sends no email, or its mail provider is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send_verification_email(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<(StatusCode, axum::Json<VerificationEmailSent>), Error> {
    let sent = state.accounts()?.resend_verification(&caller).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(VerificationEmailSent {
            sent_to: sent.sent_to,
            expires_at: sent.expires_at,
        }),
    ))
}

/// The signed-in user's mail in the local dev outbox.
#[utoipa::path(
    get,
    path = "/v1/me/outbox",
    tag = "account",
    operation_id = "get_outbox",
    summary = "Your mail in the dev outbox",
    description = "Only on a local server that sends no real email (no `AGORA_MAIL_FROM`, dev profile): what Agora would have mailed you. Everywhere else 404.",
    responses(
        (status = 200, description = "Mail addressed to you, newest first", body = Outbox),
        (status = 404, description = "This server sends real email and keeps no outbox", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_outbox(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<Outbox>, Error> {
    let mails = state.accounts()?.outbox(&caller).await?;
    Ok(axum::Json(Outbox {
        mails: mails
            .into_iter()
            .map(|sent| OutboxMail {
                id: sent.id,
                to: sent.mail.to,
                subject: sent.mail.subject,
                text: sent.mail.text,
                link: sent.mail.link,
                sent_at: sent.sent_at,
            })
            .collect(),
    }))
}
