//! Request ids: taken from a sane incoming `x-request-id` or made fresh, echoed in the
//! response, put on every log line of the request and in every problem body.

use std::future::Future;

use http::HeaderMap;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const TRACE_ID_HEADER: &str = "x-amzn-trace-id";

/// The id of the request being served by this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The incoming id when it is short and plain (it is logged and echoed), else a new one.
pub fn request_id_from(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The X-Ray trace id (`Root=1-...`) from API Gateway's or the Lambda runtime's header.
pub fn trace_id_from(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(TRACE_ID_HEADER)?.to_str().ok()?;
    value
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .filter(|root| root.len() <= 64 && root.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn a_plain_incoming_request_id_is_kept_and_anything_else_replaced() {
        assert_eq!(
            request_id_from(&headers(&[("x-request-id", "abc-123")])),
            "abc-123"
        );
        let replaced = request_id_from(&headers(&[("x-request-id", "bad id\"<script>")]));
        assert!(uuid::Uuid::parse_str(&replaced).is_ok());
        assert!(uuid::Uuid::parse_str(&request_id_from(&HeaderMap::new())).is_ok());
    }

    #[test]
    fn the_xray_root_is_read_from_the_trace_header() {
        let h = headers(&[(
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )]);
        assert_eq!(
            trace_id_from(&h).as_deref(),
            Some("1-5759e988-bd862e3fe1be46a994272793")
        );
        assert_eq!(
            trace_id_from(&headers(&[(
                "x-amzn-trace-id",
                "Self=1-67891234-12456789abcdef012345678"
            )])),
            None
        );
    }
}
