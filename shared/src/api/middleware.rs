//! The one function that applies every layer. The local server, each Lambda function and
//! the tests all go through it, so they behave alike.

use std::time::Duration;

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    middleware::{self, Next},
    response::Response,
};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use tokio::time::Instant;
use tower_http::{cors::CorsLayer, limit::RequestBodyLimitLayer};
use tracing::Instrument;

use super::{
    error_format::{ErrorFormat, ErrorFormats},
    json::BodyLimit,
    request_id::{self, REQUEST_ID_HEADER},
};
use crate::{
    AppState, Error,
    api::problem::{PROBLEM_BASE, PROBLEM_JSON, Problem, problem_response},
};

/// Wraps `router` in Agora's middleware, outermost first: request id and access log,
/// problem+json for every error, CORS, the request timeout, the caller (authentication and
/// the per-caller request limit), and the body size limit.
pub fn apply(router: Router<AppState>, state: AppState, formats: ErrorFormats) -> Router {
    let config = state.http().clone();
    router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::authentication::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            config.request_timeout,
            enforce_timeout,
        ))
        .layer(cors(&config.cors_origins))
        .layer(middleware::from_fn_with_state(
            (config.body_limit_bytes, formats),
            shape_every_error,
        ))
        .layer(middleware::from_fn(identify_and_log))
        .with_state(state)
}

/// Assigns the request id, opens the request's span (so every log line of the request
/// carries the request id and X-Ray trace id), and writes one access-log line.
async fn identify_and_log(request: Request, next: Next) -> Response {
    let id = request_id::request_id_from(request.headers());
    let trace_id = request_id::trace_id_from(request.headers());
    let method = request.method().clone();
    // The path only: query strings may carry secrets (`key=`) and never reach the logs.
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, trace_id = trace_id.as_deref().unwrap_or(""), %method, %path);
    let started = Instant::now();
    let mut response = request_id::scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, latency_ms, "request served"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

/// Chooses the request's error format (its route's, from the route table) and turns any
/// error response that is not already JSON (from axum's own rejections or a tower layer)
/// into an error in that format, so every 4xx/5xx of a surface has the same shape.
async fn shape_every_error(
    State((body_limit, formats)): State<(usize, ErrorFormats)>,
    mut request: Request,
    next: Next,
) -> Response {
    let format = formats.for_route(request.extensions().get::<MatchedPath>());
    request.extensions_mut().insert(format);
    request.extensions_mut().insert(BodyLimit(body_limit));
    let response = next.run(request).await;
    let status = response.status();
    // JSON error bodies are deliberate (an error already shaped, or a report like
    // health's 503).
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            let value = value.as_bytes();
            value == PROBLEM_JSON.as_bytes() || value.starts_with(b"application/json")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge { limit: body_limit },
        StatusCode::NOT_FOUND => {
            Error::NotFound("Nothing exists at this path; see /v1/openapi.json for the API.".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
        _ if status.is_server_error() => Error::Internal(format!("unshaped {status} response")),
        _ if format == ErrorFormat::Problem => {
            let reason = status.canonical_reason().unwrap_or("Error");
            let problem = Problem {
                kind: format!(
                    "{PROBLEM_BASE}{}",
                    reason.to_ascii_lowercase().replace(' ', "-")
                ),
                title: reason.to_owned(),
                status: status.as_u16(),
                detail: format!(
                    "The request was rejected with {status}; check it against /v1/openapi.json."
                ),
                request_id: request_id::current_request_id().unwrap_or_default(),
                errors: Vec::new(),
            };
            return keep_headers(response, problem_response(&problem));
        }
        _ => Error::MalformedBody(format!(
            "The request was rejected with {status}; check it against /v1/openapi.json."
        )),
    };
    keep_headers(response, format.render(error))
}

/// Keeps `Allow`, `Retry-After` and CORS headers of the original response.
fn keep_headers(original: Response, mut replacement: Response) -> Response {
    for (name, value) in original.headers() {
        if name == header::ALLOW
            || name == header::RETRY_AFTER
            || name.as_str().starts_with("access-control-")
        {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    replacement
}

/// The request's budget: the configured one, and in a Lambda function never past the
/// invocation's deadline (less the time to answer). The deadline is kept for the work
/// the request starts (a run settles before it).
async fn enforce_timeout(State(budget): State<Duration>, request: Request, next: Next) -> Response {
    let format = ErrorFormat::of(request.extensions());
    let deadline = request
        .extensions()
        .get::<FunctionDeadline>()
        .map(|deadline| deadline.0);
    let budget = match deadline {
        Some(deadline) => budget.min(
            deadline
                .saturating_duration_since(tokio::time::Instant::now())
                .saturating_sub(RESPONSE_RESERVE),
        ),
        None => budget,
    };
    let work = crate::services::deadline::within(deadline, next.run(request));
    match tokio::time::timeout(budget, work).await {
        Ok(response) => response,
        Err(_) => format.render(Error::Timeout(budget)),
    }
}

/// When the Lambda invocation serving a request is stopped (a request extension).
#[derive(Clone, Copy, Debug)]
pub struct FunctionDeadline(pub tokio::time::Instant);

/// Time kept before a function's deadline to write the answer and flush the logs.
const RESPONSE_RESERVE: Duration = Duration::from_secs(1);

async fn method_not_allowed(request: Request) -> Response {
    ErrorFormat::of(request.extensions()).render(Error::MethodNotAllowed {
        method: request.method().to_string(),
    })
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| origin.parse().ok())
        .collect();
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .expose_headers([
            HeaderName::from_static(REQUEST_ID_HEADER),
            header::RETRY_AFTER,
        ])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600))
}
