//! The `Embedder` port: one contract every adapter meets, run against local servers that
//! speak each provider's documented wire format (OpenAI `POST /v1/embeddings`, Bedrock
//! `InvokeModel` for Titan text embeddings v2), plus their error paths.

use std::sync::{Arc, Mutex};

use agora::{
    Error,
    adapters::{
        embedders::{bedrock::BedrockEmbedder, openai::OpenAiEmbedder},
        local::embedder::OfflineEmbedder,
    },
    ports::{EMBEDDING_DIMENSIONS, Embedder},
};
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

/// A status, headers and a body.
type Answer = (StatusCode, Vec<(&'static str, String)>, String);

/// What the stub answers next, and what it received.
#[derive(Clone, Default)]
struct Stub {
    answer: Arc<Mutex<Option<Answer>>>,
    requests: Arc<Mutex<Vec<(String, HeaderMap, Value)>>>,
}

impl Stub {
    fn answer(&self, status: u16, headers: &[(&'static str, &str)], body: impl Into<String>) {
        *self.answer.lock().unwrap() = Some((
            StatusCode::from_u16(status).unwrap(),
            headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            body.into(),
        ));
    }

    fn last_request(&self) -> (String, HeaderMap, Value) {
        self.requests.lock().unwrap().last().cloned().unwrap()
    }
}

async fn respond(
    stub: &Stub,
    path: String,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    stub.requests.lock().unwrap().push((path, headers, json));
    let (status, headers, body) = stub.answer.lock().unwrap().clone().unwrap();
    let mut response = (status, body).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// A loopback server: OpenAI's embeddings route and Bedrock's InvokeModel route.
async fn serve(stub: Stub) -> String {
    let router = Router::new()
        .route(
            "/v1/embeddings",
            post(
                |State(stub): State<Stub>, headers: HeaderMap, body: axum::body::Bytes| async move {
                    respond(&stub, "/v1/embeddings".into(), headers, body).await
                },
            ),
        )
        .route(
            "/model/{model}/invoke",
            post(
                |State(stub): State<Stub>,
                 Path(model): Path<String>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    respond(&stub, format!("/model/{model}/invoke"), headers, body).await
                },
            ),
        )
        .with_state(stub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

fn vector(seed: f32) -> Vec<f32> {
    (0..EMBEDDING_DIMENSIONS)
        .map(|i| seed + i as f32 / 1000.0)
        .collect()
}

/// The contract: one finite vector of the stored dimensions per text, in input order.
async fn meets_the_contract(embedder: &dyn Embedder) {
    let texts = vec!["first text".to_owned(), "second text".to_owned()];
    let vectors = embedder.embed(&texts).await.unwrap();
    assert_eq!(vectors.len(), 2);
    assert!(
        vectors
            .iter()
            .all(|v| v.len() == EMBEDDING_DIMENSIONS && v.iter().all(|x| x.is_finite()))
    );
    assert_ne!(vectors[0], vectors[1]);
    assert!(embedder.embed(&[]).await.unwrap().is_empty());
    assert!(!embedder.model().is_empty());
}

#[tokio::test]
async fn the_offline_embedder_meets_the_contract() {
    meets_the_contract(&OfflineEmbedder).await;
}

#[tokio::test]
async fn openai_embeddings_meet_the_contract_on_the_wire_format() {
    let stub = Stub::default();
    let base = serve(stub.clone()).await;
    // Items out of order, as the API allows: `index` says where each belongs.
    stub.answer(
        200,
        &[("content-type", "application/json")],
        json!({
            "object": "list",
            "data": [
                { "object": "embedding", "index": 1, "embedding": vector(0.2) },
                { "object": "embedding", "index": 0, "embedding": vector(0.1) }
            ],
            "model": "text-embedding-3-small",
            "usage": { "prompt_tokens": 4, "total_tokens": 4 }
        })
        .to_string(),
    );
    let embedder = OpenAiEmbedder::new(
        &format!("{base}/v1"),
        "text-embedding-3-small",
        Some("sk-test-key".into()),
    )
    .unwrap();
    meets_the_contract(&embedder).await;
    let vectors = embedder.embed(&["a".into(), "b".into()]).await.unwrap();
    assert_eq!(vectors[0][0], 0.1, "reordered by index");
    let (path, headers, body) = stub.last_request();
    assert_eq!(path, "/v1/embeddings");
    assert_eq!(headers["authorization"], "Bearer sk-test-key");
    assert_eq!(
        body,
        json!({ "model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 256, "encoding_format": "float" })
    );
    assert_eq!(embedder.model(), "openai/text-embedding-3-small");
}

#[tokio::test]
async fn openai_errors_and_bad_answers_are_classified() {
    let stub = Stub::default();
    let base = serve(stub.clone()).await;
    let embedder =
        OpenAiEmbedder::new(&format!("{base}/v1"), "text-embedding-3-small", None).unwrap();
    let texts = ["x".to_owned()];
    let error_body = json!({ "error": { "message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded" } }).to_string();
    stub.answer(429, &[("retry-after", "2")], error_body);
    assert!(matches!(
        embedder.embed(&texts).await,
        Err(Error::Unavailable { .. })
    ));
    stub.answer(500, &[], "upstream crashed");
    assert!(matches!(
        embedder.embed(&texts).await,
        Err(Error::Unavailable { .. })
    ));
    stub.answer(
        400,
        &[],
        json!({ "error": { "message": "bad model" } }).to_string(),
    );
    match embedder.embed(&texts).await {
        Err(Error::Upstream(message)) => assert!(message.contains("bad model"), "{message}"),
        other => panic!("{other:?}"),
    }
    stub.answer(200, &[], "{\"data\": [");
    assert!(matches!(
        embedder.embed(&texts).await,
        Err(Error::Upstream(_))
    ));
    stub.answer(
        200,
        &[],
        json!({ "data": [{ "index": 0, "embedding": [0.1, 0.2] }] }).to_string(),
    );
    match embedder.embed(&texts).await {
        Err(Error::Upstream(message)) => assert!(message.contains("2 dimensions"), "{message}"),
        other => panic!("{other:?}"),
    }
    stub.answer(200, &[], json!({ "data": [] }).to_string());
    assert!(matches!(
        embedder.embed(&texts).await,
        Err(Error::Upstream(_))
    ));
    let closed = OpenAiEmbedder::new(
        &format!("http://127.0.0.1:{}/v1", crate::support::closed_port()),
        "m",
        None,
    )
    .unwrap();
    assert!(matches!(
        closed.embed(&texts).await,
        Err(Error::Unavailable { .. })
    ));
}

async fn bedrock(base: &str) -> BedrockEmbedder {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(base)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    BedrockEmbedder::new(&sdk, "amazon.titan-embed-text-v2:0")
}

#[tokio::test]
async fn bedrock_titan_embeddings_meet_the_contract_on_the_wire_format() {
    let stub = Stub::default();
    let base = serve(stub.clone()).await;
    let embedder = bedrock(&base).await;
    stub.answer(
        200,
        &[("content-type", "application/json")],
        json!({
            "embedding": vector(0.3),
            "inputTextTokenCount": 3,
            "embeddingsByType": { "float": vector(0.3) }
        })
        .to_string(),
    );
    let vectors = embedder.embed(&["one".into(), "two".into()]).await.unwrap();
    assert_eq!(vectors.len(), 2);
    let (path, headers, body) = stub.last_request();
    assert_eq!(path, "/model/amazon.titan-embed-text-v2:0/invoke");
    assert!(
        headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256"),
        "SigV4 signed"
    );
    assert_eq!(
        body,
        json!({ "inputText": "two", "dimensions": 256, "normalize": true })
    );
    assert_eq!(embedder.model(), "bedrock/amazon.titan-embed-text-v2:0");

    stub.answer(
        429,
        &[(
            "x-amzn-errortype",
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
        )],
        json!({ "message": "Too many requests" }).to_string(),
    );
    assert!(matches!(
        embedder.embed(&["x".into()]).await,
        Err(Error::Unavailable { .. })
    ));
    stub.answer(
        400,
        &[("x-amzn-errortype", "ValidationException")],
        json!({ "message": "Malformed input request" }).to_string(),
    );
    assert!(matches!(
        embedder.embed(&["x".into()]).await,
        Err(Error::Upstream(_))
    ));
    stub.answer(200, &[], json!({ "embedding": [1.0] }).to_string());
    assert!(matches!(
        embedder.embed(&["x".into()]).await,
        Err(Error::Upstream(_))
    ));
}
