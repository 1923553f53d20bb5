//! The HTTP surface: health, the OpenAPI document, and what every route shares (problem+json
//! errors, request ids, limits, timeouts, CORS, access logs, the web UI).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use agora::{AppState, Config, api::json::StrictJson};
use axum::{Router, body::Body, routing::post};
use http::{Request, StatusCode};
use serde::Deserialize;

use crate::support::{TestApp, closed_port, send};

#[tokio::test]
async fn health_is_ok_when_database_and_cache_answer() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/health").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), "no-store");
    let report = response.json();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["version"], agora::VERSION);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["database", "cache"]);
    for check in report["checks"].as_array().unwrap() {
        assert_eq!(check["status"], "ok", "{check}");
        assert!(check["latency_ms"].as_f64().unwrap() >= 0.0);
        assert!(check["error"].is_null());
    }
}

#[tokio::test]
async fn health_is_503_naming_an_unreachable_database_without_hanging() {
    let app = TestApp::with_config(|config| {
        if let Some(database) = &mut config.database {
            database.url = format!(
                "postgres://agora:secret-password@127.0.0.1:{}/agora",
                closed_port()
            );
            database.connect_timeout = Duration::from_millis(500);
        }
    })
    .await;
    let response = app.get("/v1/health").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    let report = response.json();
    assert_eq!(report["status"], "degraded");
    assert_eq!(report["checks"][0]["name"], "database");
    assert_eq!(report["checks"][0]["status"], "failed");
    assert!(!report["checks"][0]["error"].as_str().unwrap().is_empty());
    assert_eq!(
        report["checks"][1]["status"], "ok",
        "the cache still answers"
    );
    assert!(
        !String::from_utf8_lossy(&response.body).contains("secret-password"),
        "the URL's password never leaks"
    );
}

#[tokio::test]
async fn health_is_503_naming_an_unreachable_cache() {
    let app = TestApp::with_config(|config| {
        if let Some(redis) = &mut config.redis {
            redis.url = format!("redis://127.0.0.1:{}", closed_port());
        }
    })
    .await;
    let response = app.get("/v1/health").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    let report = response.json();
    assert_eq!(report["checks"][0]["status"], "ok");
    assert_eq!(report["checks"][1]["name"], "cache");
    assert_eq!(report["checks"][1]["status"], "failed");
}

#[tokio::test]
async fn in_production_anyone_gets_a_recent_report_without_causes_and_administrators_the_causes() {
    let port = closed_port();
    let app = TestApp::with_config(|config| {
        config.profile = agora::config::Profile::Prod;
        if let Some(redis) = &mut config.redis {
            redis.url = format!("redis://127.0.0.1:{port}");
        }
    })
    .await;
    let first = app.get("/v1/health").await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    let report = first.json();
    assert_eq!(report["checks"][1]["name"], "cache");
    assert_eq!(report["checks"][1]["error"], "did not answer its probe");
    assert!(
        !String::from_utf8_lossy(&first.body).contains(&port.to_string()),
        "no address reaches the public"
    );
    assert_eq!(
        app.get("/v1/health").await.json(),
        report,
        "a second call within seconds is answered from the same probes"
    );

    let email = format!("ops-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct horse battery staple";
    app.state
        .accounts()
        .unwrap()
        .create_admin(&email, Some(password), &Default::default())
        .await
        .unwrap();
    let token = app.login(&email, password).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let detailed = app.call("GET", "/v1/health", Some(&token), None).await;
    assert_eq!(detailed.status, StatusCode::SERVICE_UNAVAILABLE);
    let cause = detailed.json()["checks"][1]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(cause, "did not answer its probe", "an operator sees why");
}

#[tokio::test]
async fn health_without_a_database_says_how_to_configure_one() {
    let app = TestApp::without_backends().await;
    let response = app.get("/v1/health").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        response.json()["checks"][0]["error"]
            .as_str()
            .unwrap()
            .contains("DATABASE_URL")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_is_current_in_docs() {
    let app = TestApp::without_backends().await;
    let response = app.get("/v1/openapi.json").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), "application/json");
    let document = response.json();
    assert_eq!(document["openapi"], "3.1.0");
    for route in agora::api::routes() {
        let operation = &document["paths"][&route.path][route.method.as_str().to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{} {} is documented",
            route.method,
            route.path
        );
        let expected = match route.access {
            agora::api::Access::Public => serde_json::json!([]),
            agora::api::Access::User | agora::api::Access::Admin => {
                serde_json::json!([{ "bearer": [] }])
            }
        };
        assert_eq!(
            operation["security"], expected,
            "{} {}: every operation declares its security; public ones an explicit empty list",
            route.method, route.path
        );
        for status in ["429", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{} {status}",
                route.path
            );
        }
    }
    let mut dangling = Vec::new();
    every_ref(&document, &mut |reference| {
        let name = reference.trim_start_matches("#/components/schemas/");
        if document["components"]["schemas"][name].is_null() {
            dangling.push(reference.to_owned());
        }
    });
    assert_eq!(
        dangling,
        Vec::<String>::new(),
        "every $ref resolves to a registered schema"
    );
    insta::assert_json_snapshot!("openapi", document);

    // The web UI's typed client is generated from docs/openapi.json: keep it current.
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let current = format!("{}\n", agora::api::openapi::document_json());
    if std::fs::read_to_string(&committed).unwrap_or_default() != current {
        std::fs::write(&committed, &current).unwrap();
        panic!(
            "docs/openapi.json was stale and has been regenerated: run `npm --prefix web run gen:api` and commit both"
        );
    }
}

