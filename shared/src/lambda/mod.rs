//! Serving one route as a Lambda function, and invoking a function in process.
//!
//! A route's bin calls [`serve_route`] with its route's constructor and needs, both from
//! [`api::functions`]: the route is chosen at compile time, and the needs, a const generic,
//! decide which adapters the state is built with, so the binary holds that route and those
//! adapters and the linker drops the rest. Configuration, logging and state are built once
//! per cold start, what the route needs is opened during init, then `lambda_http` feeds
//! each API Gateway (HTTP API v2 or REST v1) or ALB event through that route's router.

pub mod migrate;

use std::{future::Future, process::ExitCode};

use futures::future::BoxFuture;

use axum::Router;
use lambda_http::{
    Context, LambdaEvent, RequestExt, Service,
    request::{LambdaRequest, RequestContext},
};
use tower::ServiceExt;

use crate::{
    AppState, Config,
    api::{self, NeedSet, Route},
    bootstrap::StartupError,
};

/// The whole `main` of a route's function: `NEEDS` is its route's
/// [`NEEDS`](api::functions::health::NEEDS) as [bits](NeedSet::bits).
pub fn serve_route<const NEEDS: u32>(route: fn() -> Route) -> ExitCode {
    // Only the state's assembly is built per function (it is what its needs decide); the
    // runtime loop, the router and the HTTP stack are compiled once, in this library.
    serve(route(), |config| {
        Box::pin(AppState::build_for::<NEEDS>(config))
    })
}

/// How a function's state is built: [`AppState::build_for`] with its needs.
type BuildState = fn(Config) -> BoxFuture<'static, Result<AppState, StartupError>>;

fn serve(route: Route, build: BuildState) -> ExitCode {
    start(route.function, async move {
        let config = configured()?;
        let state = build(config).await?;
        for problem in state.warm_up(route.needs).await {
            tracing::warn!(%problem, "not opened during init; the first request will try");
        }
        let streams = route.streams;
        let router = api::route_app(state, route);
        if streams {
            // Event streams reach the client as they are written, through a function URL
            // with `InvokeMode: RESPONSE_STREAM`; the run settles before its stream ends.
            lambda_http::run_with_streaming_response(lambda_service(router)).await
        } else {
            lambda_http::run(lambda_service(router)).await
        }
    })
}

/// What each event function (a schedule, a queue, a custom resource) reaches outside its
/// process; routes declare theirs in the route table.
pub mod event_needs {
    use crate::api::{Need, NeedSet};

    /// Releases stale holds, forgets expired records and the files of abandoned uploads.
    pub const MAINTENANCE: NeedSet = NeedSet::of(&[Need::Database, Need::Uploads]);
    /// Runs agent steps and queues the next ones; it checks no token.
    pub const WORKFLOW_WORKER: NeedSet = NeedSet::of(&[
        Need::Database,
        Need::AgoraProviderKeys,
        Need::SavedKeysDecrypt,
        Need::Bedrock,
        Need::WorkflowQueue,
        Need::WorkflowQueueReceive,
    ]);
    /// Signs in as the database's owner with its password, not as the application.
    pub const MIGRATE: NeedSet = NeedSet::of(&[Need::DatabaseOwner]);
    pub const ROTATE_SIGNING_KEY: NeedSet = NeedSet::of(&[Need::RotateSigningKeys]);
}

/// Functions that serve events rather than a route (a schedule, a queue).
pub const EVENT_FUNCTIONS: [&str; 4] = [
    "maintenance",
    "workflow-worker",
    "migrate",
    "rotate-signing-key",
];

/// What an event function reaches outside its process; `None` for a function that is not
/// one of [`EVENT_FUNCTIONS`].
pub fn event_function_needs(function: &str) -> Option<NeedSet> {
    Some(match function {
        "maintenance" => event_needs::MAINTENANCE,
        "workflow-worker" => event_needs::WORKFLOW_WORKER,
        "migrate" => event_needs::MIGRATE,
        "rotate-signing-key" => event_needs::ROTATE_SIGNING_KEY,
        _ => return None,
    })
}

/// The `maintenance` function's `main`: each scheduled event runs [`maintain`].
pub fn serve_maintenance() -> ExitCode {
    serve_events::<{ event_needs::MAINTENANCE.bits() }, _>("maintenance", |state, _| async move {
        maintain(&state).await
    })
}

