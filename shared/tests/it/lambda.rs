//! The Lambda path: each function's handler run on its real API Gateway v2, v1 (stage in the
//! path) and ALB events from `events/`, as the Lambda runtime would.

use std::path::{Path, PathBuf};

use agora::{AppState, Config, lambda};

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

async fn invoke(function: &str, event_file: &str) -> serde_json::Value {
    let (config, _backing) = crate::support::backed_config().await;
    let state = AppState::build(config).await.unwrap();
    let event = std::fs::read(events_dir().join(event_file)).unwrap();
    lambda::invoke(state, function, &event).await.unwrap()
}

fn body(response: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn health_answers_200_on_every_event_source() {
    for source in ["apigw-v2", "apigw-v1", "alb"] {
        let response = invoke("health", &format!("health.{source}.json")).await;
        assert_eq!(response["statusCode"], 200, "{source}: {response}");
        assert_eq!(body(&response)["status"], "ok", "{source}");
    }
}

#[tokio::test]
async fn openapi_answers_200_on_every_event_source() {
    for source in ["apigw-v2", "apigw-v1", "alb"] {
        let response = invoke("openapi", &format!("openapi.{source}.json")).await;
        assert_eq!(response["statusCode"], 200, "{source}: {response}");
        assert_eq!(body(&response)["openapi"], "3.1.0", "{source}");
    }
}

#[tokio::test]
async fn responses_take_the_shape_of_their_event_source() {
    let v2 = invoke("openapi", "openapi.apigw-v2.json").await;
    assert!(
        v2.get("cookies").is_some() || v2.get("multiValueHeaders").is_none(),
        "HTTP API v2 response: {v2}"
    );
    let v1 = invoke("openapi", "openapi.apigw-v1.json").await;
    assert!(v1.get("multiValueHeaders").is_some(), "REST API response");
    let alb = invoke("openapi", "openapi.alb.json").await;
    assert!(
        alb["statusDescription"]
            .as_str()
            .unwrap()
            .starts_with("200"),
        "ALB response: {alb}"
    );
}

#[tokio::test]
async fn a_path_outside_the_functions_route_is_a_404_problem() {
    let mut event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(events_dir().join("health.apigw-v1.json")).unwrap())
            .unwrap();
    event["path"] = "/v1/openapi.json".into();
    event["requestContext"]["path"] = "/prod/v1/openapi.json".into();
    let state = AppState::build(Config::defaults()).await.unwrap();
    let response = lambda::invoke(state, "health", &serde_json::to_vec(&event).unwrap())
        .await
        .unwrap();
    assert_eq!(
        response["statusCode"], 404,
        "the health function serves only /v1/health"
    );
    assert_eq!(
        body(&response)["type"],
        "https://agora.dev/problems/not-found"
    );
}

#[tokio::test]
async fn bad_invocations_say_what_is_wrong() {
    let state = AppState::build(Config::defaults()).await.unwrap();
    let unknown = lambda::invoke(state.clone(), "nope", b"{}")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("no function is named `nope`") && unknown.contains("health"),
        "{unknown}"
    );
    let malformed = lambda::invoke(state.clone(), "health", b"{\"hello\":")
        .await
        .unwrap_err()
        .to_string();
    assert!(malformed.contains("not an API Gateway"), "{malformed}");
    let foreign = lambda::invoke(
        state,
        "health",
        br#"{"Records":[{"eventSource":"aws:sqs"}]}"#,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(foreign.contains("not an API Gateway"), "{foreign}");
}

fn event(file: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(events_dir().join(file)).unwrap()).unwrap()
}

