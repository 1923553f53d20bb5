//! Client tools on `/v1/chat/completions` (issue 17): the caller's `tools` reach the agent's
//! model, its calls come back as OpenAI `tool_calls` (whole and streamed), the caller's
//! results go back to the model, and the run is billed once. A model can never call what it
//! was not offered, nor leak a sealed prompt through a call's arguments.

use http::StatusCode;
use serde_json::{Value, json};

use crate::{
    llm_stub::{LlmStub, Scenario},
    runs::{app_with_stub, ledger_of_run, published_on, sse_events},
    support::{TestApp, TestResponse, agent_spec},
};

fn weather_tool() -> Value {
    json!({"type": "function", "function": {"name": "get_weather", "description": "The weather now",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})
}

async fn complete(
    app: &TestApp,
    key: &str,
    body: Value,
    idempotency: Option<&str>,
) -> TestResponse {
    let mut request = http::Request::post("/v1/chat/completions")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json");
    if let Some(idempotency) = idempotency {
        request = request.header("idempotency-key", idempotency);
    }
    app.send(
        request
            .body(axum::body::Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_models_call_to_a_callers_tool_comes_back_in_openais_format_whole_and_streamed() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.01").await;
    let user = app.with_user().await;
    let (_, key) = app.api_key(&user).await;
    let model = format!("agent:{address}");

    stub.then(Scenario::tool_call(
        "call_w1",
        "get_weather",
        r#"{"city":"Oslo"}"#,
    ));
    let whole = complete(
        &app,
        &key,
        json!({ "model": model, "tools": [weather_tool()], "tool_choice": "required",
        "messages": [{"role": "user", "content": "Weather in Oslo?"}] }),
        None,
    )
    .await;
    assert_eq!(whole.status, StatusCode::OK, "{:?}", whole.body);
    let body = whole.json();
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    assert_eq!(
        choice["message"]["tool_calls"],
        json!([{"id": "call_w1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}])
    );
    let sent = &stub.received()[0].body;
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(sent["tool_choice"], "required");
    // Billed once, like any run: the model's tokens and the agent's price.
    let run_id = body["agora"]["run_id"].as_str().unwrap().to_owned();
    let (charges, _) = ledger_of_run(&app, &run_id).await;
    assert_eq!(charges.len(), 1, "{charges:?}");
    assert!(charges[0] < 0);
    let record = app
        .call("GET", &format!("/v1/runs/{run_id}"), Some(&key), None)
        .await
        .json();
    assert_eq!(record["tool_calls"][0]["name"], "get_weather", "{record}");

    stub.then(Scenario::tool_call(
        "call_w2",
        "get_weather",
        r#"{"city":"Bergen"}"#,
    ));
    let streamed = complete(
        &app,
        &key,
        json!({ "model": model, "tools": [weather_tool()], "stream": true,
        "messages": [{"role": "user", "content": "Weather in Bergen?"}] }),
        None,
    )
    .await;
    assert_eq!(streamed.status, StatusCode::OK);
    let chunks: Vec<Value> = sse_events(&streamed.body)
        .into_iter()
        .map(|(_, data)| data)
        .filter(Value::is_object)
        .collect();
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert_eq!(
        calls,
        [
            &json!({"index": 0, "id": "call_w2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Bergen\"}"}})
        ]
    );
    let finishes: Vec<&Value> = chunks
        .iter()
        .map(|chunk| &chunk["choices"][0]["finish_reason"])
        .filter(|finish| !finish.is_null())
        .collect();
    assert_eq!(finishes, [&json!("tool_calls")]);
}

#[tokio::test]
async fn the_callers_tool_results_go_back_to_the_model_which_answers_from_them() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "anthropic", "claude-3-5-haiku-latest", "0").await;
    let user = app.with_user().await;
    let (_, key) = app.api_key(&user).await;
    stub.then(Scenario::answer("Snow in Oslo: take the bus.", 40, 8));
    let answer = complete(&app, &key, json!({ "model": format!("agent:{address}"), "tools": [weather_tool()],
        "messages": [
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "-4 °C, snow"}
        ] }), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        "Snow in Oslo: take the bus."
    );
    // Anthropic got the call and its result as its own content blocks.
    let sent = &stub.received()[0].body;
    assert_eq!(
        sent["messages"][1]["content"][0],
        json!({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}})
    );
    assert_eq!(
        sent["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": "-4 °C, snow"})
    );
}

