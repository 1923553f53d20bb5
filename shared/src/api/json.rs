//! The strict JSON extractor: the body must be JSON of exactly the expected shape. Request
//! types deny unknown fields, and a rejection is problem+json naming the failing field path.

use axum::{
    extract::{FromRequest, Request},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http::header;
use serde::de::DeserializeOwned;

use crate::Error;

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
    Ok(crate::domain::json::parse(body)?)
}

/// The configured body limit, which the middleware puts on every request for the
/// extractors that report it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyLimit(pub usize);

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
