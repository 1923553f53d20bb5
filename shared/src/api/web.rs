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
                match files.oneshot(request).await {
                    Ok(response) => response.into_response(),
                    Err(never) => match never {},
                }
            };
            Ok::<_, Infallible>(response)
        }
    }))
}
