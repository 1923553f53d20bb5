//! `TestApp`: the real router over real backends, driven in process.

use agora::{AppState, Config, testing};
use axum::{Router, body::Body};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
}

/// A response, fully read.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: bytes::Bytes,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem with this status and type, and returns it.
    pub fn problem(&self, status: StatusCode, kind: &str) -> serde_json::Value {
        assert_eq!(
            self.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), "application/problem+json");
        let problem = self.json();
        assert_eq!(problem["status"], status.as_u16());
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{kind}")),
            "{problem}"
        );
        assert!(!problem["title"].as_str().unwrap().is_empty());
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        assert_eq!(
            problem["request_id"],
            self.header("x-request-id"),
            "the body quotes the request id"
        );
        problem
    }
}

/// Environment for a test app: a fresh database, Redis under a unique prefix.
pub async fn backed_vars() -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), testing::fresh_database().await),
        ("REDIS_URL".into(), testing::redis_url()),
        ("REDIS_KEY_PREFIX".into(), testing::unique_prefix()),
    ]
}

impl TestApp {
    /// The app over a fresh database and Redis.
    pub async fn spawn() -> Self {
        Self::with_vars(backed_vars().await).await
    }

    pub async fn with_vars(vars: Vec<(String, String)>) -> Self {
        let config = Config::from_vars(vars).expect("test config");
        let state = AppState::build(config).await.expect("state");
        Self {
            router: agora::api::app(state),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    TestResponse {
        status,
        headers,
        body,
    }
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
