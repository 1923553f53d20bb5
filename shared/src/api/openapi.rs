//! The OpenAPI 3.1 document, generated from the route table, and `GET /v1/openapi.json`.

use std::sync::OnceLock;

use axum::response::IntoResponse;
use http::header;
use utoipa::{OpenApi, openapi};

use super::routes;
use crate::{
    error::{FieldError, Problem},
    services::health::{DependencyCheck, DependencyStatus, HealthReport, OverallStatus},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        description = "Agora is an open-source AI agent marketplace. Every error is RFC 9457 `application/problem+json` (schema `Problem`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, FieldError, HealthReport, DependencyCheck, DependencyStatus, OverallStatus)),
    tags((name = "system", description = "Health and API description")),
)]
struct BaseDocument;

/// The whole API description: the base document plus one operation per route.
pub fn document() -> openapi::OpenApi {
    let mut document = BaseDocument::openapi();
    document.info.version = crate::VERSION.to_owned();
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
