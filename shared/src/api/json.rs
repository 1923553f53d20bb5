//! The strict JSON extractor: the body must be JSON of exactly the expected shape. Request
//! types deny unknown fields, and a rejection is problem+json naming the failing field path.

use axum::{
    extract::{FromRequest, Request},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http::header;
use serde::de::DeserializeOwned;

use super::middleware::BodyLimit;
use crate::{Error, error::FieldError};

/// A JSON request body of type `T` (which should be `#[serde(deny_unknown_fields)]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StrictJson<T>(pub T);

impl<S, T> FromRequest<S> for StrictJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(request.headers())?;
        let limit = request
            .extensions()
            .get::<BodyLimit>()
            .map_or(0, |limit| limit.0);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge { limit }
                } else {
                    Error::MalformedBody(format!(
                        "The body could not be read: {}",
                        rejection.body_text()
                    ))
                }
            })?;
        parse(&body).map(StrictJson)
    }
}

/// Parses a JSON body, mapping syntax errors to 400 and shape errors to 422 with the path.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => Error::Validation(vec![FieldError {
                field: if path == "." { String::new() } else { path },
                message: data_message(&inner),
            }]),
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => Error::MalformedBody(format!(
                "The body is not valid JSON: {inner}. Send a JSON document."
            )),
        }
    })
}

/// serde's message without its " at line L column C" suffix, which the field path replaces.
fn data_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(position) => message[..position].to_owned(),
        None => message,
    }
}

/// `415` unless the request says its body is JSON.
pub fn require_json(headers: &http::HeaderMap) -> Result<(), Error> {
    if is_json(headers) {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType)
    }
}

fn is_json(headers: &http::HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: serde::Serialize> IntoResponse for StrictJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Message {
        role: String,
        content: Vec<Part>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Part {
        text: String,
    }

    fn field_error(body: &str) -> FieldError {
        match parse::<Message>(body.as_bytes()) {
            Err(Error::Validation(mut errors)) => errors.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let error = field_error(r#"{"role":"user","content":[{"text":"hi","role":"admin"}]}"#);
        assert_eq!(error.field, "content[0].role");
        assert!(
            error.message.contains("unknown field `role`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn wrong_types_and_missing_fields_name_the_field() {
        assert_eq!(field_error(r#"{"role":1,"content":[]}"#).field, "role");
        assert!(
            field_error(r#"{"role":"user"}"#)
                .message
                .contains("missing field `content`")
        );
    }

    #[test]
    fn broken_json_is_a_malformed_body() {
        for body in ["{", "not json", "", r#"{"role":"user",}"#] {
            assert!(
                matches!(
                    parse::<Message>(body.as_bytes()),
                    Err(Error::MalformedBody(_))
                ),
                "{body:?}"
            );
        }
    }
}
