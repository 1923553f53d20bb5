//! HTTP: the route table and the routers built from it.
//!
//! [`routes`] (the table in `route_table.rs`) is the single source of truth for each route's
//! method, path, Lambda function name, access rule, needs and OpenAPI operation. The local
//! server mounts every route ([`app`]), each Lambda function mounts exactly its own
//! ([`functions`], chosen at compile time; [`function_app`] in process), and the OpenAPI
//! document lists them all ([`openapi::document`]). A test checks that the table, the bins in
//! `functions/`, `template.yaml` and `events/` agree.

// Before the modules: the route table is written with it.
#[macro_use]
mod route_macro;

pub mod admin;
pub mod agent_stats;
pub mod agent_versions;
pub mod agents;
pub mod auth;
mod authentication;
mod cache_control;
pub mod categories;
pub mod conversations;
pub mod creators;
pub mod credits;
pub mod error_format;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod llm_models;
pub mod me;
pub mod middleware;
pub mod needs;
pub mod openai;
pub mod openapi;
pub mod paging;
pub mod path;
pub mod problem;
pub mod provider_keys;
pub mod query;
pub mod request_id;
pub mod reviews;
mod route_table;
pub mod run_answer;
pub mod runs;
pub mod saved_agents;
pub mod sse;
pub mod state;
pub mod uploads;
pub mod verification;
mod web;
pub mod workflows;

use axum::{
    Router,
    handler::Handler,
    routing::{MethodFilter, MethodRouter, on},
};
use http::Method;
use utoipa::openapi::path::{HttpMethod, Operation};

use self::error_format::{ErrorFormat, ErrorFormats};
pub use self::needs::{Need, NeedSet};
pub use self::route_table::{functions, routes};
pub use self::{
    authentication::{SignedIn, SignedInAdmin},
    middleware::FunctionDeadline,
    state::{AppState, HttpSettings},
};
use crate::Error;

/// Who may call a route. Enforced by the services through the caller; declared here so the
/// OpenAPI document and the security tests see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not; listed explicitly in the OpenAPI document.
    Public,
    /// A signed-in user: an access token or an API key.
    User,
    /// An administrator.
    Admin,
}

/// One API route, served by one Lambda function.
#[derive(Clone)]
pub struct Route {
    /// The Lambda function (and `functions/` bin) that serves this route.
    pub function: &'static str,
    pub method: Method,
    /// The path in OpenAPI and axum syntax (`/v1/agents/{id}`).
    pub path: String,
    pub access: Access,
    pub operation: Operation,
    /// Answers with a stream (Server-Sent Events): its Lambda function uses response
    /// streaming, behind a function URL (API Gateway HTTP APIs and ALBs buffer).
    pub streams: bool,
    /// The format its errors are written in.
    pub errors: ErrorFormat,
    /// What its function reaches outside its process (see [`needs`]): the template grants
    /// exactly these, and its binary builds only these adapters.
    pub needs: NeedSet,
    handler: MethodRouter<AppState>,
}

impl Route {
    /// A route whose method and path come from the handler's `#[utoipa::path]`, so the
    /// router and the OpenAPI document cannot disagree.
    fn new<P, H, T>(function: &'static str, access: Access, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<T, AppState>,
        T: 'static,
    {
        let method = P::methods().first().map_or(Method::GET, http_method);
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        let mut operation = P::operation();
        openapi::declare_access(&mut operation, access, method != Method::GET);
        Self {
            function,
            method,
            path: P::path(),
            access,
            operation,
            streams: false,
            errors: ErrorFormat::Problem,
            needs: NeedSet::NONE,
            handler: on(filter, handler),
        }
    }

    fn needing(mut self, needs: NeedSet) -> Self {
        self.needs = needs;
        self
    }

    fn streaming(mut self) -> Self {
        self.streams = true;
        self
    }

    /// A route of the OpenAI-compatible surface: errors in OpenAI's format.
    fn openai_errors(mut self) -> Self {
        self.errors = ErrorFormat::OpenAi;
        openapi::declare_openai_errors(&mut self.operation);
        self
    }
}

fn http_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// Every route plus the built web UI: the local server (`agora serve`).
pub fn app(state: AppState) -> Router {
    let web_dir = state.http().web_dir.clone();
    let routes = routes();
    let formats = error_formats(&routes);
    let router = routes.into_iter().fold(Router::new(), |router, route| {
        router.route(&route.path, route.handler)
    });
    middleware::apply(router.fallback(web::serve_ui(web_dir)), state, formats)
}

/// The router of one Lambda function: its route only, with the same middleware.
pub fn function_app(state: AppState, function: &str) -> Result<Router, UnknownFunction> {
    Ok(route_app(state, function_route(function)?))
}

/// The route a function serves.
pub fn function_route(function: &str) -> Result<Route, UnknownFunction> {
    routes()
        .into_iter()
        .find(|route| route.function == function)
        .ok_or_else(|| UnknownFunction(function.to_owned()))
}

/// One route's app, as its function serves it.
pub fn route_app(state: AppState, route: Route) -> Router {
    let formats = error_formats(std::slice::from_ref(&route));
    let router = Router::new()
        .route(&route.path, route.handler)
        .fallback(not_found);
    middleware::apply(router, state, formats)
}

/// The error format of each route, for the middleware.
pub fn error_formats(routes: &[Route]) -> ErrorFormats {
    ErrorFormats::new(
        routes
            .iter()
            .map(|route| (route.path.clone(), route.errors)),
    )
}

/// A function name no route has.
#[derive(Debug, thiserror::Error)]
#[error("no function is named `{0}`; known functions: {known}", known = function_names().join(", "))]
pub struct UnknownFunction(pub String);

/// The function names of the route table, in order.
pub fn function_names() -> Vec<&'static str> {
    routes().iter().map(|route| route.function).collect()
}

async fn not_found(uri: http::Uri) -> Error {
    Error::NotFound(format!(
        "No route matches {}; see /v1/openapi.json for the API.",
        uri.path()
    ))
}
