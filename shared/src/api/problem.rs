//! [`Error`] rendered as RFC 9457 `application/problem+json`: the error format of every
//! surface but the OpenAI-compatible one (`super::openai::error`).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request_id::current_request_id;
use crate::{Error, domain::FieldError};

/// The problem type URIs are relative references under this base, so clients match on the
/// final segment (`not-found`, `validation`, ...).
pub const PROBLEM_BASE: &str = "https://agora.dev/problems/";

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The RFC 9457 problem document every error response carries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; its last segment is stable (`not-found`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    /// The HTTP status code, repeated for clients that only see the body.
    pub status: u16,
    /// What went wrong in this request and what to do about it.
    pub detail: String,
    /// The `x-request-id` of the request, to quote when reporting a problem.
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// The problem document of `error` for the current request.
    pub fn of(error: &Error) -> Self {
        let status = error.status();
        Self {
            kind: format!("{PROBLEM_BASE}{}", error.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: error.detail(),
            request_id: current_request_id().unwrap_or_default(),
            errors: error.field_errors().to_vec(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let mut response = problem_response(&Problem::of(&self));
        error_headers(&self, response.headers_mut());
        response
    }
}

/// The headers an error response carries whatever its format: `Retry-After` for errors
/// worth retrying, `WWW-Authenticate` for missing or refused credentials.
pub fn error_headers(error: &Error, headers: &mut http::HeaderMap) {
    if let Some(seconds) = error.retry_after() {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    match error {
        Error::Unauthorized(_) => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="agora", error="invalid_token""#),
            );
        }
        Error::InvalidCredentials => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="agora""#),
            );
        }
        _ => {}
    }
}

/// Renders a problem with its status and the problem+json content type.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_variant_renders_a_problem_with_its_status() {
        let errors = [
            Error::invalid("name", "must not be empty"),
            Error::MalformedBody("expected `,` at line 1".into()),
            Error::UnsupportedMediaType,
            Error::PayloadTooLarge { limit: 10 },
            Error::Unauthorized("no token".into()),
            Error::InvalidCredentials,
            Error::Forbidden("admins only".into()),
            Error::NotFound("no route".into()),
            Error::Conflict("taken".into()),
            Error::InvalidCursor("edited".into()),
            Error::Upstream("secret cause".into()),
            Error::RateLimited {
                retry_after: Duration::from_secs(3),
                detail: "slow down".into(),
            },
            Error::MethodNotAllowed {
                method: "PUT".into(),
            },
            Error::Timeout(Duration::from_secs(1)),
            Error::Unavailable {
                dependency: "database",
                cause: "refused".into(),
            },
            Error::Internal("secret cause".into()),
        ];
        for error in errors {
            let problem = Problem::of(&error);
            assert_eq!(problem.status, error.status().as_u16());
            assert!(problem.kind.ends_with(error.slug()));
            assert!(!problem.detail.is_empty());
            assert!(
                !problem.detail.contains("secret cause"),
                "internal causes never reach the body"
            );
        }
    }

    proptest::proptest! {
        /// Whatever an error says (a provider's message, a caller's field name), the
        /// problem renders as JSON with its status.
        #[test]
        fn any_message_renders_a_problem(message in proptest::prelude::any::<String>(), field in proptest::prelude::any::<String>()) {
            for error in [
                Error::invalid(field.clone(), message.clone()),
                Error::MalformedBody(message.clone()),
                Error::Conflict(message.clone()),
                Error::Upstream(message.clone()),
                Error::NotFound(message.clone()),
            ] {
                let status = error.status();
                let body = serde_json::to_vec(&Problem::of(&error)).unwrap();
                let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
                proptest::prop_assert_eq!(parsed["status"].as_u64(), Some(u64::from(status.as_u16())));
                proptest::prop_assert_eq!(error.into_response().status(), status);
            }
        }
    }
}
