//! OpenAI's error format, `{"error": {"message", "type", "param", "code"}}`, for the
//! OpenAI-compatible surface: handlers there return [`OpenAiError`], so an error is written
//! in OpenAI's shape once, from the same [`Error`] every surface shares.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use crate::{
    Error,
    api::{problem::error_headers, request_id::current_request_id},
};

/// An [`Error`] on the OpenAI-compatible surface.
#[derive(Debug)]
pub struct OpenAiError(pub Error);

impl<E: Into<Error>> From<E> for OpenAiError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let Self(error) = self;
        error.log();
        let body = serde_json::to_string(&OpenAiErrorBody {
            error: error_object(&error),
        })
        .unwrap_or_default();
        let mut response = (error.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        error_headers(&error, headers);
        response
    }
}

/// An error on the OpenAI-compatible surface, as OpenAI writes it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OpenAiErrorBody {
    pub error: OpenAiErrorObject,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OpenAiErrorObject {
    /// What went wrong and what to do, with each invalid field.
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `rate_limit_exceeded`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The first invalid field, when there is one.
    pub param: Option<String>,
    /// OpenAI's code where one fits (`invalid_api_key`, `model_not_found`), else Agora's
    /// problem type.
    pub code: String,
    /// Quote it when reporting the error.
    pub request_id: String,
}

/// The error as OpenAI's error object: `message`, `type`, `param`, `code`, and the request
/// id to quote.
pub fn error_object(error: &Error) -> OpenAiErrorObject {
    let slug = error.slug();
    let (kind, code) = match error.status().as_u16() {
        401 => ("authentication_error", "invalid_api_key"),
        402 => ("insufficient_quota", "insufficient_quota"),
        403 => ("permission_error", "permission_denied"),
        404 => ("invalid_request_error", "model_not_found"),
        409 | 422 | 400 | 413 | 415 => ("invalid_request_error", slug),
        429 => ("rate_limit_exceeded", "rate_limit_exceeded"),
        _ => ("api_error", slug),
    };
    let mut message = error.detail();
    for field in error.field_errors() {
        message.push_str(&format!(" {}: {}.", field.field, field.message));
    }
    OpenAiErrorObject {
        message,
        kind: kind.to_owned(),
        param: error
            .field_errors()
            .first()
            .map(|field| field.field.clone()),
        code: code.to_owned(),
        request_id: current_request_id().unwrap_or_default(),
    }
}
