//! Caching headers of public pages.

use axum::response::{IntoResponse, Response};

use http::{HeaderValue, header};

/// Public listings may be cached briefly by browsers and CDNs.
pub fn cacheable(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=15"),
    );
    response
}