#[tokio::test]
async fn unknown_paths_are_404_problems_quoting_the_request_id() {
    let app = TestApp::without_backends().await;
    let response = app
        .send(
            Request::get("/v1/no-such-thing")
                .header("x-request-id", "req-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let problem = response.problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(problem["request_id"], "req-42");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/no-such-thing")
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::without_backends().await;
    let response = app
        .send(Request::delete("/v1/health").body(Body::empty()).unwrap())
        .await;
    response.problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert!(response.header("allow").contains("GET"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::without_backends().await;
    let response = app.get("/v1/openapi.json").await;
    assert!(uuid::Uuid::parse_str(response.header("x-request-id")).is_ok());
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct Greeting {
    name: String,
}

/// A router with one JSON route behind the real middleware.
async fn echo_app(vars: &[(&str, &str)]) -> Router {
    let config = Config::from_vars(vars.iter().map(|(k, v)| ((*k).into(), (*v).into()))).unwrap();
    let state = AppState::build(config).await.unwrap();
    let router = Router::new()
        .route(
            "/echo",
            post(|StrictJson(greeting): StrictJson<Greeting>| async move { StrictJson(greeting) }),
        )
        .route(
            "/slow",
            post(|| async { tokio::time::sleep(Duration::from_secs(30)).await }),
        );
    agora::api::middleware::apply(router, state, Default::default())
}

fn post_json(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn json_bodies_are_parsed_strictly_with_field_errors() {
    let app = echo_app(&[]).await;
    let ok = send(&app, post_json("/echo", r#"{"name":"Ada"}"#)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["name"], "Ada");

    let unknown = send(&app, post_json("/echo", r#"{"name":"Ada","role":"admin"}"#)).await;
    let problem = unknown.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `role`")
    );

    let wrong_type = send(&app, post_json("/echo", r#"{"name":7}"#)).await;
    assert_eq!(
        wrong_type.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "name"
    );

    send(&app, post_json("/echo", "{not json"))
        .await
        .problem(StatusCode::BAD_REQUEST, "malformed-body");
    send(&app, post_json("/echo", ""))
        .await
        .problem(StatusCode::BAD_REQUEST, "malformed-body");
    let text = Request::post("/echo")
        .header("content-type", "text/plain")
        .body(Body::from("name=Ada"))
        .unwrap();
    send(&app, text)
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_problems_naming_the_limit() {
    let app = echo_app(&[("AGORA_BODY_LIMIT_BYTES", "64")]).await;
    let at_limit = format!(r#"{{"name":"{}"}}"#, "a".repeat(64 - 11));
    assert_eq!(at_limit.len(), 64);
    assert_eq!(
        send(&app, post_json("/echo", at_limit)).await.status,
        StatusCode::OK
    );

    let over = format!(r#"{{"name":"{}"}}"#, "a".repeat(64 - 10));
    let problem = send(&app, post_json("/echo", over))
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    assert!(
        problem["detail"].as_str().unwrap().contains("64-byte"),
        "{problem}"
    );

    // A streamed body without Content-Length is cut off at the limit too.
    let chunks = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(vec![
        b' ';
        100
    ]))]);
    let streamed = Request::post("/echo")
        .header("content-type", "application/json")
        .body(Body::from_stream(chunks))
        .unwrap();
    send(&app, streamed)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
}

#[tokio::test]
async fn requests_over_the_time_budget_end_in_a_504_problem() {
    let app = echo_app(&[("AGORA_REQUEST_TIMEOUT_MS", "50")]).await;
    let response = send(&app, post_json("/slow", "{}")).await;
    response.problem(StatusCode::GATEWAY_TIMEOUT, "timeout");
    assert_eq!(response.header("retry-after"), "5");
}

#[tokio::test]
async fn cors_admits_only_configured_origins() {
    let app = echo_app(&[("AGORA_CORS_ORIGINS", "https://app.example.com")]).await;
    let preflight = |origin: &str| {
        Request::options("/echo")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = send(&app, preflight("https://app.example.com")).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        "https://app.example.com"
    );
    assert!(
        allowed
            .header("access-control-allow-methods")
            .contains("POST")
    );
    let refused = send(&app, preflight("https://evil.example.net")).await;
    assert_eq!(refused.header("access-control-allow-origin"), "");
}

/// Captures JSON log lines written while a future runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_log_line_of_a_request_carries_its_request_id_and_xray_trace_id() {
    use tracing_subscriber::prelude::*;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("debug"))
        .with(agora::telemetry::json_layer(move || writer.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::without_backends().await;
    let request = Request::get("/v1/missing?key=sk-live-should-not-be-logged")
        .header("x-request-id", "req-log-1")
        .header(
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        )
        .body(Body::empty())
        .unwrap();
    app.send(request)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let request_lines: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["span"]["request_id"] == "req-log-1")
        .collect();
    assert!(
        request_lines.len() >= 2,
        "the problem and the access log: {output}"
    );
    for line in &request_lines {
        assert_eq!(
            line["span"]["trace_id"],
            "1-5759e988-bd862e3fe1be46a994272793"
        );
    }
    let access = request_lines
        .iter()
        .find(|line| line["message"] == "request served")
        .expect("access log line");
    assert_eq!(access["status"], 404);
    assert_eq!(access["span"]["path"], "/v1/missing");
    assert!(
        !output.contains("sk-live-should-not-be-logged"),
        "query strings never reach the logs"
    );
}

#[tokio::test]
async fn the_web_ui_is_served_with_a_fallback_for_client_routes() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>Agora</title>",
    )
    .unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("assets/app.js"), "console.log(1)").unwrap();
    let (mut config, _backing) = crate::support::base_config();
    config.http.web_dir = web.path().to_owned();
    let app = TestApp::from_config(config, Default::default()).await;

    let index = app.get("/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&index.body).contains("<title>Agora</title>"));
    assert!(
        app.get("/assets/app.js")
            .await
            .header("content-type")
            .contains("javascript")
    );
    let client_route = app.get("/status").await;
    assert_eq!(
        client_route.status,
        StatusCode::OK,
        "client-side routes load the app"
    );
    assert!(String::from_utf8_lossy(&client_route.body).contains("<title>Agora</title>"));
    for page in [&index, &client_route] {
        let policy = page.header("content-security-policy");
        for directive in [
            "frame-ancestors 'none'",
            "script-src 'self'",
            "object-src 'none'",
        ] {
            assert!(policy.contains(directive), "{policy}");
        }
        assert_eq!(page.header("x-frame-options"), "DENY");
        assert_eq!(page.header("x-content-type-options"), "nosniff");
    }
    app.get("/v1/nothing-here")
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn without_a_built_ui_the_root_says_how_to_build_it() {
    let (mut config, _backing) = crate::support::base_config();
    config.http.web_dir = "/nonexistent/web/dist".into();
    let app = TestApp::from_config(config, Default::default()).await;
    let problem = app
        .get("/")
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("npm --prefix web run build")
    );
}

/// Calls `found` with every `$ref` in `value`.
fn every_ref(value: &serde_json::Value, found: &mut impl FnMut(&str)) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_str()) {
                    ("$ref", Some(reference)) => found(reference),
                    _ => every_ref(value, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| every_ref(item, found)),
        _ => {}
    }
}
