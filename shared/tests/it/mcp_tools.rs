//! Agents' tools on their creators' MCP servers (issue 17), against a real MCP server built
//! with the official Python SDK over Streamable HTTP on loopback (reached through the
//! egress allowlist only tests use): tools pinned when the draft is saved, the server's
//! token kept encrypted and sent to it alone, only declared tools called, a server that
//! changed a tool since publication not called, and failures, hangs and huge results
//! bounded.

use std::{
    net::TcpStream,
    process::{Child, Command},
    time::Duration,
};

use agora::adapters::egress::EgressPolicy;
use http::StatusCode;
use serde_json::{Value, json};

use crate::{
    agent_tools::{done, run_streamed},
    llm_stub::{LlmStub, Scenario},
    runs::{app_with_stub, ledger_of_run},
    support::{TestApp, TestUser, agent_spec},
};

const TOKEN: &str = "mcp-token-4d1f9a77c2";

/// The test MCP server, stopped when dropped.
struct McpTestServer {
    url: String,
    calls: tempfile::NamedTempFile,
    child: Child,
}

impl McpTestServer {
    async fn start(variant: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let calls = tempfile::NamedTempFile::new().unwrap();
        let python = std::env::var("AGORA_TEST_PYTHON").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../.agora/tools/venv/bin/python"
            )
            .to_owned()
        });
        let child = Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/mcp_tool_server.py"
            ))
            .arg(port.to_string())
            .arg(calls.path())
            .arg(variant)
            .env("MCP_TEST_TOKEN", TOKEN)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python with the mcp package (scripts/setup installs it)");
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            url: format!("http://127.0.0.1:{port}/mcp"),
            calls,
            child,
        }
    }

    /// The tools called so far, in order.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.calls.path())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for McpTestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Loopback allowed for tools and for the administrator who saves the server.
fn loopback(config: &mut agora::Config) {
    let loopback = EgressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]).unwrap();
    config.providers.tool_egress = loopback.clone();
    config.providers.egress = loopback;
    config.runs.tool_timeout = Duration::from_secs(3);
}

