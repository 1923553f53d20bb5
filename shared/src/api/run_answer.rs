//! A run's answer as an HTTP response: Server-Sent Events (`run`, then a `delta` per piece
//! of text, then `done` with the outcome), or the whole answer as JSON.

use std::convert::Infallible;

use axum::response::{
    IntoResponse, Response,
    sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt};
use serde::Serialize;
use utoipa::ToSchema;

use super::sse;
use crate::{
    Error,
    ports::RunStatus,
    services::runs::{ActiveRun, RunEvent, RunInfo, RunOutcome},
};

/// A run's whole answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunResponse {
    pub run: RunInfo,
    pub outcome: RunOutcome,
}

/// The run's answer: an event stream, or the whole answer as JSON (an error status when
/// the run did not succeed).
pub async fn answer(run: ActiveRun, stream: bool) -> Result<Response, Error> {
    if stream {
        return Ok(sse::unbuffered(event_stream(run)));
    }
    let ActiveRun { info, mut events } = run;
    while let Some(event) = events.recv().await {
        if let RunEvent::Done(outcome) = event {
            // A failed run is an error even when it produced some text (its record keeps it).
            if outcome.status == RunStatus::Failed
                && let Some(problem) = outcome.problem()
            {
                return Err(problem);
            }
            return Ok(axum::Json(RunResponse { run: info, outcome }).into_response());
        }
    }
    Err(Error::Internal("a run ended without an outcome".into()))
}

/// `run`, then `delta` per piece of text (`tool_started` and `tool_used` around each call
/// to the agent's own tools, `tool_call` per call to a tool the caller offered), then
/// `done` with the outcome.
fn event_stream(run: ActiveRun) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ActiveRun { info, events } = run;
    let first = Event::default()
        .event("run")
        .json_data(&info)
        .unwrap_or_else(|_| Event::default().event("run"));
    let rest = sse::stream_of(events).map(|event| {
        Ok(match event {
            RunEvent::Delta(text) => Event::default()
                .event("delta")
                .json_data(serde_json::json!({ "text": text }))
                .unwrap_or_default(),
            RunEvent::ToolCall(call) => Event::default()
                .event("tool_call")
                .json_data(&call)
                .unwrap_or_default(),
            RunEvent::ToolStarted(call) => Event::default()
                .event("tool_started")
                .json_data(&call)
                .unwrap_or_default(),
            RunEvent::ToolUsed(tool_use) => Event::default()
                .event("tool_used")
                .json_data(&tool_use)
                .unwrap_or_default(),
            RunEvent::Done(outcome) => Event::default()
                .event("done")
                .json_data(&outcome)
                .unwrap_or_default(),
        })
    });
    Sse::new(futures::stream::once(async { Ok(first) }).chain(rest))
        .keep_alive(KeepAlive::default())
}
