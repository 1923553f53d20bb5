//! HTTP: the route table and the routers built from it.
//!
//! [`routes`] is the single source of truth for each route's method, path, Lambda function
//! name, access rule and OpenAPI operation. The local server mounts every route
//! ([`app`]), each Lambda function mounts exactly one ([`function_app`]), and the OpenAPI
//! document lists them all ([`openapi::document`]). A test checks that the table, the bins in
//! `functions/`, `template.yaml` and `events/` agree.

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
use std::collections::BTreeSet;
use utoipa::openapi::path::{HttpMethod, Operation};

use self::error_format::{ErrorFormat, ErrorFormats};
pub use self::needs::Need;
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
    /// exactly these.
    pub needs: BTreeSet<Need>,
    handler: MethodRouter<AppState>,
}

/// Every route of the API.
pub fn routes() -> Vec<Route> {
    vec![
        Route::new::<health::__path_get_health, _, _>("health", Access::Public, health::get_health)
            .needs(&[Need::Uploads, Need::Search, Need::DescribeDependencies]),
        Route::new::<openapi::__path_get_openapi, _, _>(
            "openapi",
            Access::Public,
            openapi::get_openapi,
        ),
        Route::new::<auth::__path_register, _, _>("auth-register", Access::Public, auth::register)
            .signs_in()
            .needs(&[Need::Mail]),
        Route::new::<auth::__path_login, _, _>("auth-login", Access::Public, auth::login)
            .signs_in(),
        Route::new::<auth::__path_refresh, _, _>("auth-refresh", Access::Public, auth::refresh)
            .signs_in(),
        Route::new::<auth::__path_logout, _, _>("auth-logout", Access::Public, auth::logout),
        Route::new::<verification::__path_verify_email, _, _>(
            "auth-verify-email",
            Access::Public,
            verification::verify_email,
        ),
        Route::new::<me::__path_get_me, _, _>("me-get", Access::User, me::get_me),
        Route::new::<me::__path_update_me, _, _>("me-update", Access::User, me::update_me)
            .uploads(),
        Route::new::<verification::__path_send_verification_email, _, _>(
            "me-verification-email",
            Access::User,
            verification::send_verification_email,
        )
        .needs(&[Need::Mail]),
        Route::new::<verification::__path_get_outbox, _, _>(
            "me-outbox",
            Access::User,
            verification::get_outbox,
        ),
        Route::new::<me::__path_list_api_keys, _, _>(
            "api-keys-list",
            Access::User,
            me::list_api_keys,
        ),
        Route::new::<me::__path_create_api_key, _, _>(
            "api-keys-create",
            Access::User,
            me::create_api_key,
        ),
        Route::new::<me::__path_revoke_api_key, _, _>(
            "api-keys-revoke",
            Access::User,
            me::revoke_api_key,
        ),
        Route::new::<admin::__path_list_audit_log, _, _>(
            "admin-audit-log",
            Access::Admin,
            admin::list_audit_log,
        ),
        Route::new::<agents::__path_list_agents, _, _>(
            "agents-list",
            Access::Public,
            agents::list_agents,
        )
        .searches(),
        Route::new::<agents::__path_create_agent, _, _>(
            "agents-create",
            Access::User,
            agents::create_agent,
        )
        .uploads(),
        Route::new::<agents::__path_import_agent, _, _>(
            "agents-import",
            Access::User,
            agents::import_agent,
        ),
        Route::new::<agents::__path_get_agent, _, _>(
            "agents-get",
            Access::Public,
            agents::get_agent,
        ),
        Route::new::<agents::__path_update_agent, _, _>(
            "agents-update",
            Access::User,
            agents::update_agent,
        )
        .searches()
        .uploads(),
        Route::new::<agent_versions::__path_publish_agent_version, _, _>(
            "agents-publish",
            Access::User,
            agent_versions::publish_agent_version,
        )
        .searches()
        .uploads(),
        Route::new::<agent_versions::__path_list_agent_versions, _, _>(
            "agents-versions",
            Access::Public,
            agent_versions::list_agent_versions,
        ),
        Route::new::<agent_versions::__path_get_agent_version, _, _>(
            "agents-version-get",
            Access::Public,
            agent_versions::get_agent_version,
        ),
        Route::new::<agent_versions::__path_update_agent_version, _, _>(
            "agents-version-update",
            Access::User,
            agent_versions::update_agent_version,
        ),
        Route::new::<agent_versions::__path_set_latest_version, _, _>(
            "agents-set-latest",
            Access::User,
            agent_versions::set_latest_version,
        )
        .searches(),
        Route::new::<agents::__path_fork_agent, _, _>(
            "agents-fork",
            Access::User,
            agents::fork_agent,
        ),
        Route::new::<agents::__path_export_agent, _, _>(
            "agents-export",
            Access::Public,
            agents::export_agent,
        ),
        Route::new::<agents::__path_delist_agent, _, _>(
            "admin-agents-delist",
            Access::Admin,
            agents::delist_agent,
        )
        .searches(),
        Route::new::<agents::__path_relist_agent, _, _>(
            "admin-agents-relist",
            Access::Admin,
            agents::relist_agent,
        )
        .searches(),
        Route::new::<agents::__path_list_my_agents, _, _>(
            "me-agents",
            Access::User,
            agents::list_my_agents,
        ),
        Route::new::<saved_agents::__path_list_saved_agents, _, _>(
            "saved-list",
            Access::User,
            saved_agents::list_saved_agents,
        ),
        Route::new::<saved_agents::__path_save_agent, _, _>(
            "saved-put",
            Access::User,
            saved_agents::save_agent,
        ),
        Route::new::<saved_agents::__path_unsave_agent, _, _>(
            "saved-delete",
            Access::User,
            saved_agents::unsave_agent,
        ),
        Route::new::<categories::__path_list_categories, _, _>(
            "categories-list",
            Access::Public,
            categories::list_categories,
        ),
        Route::new::<categories::__path_put_category, _, _>(
            "admin-categories-put",
            Access::Admin,
            categories::put_category,
        ),
        Route::new::<creators::__path_get_creator, _, _>(
            "creators-get",
            Access::Public,
            creators::get_creator,
        ),
        Route::new::<llm_models::__path_list_llm_models, _, _>(
            "llm-models-list",
            Access::Public,
            llm_models::list_llm_models,
        ),
        Route::new::<uploads::__path_create_upload, _, _>(
            "uploads-create",
            Access::User,
            uploads::create_upload,
        )
        .uploads(),
        Route::new::<uploads::__path_upload_local_file, _, _>(
            "uploads-local",
            Access::Public,
            uploads::upload_local_file,
        )
        .uploads(),
        Route::new::<uploads::__path_get_blob, _, _>(
            "blobs-get",
            Access::Public,
            uploads::get_blob,
        )
        .uploads(),
        Route::new::<runs::__path_create_run, _, _>("runs-create", Access::User, runs::create_run)
            .streaming()
            .runs_agents(),
        Route::new::<runs::__path_list_runs, _, _>("runs-list", Access::User, runs::list_runs),
        Route::new::<runs::__path_get_run, _, _>("runs-get", Access::User, runs::get_run),
        Route::new::<runs::__path_stop_run, _, _>("runs-stop", Access::User, runs::stop_run),
        Route::new::<conversations::__path_create_conversation, _, _>(
            "conversations-create",
            Access::User,
            conversations::create_conversation,
        ),
        Route::new::<conversations::__path_list_conversations, _, _>(
            "conversations-list",
            Access::User,
            conversations::list_conversations,
        ),
        Route::new::<conversations::__path_get_conversation, _, _>(
            "conversations-get",
            Access::User,
            conversations::get_conversation,
        ),
        Route::new::<conversations::__path_delete_conversation, _, _>(
            "conversations-delete",
            Access::User,
            conversations::delete_conversation,
        ),
        Route::new::<conversations::__path_send_message, _, _>(
            "conversations-send",
            Access::User,
            conversations::send_message,
        )
        .streaming()
        .runs_agents(),
        Route::new::<conversations::__path_regenerate_answer, _, _>(
            "conversations-regenerate",
            Access::User,
            conversations::regenerate_answer,
        )
        .streaming()
        .runs_agents(),
        Route::new::<openai::__path_create_chat_completion, _, _>(
            "chat-completions",
            Access::User,
            openai::create_chat_completion,
        )
        .streaming()
        .openai_errors()
        .runs_agents(),
        Route::new::<openai::__path_list_models, _, _>(
            "models-list",
            Access::User,
            openai::list_models,
        )
        .searches()
        .openai_errors(),
        Route::new::<credits::__path_get_credits, _, _>(
            "credits-get",
            Access::User,
            credits::get_credits,
        ),
        Route::new::<credits::__path_list_ledger, _, _>(
            "credits-ledger",
            Access::User,
            credits::list_ledger,
        ),
        Route::new::<credits::__path_set_spending_limits, _, _>(
            "credits-limits",
            Access::User,
            credits::set_spending_limits,
        ),
        Route::new::<provider_keys::__path_list_provider_keys, _, _>(
            "provider-keys-list",
            Access::User,
            provider_keys::list_provider_keys,
        ),
        Route::new::<provider_keys::__path_create_provider_key, _, _>(
            "provider-keys-create",
            Access::User,
            provider_keys::create_provider_key,
        )
        .needs(&[Need::SavedKeysEncrypt]),
        Route::new::<provider_keys::__path_delete_provider_key, _, _>(
            "provider-keys-delete",
            Access::User,
            provider_keys::delete_provider_key,
        ),
        Route::new::<agent_stats::__path_get_agent_stats, _, _>(
            "agents-stats",
            Access::User,
            agent_stats::get_agent_stats,
        ),
        Route::new::<reviews::__path_list_reviews, _, _>(
            "reviews-list",
            Access::Public,
            reviews::list_reviews,
        ),
        Route::new::<reviews::__path_put_my_review, _, _>(
            "reviews-put",
            Access::User,
            reviews::put_my_review,
        ),
        Route::new::<reviews::__path_reply_to_review, _, _>(
            "reviews-reply",
            Access::User,
            reviews::reply_to_review,
        ),
        Route::new::<reviews::__path_report_review, _, _>(
            "reviews-report",
            Access::User,
            reviews::report_review,
        ),
        Route::new::<workflows::__path_create_workflow, _, _>(
            "workflows-create",
            Access::User,
            workflows::create_workflow,
        ),
        Route::new::<workflows::__path_list_workflows, _, _>(
            "workflows-list",
            Access::Public,
            workflows::list_workflows,
        ),
        Route::new::<workflows::__path_list_saved_workflows, _, _>(
            "saved-workflows-list",
            Access::User,
            workflows::list_saved_workflows,
        ),
        Route::new::<workflows::__path_save_workflow, _, _>(
            "saved-workflows-put",
            Access::User,
            workflows::save_workflow,
        ),
        Route::new::<workflows::__path_unsave_workflow, _, _>(
            "saved-workflows-delete",
            Access::User,
            workflows::unsave_workflow,
        ),
        Route::new::<workflows::__path_validate_workflow, _, _>(
            "workflows-validate",
            Access::User,
            workflows::validate_workflow,
        )
        .needs(&[Need::SavedKeysDecrypt]),
        Route::new::<workflows::__path_get_workflow, _, _>(
            "workflows-get",
            Access::Public,
            workflows::get_workflow,
        ),
        Route::new::<workflows::__path_update_workflow, _, _>(
            "workflows-update",
            Access::User,
            workflows::update_workflow,
        ),
        Route::new::<workflows::__path_publish_workflow, _, _>(
            "workflows-publish",
            Access::User,
            workflows::publish_workflow,
        )
        .needs(&[Need::SavedKeysDecrypt]),
        Route::new::<workflows::__path_list_workflow_versions, _, _>(
            "workflows-versions",
            Access::Public,
            workflows::list_workflow_versions,
        ),
        Route::new::<workflows::__path_fork_workflow, _, _>(
            "workflows-fork",
            Access::User,
            workflows::fork_workflow,
        ),
        Route::new::<workflows::__path_start_workflow_run, _, _>(
            "workflow-runs-create",
            Access::User,
            workflows::start_workflow_run,
        )
        .needs(&[
            Need::SavedKeysDecrypt,
            Need::IdempotencyTable,
            Need::WorkflowQueue,
        ]),
        Route::new::<workflows::__path_list_workflow_runs, _, _>(
            "workflow-runs-list",
            Access::User,
            workflows::list_workflow_runs,
        ),
        Route::new::<workflows::__path_get_workflow_run, _, _>(
            "workflow-runs-get",
            Access::User,
            workflows::get_workflow_run,
        ),
        Route::new::<workflows::__path_cancel_workflow_run, _, _>(
            "workflow-runs-cancel",
            Access::User,
            workflows::cancel_workflow_run,
        ),
        Route::new::<workflows::__path_follow_workflow_run, _, _>(
            "workflow-runs-events",
            Access::User,
            workflows::follow_workflow_run,
        )
        .streaming(),
    ]
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
            needs: needs::ROUTE_DEFAULT.into_iter().collect(),
            handler: on(filter, handler),
        }
    }

    fn needs(mut self, needs: &[Need]) -> Self {
        self.needs.extend(needs);
        self
    }

    /// Mints access tokens: its function alone (with the other sign-in routes) may read the
    /// signing keys; it has no use for their public half.
    fn signs_in(mut self) -> Self {
        self.needs.remove(&Need::VerificationKeys);
        self.needs(&[Need::SigningKeys])
    }

    /// Searches or changes the catalog's search index (OpenSearch in AWS).
    fn searches(self) -> Self {
        self.needs(&[Need::Search])
    }

    /// Runs agents: calls model providers (see [`needs::RUNS_AGENTS`]).
    fn runs_agents(self) -> Self {
        self.needs(&needs::RUNS_AGENTS)
    }

    /// Checks, stores or serves uploaded files.
    fn uploads(self) -> Self {
        self.needs(&[Need::Uploads])
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
