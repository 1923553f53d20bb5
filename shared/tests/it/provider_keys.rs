//! Users' own provider keys and creators' endpoints: encrypted at rest (KMS or the local
//! key), never returned, sent only where they belong, and user URLs pass the SSRF guard
//! (RELIABILITY 17 and 18).

use std::sync::{Arc, Mutex};

use http::StatusCode;
use serde_json::json;

use crate::{
    llm_stub::{LlmStub, Scenario},
    runs::{PLATFORM_KEY, app_with_stub, ledger_of_run, published_on},
    support::agent_spec,
};

const OWN_KEY: &str = "sk-own-user-key-4Tz9";

#[tokio::test]
async fn a_saved_key_is_encrypted_never_returned_and_used_for_the_users_runs() {
    agora::testing::remember_secret(OWN_KEY);
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("With your key", 10, 5));
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.25").await;
    let user = app.with_user().await;
    let saved = app
        .call(
            "POST",
            "/v1/me/provider-keys",
            Some(&user.access_token),
            Some(json!({ "name": "my-openai", "provider": "openai", "api_key": OWN_KEY })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    assert!(!String::from_utf8_lossy(&saved.body).contains(OWN_KEY));
    assert_eq!(saved.json()["key_last_four"], "4Tz9");
    let listed = app
        .call(
            "GET",
            "/v1/me/provider-keys",
            Some(&user.access_token),
            None,
        )
        .await;
    assert!(!String::from_utf8_lossy(&listed.body).contains(OWN_KEY));
    // At rest: ciphertext only.
    let db = app.db().await;
    let row = db
        .query_one(
            "SELECT ciphertext, wrapped_data_key FROM provider_credentials",
            &[],
        )
        .await
        .unwrap();
    let ciphertext: Vec<u8> = row.get(0);
    assert!(
        !ciphertext
            .windows(OWN_KEY.len())
            .any(|w| w == OWN_KEY.as_bytes())
    );

    let response = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hi" })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    let last = stub.received().pop().unwrap();
    assert_eq!(last.headers["authorization"], format!("Bearer {OWN_KEY}"));
    // The user pays the provider: Agora charges the agent's price only.
    let run_id = response.json()["outcome"]["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ledger_of_run(&app, &run_id).await.0, vec![-250_000]);
    // Another user runs on the platform key.
    let other = app.with_user().await;
    app.call(
        "POST",
        "/v1/runs",
        Some(&other.access_token),
        Some(json!({ "agent": address, "input": "hi" })),
    )
    .await;
    assert_eq!(
        stub.received().pop().unwrap().headers["authorization"],
        format!("Bearer {PLATFORM_KEY}")
    );
    // Deleted keys stop being used.
    let id = saved.json()["id"].as_str().unwrap().to_owned();
    let deleted = app
        .call(
            "DELETE",
            &format!("/v1/me/provider-keys/{id}"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.call(
        "DELETE",
        &format!("/v1/me/provider-keys/{id}"),
        Some(&other.access_token),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn keys_are_wrapped_by_kms_when_a_key_is_configured() {
    agora::testing::remember_secret(OWN_KEY);
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key_id = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Via KMS", 10, 5));
    let app = app_with_stub(&stub, |config| config.aws.kms_key_id = Some(key_id.clone())).await;
    let (_, address) = published_on(&app, "anthropic", "claude-3-5-haiku-latest", "0").await;
    let user = app.with_user().await;
    let saved = app
        .call(
            "POST",
            "/v1/me/provider-keys",
            Some(&user.access_token),
            Some(json!({ "name": "mine", "provider": "anthropic", "api_key": OWN_KEY })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let stored_key_id: String = app
        .db()
        .await
        .query_one("SELECT key_id FROM provider_credentials", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored_key_id, key_id);
    let response = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hi" })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(stub.received().pop().unwrap().headers["x-api-key"], OWN_KEY);
}

#[tokio::test]
async fn user_urls_to_private_loopback_or_metadata_addresses_are_refused_at_save() {
    let app = crate::support::TestApp::spawn().await;
    let user = app.with_user().await;
    for url in [
        "http://127.0.0.1:8000/v1",
        "http://localhost:11434/v1",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/v1",
        "http://10.0.0.5:8000/v1",
        "http://[fd00:ec2::254]/v1",
        "ftp://llm.example.com/v1",
        "http://llm.example.com:22/v1",
    ] {
        let response = app
            .call(
                "POST",
                "/v1/me/provider-keys",
                Some(&user.access_token),
                Some(json!({ "name": "mine", "provider": "openai_compatible", "base_url": url })),
            )
            .await;
        let problem = response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(problem["errors"][0]["field"], "base_url", "{url}");
    }
    assert_eq!(app.count("provider_credentials", "true").await, 0);
}

/// A listener that records every request it gets and answers as an OpenAI-compatible server.
async fn canary_listener() -> (String, Arc<Mutex<Vec<http::HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |headers: http::HeaderMap| {
            let recorded = recorded.clone();
            async move {
                recorded.lock().unwrap().push(headers);
                axum::Json(json!({
                    "id": "x", "object": "chat.completion", "created": 1, "model": "llama",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "from your server"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/v1"), seen)
}

/// Saves an OpenAI-compatible endpoint for `owner`; the answer to the save.
async fn save_endpoint(
    app: &crate::support::TestApp,
    owner: &crate::support::TestUser,
    name: &str,
    base_url: &str,
) -> crate::support::TestResponse {
    app.call(
        "POST",
        "/v1/me/provider-keys",
        Some(&owner.access_token),
        Some(json!({ "name": name, "provider": "openai_compatible", "base_url": base_url })),
    )
    .await
}

/// Publishes an agent of `owner` that runs on their endpoint `endpoint`; its address.
async fn agent_on_endpoint(
    app: &crate::support::TestApp,
    owner: &crate::support::TestUser,
    endpoint: &str,
) -> String {
    let mut spec = agent_spec(&format!("On {endpoint}"), "Runs on its owner's server");
    spec["model"] =
        json!({ "provider": "openai_compatible", "endpoint": endpoint, "name": "llama" });
    app.published_agent(owner, spec).await
}

#[tokio::test]
async fn a_creators_endpoint_gets_only_its_owners_key_never_the_platforms() {
    let stub = LlmStub::start().await;
    let (url, seen) = canary_listener().await;
    // The operator allows loopback for this test's listener (a VPC range in production).
    let app = app_with_stub(&stub, |config| {
        config.providers.egress =
            agora::adapters::egress::EgressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()])
                .unwrap()
    })
    .await;
    // The operator's networks are for administrators' endpoints.
    let creator = app.with_admin().await;
    let creator_key = "sk-creator-endpoint-key-Qw8";
    agora::testing::remember_secret(creator_key);
    let saved = app
        .call(
            "POST",
            "/v1/me/provider-keys",
            Some(&creator.access_token),
            Some(json!({ "name": "my-vllm", "provider": "openai_compatible", "base_url": url, "api_key": creator_key })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let mut spec = agent_spec("Self hosted", "Runs on my own server");
    spec["model"] =
        json!({ "provider": "openai_compatible", "endpoint": "my-vllm", "name": "llama3.1:8b" });
    spec["price_per_run"] = json!("0.02");
    let address = app.published_agent(&creator, spec).await;
    let user = app.with_user().await;
    let response = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hi" })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    assert_eq!(response.json()["outcome"]["output"], "from your server");
    assert_eq!(
        response.json()["run"]["provider"],
        "openai_compatible:my-vllm"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["authorization"], format!("Bearer {creator_key}"));
    for headers in &seen {
        for value in headers.values() {
            assert!(!value.to_str().unwrap_or_default().contains(PLATFORM_KEY));
        }
    }
    // The user pays the price only: the creator's server costs Agora nothing.
    let run_id = response.json()["outcome"]["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ledger_of_run(&app, &run_id).await.0, vec![-20_000]);
    // Without the allowlist the same saved endpoint is refused at call time.
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn an_agent_may_only_name_its_owners_endpoints() {
    let app = crate::support::TestApp::spawn().await;
    let creator = app.with_user().await;
    let mut spec = agent_spec("Borrowed", "Names an endpoint it does not own");
    spec["model"] =
        json!({ "provider": "openai_compatible", "endpoint": "not-mine", "name": "llama" });
    let response = app
        .call(
            "POST",
            "/v1/agents",
            Some(&creator.access_token),
            Some(json!({ "definition": spec })),
        )
        .await;
    let problem = response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "definition.model.endpoint");
    assert_eq!(app.count("agents", "true").await, 0);
}

/// A listener that counts connections and answers every request with a redirect to `to`.
async fn redirecting_listener(to: String) -> (String, Arc<Mutex<usize>>) {
    let hits = Arc::new(Mutex::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        let to = to.clone();
        async move {
            *counted.lock().unwrap() += 1;
            (StatusCode::FOUND, [(http::header::LOCATION, to)], "")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/v1"), hits)
}

#[tokio::test]
async fn an_endpoint_that_redirects_is_never_followed() {
    let stub = LlmStub::start().await;
    let (canary_url, canary) = canary_listener().await;
    let (url, hits) = redirecting_listener(format!("{canary_url}/chat/completions")).await;
    let app = app_with_stub(&stub, |config| {
        config.providers.egress =
            agora::adapters::egress::EgressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()])
                .unwrap()
    })
    .await;
    // The operator's networks are for administrators' endpoints.
    let creator = app.with_admin().await;
    save_endpoint(&app, &creator, "moved", &url).await;
    let address = agent_on_endpoint(&app, &creator, "moved").await;
    let user = app.with_user().await;
    app.call(
        "POST",
        "/v1/runs",
        Some(&user.access_token),
        Some(json!({ "agent": address, "input": "hi" })),
    )
    .await
    .problem(StatusCode::BAD_GATEWAY, "upstream-invalid");
    assert!(*hits.lock().unwrap() >= 1);
    assert_eq!(
        canary.lock().unwrap().len(),
        0,
        "the redirect target saw no connection"
    );
}

#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_at_call_time_is_refused() {
    let stub = LlmStub::start().await;
    let (url, seen) = canary_listener().await;
    // Saved while the operator allowed loopback, by a name, as a rebinding attacker would.
    let by_name = url.replace("127.0.0.1", "localhost");
    let allowed = app_with_stub(&stub, |config| {
        config.providers.egress = agora::adapters::egress::EgressPolicy::new(vec![
            "127.0.0.1/32".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ])
        .unwrap()
    })
    .await;
    let creator = allowed.with_admin().await;
    let saved = save_endpoint(&allowed, &creator, "rebinding", &by_name).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let address = agent_on_endpoint(&allowed, &creator, "rebinding").await;
    // The same database, served without the allowlist: the name now resolves to an address
    // the guard refuses, at connection time.
    let mut config = allowed.config.clone();
    config.providers.egress = Default::default();
    let guarded = crate::support::TestApp::from_config(config, Default::default()).await;
    let user = guarded.with_user().await;
    let response = guarded
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hi" })),
        )
        .await;
    assert!(response.status.is_server_error(), "{:?}", response.body);
    assert_eq!(
        seen.lock().unwrap().len(),
        0,
        "the listener saw no connection"
    );
}

#[test]
fn no_http_client_is_built_outside_the_egress_adapter() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in crate::support::walk(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        for builder in [
            "reqwest::Client::builder",
            "reqwest::Client::new",
            "ClientBuilder::new",
        ] {
            assert!(
                !text.contains(builder) || file.ends_with("adapters/egress.rs"),
                "{} builds an HTTP client ({builder}); use adapters::egress",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn a_creators_endpoint_url_and_its_dns_answers_never_reach_the_people_who_run_the_agent() {
    let stub = LlmStub::start().await;
    let port = crate::support::closed_port();
    // A token in the path (some gateways take one there); one in the query is refused.
    let url_key = "url-path-token-Zr5";
    let app = app_with_stub(&stub, |config| {
        config.providers.egress =
            agora::adapters::egress::EgressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()])
                .unwrap()
    })
    .await;
    // The operator's networks are for administrators' endpoints.
    let creator = app.with_admin().await;
    let saved = app
        .call(
            "POST",
            "/v1/me/provider-keys",
            Some(&creator.access_token),
            Some(json!({ "name": "leaky", "provider": "openai_compatible",
                         "base_url": format!("http://127.0.0.1:{port}/{url_key}/v1") })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let address = agent_on_endpoint(&app, &creator, "leaky").await;
    let user = app.with_user().await;
    let (_, api_key) = app.api_key(&user).await;
    let mut bodies = Vec::new();
    for stream in [false, true] {
        let response = app
            .call(
                "POST",
                "/v1/runs",
                Some(&user.access_token),
                Some(json!({ "agent": address, "input": "hi", "stream": stream })),
            )
            .await;
        assert!(
            !response.status.is_success() || stream,
            "{:?}",
            response.body
        );
        bodies.push(response.body);
        let completion = app
            .send(
                http::Request::post("/v1/chat/completions")
                    .header("authorization", format!("Bearer {api_key}"))
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(
                        json!({ "model": format!("agent:{address}"), "stream": stream,
                                "messages": [{"role": "user", "content": "hi"}] })
                        .to_string(),
                    ))
                    .unwrap(),
            )
            .await;
        bodies.push(completion.body);
    }
    let runs = app
        .call("GET", "/v1/me/runs", Some(&user.access_token), None)
        .await
        .json();
    for run in runs["runs"].as_array().unwrap() {
        let id = run["id"].as_str().unwrap();
        let record = app
            .call(
                "GET",
                &format!("/v1/runs/{id}"),
                Some(&user.access_token),
                None,
            )
            .await;
        assert!(
            record.json()["attempts"][0]["detail"].is_string(),
            "the attempt still says what failed"
        );
        bodies.push(record.body);
    }
    assert_eq!(bodies.len(), 8, "four calls and their four run records");
    for body in &bodies {
        let text = String::from_utf8_lossy(body);
        assert!(!text.contains(url_key), "the endpoint's key leaked: {text}");
        assert!(
            !text.contains(&format!(":{port}")),
            "the endpoint leaked: {text}"
        );
    }
}

#[tokio::test]
async fn a_name_refused_at_call_time_does_not_say_what_it_resolves_to() {
    let guard = agora::adapters::egress::EgressPolicy::default();
    let refused = guard.resolve("localhost").await.unwrap_err();
    assert!(
        refused.contains("does not resolve to a public address"),
        "{refused}"
    );
    for address in ["127.0.0.1", "::1"] {
        assert!(!refused.contains(address), "{refused}");
    }
}

#[tokio::test]
async fn simultaneous_saves_never_pass_the_cap_on_provider_keys() {
    let app = crate::support::TestApp::spawn().await;
    let user = app.with_user().await;
    let max = agora::services::credentials::MAX_CREDENTIALS;
    let saves = futures::future::join_all((0..max + 5).map(|n| {
        app.call(
            "POST",
            "/v1/me/provider-keys",
            Some(&user.access_token),
            Some(json!({ "name": format!("key-{n}"), "provider": "openai",
                         "api_key": format!("sk-simultaneous-{n:04}-abcdefgh") })),
        )
    }))
    .await;
    let created = saves
        .iter()
        .filter(|response| response.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, max);
    for refused in saves
        .iter()
        .filter(|response| response.status != StatusCode::CREATED)
    {
        refused.problem(StatusCode::CONFLICT, "conflict");
    }
    assert_eq!(
        app.count("provider_credentials", "true").await,
        i64::try_from(max).unwrap()
    );
}

#[tokio::test]
async fn the_operators_networks_are_for_administrators_endpoints_only() {
    let stub = LlmStub::start().await;
    let (url, seen) = canary_listener().await;
    let app = app_with_stub(&stub, |config| {
        config.providers.egress =
            agora::adapters::egress::EgressPolicy::new(vec!["127.0.0.1/32".parse().unwrap()])
                .unwrap()
    })
    .await;
    // A user cannot save an endpoint in the operator's networks, by address or by name.
    let user = app.with_user().await;
    for base_url in [url.clone(), url.replace("127.0.0.1", "localhost")] {
        let refused = app
            .call(
                "POST",
                "/v1/me/provider-keys",
                Some(&user.access_token),
                Some(json!({ "name": "inside", "provider": "openai_compatible", "base_url": base_url })),
            )
            .await;
        let problem = refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(problem["errors"][0]["field"], "base_url");
    }
    // An administrator can, and their agents reach it.
    let operator = app.with_admin().await;
    let saved = save_endpoint(&app, &operator, "inside", &url).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let address = agent_on_endpoint(&app, &operator, "inside").await;
    let response = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hi" })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // A user's endpoint saved at a public address whose name later resolves into the
    // operator's networks (DNS rebinding) is refused at connection time: the allowlist is
    // not theirs.
    let saved = app
        .call(
            "POST",
            "/v1/me/provider-keys",
            Some(&user.access_token),
            Some(json!({ "name": "sneaky", "provider": "openai_compatible",
                         "base_url": "http://93.184.216.34/v1", "api_key": "sk-users-own-key-123" })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    app.db()
        .await
        .execute(
            "UPDATE provider_credentials SET base_url = $1 WHERE name = 'sneaky'",
            &[&url.replace("127.0.0.1", "localhost")],
        )
        .await
        .unwrap();
    let sneaky = agent_on_endpoint(&app, &user, "sneaky").await;
    let refused = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": sneaky, "input": "hi" })),
        )
        .await;
    assert!(!refused.status.is_success(), "{:?}", refused.body);
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "the listener saw nothing more"
    );
}