async fn save_server(app: &TestApp, creator: &TestUser, name: &str, url: &str) -> String {
    let saved = app
        .call(
            "POST",
            "/v1/me/provider-keys",
            Some(&creator.access_token),
            Some(json!({ "name": name, "provider": "mcp_server", "base_url": url, "api_key": TOKEN })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let view = saved.json();
    assert!(
        !view.to_string().contains(TOKEN),
        "the token is never shown again"
    );
    view["id"].as_str().unwrap().to_owned()
}

fn mcp_agent(tools: &[&str]) -> Value {
    let mut spec = agent_spec("Calculator", "Adds with a server");
    spec["model"] = json!({ "provider": "openai", "name": "gpt-4o-mini" });
    spec["tools"] = json!([{ "type": "mcp", "server": "calc",
        "tools": tools.iter().map(|name| json!({ "name": name })).collect::<Vec<_>>() }]);
    spec
}

fn uses(events: &[(String, Value)]) -> Vec<Value> {
    events
        .iter()
        .filter(|(name, _)| name == "tool_used")
        .map(|(_, data)| data.clone())
        .collect()
}

#[tokio::test]
async fn an_agent_calls_only_the_mcp_tools_it_declared_pinned_when_its_draft_was_saved() {
    let server = McpTestServer::start("v1").await;
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, loopback).await;
    let creator = app.with_admin().await;
    save_server(&app, &creator, "calc", &server.url).await;
    let address = app
        .create_agent(&creator, mcp_agent(&["add", "instructions"]))
        .await;
    // The draft now holds the server's schema for each declared tool.
    let agent = app
        .call(
            "GET",
            &format!("/v1/agents/{address}"),
            Some(&creator.access_token),
            None,
        )
        .await
        .json();
    let pinned = &agent["draft"]["tools"][0]["tools"];
    assert_eq!(
        pinned[0]["input_schema"]["required"],
        json!(["a", "b"]),
        "{agent}"
    );
    assert_eq!(pinned[0]["description"], "Adds two whole numbers.");
    app.publish(&creator, &address, "first").await;

    let user = app.with_user().await;
    stub.then(Scenario::tool_call("c1", "add", r#"{"a": 2, "b": 3}"#))
        .then(Scenario::tool_call("c2", "instructions", "{}"))
        // The page told the obedient model to call a tool nobody declared.
        .then(Scenario::tool_call("c3", "delete_everything", "{}"))
        .then(Scenario::answer("2 + 3 = 5", 80, 6));
    let events = run_streamed(&app, &user, &address, "use your tools").await;
    let used = uses(&events);
    assert_eq!(used.len(), 3, "{used:?}");
    assert_eq!(
        (
            used[0]["call"]["name"].as_str(),
            used[0]["outcome"].as_str()
        ),
        (Some("add"), Some("ok"))
    );
    assert_eq!(used[0]["result_preview"], "5");
    assert_eq!(used[1]["outcome"], "ok");
    assert_eq!(used[2]["call"]["name"], "delete_everything");
    assert_eq!(used[2]["outcome"], "refused");
    assert_eq!(
        server.calls(),
        ["add", "instructions"],
        "delete_everything never ran"
    );
    // The model's next turn got the tool's answer.
    let second = &stub.received()[1].body;
    let told = second["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (told["role"].as_str(), told["content"].as_str()),
        (Some("tool"), Some("5"))
    );
    let outcome = done(&events);
    assert_eq!(outcome["status"], "succeeded");
    assert_eq!(outcome["output"], "2 + 3 = 5");
    let (charges, _) = ledger_of_run(&app, outcome["run_id"].as_str().unwrap()).await;
    assert_eq!(charges.len(), 1, "billed once for all four model calls");
    assert_eq!(stub.request_count(), 4);
    let everything: String = events.iter().map(|(_, data)| data.to_string()).collect();
    assert!(
        !everything.contains(TOKEN),
        "the server's token never reaches the user"
    );
}

#[tokio::test]
async fn a_server_that_changed_a_tool_since_publication_is_not_called_and_the_run_says_so() {
    let before = McpTestServer::start("v1").await;
    let after = McpTestServer::start("changed").await;
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, loopback).await;
    let creator = app.with_admin().await;
    let id = save_server(&app, &creator, "calc", &before.url).await;
    let address = app.published_agent(&creator, mcp_agent(&["add"])).await;
    // The creator's server now answers from a newer version of itself.
    let removed = app
        .call(
            "DELETE",
            &format!("/v1/me/provider-keys/{id}"),
            Some(&creator.access_token),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    save_server(&app, &creator, "calc", &after.url).await;

    let user = app.with_user().await;
    stub.then(Scenario::tool_call("c1", "add", r#"{"a": 2, "b": 3}"#))
        .then(Scenario::answer("I could not add.", 60, 4));
    let events = run_streamed(&app, &user, &address, "use your tools").await;
    let used = uses(&events);
    assert_eq!(used[0]["outcome"], "error");
    assert!(
        used[0]["result_preview"]
            .as_str()
            .unwrap()
            .contains("changed the tool `add`"),
        "{used:?}"
    );
    assert!(after.calls().is_empty(), "the changed tool was not called");
}

#[tokio::test]
async fn failing_hanging_and_huge_mcp_tools_are_bounded_and_told_to_the_model() {
    let server = McpTestServer::start("v1").await;
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, loopback).await;
    let creator = app.with_admin().await;
    save_server(&app, &creator, "calc", &server.url).await;
    let address = app
        .published_agent(&creator, mcp_agent(&["broken", "huge", "slow"]))
        .await;
    let user = app.with_user().await;
    stub.then(Scenario::tool_call("c1", "broken", "{}"))
        .then(Scenario::tool_call("c2", "huge", "{}"))
        .then(Scenario::tool_call("c3", "slow", "{}"))
        .then(Scenario::answer("Done.", 60, 2));
    let events = run_streamed(&app, &user, &address, "use your tools").await;
    let used = uses(&events);
    assert_eq!(used.len(), 3, "{used:?}");
    assert_eq!(used[0]["outcome"], "error");
    assert!(
        used[0]["result_preview"]
            .as_str()
            .unwrap()
            .contains("reported an error"),
        "{:?}",
        used[0]
    );
    assert_eq!(used[1]["outcome"], "ok");
    assert!(
        used[1]["result_chars"].as_u64().unwrap() <= 20_100,
        "{:?}",
        used[1]
    );
    assert_eq!(used[2]["outcome"], "error");
    assert!(
        used[2]["result_preview"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{:?}",
        used[2]
    );
    let outcome = done(&events);
    assert_eq!(outcome["status"], "succeeded");
}

#[tokio::test]
async fn a_draft_naming_an_unknown_server_or_a_tool_the_server_lacks_is_refused() {
    let server = McpTestServer::start("v1").await;
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, loopback).await;
    let creator = app.with_admin().await;
    // The validation problem a draft of an agent with these MCP tools gets.
    let refused = async |tools: &[&str]| {
        app.call(
            "POST",
            "/v1/agents",
            Some(&creator.access_token),
            Some(json!({ "definition": mcp_agent(tools) })),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")
        .to_string()
    };
    let problem = refused(&["add"]).await;
    assert!(problem.contains("no MCP server named `calc`"), "{problem}");

    save_server(&app, &creator, "calc", &server.url).await;
    let problem = refused(&["multiply"]).await;
    assert!(problem.contains("has no tool `multiply`"), "{problem}");
    assert!(
        problem.contains("add"),
        "it lists what the server has: {problem}"
    );
}
