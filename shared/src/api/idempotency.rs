//! `Idempotency-Key` on the routes that start runs, with Stripe's semantics: the same
//! caller, key and request get the first response again, byte for byte, with
//! `Idempotent-Replayed: true`, and nothing runs twice; the same key with another request
//! is `422` (`idempotency-key-reused`); while the first is still executing, `409` with
//! `Retry-After`. Requests refused before they did anything (validation, auth, limits) are
//! not remembered. Keys are scoped to the caller and kept 24 hours.

use std::{future::Future, time::Duration};

use axum::{
    body::Body,
    response::{IntoResponse, Response},
};
use base64::Engine;
use futures::StreamExt;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error_format::ErrorFormat;
use crate::{
    AppState, Error,
    domain::Caller,
    ports::{IdempotencyClaim, IdempotencyStore},
};

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a finished request's response is replayed.
pub const KEEP_FOR: Duration = Duration::from_secs(24 * 3600);
/// A request still executing after this long is taken to have died; a retry executes.
pub const IN_PROGRESS_FOR: Duration = Duration::from_secs(60);
/// Larger responses are not remembered (the key is released instead).
const MAX_REMEMBERED_BYTES: usize = 4 << 20;
const MAX_KEY_CHARS: usize = 255;

/// Runs `execute` once per caller and `Idempotency-Key`. It receives the run id to use:
/// derived from the key when there is one, so even a retry after the record expired or
/// the first execution died finds the same run instead of running (and charging) again.
/// Its error is written in the surface's format (`E`: problem+json or OpenAI's).
pub async fn once<F, Fut, E>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
    format: ErrorFormat,
    execute: F,
) -> Response
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<Response, E>>,
    E: IntoResponse,
{
    let execute = |run_id| async move {
        execute(run_id)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    };
    let Some(key) = headers.get(IDEMPOTENCY_KEY) else {
        return execute(Uuid::now_v7()).await;
    };
    let key = match key.to_str().ok().map(str::trim) {
        Some(key) if !key.is_empty() && key.chars().count() <= MAX_KEY_CHARS => key.to_owned(),
        _ => {
            return format.render(Error::invalid(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters, e.g. a UUID"),
            ));
        }
    };
    let Some(user_id) = caller.user_id() else {
        return execute(Uuid::now_v7()).await;
    };
    let store = match state.idempotency() {
        Ok(store) => store,
        Err(error) => return format.render(error),
    };
    let record_key = format!("{user_id}:{key}");
    let request_hash = Sha256::new()
        .chain_update(route.as_bytes())
        .chain_update([0])
        .chain_update(body)
        .finalize()
        .to_vec();
    let now = state.clock().now();
    let claim_id = Uuid::new_v4();
    let claim = match store
        .claim(
            &record_key,
            claim_id,
            &request_hash,
            now,
            IN_PROGRESS_FOR,
            KEEP_FOR,
        )
        .await
    {
        Ok(claim) => claim,
        Err(error) => return format.render(error),
    };
    match claim {
        IdempotencyClaim::Started => {}
        IdempotencyClaim::Completed {
            request_hash: stored,
            ..
        }
        | IdempotencyClaim::InProgress {
            request_hash: stored,
        } if stored != request_hash => return format.render(Error::IdempotencyKeyReused),
        IdempotencyClaim::Completed { response, .. } => return replay(&response),
        IdempotencyClaim::InProgress { .. } => {
            return format.render(Error::InFlight {
                retry_after: Duration::from_secs(1),
            });
        }
    }
    let run_id = derived_run_id(user_id, &key);
    let response = execute(run_id).await;
    if !remembered(response.status()) {
        if let Err(error) = store.release(&record_key, claim_id).await {
            tracing::warn!(%error, "cannot release an idempotency key");
        }
        return response;
    }
    remember(state.clone(), store, record_key, claim_id, response)
}

