//! Who is calling: the `Authorization: Bearer` credential (access JWT or API key) resolved
//! once per request into a [`Caller`], the client's address into a [`RequestOrigin`], and
//! the per-caller request limit. Handlers take both as extractors.

use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    middleware::Next,
    response::Response,
};
use http::{HeaderMap, header, request::Parts};
use lambda_http::request::RequestContext;

use super::{error_format::ErrorFormat, request_id::current_request_id};
use crate::{
    AppState, Error,
    domain::{Caller, RequestOrigin, secret::SecretString},
    services::rate_limit::Limit,
};

/// Resolves the caller and the origin, applies the per-caller limit, and stores both in
/// the request for the handlers.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let format = ErrorFormat::of(request.extensions());
    let secrets = &state.http().edge_secrets;
    let from_the_edge = through_the_edge(request.headers(), secrets);
    if !secrets.is_empty() && !from_the_edge && bypasses_the_edge(&request) {
        return format.render(Error::Forbidden(
            "Call Agora at its public address; requests straight to its origin are refused.".into(),
        ));
    }
    let origin = RequestOrigin {
        client_addr: client_addr(&request, from_the_edge),
        request_id: current_request_id(),
    };
    let caller = match resolve_caller(&state, request.headers(), &origin).await {
        Ok(caller) => caller,
        Err(error) => return format.render(error),
    };
    if let Err(error) = limit_requests(&state, &caller, &origin).await {
        return format.render(error);
    }
    request.extensions_mut().insert(caller);
    request.extensions_mut().insert(origin);
    next.run(request).await
}

async fn resolve_caller(
    state: &AppState,
    headers: &HeaderMap,
    origin: &RequestOrigin,
) -> Result<Caller, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let credential = value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, credential) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credential.trim())
        })
        .filter(|credential| !credential.is_empty())
        .ok_or_else(|| {
            Error::Unauthorized(
                "The Authorization header must be `Bearer <access token or API key>`.".into(),
            )
        })?;
    state.accounts()?.authenticate(credential, origin).await
}

/// The general per-caller limit: per user when signed in, per client address otherwise.
async fn limit_requests(
    state: &AppState,
    caller: &Caller,
    origin: &RequestOrigin,
) -> Result<(), Error> {
    let Ok(accounts) = state.accounts() else {
        return Ok(());
    };
    let key = match (caller.user_id(), origin.client_addr) {
        (Some(user), _) => format!("requests:user:{user}"),
        (None, Some(addr)) => format!("requests:address:{addr}"),
        (None, None) => return Ok(()),
    };
    let limit = Limit {
        max: accounts.settings().requests_per_minute,
        window: Duration::from_secs(60),
    };
    accounts
        .limiter()
        .hit(&key, limit)
        .await
        .map_err(|limited| Error::RateLimited {
            retry_after: limited.retry_after,
            detail: format!("More than {} requests in a minute.", limit.max),
        })
}

/// The request header CloudFront's viewer-request function sets to the viewer's address.
pub const VIEWER_ADDRESS_HEADER: &str = "x-agora-viewer-address";
/// The request header CloudFront adds to every request it forwards to an origin.
pub const EDGE_SECRET_HEADER: &str = "x-agora-edge-secret";

/// Whether the request carries one of the edge secrets, compared in constant time: it came
/// through CloudFront.
fn through_the_edge(headers: &HeaderMap, secrets: &[SecretString]) -> bool {
    let Some(presented) = headers.get(EDGE_SECRET_HEADER) else {
        return false;
    };
    secrets.iter().any(|secret| {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            presented.as_bytes(),
            secret.expose().as_bytes(),
        )
        .is_ok()
    })
}

/// A request that reached a Lambda function (API Gateway, a function URL, an ALB) other
/// than the public health check, which load balancers call without the secret.
fn bypasses_the_edge(request: &Request) -> bool {
    request.extensions().get::<RequestContext>().is_some()
        && !(request.method() == http::Method::GET && request.uri().path() == "/v1/health")
}

/// The client's address. Behind CloudFront (a request carrying the edge secret), the
/// viewer's address CloudFront saw; otherwise the front door's: API Gateway's source IP,
/// the address an ALB appended last to X-Forwarded-For, or the socket's peer locally.
/// Headers a client could forge are believed only with the secret, or behind an ALB.
fn client_addr(request: &Request, from_the_edge: bool) -> Option<IpAddr> {
    if from_the_edge && let Some(viewer) = viewer_address(request.headers()) {
        return Some(viewer);
    }
    let extensions = request.extensions();
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        Some(RequestContext::ApiGatewayV1(context)) => context
            .identity
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse().ok()),
        Some(RequestContext::Alb(_)) => request
            .headers()
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok()),
        _ => extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip()),
    }
}

/// The viewer's address CloudFront passed on.
fn viewer_address(headers: &HeaderMap) -> Option<IpAddr> {
    let raw = headers.get(VIEWER_ADDRESS_HEADER)?.to_str().ok()?.trim();
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|address| address.ip()))
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous))
    }
}

/// The caller of a route that needs one: anonymous requests are refused with 401 before the
/// body is read, so nobody learns anything from validation errors without signing in.
/// Services still decide what the caller may do.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(caller) = Caller::from_request_parts(parts, state).await;
        match caller.user() {
            Ok(_) => Ok(Self(caller)),
            Err(refused) => Err(ErrorFormat::of(&parts.extensions).render(refused)),
        }
    }
}

/// The caller of an administrators' route: nobody is 401 and a user 403 before the body is
/// read. The services check again.
#[derive(Clone, Debug)]
pub struct SignedInAdmin(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for SignedInAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(caller) = Caller::from_request_parts(parts, state).await;
        match caller.admin() {
            Ok(_) => Ok(Self(caller)),
            Err(refused) => Err(ErrorFormat::of(&parts.extensions).render(refused)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestOrigin>()
            .cloned()
            .unwrap_or_default())
    }
}
