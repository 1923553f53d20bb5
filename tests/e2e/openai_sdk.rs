//! The official `openai` Python SDK against a real `agora serve`: an agent is a model named
//! `agent:<handle>/<slug>`, whole and streamed, billed like any run; and client tools
//! through the SDK and LangChain's `bind_tools`.

use std::process::Command;

use reqwest::Client;
use serde_json::{Value, json};

use crate::serve::Server;

/// The Python with the `openai` package: `AGORA_TEST_PYTHON` (scripts/test sets it), else
/// the tools venv of this checkout.
fn python() -> String {
    std::env::var("AGORA_TEST_PYTHON").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../.agora/tools/venv/bin/python"
        )
        .to_owned()
    })
}

#[tokio::test]
async fn the_openai_sdk_and_langchain_run_a_demo_agent_whole_streamed_and_with_their_own_tools() {
    let database = agora::testing::fresh_database().await;
    let url = database.url().to_owned();
    let home = tempfile::tempdir().unwrap();
    let agora_home = home.path().display().to_string();
    let server = Server::start(&[
        ("DATABASE_URL", url.as_str()),
        ("AGORA_HOME", agora_home.as_str()),
        ("AGORA_WEB_DIR", "/nonexistent"),
        ("AGORA_ECHO_DELAY_MS", "1"),
    ]);
    let client = Client::new();
    let base = &server.base_url;
    let email = format!("sdk-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "an sdk test passphrase";
    agora::testing::remember_secret(password);
    let session: Value = client
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({ "email": email, "password": password, "refresh_token_delivery": "body" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["access_token"].as_str().unwrap();
    agora::testing::remember_secret(token);
    // Credits arrive with the confirmed address: the link from the dev outbox.
    let outbox: Value = client
        .get(format!("{base}/v1/me/outbox"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = outbox["mails"][0]["link"].as_str().unwrap();
    let (_, confirmation) = link.split_once("#token=").unwrap();
    let confirmed = client
        .post(format!("{base}/v1/auth/verify-email"))
        .json(&json!({ "token": confirmation }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), reqwest::StatusCode::OK);
    let key: Value = client
        .post(format!("{base}/v1/me/api-keys"))
        .bearer_auth(token)
        .json(&json!({ "name": "sdk" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    agora::testing::remember_secret(&key);
    // A demo agent without tools of its own (the offline model), from the marketplace
    // agora serve filled: client tools are for agents that run none themselves.
    let listing: Value = client
        .get(format!("{base}/v1/agents?q=meeting%20notes&limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let address = listing["agents"][0]["address"].as_str().unwrap().to_owned();
    assert_eq!(address, "agora-demo/meeting-notes", "{listing}");
    let model = format!("agent:{address}");

    let output = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/e2e/openai_sdk.py"
        ))
        .args([format!("{base}/v1"), key.clone(), model.clone()])
        .output()
        .expect("python with the openai package (scripts/setup installs it)");
    assert!(
        output.status.success(),
        "the SDK script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let whole = &result["whole"];
    assert!(
        whole["content"]
            .as_str()
            .unwrap()
            .contains("the meeting moved to Friday."),
        "{result}"
    );
    assert_eq!(whole["finish_reason"], "stop");
    assert!(whole["usage"]["completion_tokens"].as_i64().unwrap() > 0);
    assert!(whole["id"].as_str().unwrap().starts_with("chatcmpl-"));
    let stream = &result["stream"];
    assert!(
        stream["content"]
            .as_str()
            .unwrap()
            .ends_with("Stream this sentence back to me."),
        "{result}"
    );
    assert!(
        stream["pieces"].as_i64().unwrap() > 3,
        "the answer arrived in pieces"
    );
    assert_eq!(stream["finish_reason"], "stop");
    assert!(stream["usage"]["total_tokens"].as_i64().unwrap() > 0);
    assert!(
        result["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == &json!(model))
    );
    assert_eq!(
        result["missing"],
        json!({ "status": 404, "code": "model_not_found" })
    );

    // Both completions are runs on the user's record, billed from the sign-up credits.
    let runs: Value = client
        .get(format!("{base}/v1/me/runs"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .all(|run| run["source"] == "openai" && run["status"] == "succeeded")
    );
    let credits: Value = client
        .get(format!("{base}/v1/me/credits"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let spent: i64 = runs
        .iter()
        .map(|run| run["charged_micros"].as_i64().unwrap())
        .sum();
    assert!(spent > 0);
    let balance = agora::domain::Credits::parse(credits["balance"].as_str().unwrap())
        .unwrap()
        .micros();
    assert_eq!(balance, 5_000_000 - spent, "{credits}");

    // Client tools: the programs run their own tools; the agent's model calls them.
    let output = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/e2e/openai_tools.py"
        ))
        .args([format!("{base}/v1"), key.clone(), model.clone()])
        .output()
        .expect("python with openai and langchain-openai (scripts/setup installs them)");
    assert!(
        output.status.success(),
        "the tools script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tools: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sdk = &tools["sdk"];
    assert_eq!(sdk["finish_reason"], "tool_calls", "{tools}");
    assert_eq!(sdk["content"], Value::Null);
    assert_eq!(sdk["call"]["name"], "get_weather");
    assert_eq!(sdk["call"]["arguments"], json!({"city": "Oslo"}));
    assert!(
        sdk["answer"]
            .as_str()
            .unwrap()
            .ends_with("The tools said: Oslo: -4 °C, snow"),
        "{tools}"
    );
    assert_eq!(sdk["streamed_finish"], "tool_calls");
    let streamed = sdk["streamed_calls"].as_array().unwrap();
    assert_eq!(streamed.len(), 1, "{tools}");
    assert_eq!(streamed[0]["name"], "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(streamed[0]["arguments"].as_str().unwrap()).unwrap(),
        json!({"city": "Oslo"})
    );
    let langchain = &tools["langchain"];
    let bergen = json!([{"name": "get_weather", "args": {"city": "Bergen"}}]);
    assert_eq!(langchain["tool_calls"], bergen, "{tools}");
    assert_eq!(langchain["streamed_tool_calls"], bergen, "{tools}");
    assert!(
        langchain["answer"]
            .as_str()
            .unwrap()
            .ends_with("The tools said: Bergen: -4 °C, snow"),
        "{tools}"
    );
}
