//! The shape of the main resources' bodies, snapshotted (insta): a change to what the API
//! serves is a snapshot diff someone reviews, never a surprise. What changes from run to
//! run (ids, times, dates, latencies) is redacted; the rest is deterministic (fixed
//! accounts in a database of the test's own, the offline model).

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    support::{TestApp, TestUser, agent_spec},
    workflows::{brief, create, start, wait_until_finished},
};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn the_main_resources_keep_their_shape() {
    let app =
        TestApp::with_config(|config| config.providers.echo_word_delay = Duration::ZERO).await;
    let creator = app.register("ada@example.com", PASSWORD).await;
    let user = app.register("bob@example.com", PASSWORD).await;
    let mut spec = agent_spec("Greeter", "Says hello back");
    spec["price_per_run"] = json!("0.01");
    let agent = app.published_agent(&creator, spec).await;
    let get = |path: String, who: &TestUser| {
        let token = who.access_token.clone();
        let app = &app;
        async move { app.call("GET", &path, Some(&token), None).await.json() }
    };
    let post = |path: &'static str, who: &TestUser, body: Value| {
        let token = who.access_token.clone();
        let app = &app;
        async move {
            app.call("POST", path, Some(&token), Some(body))
                .await
                .json()
        }
    };

    let run = post(
        "/v1/runs",
        &user,
        json!({ "agent": agent, "input": "hello there", "stream": false }),
    )
    .await;
    let conversation = post("/v1/conversations", &user, json!({ "agent": agent })).await;
    let workflow = create(&app, &user, "brief", brief(&agent)).await;
    let started = start(&app, &user, &workflow, json!({ "text": "a short text" })).await;
    let workflow_run =
        wait_until_finished(&app, &user, started.json()["id"].as_str().unwrap()).await;

    let bodies = [
        ("me", get("/v1/me".into(), &user).await),
        ("agent", get(format!("/v1/agents/{agent}"), &user).await),
        (
            "agent_versions",
            get(format!("/v1/agents/{agent}/versions"), &creator).await,
        ),
        (
            "agent_listing",
            get("/v1/agents?sort=newest&facets=true".into(), &user).await,
        ),
        ("run", run),
        (
            "runs",
            in_stable_order(get("/v1/me/runs".into(), &user).await),
        ),
        ("conversation", conversation),
        ("credits", get("/v1/me/credits".into(), &user).await),
        ("ledger", get("/v1/me/credits/ledger".into(), &user).await),
        (
            "workflow",
            get(format!("/v1/workflows/{workflow}"), &user).await,
        ),
        ("workflow_run", workflow_run),
        (
            "reviews",
            get(format!("/v1/agents/{agent}/reviews"), &user).await,
        ),
    ];
    for (name, body) in bodies {
        insta::assert_json_snapshot!(name, redacted(body));
    }
}

/// The runs of a listing in an order that does not depend on their ids: a workflow step's
/// runs have ids derived from its run's id, which is new every time.
fn in_stable_order(mut listing: Value) -> Value {
    if let Some(runs) = listing["runs"].as_array_mut() {
        runs.sort_by_key(|run| (run["source"].to_string(), run["output"].to_string()));
    }
    listing
}

/// `body` with what differs from run to run replaced by what it is.
fn redacted(body: Value) -> Value {
    match body {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| {
                    let volatile = key.ends_with("_ms") || key == "request_id";
                    let value = if volatile && !value.is_null() {
                        json!(format!("[{key}]"))
                    } else {
                        redacted(value)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        Value::String(text) => json!(redacted_text(&text)),
        other => other,
    }
}

fn redacted_text(text: &str) -> String {
    let is_uuid = uuid::Uuid::parse_str(text).is_ok();
    let is_time = chrono::DateTime::parse_from_rfc3339(text).is_ok();
    let is_date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok();
    match (is_uuid, is_time, is_date) {
        (true, _, _) => "[uuid]".into(),
        (_, true, _) => "[time]".into(),
        (_, _, true) => "[date]".into(),
        _ => text.to_owned(),
    }
}
