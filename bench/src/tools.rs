//! `agora-bench tools <agora> [seconds]`: what one call to an agent's own tool adds to a
//! run (see `bench/tools.sh`). One user runs, one at a time, an agent on the upstream stub
//! without tools, and the same agent with `current_time` asked for 1 and 3 tool calls: each
//! call is a tool turn (the call, its result back to the model, one more model call), so the
//! difference per call is the tool loop's overhead plus one stub round trip (~0.1 ms).

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

pub async fn run(agora: &str, seconds: u64) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let email = format!("bench-tools-{}@example.com", std::process::id());
    let token = crate::register(&client, agora, &email).await?;
    let plain = publish(&client, agora, &token, "Plain bench", json!([])).await?;
    let clocked = publish(
        &client,
        agora,
        &token,
        "Clocked bench",
        json!([{ "type": "builtin", "name": "current_time" }]),
    )
    .await?;
    let duration = Duration::from_secs(seconds);
    let mut lines = vec![
        "| run | model calls | tool calls | p50 | p99 | runs | added per tool call, p50 |"
            .to_owned(),
        "|---|---|---|---|---|---|---|".to_owned(),
    ];
    let base = measure(&client, agora, &token, &plain, 0, duration).await?;
    lines.push(format!(
        "| no tools | 1 | 0 | {:.2} ms | {:.2} ms | {} | - |",
        base.0, base.1, base.2
    ));
    for calls in [1u32, 3] {
        let (p50, p99, runs) = measure(&client, agora, &token, &clocked, calls, duration).await?;
        lines.push(format!(
            "| current_time | {} | {calls} | {p50:.2} ms | {p99:.2} ms | {runs} | +{:.2} ms |",
            calls + 1,
            (p50 - base.0) / f64::from(calls)
        ));
    }
    Ok(lines)
}

/// An agent on the stub's model with `tools`, published.
async fn publish(
    client: &reqwest::Client,
    agora: &str,
    token: &str,
    name: &str,
    tools: Value,
) -> anyhow::Result<String> {
    crate::publish_agent(
        client,
        agora,
        token,
        json!({
            "name": name, "summary": "Answers through the upstream stub", "category": "productivity",
            "system_prompt": "You are concise.", "model": { "provider": "openai", "name": "gpt-4o-mini" },
            "tools": tools,
        }),
    )
    .await
}

/// Runs `agent` one after another for `duration`, asking the stub for `tool_calls` calls;
/// returns p50 and p99 in milliseconds and the number of runs.
async fn measure(
    client: &reqwest::Client,
    agora: &str,
    token: &str,
    agent: &str,
    tool_calls: u32,
    duration: Duration,
) -> anyhow::Result<(f64, f64, usize)> {
    let body =
        json!({ "agent": agent, "input": format!("tool calls: {tool_calls}"), "max_tokens": 64 });
    let mut samples = Vec::new();
    let started = Instant::now();
    while started.elapsed() < duration {
        let sent = Instant::now();
        let outcome: Value = client
            .post(format!("{agora}/v1/runs"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?
            .error_for_status()
            .context("a run")?
            .json()
            .await?;
        samples.push(sent.elapsed());
        let made = outcome["outcome"]["tool_uses"]
            .as_array()
            .map_or(0, Vec::len);
        anyhow::ensure!(
            made == tool_calls as usize,
            "the run made {made} tool calls, not {tool_calls}: {outcome}"
        );
    }
    samples.sort();
    anyhow::ensure!(!samples.is_empty(), "no run finished");
    let ms =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    Ok((ms(0.5), ms(0.99), samples.len()))
}
