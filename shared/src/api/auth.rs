//! `/v1/auth/*`: sign-up, sign-in, refresh and sign-out.
//!
//! The refresh token travels in an `HttpOnly; Secure; SameSite=Strict` cookie scoped to
//! `/v1/auth` (the web UI), or in the JSON body when a program asks for it with
//! `"refresh_token_delivery": "body"`. Every body is JSON, so a cross-site form cannot
//! post here without a CORS preflight.

use std::time::Duration;

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::json::StrictJson;
use crate::{
    AppState, Error,
    api::problem::Problem,
    domain::{RequestOrigin, Role},
    services::accounts::{Registration, Session},
};

/// Name of the refresh-token cookie.
pub const REFRESH_COOKIE: &str = "agora_refresh";
/// The only path the browser sends the cookie to.
const REFRESH_COOKIE_PATH: &str = "/v1/auth";

/// Where the new refresh token goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefreshTokenDelivery {
    /// An `HttpOnly` cookie (browsers; the default).
    #[default]
    Cookie,
    /// The `refresh_token` field of the response (programs).
    Body,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Normalised to lower case; unique.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// 10 characters to 256 bytes; not a common password, not the email.
    pub password: String,
    /// 1 to 80 characters; defaults to the part of the email before the @.
    pub display_name: Option<String>,
    /// Your public handle (agents live at `<handle>/<slug>`): 3 to 32 lower-case letters,
    /// digits and hyphens; made from the email when absent.
    pub handle: Option<String>,
    #[serde(default)]
    pub refresh_token_delivery: RefreshTokenDelivery,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub refresh_token_delivery: RefreshTokenDelivery,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token, when it is not in the cookie. The new one comes back the same way.
    pub refresh_token: Option<String>,
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Present only with `"refresh_token_delivery": "body"`; single use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub user_id: Uuid,
    pub role: Role,
}

/// Creates an account and signs it in.
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    operation_id = "register",
    summary = "Create an account",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = SessionResponse),
        (status = 409, description = "An account with this email, or the requested handle, exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email, password or name; `errors` says which", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    origin: RequestOrigin,
    StrictJson(request): StrictJson<RegisterRequest>,
) -> Result<Response, Error> {
    let session = state
        .accounts()?
        .register(
            Registration {
                email: request.email,
                password: request.password,
                display_name: request.display_name,
                handle: request.handle,
            },
            &origin,
        )
        .await?;
    Ok(session_response(
        &state,
        StatusCode::CREATED,
        session,
        request.refresh_token_delivery,
    ))
}

/// Signs in with email and password.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    operation_id = "login",
    summary = "Sign in",
    description = "Sign-in attempts are limited per account and per client address, counted before the password is checked; over the limit the answer is 429 with Retry-After. A client that signed in to the account before keeps a limit of its own.",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionResponse),
        (status = 401, description = "Wrong email or password (problem `invalid-credentials`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed email, or a password over 256 bytes", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    origin: RequestOrigin,
    StrictJson(request): StrictJson<LoginRequest>,
) -> Result<Response, Error> {
    let session = state
        .accounts()?
        .login(&request.email, &request.password, &origin)
        .await?;
    Ok(session_response(
        &state,
        StatusCode::OK,
        session,
        request.refresh_token_delivery,
    ))
}

/// Exchanges a refresh token for a new session.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    operation_id = "refresh",
    summary = "Refresh the session",
    description = "Takes the refresh token from the body or the `agora_refresh` cookie and returns a new access token and a new refresh token the same way. Each refresh token works once; presenting a used one again (after a 10 s grace period for retries) signs out its whole session.",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new session", body = SessionResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    origin: RequestOrigin,
    headers: HeaderMap,
    StrictJson(request): StrictJson<RefreshRequest>,
) -> Result<Response, Error> {
    let (token, delivery) = match request.refresh_token {
        Some(token) => (token, RefreshTokenDelivery::Body),
        None => (
            refresh_cookie(&headers).ok_or_else(|| {
                Error::Unauthorized(
                    "No refresh token: send it as `refresh_token` or in the agora_refresh cookie, or sign in again.".into(),
                )
            })?,
            RefreshTokenDelivery::Cookie,
        ),
    };
    let session = state.accounts()?.refresh(&token, &origin).await?;
    Ok(session_response(&state, StatusCode::OK, session, delivery))
}

/// Signs out the session of a refresh token.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    operation_id = "logout",
    summary = "Sign out",
    description = "Revokes the session (every refresh token descended from one sign-in) of the token in the body or cookie, and clears the cookie. Access tokens already issued expire on their own (at most 15 minutes by default).",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also when the token was unknown)"))
)]
pub async fn logout(
    State(state): State<AppState>,
    origin: RequestOrigin,
    headers: HeaderMap,
    StrictJson(request): StrictJson<RefreshRequest>,
) -> Result<Response, Error> {
    if let Some(token) = request.refresh_token.or_else(|| refresh_cookie(&headers)) {
        state.accounts()?.logout(&token, &origin).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(cookie) = HeaderValue::from_str(&refresh_cookie_header("", Duration::ZERO)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

fn session_response(
    state: &AppState,
    status: StatusCode,
    session: Session,
    delivery: RefreshTokenDelivery,
) -> Response {
    let body = SessionResponse {
        access_token: session.access_token,
        token_type: "Bearer",
        expires_in: session.expires_in.as_secs(),
        refresh_token: (delivery == RefreshTokenDelivery::Body)
            .then(|| session.refresh_token.clone()),
        user_id: session.user.id,
        role: session.user.role,
    };
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    // Token responses must never be cached (RFC 6749 §5.1).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if delivery == RefreshTokenDelivery::Cookie {
        let max_age = state
            .accounts()
            .map_or(Duration::ZERO, |accounts| accounts.settings().refresh_ttl);
        if let Ok(cookie) =
            HeaderValue::from_str(&refresh_cookie_header(&session.refresh_token, max_age))
        {
            headers.insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// The `Set-Cookie` value for the refresh token; an empty token with no age clears it.
fn refresh_cookie_header(token: &str, max_age: Duration) -> String {
    cookie::Cookie::build((REFRESH_COOKIE, token))
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .secure(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(0),
        ))
        .build()
        .to_string()
}

fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == REFRESH_COOKIE && !cookie.value().is_empty())
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_cookie_is_http_only_secure_strict_and_scoped() {
        let cookie = refresh_cookie_header("agora_rt_abc", Duration::from_secs(60));
        for part in [
            "agora_refresh=agora_rt_abc",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/v1/auth",
            "Max-Age=60",
        ] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; agora_refresh=agora_rt_abc"),
        );
        assert_eq!(refresh_cookie(&headers).as_deref(), Some("agora_rt_abc"));
    }
}
