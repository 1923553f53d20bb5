//! The OpenAPI 3.1 document, generated from the route table, and `GET /v1/openapi.json`.

use std::sync::OnceLock;

use axum::response::IntoResponse;
use http::header;
use utoipa::{
    OpenApi, openapi,
    openapi::{
        Ref, RefOr,
        path::Operation,
        response::{Response, ResponseBuilder},
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use super::{
    Access, admin, agent_versions, agents, auth, categories, creators, llm_models, me, routes,
    saved_agents, uploads,
};
use crate::{
    domain::Role,
    services::health::{DependencyCheck, DependencyStatus, HealthReport, OverallStatus},
    {api::problem::Problem, domain::FieldError},
};

/// The name of the security scheme every non-public operation requires.
pub const BEARER_SCHEME: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        description = "Agora is an open-source AI agent marketplace. Every error is RFC 9457 `application/problem+json` (schema `Problem`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(
        Problem, FieldError, HealthReport, DependencyCheck, DependencyStatus, OverallStatus, Role,
        auth::RegisterRequest, auth::LoginRequest, auth::RefreshRequest, auth::RefreshTokenDelivery,
        auth::SessionResponse, me::User, me::UpdateMeRequest, me::ApiKey, me::ApiKeyStatus,
        me::ApiKeyList, me::CreateApiKeyRequest, me::CreatedApiKey, super::verification::VerifyEmailRequest, super::verification::EmailVerifiedResponse,
        super::verification::VerificationEmailSent, super::verification::Outbox, super::verification::OutboxMail,
        super::openai::error::OpenAiErrorBody, super::openai::error::OpenAiErrorObject, admin::AuditLogPage, crate::services::accounts::AuditEntryView,
        agents::CreateAgentRequest, agents::UpdateAgentRequest, agent_versions::PublishRequest,
        agent_versions::UpdateVersionRequest, agent_versions::SetLatestRequest, agents::ForkRequest,
        saved_agents::SaveRequest, agents::DelistRequest, categories::CategoryRequest, agent_versions::VersionList,
        agents::AgentList, saved_agents::SavedList, categories::CategoryList, creators::CreatorPage,
        llm_models::LlmModel, llm_models::LlmModelList,
        crate::services::catalog::ListingPage, crate::services::catalog::AgentView,
        crate::services::catalog::AgentSummary, crate::services::catalog::VersionView,
        crate::services::catalog::ForkOrigin, crate::services::catalog::SavedView,
        crate::services::catalog::views::AgentCardView, crate::ports::Facets, crate::ports::FacetCount,
        crate::ports::SearchMode, crate::ports::CatalogSort, crate::services::catalog::views::CategoryView,
        crate::ports::Visibility, crate::ports::AgentStatus,
        crate::domain::AgentSpec, crate::domain::agent::SpecFormat, crate::domain::Licence,
        crate::domain::agent::Examples, crate::domain::agent::ExampleMessage,
        crate::domain::agent::ExampleRole, crate::domain::agent::InputField,
        crate::domain::agent::InputKind, crate::domain::agent::ModelChoice,
        crate::domain::agent::ModelRef, crate::domain::agent::ModelParameters,
        crate::domain::models::Provider,
        uploads::UploadRequest, crate::services::uploads::UploadTicket, crate::ports::UploadForm,
        crate::ports::FormField, crate::ports::UploadPurpose,
        super::runs::CreateRunRequest, super::path::VersionParam, super::runs::RunMessage,
        super::run_answer::RunResponse, super::runs::RunList, super::conversations::CreateConversationRequest,
        super::conversations::ConversationList, super::conversations::ReplyRequest, super::conversations::RegenerateRequest,
        crate::services::runs::RunInfo, crate::services::runs::RunOutcome,
        crate::services::conversations::ConversationView, crate::services::conversations::ConversationEntry,
        crate::services::conversations::MessageView, crate::services::runs::views::RunView,
        crate::ports::RunSource, crate::ports::RunStatus,
        crate::ports::CredentialKind, crate::ports::Attempt,
        crate::ports::RunError, crate::domain::llm::FinishReason, crate::domain::llm::Role,
        super::openai::ChatCompletionRequest, super::openai::StreamOptions,
        super::openai::ChatMessage, super::openai::ChatCompletion, super::openai::ChatChoice,
        super::openai::AssistantMessage, super::openai::ChatUsage, super::openai::AgoraRun,
        super::openai::ModelList, super::openai::ModelEntry,
        super::credits::CreditsView, super::credits::LedgerPage, super::credits::SpendingLimitsRequest,
        super::provider_keys::CreateProviderKeyRequest, super::provider_keys::ProviderKeyList,
        super::agent_stats::AgentStats, crate::services::billing::LedgerEntryView, crate::ports::LedgerKind,
        crate::services::billing::DailyCreditsView, crate::services::runs::views::DailyRunsView,
        crate::services::runs::views::VersionStatsView, crate::services::credentials::CredentialView,
        crate::services::credentials::CredentialProvider,
        crate::services::reviews::ReviewsView, super::reviews::ReviewRequest,
        super::reviews::ReplyToReviewRequest, super::reviews::ReportReviewRequest,
        crate::services::reviews::ReviewView, crate::services::reviews::RatingView,
        super::workflows::CreateWorkflowRequest, super::workflows::UpdateWorkflowRequest,
        super::workflows::ValidateWorkflowRequest, super::workflows::PublishWorkflowRequest,
        super::workflows::ForkWorkflowRequest, super::workflows::StartWorkflowRunRequest,
        super::workflows::WorkflowList, super::workflows::WorkflowVersionList,
        super::workflows::SavedWorkflowList, crate::services::workflows::SavedWorkflow,
        super::workflows::WorkflowRunList, crate::services::workflows::WorkflowView,
        crate::services::workflows::AgentUse, crate::services::workflows::WorkflowEstimate,
        crate::services::workflows::StepEstimate, crate::services::workflows::views::WorkflowRunView,
        crate::ports::WorkflowRunStatus, crate::ports::WorkflowRunError,
        crate::services::workflows::views::StepView, crate::ports::StepStatus,
        crate::services::workflows::views::WorkflowVersionView,
        crate::domain::workflow::WorkflowSpec, crate::domain::workflow::WorkflowFormat,
        crate::domain::workflow::WorkflowInput, crate::domain::workflow::InputType,
        crate::domain::workflow::Step, crate::domain::workflow::AgentCall,
        crate::domain::workflow::TemplateStep, crate::domain::workflow::ExtractStep,
        crate::domain::workflow::ConditionStep, crate::domain::workflow::Operator,
        crate::domain::workflow::MapStep,
    )),
    tags(
        (name = "system", description = "Health and API description"),
        (name = "auth", description = "Sign-up, sign-in and sessions"),
        (name = "account", description = "Your account and API keys"),
        (name = "catalog", description = "Agents: define, publish, browse, search, save and fork"),
        (name = "uploads", description = "Icons and avatars"),
        (name = "runs", description = "Run agents once: whole or streamed, metered and billed"),
        (name = "conversations", description = "Chat with an agent: streamed replies, stop, regenerate"),
        (name = "openai", description = "The OpenAI-compatible API: every agent is a model"),
        (name = "billing", description = "Credits, the ledger, spending limits and your provider keys"),
        (name = "reviews", description = "Ratings and reviews from people who ran an agent"),
        (name = "workflows", description = "Chain agents into DAGs and run them asynchronously, metered per step"),
        (name = "admin", description = "Administration (administrators only)"),
    ),
)]
struct BaseDocument;

