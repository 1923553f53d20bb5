//! The built web UI, served at `/` by the local server with a fallback to `index.html` so
//! client-side routes (`/status`) load the app. API paths never fall through to the UI.

use std::{convert::Infallible, path::PathBuf};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
    routing::{MethodRouter, any_service},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::{AppState, Error};

/// What the UI's pages may load and who may frame them: its own scripts, styles, images
/// and API only (inline style attributes, which the charts and the graph editor set, but
/// no inline script), and no page of another site may frame it (clickjacking).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// The headers every page and file of the UI carries.
fn protect(headers: &mut http::HeaderMap) {
    use http::{HeaderValue, header};
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
}

/// A fallback that serves the UI from `web_dir`, or 404 problems for `/v1/...`.
pub fn serve_ui(web_dir: PathBuf) -> MethodRouter<AppState> {
    let index = web_dir.join("index.html");
    let files = ServeDir::new(&web_dir).fallback(ServeFile::new(&index));
    any_service(tower::service_fn(move |request: Request| {
        let files = files.clone();
        let index_exists = index.is_file();
        async move {
            let path = request.uri().path().to_owned();
            let response: Response = if path == "/v1" || path.starts_with("/v1/") {
                Error::NotFound(format!(
                    "No route matches {path}; see /v1/openapi.json for the API."
                ))
                .into_response()
            } else if !index_exists {
                Error::NotFound("The web UI is not built: run `npm --prefix web run build` (scripts/serve does this).".into()).into_response()
            } else {
                let mut response = match files.oneshot(request).await {
                    Ok(response) => response.into_response(),
                    Err(never) => match never {},
                };
                protect(response.headers_mut());
                response
            };
            Ok::<_, Infallible>(response)
        }
    }))
}