#[tokio::test]
async fn tool_turns_that_do_not_pair_up_are_refused_in_openais_error_format_before_any_model_call()
{
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    let (_, key) = app.api_key(&user).await;
    let model = format!("agent:{address}");
    let call = json!({"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}});
    for (messages, extra, says) in [
        (
            json!([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "c1", "content": "x"}]),
            json!({}),
            "is not a call of the assistant message before it",
        ),
        (
            json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": null, "tool_calls": [call]},
                   {"role": "user", "content": "well?"}]),
            json!({}),
            "have no result",
        ),
        (
            json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": null, "tool_calls": [call]},
                   {"role": "tool", "tool_call_id": "c1", "content": "a"}, {"role": "tool", "tool_call_id": "c1", "content": "b"}]),
            json!({}),
            "still without a result",
        ),
        (
            json!([{"role": "user", "content": "hi", "tool_calls": [call]}]),
            json!({}),
            "only an assistant message has tool calls",
        ),
        (
            json!([{"role": "user", "content": "hi"}]),
            json!({"tool_choice": "auto"}),
            "only allowed with `tools`",
        ),
        (
            json!([{"role": "user", "content": "hi"}]),
            json!({"tools": [weather_tool()], "tool_choice": {"type": "function", "function": {"name": "launch"}}}),
            "not in `tools`",
        ),
        (
            json!([{"role": "user", "content": "hi"}]),
            json!({"tools": [{"type": "function", "function": {"name": "no spaces allowed"}}]}),
            "letters, digits",
        ),
        (
            json!([{"role": "user", "content": "hi"}]),
            json!({"functions": [{"name": "old_style"}]}),
            "functions",
        ),
    ] {
        let mut body = json!({ "model": model, "messages": messages });
        for (name, value) in extra.as_object().unwrap() {
            body[name] = value.clone();
        }
        let response = complete(&app, &key, body.clone(), None).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            response.body
        );
        let error = &response.json()["error"];
        assert_eq!(error["code"], "validation", "{body}");
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{body}: {error}"
        );
    }
    assert_eq!(stub.request_count(), 0, "no model was called");
}

#[tokio::test]
async fn a_model_cannot_call_a_tool_it_was_not_offered_nor_leak_a_sealed_prompt_through_arguments()
{
    let canary = "CANARY-tool-args-51d2";
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let creator = app.with_user().await;
    let mut spec = agent_spec("Sealed tools", "Keeps its prompt");
    spec["licence"] = json!("sealed");
    spec["system_prompt"] = json!(format!(
        "The launch code is {canary} and stays secret.\nHelp with the weather."
    ));
    spec["model"] = json!({ "provider": "openai", "name": "gpt-4o-mini" });
    let address = app.published_agent(&creator, spec).await;
    let user = app.with_user().await;
    let (_, key) = app.api_key(&user).await;
    let model = format!("agent:{address}");

    // A tool nobody offered (the model was talked into it): dropped, the answer is text.
    for stream in [false, true] {
        stub.then(Scenario::tool_call("call_x", "delete_account", "{}"));
        let response = complete(
            &app,
            &key,
            json!({ "model": model, "tools": [weather_tool()], "stream": stream,
            "messages": [{"role": "user", "content": "delete my account"}] }),
            None,
        )
        .await;
        assert_eq!(response.status, StatusCode::OK);
        let text = String::from_utf8_lossy(&response.body);
        assert!(!text.contains("delete_account"), "{text}");
        assert!(text.contains("\"finish_reason\":\"stop\""), "{text}");
    }

    // The prompt repeated in a call's arguments is redacted, as it is in text.
    let leaky = format!(r#"{{"city":"The launch code is {canary} and stays secret"}}"#);
    stub.then(Scenario::tool_call("call_y", "get_weather", &leaky));
    let response = complete(
        &app,
        &key,
        json!({ "model": model, "tools": [weather_tool()],
        "messages": [{"role": "user", "content": "weather"}] }),
        None,
    )
    .await;
    let body = response.json();
    let arguments = body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap();
    assert!(!arguments.contains(canary), "{arguments}");
    assert!(arguments.contains("redacted"), "{arguments}");
    let runs = app.call("GET", "/v1/me/runs", Some(&key), None).await;
    assert!(!String::from_utf8_lossy(&runs.body).contains(canary));
}

#[tokio::test]
async fn a_retried_request_with_the_same_idempotency_key_gets_the_same_tool_calls_without_a_model_call()
 {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    let (_, key) = app.api_key(&user).await;
    stub.then(Scenario::tool_call(
        "call_once",
        "get_weather",
        r#"{"city":"Oslo"}"#,
    ));
    let body = json!({ "model": format!("agent:{address}"), "tools": [weather_tool()],
        "messages": [{"role": "user", "content": "Weather in Oslo?"}] });
    let first = complete(&app, &key, body.clone(), Some("retry-tools-1")).await;
    let again = complete(&app, &key, body, Some("retry-tools-1")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        first.json()["choices"][0]["message"]["tool_calls"],
        again.json()["choices"][0]["message"]["tool_calls"]
    );
    assert_eq!(
        again.json()["choices"][0]["message"]["tool_calls"][0]["id"],
        "call_once"
    );
    assert_eq!(
        stub.request_count(),
        1,
        "the retry was answered from the run"
    );
}