/// The whole API description: the base document plus one operation per route.
pub fn document() -> openapi::OpenApi {
    let mut document = BaseDocument::openapi();
    document.info.version = crate::VERSION.to_owned();
    document
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token from POST /v1/auth/login (a JWT, 15 minutes) or an API key (`agora_sk_...`) from POST /v1/me/api-keys.",
                    ))
                    .build(),
            ),
        );
    for route in routes() {
        let method = match route.method.as_str() {
            "POST" => openapi::HttpMethod::Post,
            "PUT" => openapi::HttpMethod::Put,
            "PATCH" => openapi::HttpMethod::Patch,
            "DELETE" => openapi::HttpMethod::Delete,
            _ => openapi::HttpMethod::Get,
        };
        document.paths.add_path_operation(
            route.path.clone(),
            vec![method],
            route.operation.clone(),
        );
    }
    document
}

/// The document as pretty JSON, rendered once per process.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_pretty_json().unwrap_or_default())
}

/// The OpenAPI 3.1 description of this API.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "system",
    operation_id = "get_openapi",
    summary = "The OpenAPI 3.1 document of this API",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
pub async fn get_openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_json(),
    )
}

/// Declares who may call an operation (RELIABILITY 30): public operations carry an explicit
/// empty requirement, the others the bearer scheme and the problems authorization adds.
/// Every operation also documents the problems any route can answer, and those its body
/// and query string can (RELIABILITY 27, 28: no status goes undocumented).
pub(super) fn declare_access(operation: &mut Operation, access: Access, writes: bool) {
    let takes_body = operation.request_body.is_some();
    let takes = |place: openapi::path::ParameterIn| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|parameter| parameter.parameter_in == place)
    };
    let takes_query = takes(openapi::path::ParameterIn::Query);
    let takes_path = takes(openapi::path::ParameterIn::Path);
    let problem = |description: &str| -> RefOr<Response> {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    crate::api::problem::PROBLEM_JSON,
                    openapi::ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    };
    match access {
        Access::Public => {}
        Access::User | Access::Admin => {
            add(
                "401",
                "No credential, or an expired, revoked or invalid one (problem `unauthorized`)",
            );
        }
    }
    if access == Access::Admin {
        add(
            "403",
            "Signed in, but not an administrator (problem `forbidden`)",
        );
    }
    if takes_body {
        add(
            "400",
            "The body is not JSON of the documented shape (problem `malformed-body`)",
        );
        add(
            "413",
            "The body is over the size limit (problem `payload-too-large`)",
        );
        add(
            "415",
            "The body is not sent as `application/json` (problem `unsupported-media-type`)",
        );
    }
    if takes_body || takes_query {
        add(
            "422",
            "A field or query parameter is invalid or unknown; `errors` says which (problem `validation`)",
        );
    }
    if takes_path {
        add(
            "404",
            "Nothing at this address that you may see (problem `not-found`)",
        );
    }
    if takes_path && writes && access == Access::User {
        add(
            "403",
            "You may see this, but it is someone else's to change (problem `forbidden`)",
        );
    }
    add(
        "429",
        "Too many requests; wait for Retry-After (problem `rate-limited`)",
    );
    add(
        "503",
        "A dependency is unavailable; retry after Retry-After (problem `unavailable`)",
    );
    add(
        "504",
        "The request took longer than its budget (problem `timeout`)",
    );
    operation.security = Some(match access {
        Access::Public => Vec::new(),
        Access::User | Access::Admin => {
            vec![SecurityRequirement::new(
                BEARER_SCHEME,
                Vec::<String>::new(),
            )]
        }
    });
}

/// Moves an operation of the OpenAI-compatible surface to OpenAI's error format: every
/// error response is `application/json` with OpenAI's error object.
pub(super) fn declare_openai_errors(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        if status.starts_with('2') {
            continue;
        }
        let RefOr::T(response) = response else {
            continue;
        };
        let description = response
            .description
            .replace("(problem `", "(OpenAI error format; problem type `");
        *response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                openapi::ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("OpenAiErrorBody")))
                    .build(),
            )
            .build();
    }
}
