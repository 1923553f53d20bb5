//! `/v1/categories`: the categories agents are filed under, with their counts; edited by
//! administrators.

use axum::{
    extract::{Path, State},
    response::Response,
};

use serde::{Deserialize, Serialize};

use utoipa::ToSchema;

use super::{SignedInAdmin, cache_control::cacheable, json::StrictJson};

use crate::services::catalog::views::CategoryView;
use crate::{AppState, Error, api::problem::Problem, ports::Category};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub position: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub categories: Vec<CategoryView>,
}

/// The marketplace's categories.
#[utoipa::path(
    get,
    path = "/v1/categories",
    tag = "catalog",
    operation_id = "list_categories",
    summary = "Categories",
    responses((status = 200, description = "In display order, with listed-agent counts", body = CategoryList))
)]
pub async fn list_categories(State(state): State<AppState>) -> Result<Response, Error> {
    let categories = state.catalog()?.categories().await?;
    Ok(cacheable(axum::Json(CategoryList {
        categories: categories.into_iter().map(Into::into).collect(),
    })))
}

/// Adds or changes a category: administrators only.
#[utoipa::path(
    put,
    path = "/v1/admin/categories/{slug}",
    tag = "admin",
    operation_id = "put_category",
    summary = "Add or change a category (administrators)",
    params(("slug" = String, Path)),
    request_body = CategoryRequest,
    responses(
        (status = 200, description = "The category", body = CategoryView),
        (status = 422, description = "A bad slug, name or description", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_category(
    State(state): State<AppState>,
    SignedInAdmin(caller): SignedInAdmin,
    Path(slug): Path<String>,
    StrictJson(request): StrictJson<CategoryRequest>,
) -> Result<axum::Json<CategoryView>, Error> {
    Ok(axum::Json(
        state
            .catalog()?
            .upsert_category(
                &caller,
                Category {
                    slug,
                    name: request.name,
                    description: request.description,
                    position: request.position,
                    agent_count: 0,
                },
            )
            .await?
            .into(),
    ))
}