/// Whether a response is the outcome of a request that did something. Refusals before any
/// work (validation, auth, conflicts, limits, an unavailable backend) are not remembered,
/// so the client can fix the request and retry with the same key.
fn remembered(status: StatusCode) -> bool {
    status.is_success()
        || status == StatusCode::PAYMENT_REQUIRED
        || status == StatusCode::BAD_GATEWAY
        || status == StatusCode::GATEWAY_TIMEOUT
}

/// The run id of `key`: a version-8 UUID from a hash of the caller and the key.
pub fn derived_run_id(user_id: Uuid, key: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(b"agora-run/")
        .chain_update(user_id.as_bytes())
        .chain_update(key.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

/// A response as remembered.
#[derive(Serialize, Deserialize)]
struct Stored {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Passes the response through while keeping a copy of its body; when the body ends (a
/// stream included), stores it with the key.
fn remember(
    state: AppState,
    store: std::sync::Arc<dyn IdempotencyStore>,
    record_key: String,
    claim_id: Uuid,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(name, _)| name.as_str() != super::request_id::REQUEST_ID_HEADER)
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let status = parts.status.as_u16();
    let chunks = body.into_data_stream();
    let stream = futures::stream::unfold(Some((chunks, Vec::new(), false)), move |state_slot| {
        let store = store.clone();
        let record_key = record_key.clone();
        let headers = headers.clone();
        let app = state.clone();
        async move {
            let (mut chunks, mut copy, mut too_big) = state_slot?;
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    if copy.len() + chunk.len() > MAX_REMEMBERED_BYTES {
                        too_big = true;
                        copy = Vec::new();
                    } else if !too_big {
                        copy.extend_from_slice(&chunk);
                    }
                    Some((Ok(chunk), Some((chunks, copy, too_big))))
                }
                Some(Err(error)) => {
                    // A broken body is not a result: let a retry execute.
                    let _ = store.release(&record_key, claim_id).await;
                    Some((Err(error), None))
                }
                None => {
                    let stored = (!too_big)
                        .then(|| {
                            serde_json::to_vec(&Stored {
                                status,
                                headers,
                                body: base64::engine::general_purpose::STANDARD.encode(&copy),
                            })
                            .ok()
                        })
                        .flatten()
                        .filter(|bytes| bytes.len() <= store.max_response_bytes());
                    // Too large for the store: not remembered, so a retry executes again
                    // (and finds its run by the run id the key derives).
                    let outcome = match stored {
                        Some(bytes) => store
                            .complete(&record_key, claim_id, &bytes, app.clock().now(), KEEP_FOR)
                            .await
                            .map(|kept| {
                                if !kept {
                                    tracing::warn!("an idempotency key was taken over while its first request ran; the later request's record stays");
                                }
                            }),
                        None => store.release(&record_key, claim_id).await,
                    };
                    if let Err(error) = outcome {
                        tracing::warn!(%error, "cannot store an idempotent response");
                    }
                    None
                }
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn replay(stored: &[u8]) -> Response {
    let Ok(stored) = serde_json::from_slice::<Stored>(stored) else {
        return Error::Internal("a stored idempotent response is malformed".into()).into_response();
    };
    let Ok(body) = base64::engine::general_purpose::STANDARD.decode(&stored.body) else {
        return Error::Internal("a stored idempotent response is malformed".into()).into_response();
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_stable_per_caller_and_key() {
        let user = Uuid::now_v7();
        assert_eq!(derived_run_id(user, "k1"), derived_run_id(user, "k1"));
        assert_ne!(derived_run_id(user, "k1"), derived_run_id(user, "k2"));
        assert_ne!(
            derived_run_id(user, "k1"),
            derived_run_id(Uuid::now_v7(), "k1")
        );
    }

    #[test]
    fn only_requests_that_did_something_are_remembered() {
        for status in [200, 201, 402, 502, 504] {
            assert!(
                remembered(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503] {
            assert!(
                !remembered(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
    }
}
