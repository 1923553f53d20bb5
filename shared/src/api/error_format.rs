//! Which format a request's errors are written in. Every surface shares one [`Error`];
//! most routes write it as problem+json, the OpenAI-compatible routes as OpenAI's error
//! object. The route table declares each route's format; the middleware puts it on the
//! request, so the errors made before a handler runs (authentication, limits, timeouts,
//! body size) are written in the same format as the handler's own.

use std::{collections::HashMap, sync::Arc};

use axum::{extract::MatchedPath, response::IntoResponse, response::Response};

use super::openai::error::OpenAiError;
use crate::Error;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorFormat {
    /// RFC 9457 `application/problem+json`.
    #[default]
    Problem,
    /// `{"error": {"message", "type", "param", "code"}}`.
    OpenAi,
}

impl ErrorFormat {
    /// `error` as a response in this format.
    pub fn render(self, error: impl Into<Error>) -> Response {
        match self {
            Self::Problem => error.into().into_response(),
            Self::OpenAi => OpenAiError(error.into()).into_response(),
        }
    }

    /// The format the middleware chose for this request (problem+json before it did).
    pub fn of(extensions: &http::Extensions) -> Self {
        extensions.get::<Self>().copied().unwrap_or_default()
    }
}

/// The routes whose format is not problem+json, by their path in the route table.
#[derive(Clone, Debug, Default)]
pub struct ErrorFormats(Arc<HashMap<String, ErrorFormat>>);

impl ErrorFormats {
    pub fn new(formats: impl IntoIterator<Item = (String, ErrorFormat)>) -> Self {
        Self(Arc::new(
            formats
                .into_iter()
                .filter(|(_, format)| *format != ErrorFormat::Problem)
                .collect(),
        ))
    }

    /// The format of the route a request matched (problem+json for unmatched paths).
    pub fn for_route(&self, route: Option<&MatchedPath>) -> ErrorFormat {
        route
            .and_then(|path| self.0.get(path.as_str()))
            .copied()
            .unwrap_or_default()
    }
}
