//! The strict query-string extractor: like [`super::json::StrictJson`], unknown or
//! malformed parameters are a 422 naming the parameter, never axum's plain-text 400.

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{Error, domain::FieldError};

/// Query parameters of type `T` (which should be `#[serde(deny_unknown_fields)]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StrictQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(StrictQuery)
            .map_err(|error| {
                let path = error.path().to_string();
                Error::Validation(vec![FieldError {
                    field: if path == "." { String::new() } else { path },
                    message: error.into_inner().to_string(),
                }])
            })
    }
}