/// The `workflow-worker` function's `main`: each SQS batch goes through [`work`].
pub fn serve_workflow_worker() -> ExitCode {
    serve_events::<{ event_needs::WORKFLOW_WORKER.bits() }, _>(
        "workflow-worker",
        |state, event| async move { work(&state, &event).await },
    )
}

/// An event function's loop: the state built for `NEEDS`, and each event's payload handed
/// to `handle` with it.
fn serve_events<const NEEDS: u32, F>(
    function: &'static str,
    handle: fn(AppState, serde_json::Value) -> F,
) -> ExitCode
where
    F: Future<Output = Result<serde_json::Value, crate::Error>> + Send,
{
    start(function, async move {
        let state = AppState::build_for::<NEEDS>(configured()?).await?;
        lambda_http::lambda_runtime::run(lambda_http::lambda_runtime::service_fn(
            move |event: LambdaEvent<serde_json::Value>| {
                let answer = handle(state.clone(), event.payload);
                async move {
                    answer
                        .await
                        .map_err(|error| lambda_http::Error::from(error.to_string()))
                }
            },
        ))
        .await
    })
}

/// The `migrate` function's `main`.
pub fn serve_migrate() -> ExitCode {
    start("migrate", async {
        let config = configured()?;
        run_migrations(config).await
    })
}

/// The `rotate-signing-key` function's `main`.
pub fn serve_key_rotation() -> ExitCode {
    start("rotate-signing-key", async {
        let config = configured()?;
        run_key_rotation(&config).await
    })
}

/// The function's configuration, with logging set up from it.
fn configured() -> Result<Config, StartupError> {
    let config = Config::from_env()?;
    crate::telemetry::init(&config.log);
    Ok(config)
}

/// Runs a function's loop on a single-threaded runtime (a Lambda environment serves one
/// event at a time), and turns a failed start into a logged error and exit code.
fn start(
    function: &'static str,
    serve: impl Future<Output = Result<(), lambda_http::Error>>,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(function, &error),
    };
    match runtime.block_on(serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(function, &*error),
    }
}

/// The `migrate` function's loop: each CloudFormation event applies the migrations as the
/// owner, and CloudFormation always hears how it went.
async fn run_migrations(config: Config) -> Result<(), lambda_http::Error> {
    let config = std::sync::Arc::new(config);
    lambda_http::lambda_runtime::run(lambda_http::lambda_runtime::service_fn(
        move |event: LambdaEvent<migrate::CustomResourceEvent>| {
            let config = config.clone();
            async move {
                let event = event.payload;
                let url = migrate::response_url(&event.response_url)?;
                let answer = migrate::answer(
                    &event,
                    crate::bootstrap::deploy::migrate_as_owner(&config),
                )
                .await;
                tracing::info!(status = %answer["Status"], reason = %answer["Reason"], "migrations");
                crate::bootstrap::deploy::respond(url, &answer)
                    .await
                    .map_err(|error| lambda_http::Error::from(error.to_string()))?;
                Ok::<_, lambda_http::Error>(answer)
            }
        },
    ))
    .await
}

/// The `rotate-signing-key` function's loop: each scheduled event takes the rotation step
/// that is due; `{"rotate_now": true}` (an operator's invocation) starts a rotation.
async fn run_key_rotation(config: &Config) -> Result<(), lambda_http::Error> {
    let service =
        std::sync::Arc::new(crate::bootstrap::key_rotation::key_rotation_service(config).await?);
    lambda_http::lambda_runtime::run(lambda_http::lambda_runtime::service_fn(
        move |event: LambdaEvent<serde_json::Value>| {
            let service = service.clone();
            async move {
                let rotate_now = event.payload.get("rotate_now") == Some(&true.into());
                let step = service
                    .run(rotate_now)
                    .await
                    .map_err(|error| lambda_http::Error::from(error.to_string()))?;
                tracing::info!(?step, "signing keys");
                Ok::<_, lambda_http::Error>(serde_json::to_value(&step)?)
            }
        },
    ))
    .await
}

/// The router as a Lambda HTTP service: REST API (v1) and named-stage HTTP API events
/// arrive with the stage in the path (`/prod/v1/health`), which routes must not see.
pub fn lambda_service(
    router: Router,
) -> impl Service<
    lambda_http::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone {
    router.map_request(|request| note_deadline(strip_stage(request)))
}

