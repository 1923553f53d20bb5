//! What a hostile or broken provider can do to Agora: nothing. Whatever it sends — a
//! header, a status, a body, usage figures, an event, its size or its timing — the run
//! ends with a problem in bounded time, no process panics, no run stays open, nobody is
//! credited, and the ledger still adds up (issue 14, item 1; RELIABILITY 10 and 11).

use std::time::Duration;

use axum::body::Bytes;
use http::StatusCode;
use serde_json::json;

use crate::{
    llm_stub::{LlmStub, RawAnswer, Scenario},
    runs::{app_with_stub, balance_and_ledger, published_on, sse_events},
};

/// A chat completion with this `usage` object, as raw JSON.
fn completion_with_usage(usage: &str) -> String {
    format!(
        r#"{{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{{"index":0,"message":{{"role":"assistant","content":"hi"}},"finish_reason":"stop"}}],"usage":{usage}}}"#
    )
}

/// A streamed answer that reports this `usage` object in its last chunk.
fn stream_with_usage(usage: &str) -> Vec<Bytes> {
    [
        r#"data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}"#.to_owned(),
        r#"data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#.to_owned(),
        format!(r#"data: {{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{usage}}}"#),
        "data: [DONE]".to_owned(),
    ]
    .into_iter()
    .map(|line| Bytes::from(format!("{line}\n\n")))
    .collect()
}

fn rate_limited(header: &'static str, value: &str) -> Scenario {
    Scenario::Raw(
        RawAnswer::json(
            429,
            r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
        )
        .header(header, value),
    )
}

/// The hostile answers, by what they do.
fn hostile_answers() -> Vec<(&'static str, Scenario)> {
    let mib = Bytes::from(vec![b'x'; 1 << 20]);
    vec![
        ("retry-after: 1e20", rate_limited("retry-after", "1e20")),
        ("retry-after: 1e309", rate_limited("retry-after", "1e309")),
        ("retry-after: inf", rate_limited("retry-after", "inf")),
        ("retry-after: NaN", rate_limited("retry-after", "NaN")),
        ("retry-after: -1", rate_limited("retry-after", "-1")),
        (
            "retry-after-ms: 1e30",
            rate_limited("retry-after-ms", "1e30"),
        ),
        ("status 999", Scenario::Raw(RawAnswer::json(999, "{}"))),
        (
            "status 200, empty body",
            Scenario::Raw(RawAnswer::json(200, "")),
        ),
        (
            "status 200, HTML",
            Scenario::Raw(RawAnswer {
                status: 200,
                headers: vec![("content-type", "text/html".into())],
                chunks: vec![Bytes::from_static(b"<html><body>Bad gateway</body></html>")],
            }),
        ),
        (
            "JSON of the wrong shape",
            Scenario::Raw(RawAnswer::json(200, r#"{"choices":"none","usage":[]}"#)),
        ),
        (
            "usage beyond u64",
            Scenario::Raw(RawAnswer::json(
                200,
                &completion_with_usage(
                    r#"{"prompt_tokens":18446744073709551616,"completion_tokens":1,"total_tokens":1}"#,
                ),
            )),
        ),
        (
            "usage of u64::MAX",
            Scenario::Raw(RawAnswer::json(
                200,
                &completion_with_usage(
                    r#"{"prompt_tokens":18446744073709551615,"completion_tokens":18446744073709551615,"total_tokens":0}"#,
                ),
            )),
        ),
        (
            "usage as floats",
            Scenario::Raw(RawAnswer::json(
                200,
                &completion_with_usage(
                    r#"{"prompt_tokens":1e30,"completion_tokens":-0.5,"total_tokens":1}"#,
                ),
            )),
        ),
        (
            "streamed usage of u64::MAX",
            Scenario::Raw(RawAnswer::sse(stream_with_usage(
                r#"{"prompt_tokens":18446744073709551615,"completion_tokens":18446744073709551615,"total_tokens":0}"#,
            ))),
        ),
        (
            "an event that is not UTF-8",
            Scenario::Raw(RawAnswer::sse(vec![Bytes::from_static(
                b"data: \xff\xfe\xfd\n\n",
            )])),
        ),
        (
            "an event larger than 1 MiB",
            Scenario::Raw(RawAnswer::sse(vec![
                Bytes::from_static(b"data: "),
                mib.clone(),
                mib.clone(),
                Bytes::from_static(b"\n\n"),
            ])),
        ),
        (
            "a body larger than 16 MiB with no line end",
            Scenario::Raw(RawAnswer::sse(vec![mib; 17])),
        ),
        (
            "[DONE] before any answer",
            Scenario::Raw(RawAnswer::sse(vec![Bytes::from_static(
                b"data: [DONE]\n\n",
            )])),
        ),
        (
            "a chunk whose choices are null",
            Scenario::Raw(RawAnswer::sse(vec![Bytes::from_static(
                b"data: {\"choices\": null, \"usage\": null}\n\n",
            )])),
        ),
        (
            "words trickling in forever",
            Scenario::Trickle {
                pieces: vec!["more ".into()],
                every: Duration::from_millis(50),
            },
        ),
    ]
}

#[tokio::test]
async fn no_provider_answer_panics_hangs_a_run_or_credits_anyone() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |config| {
        config.runs.answer_budget = Duration::from_millis(1_500);
    })
    .await;
    let (creator, address) = published_on(&app, "openai", "gpt-4o-mini", "0.5").await;
    let creator_before = balance_and_ledger(&app, &creator.id).await.0;
    for (what, scenario) in hostile_answers() {
        stub.always(scenario);
        for stream in [false, true] {
            let user = app.with_user().await;
            // Opens the account (with its sign-up credits) before the run.
            app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
                .await;
            let before = balance_and_ledger(&app, &user.id).await.0;
            let response = tokio::time::timeout(
                Duration::from_secs(30),
                app.call(
                    "POST",
                    "/v1/runs",
                    Some(&user.access_token),
                    Some(json!({ "agent": address, "input": "hi", "stream": stream })),
                ),
            )
            .await
            .unwrap_or_else(|_| panic!("{what} (stream={stream}): the run hung"));
            let failure = if response.status == StatusCode::OK && stream {
                let done = sse_events(&response.body)
                    .into_iter()
                    .find(|(name, _)| name == "done")
                    .unwrap_or_else(|| panic!("{what}: the stream has no done event"))
                    .1;
                assert_eq!(done["status"], "failed", "{what}: {done}");
                done["error"]["kind"].as_str().unwrap().to_owned()
            } else {
                assert!(
                    [
                        StatusCode::BAD_GATEWAY,
                        StatusCode::SERVICE_UNAVAILABLE,
                        StatusCode::GATEWAY_TIMEOUT
                    ]
                    .contains(&response.status),
                    "{what} (stream={stream}): {} {:?}",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                );
                assert_eq!(response.header("content-type"), "application/problem+json");
                let kind = response.json()["type"].as_str().unwrap().to_owned();
                kind.rsplit('/').next().unwrap().to_owned()
            };
            assert!(
                failure.starts_with("upstream-"),
                "{what} (stream={stream}): {failure}"
            );
            let (after, ledger) = balance_and_ledger(&app, &user.id).await;
            assert!(after <= before, "{what}: the caller was credited");
            assert_eq!(after, ledger, "{what}");
            app.assert_ledger_consistent(true).await;
        }
    }
    assert_eq!(
        balance_and_ledger(&app, &creator.id).await.0,
        creator_before,
        "a failed run earns its creator nothing"
    );
    assert_eq!(app.count("runs", "status = 'succeeded'").await, 0);
}
