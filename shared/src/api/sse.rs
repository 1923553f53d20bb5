//! Server-Sent Events: how run events become a stream, and the headers that keep proxies
//! from holding a stream back.

use axum::response::{IntoResponse, Response};
use futures::Stream;
use http::{HeaderName, HeaderValue, header};

use crate::services::runs::RunEvent;

/// The events of a run as a stream.
pub fn stream_of(
    mut events: tokio::sync::mpsc::Receiver<RunEvent>,
) -> impl Stream<Item = RunEvent> + Send {
    futures::stream::poll_fn(move |context| events.poll_recv(context))
}

/// An event stream as a response that proxies do not buffer.
pub fn unbuffered(stream: impl IntoResponse) -> Response {
    let mut response = stream.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}