/// HTTP API v2 carries cookies in their own lists both ways: the refresh token set at sign-up
/// comes back in `cookies`, and a `cookies` list in the event reaches the refresh route.
#[tokio::test]
async fn the_refresh_cookie_round_trips_through_http_api_v2_events() {
    let (config, _backing) = crate::support::backed_config().await;
    let app = agora::bootstrap::assemble(config, Default::default())
        .await
        .unwrap();
    app.db.as_ref().unwrap().migrate().await.unwrap();
    let state = app.state;
    let mut register = event("auth-register.apigw-v2.json");
    let email = format!("lambda-{}@example.com", uuid::Uuid::new_v4().simple());
    let body_text =
        serde_json::json!({ "email": email, "password": "correct horse battery staple" })
            .to_string();
    // API Gateway states the body's length; a body longer than that is cut off (413).
    register["headers"]["content-length"] = body_text.len().to_string().into();
    register["body"] = body_text.into();
    let registered = lambda::invoke(
        state.clone(),
        "auth-register",
        &serde_json::to_vec(&register).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(registered["statusCode"], 201, "{registered}");
    let cookie = registered["cookies"][0].as_str().unwrap();
    assert!(
        cookie.starts_with("agora_refresh=agora_rt_") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    agora::testing::remember_secret(
        cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("agora_refresh="),
    );

    let mut refresh = event("auth-refresh.apigw-v2.json");
    refresh["cookies"] = serde_json::json!([cookie.split(';').next().unwrap()]);
    let refreshed = lambda::invoke(
        state,
        "auth-refresh",
        &serde_json::to_vec(&refresh).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(refreshed["statusCode"], 200, "{refreshed}");
    assert!(
        refreshed["cookies"][0]
            .as_str()
            .unwrap()
            .starts_with("agora_refresh=agora_rt_")
    );
    assert!(body(&refreshed)["access_token"].is_string());
}

/// Signs a user in through an HTTP API event with `headers`; the status, and the address
/// the audit log recorded when it was a success.
async fn login_through_lambda(
    app: &crate::support::TestApp,
    headers: &[(&str, &str)],
) -> (u16, Option<String>) {
    let user = app.with_user().await;
    let mut event: serde_json::Value = serde_json::from_slice(
        &std::fs::read(events_dir().join("auth-login.apigw-v2.json")).unwrap(),
    )
    .unwrap();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("content-length");
    for (name, value) in headers {
        event["headers"][*name] = (*value).into();
    }
    event["body"] = serde_json::json!({ "email": user.email, "password": user.password })
        .to_string()
        .into();
    let response = lambda::invoke(
        app.state.clone(),
        "auth-login",
        &serde_json::to_vec(&event).unwrap(),
    )
    .await
    .unwrap();
    let status = response["statusCode"].as_u64().unwrap() as u16;
    if status != 200 {
        return (status, None);
    }
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(&user.id).unwrap();
    let address = db
        .query_one(
            "SELECT host(client_addr) FROM audit_log WHERE actor_id = $1 AND action = 'login.succeeded'
              ORDER BY id DESC LIMIT 1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    (status, Some(address))
}

#[tokio::test]
async fn behind_cloudfront_the_client_is_the_viewer_and_nothing_reaches_a_function_without_the_secret()
 {
    let secret = "edge-secret-of-this-test-0123456789abcdef";
    let previous = "the-edge-secret-being-rotated-out-0123456789";
    let app = crate::support::TestApp::with_config(|config| {
        config.http.edge_secrets = vec![
            agora::domain::secret::SecretString::new(secret),
            agora::domain::secret::SecretString::new(previous),
        ];
    })
    .await;
    let viewer = "198.51.100.77";
    // Through CloudFront: the edge node is the source, the viewer is in the header.
    assert_eq!(
        login_through_lambda(
            &app,
            &[
                ("x-agora-edge-secret", secret),
                ("x-agora-viewer-address", viewer)
            ]
        )
        .await,
        (200, Some(viewer.to_owned()))
    );
    // IPv6 viewers, CloudFront-style `address:port` values, and the secret being rotated
    // out, which CloudFront may still send while the deployment rolls out.
    assert_eq!(
        login_through_lambda(
            &app,
            &[
                ("x-agora-edge-secret", previous),
                ("x-agora-viewer-address", "[2001:db8::7]:443")
            ]
        )
        .await,
        (200, Some("2001:db8::7".to_owned()))
    );
    // Straight to the HTTP API or a function URL, with a wrong secret or none: refused,
    // whatever the request says about its viewer.
    for forged in [
        vec![("x-agora-viewer-address", viewer)],
        vec![
            ("x-agora-edge-secret", "guess"),
            ("x-agora-viewer-address", viewer),
        ],
        vec![("x-agora-edge-secret", &secret[..secret.len() - 1])],
    ] {
        assert_eq!(login_through_lambda(&app, &forged).await, (403, None));
    }
    // A load balancer's health check needs no secret.
    let health = lambda::invoke(
        app.state.clone(),
        "health",
        &std::fs::read(events_dir().join("health.apigw-v2.json")).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(health["statusCode"], 200, "{health}");
}

/// Issue 16: a function opens what its route needs during init (free, and at full speed),
/// not in its first request: a pooled database connection, and the token keys, read then
/// (so a function whose secret disappeared after init still verifies tokens).
#[tokio::test]
async fn a_functions_init_opens_its_database_connection_and_reads_its_keys() {
    use agora::adapters::secrets::SecretLocation;
    use http::StatusCode;

    let sdk = agora::adapters::aws::load_sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let id = secrets
        .create_secret()
        .name(format!("agora/test/{}", uuid::Uuid::new_v4()))
        .secret_string(agora::testing::test_signing_keys())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    // Workflow steps go to SQS, as in AWS: no in-process worker opens connections of its
    // own while the test counts them.
    let queue = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name(format!("agora-init-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let signing = crate::support::TestApp::with_config(|config| {
        config.secret = SecretLocation::SecretsManager(id.clone());
        config.aws.secret_id = Some(id.clone());
        config.aws.queue_url = Some(queue.clone());
    })
    .await;
    let user = signing.with_user().await;
    let database = signing.db().await;
    let open = || async {
        database
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'agora'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };

    let function =
        crate::support::TestApp::from_config(signing.config.clone(), Default::default()).await;
    let before = open().await;
    let needs = agora::api::functions::me_get::NEEDS;
    assert_eq!(function.state.warm_up(needs).await, Vec::<String>::new());
    assert_eq!(
        open().await,
        before + 1,
        "one pooled connection, open before any request"
    );

    secrets
        .delete_secret()
        .secret_id(&id)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let me = function
        .call("GET", "/v1/me", Some(&user.access_token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK, "the keys were read during init");
}