/// The invocation's deadline, for the request's budget and for runs that must settle
/// before the function is frozen (see [`deadline`](crate::services::deadline)).
fn note_deadline(mut request: lambda_http::Request) -> lambda_http::Request {
    let deadline_ms = request
        .lambda_context_ref()
        .map_or(0, |context| context.deadline);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
    if let Some(deadline) = crate::services::deadline::from_epoch_millis(deadline_ms, now_ms) {
        request
            .extensions_mut()
            .insert(api::FunctionDeadline(deadline));
    }
    request
}

fn strip_stage(mut request: lambda_http::Request) -> lambda_http::Request {
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.stage.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|stage| stage != "$default") else {
        return request;
    };
    let path = request.uri().path();
    let Some(rest) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(stage.as_str()))
        .filter(|rest| rest.starts_with('/'))
    else {
        return request;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = path_and_query.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// The scheduled maintenance job: ends runs whose process died (releasing their holds)
/// and forgets expired idempotency records. Safe to run at any time, any number of times.
pub async fn maintain(state: &AppState) -> Result<serde_json::Value, crate::Error> {
    let report = state.maintenance()?.run().await?;
    serde_json::to_value(report).map_err(|error| crate::Error::Internal(error.to_string()))
}

/// The workflow worker: runs the steps of one SQS batch and answers with the messages
/// that failed (`batchItemFailures`, for `ReportBatchItemFailures`), each made visible
/// again after its backoff. Exactly the failed ids: never one that was not in the batch.
pub async fn work(
    state: &AppState,
    event: &serde_json::Value,
) -> Result<serde_json::Value, crate::Error> {
    let deliveries = sqs_deliveries(event);
    let failed = state.workflow_worker()?.process_batch(&deliveries).await;
    let failures: Vec<serde_json::Value> = failed
        .iter()
        .map(|message_id| serde_json::json!({ "itemIdentifier": message_id }))
        .collect();
    Ok(serde_json::json!({ "batchItemFailures": failures }))
}

/// The records of an SQS event (records without a message id cannot be reported, and are
/// left out).
fn sqs_deliveries(event: &serde_json::Value) -> Vec<crate::ports::Delivery> {
    let records = event["Records"].as_array().cloned().unwrap_or_default();
    records
        .iter()
        .filter_map(|record| {
            Some(crate::ports::Delivery {
                message_id: record["messageId"].as_str()?.to_owned(),
                body: record["body"].as_str().unwrap_or_default().to_owned(),
                receive_count: record["attributes"]["ApproximateReceiveCount"]
                    .as_str()
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1),
                receipt: record["receiptHandle"].as_str().map(str::to_owned),
            })
        })
        .collect()
}

/// Why an in-process invocation could not produce a Lambda response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error(transparent)]
    UnknownFunction(#[from] api::UnknownFunction),
    #[error("the event is not an API Gateway (v1 or v2) or ALB event: {0}")]
    Event(String),
    #[error("the response could not be encoded: {0}")]
    Response(String),
}

/// Runs `function`'s handler on `event` (API Gateway v1/v2 or ALB JSON) in this process and
/// returns the Lambda response JSON, exactly as the Lambda runtime would send it.
pub async fn invoke(
    state: AppState,
    function: &str,
    event: &[u8],
) -> Result<serde_json::Value, InvokeError> {
    invoke_until(state, function, event, 0).await
}

/// [`invoke`] as an invocation that the runtime stops at `deadline_ms` (milliseconds
/// since the epoch; 0 for none).
pub async fn invoke_until(
    state: AppState,
    function: &str,
    event: &[u8],
    deadline_ms: u64,
) -> Result<serde_json::Value, InvokeError> {
    let router = api::function_app(state, function)?;
    let request: LambdaRequest =
        serde_json::from_slice(event).map_err(|error| InvokeError::Event(error.to_string()))?;
    let mut adapter = lambda_http::Adapter::from(lambda_service(router));
    let mut context = Context::default();
    context.deadline = deadline_ms;
    let response = match adapter.call(LambdaEvent::new(request, context)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    serde_json::to_value(response).map_err(|error| InvokeError::Response(error.to_string()))
}

fn fail(function: &str, error: &dyn std::error::Error) -> ExitCode {
    // Logging may not be set up yet; a JSON line on stderr still reaches CloudWatch.
    let line = serde_json::json!({ "level": "ERROR", "function": function, "message": "cannot start", "error": error.to_string() });
    eprintln!("{line}");
    ExitCode::FAILURE
}
