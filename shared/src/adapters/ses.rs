//! Email through Amazon SES (the v2 API): confirmation links from `AGORA_MAIL_FROM`, a
//! sender identity the operator verified in SES. moto's SES serves the tests.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sesv2::{
    error::{ProvideErrorMetadata, SdkError},
    operation::send_email::SendEmailError,
    types::{Body, Content, Destination, EmailContent, Message},
};

use crate::ports::{MailError, Mailer, OutgoingMail};

pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMailer {
    pub fn new(sdk: &SdkConfig, from: &str) -> Self {
        Self {
            client: aws_sdk_sesv2::Client::new(sdk),
            from: from.to_owned(),
        }
    }
}

fn utf8(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|error| MailError::Rejected(error.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&mail.text)?)
                    .html(utf8(&mail.html)?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// SES's messages quote the addresses involved; only the error code leaves this adapter.
fn classify(error: SdkError<SendEmailError>) -> MailError {
    let code = error.code().unwrap_or("no error code").to_owned();
    match error.as_service_error() {
        Some(
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::AccountSuspendedException(_)
            | SendEmailError::SendingPausedException(_)
            | SendEmailError::BadRequestException(_)
            | SendEmailError::NotFoundException(_),
        ) => MailError::Rejected(code),
        _ => MailError::Unavailable(match error {
            SdkError::ServiceError(_) => code,
            SdkError::TimeoutError(_) => "timed out".to_owned(),
            SdkError::DispatchFailure(_) => "unreachable".to_owned(),
            _ => "unexpected answer".to_owned(),
        }),
    }
}
