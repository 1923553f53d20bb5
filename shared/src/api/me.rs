//! `/v1/me`: the caller's account and API keys.

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{SignedIn, json::StrictJson};
use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{RequestOrigin, Role},
    ports::{ApiKeyRecord, UserRecord},
    services::accounts::ProfileUpdate,
};

/// An account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    /// Your agents live at `<handle>/<slug>`.
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar: Option<String>,
    pub role: Role,
    /// Whether the email address is confirmed; the sign-up credits arrive with it.
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRecord> for User {
    fn from(user: UserRecord) -> Self {
        Self {
            id: user.id,
            email: user.email,
            handle: user.handle,
            display_name: user.display_name,
            bio: user.bio,
            avatar: user.avatar,
            role: user.role,
            email_verified: user.email_verified_at.is_some(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// Changes to the caller's account; absent fields stay as they are. Other fields (`role`,
/// `id`, `email`) are rejected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// 1 to 80 characters.
    pub display_name: Option<String>,
    /// 3 to 32 lower-case letters, digits and hyphens; links to your agents change with it.
    pub handle: Option<String>,
    /// Shown on your creator page; up to 500 characters.
    pub bio: Option<String>,
    /// The `key` of an avatar uploaded with `POST /v1/uploads` (PNG, JPEG or WebP).
    pub avatar: Option<String>,
    /// Required with `new_password`.
    pub current_password: Option<String>,
    /// 10 characters to 256 bytes. Changing it signs out every session of the account.
    pub new_password: Option<String>,
}

/// Whether a key can be used now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyStatus {
    Active,
    Expired,
    Revoked,
}

/// An API key as listed: never the key itself, only its first characters.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters, to tell keys apart (`agora_sk_3xT9qZ`).
    pub prefix: String,
    pub status: ApiKeyStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(key: ApiKeyRecord) -> Self {
        let status = if key.revoked_at.is_some() {
            ApiKeyStatus::Revoked
        } else if key.expires_at.is_some_and(|at| at <= Utc::now()) {
            ApiKeyStatus::Expired
        } else {
            ApiKeyStatus::Active
        };
        Self {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            status,
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first, revoked and expired keys included.
    pub api_keys: Vec<ApiKey>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// What the key is for, 1 to 100 characters.
    #[schema(example = "CI pipeline")]
    pub name: String,
    /// When the key stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new key: the only response that ever contains it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The secret key (`agora_sk_...`). Store it now: it cannot be shown again.
    pub key: String,
    pub api_key: ApiKey,
}

/// The caller's account.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "account",
    operation_id = "get_me",
    summary = "Your account",
    responses((status = 200, description = "The signed-in account", body = User))
)]
pub async fn get_me(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<User>, Error> {
    Ok(axum::Json(state.accounts()?.me(&caller).await?.into()))
}

/// Changes the caller's display name or password.
#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = "account",
    operation_id = "update_me",
    summary = "Change your name or password",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = User),
        (status = 409, description = "The handle is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, handle, bio or password, a wrong current password, or a field that cannot be changed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    origin: RequestOrigin,
    StrictJson(request): StrictJson<UpdateMeRequest>,
) -> Result<axum::Json<User>, Error> {
    let update = ProfileUpdate {
        display_name: request.display_name,
        handle: request.handle,
        bio: request.bio,
        avatar: request.avatar,
        current_password: request.current_password,
        new_password: request.new_password,
    };
    Ok(axum::Json(
        state
            .accounts()?
            .update_me(&caller, update, &origin)
            .await?
            .into(),
    ))
}

/// The caller's API keys.
#[utoipa::path(
    get,
    path = "/v1/me/api-keys",
    tag = "account",
    operation_id = "list_api_keys",
    summary = "Your API keys",
    responses((status = 200, description = "Every key, newest first", body = ApiKeyList))
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<ApiKeyList>, Error> {
    let keys = state.accounts()?.list_api_keys(&caller).await?;
    Ok(axum::Json(ApiKeyList {
        api_keys: keys.into_iter().map(ApiKey::from).collect(),
    }))
}

/// Creates an API key; the response is the only time the key is shown.
#[utoipa::path(
    post,
    path = "/v1/me/api-keys",
    tag = "account",
    operation_id = "create_api_key",
    summary = "Create an API key",
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "The key, shown this once", body = CreatedApiKey),
        (status = 409, description = "The live-key cap is reached; revoke a key first", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or expiry", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    origin: RequestOrigin,
    StrictJson(request): StrictJson<CreateApiKeyRequest>,
) -> Result<Response, Error> {
    let created = state
        .accounts()?
        .create_api_key(&caller, &request.name, request.expires_at, &origin)
        .await?;
    let location = format!("/v1/me/api-keys/{}", created.record.id);
    let mut response = (
        StatusCode::CREATED,
        axum::Json(CreatedApiKey {
            key: created.key,
            api_key: created.record.into(),
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Revokes one of the caller's API keys; it stops working at once.
#[utoipa::path(
    delete,
    path = "/v1/me/api-keys/{id}",
    tag = "account",
    operation_id = "revoke_api_key",
    summary = "Revoke an API key",
    params(("id" = Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked (also when it already was)"),
        (status = 404, description = "You have no key with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    origin: RequestOrigin,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    let accounts = state.accounts()?;
    // A malformed id is as missing as an unknown one.
    let id = Uuid::parse_str(&id).map_err(|_| Error::NotFound("No API key has this id.".into()))?;
    accounts.revoke_api_key(&caller, id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}
