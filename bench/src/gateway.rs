//! `agora-bench gateway`: what Agora adds to an LLM call, beside LiteLLM proxy, on the same
//! upstream stub in one run (see `bench/gateway.sh`).
//!
//! - `agora-bench stub <port>`: an OpenAI Chat Completions server that answers at once
//!   (whole, or streamed in five chunks plus usage), the upstream of every scenario.
//! - `agora-bench gateway <stub> <agora> <litellm> <agora pid> <litellm pid> [seconds]`:
//!   sets up Agora (50 users with API keys, one agent on the stub's model), then measures
//!   direct-to-stub, Agora's `/v1/chat/completions` and LiteLLM at concurrency 1, 10 and 50,
//!   and time to first token when streaming.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{Router, body::Body, response::Response, routing::post};
use serde_json::{Value, json};

const CHUNKS: [&str; 5] = ["Hello", " from", " the", " upstream", " stub."];

/// Runs the upstream stub until the process is killed.
pub async fn stub(port: u16) -> anyhow::Result<()> {
    let app = Router::new().route("/v1/chat/completions", post(complete));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn complete(body: axum::body::Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = request["model"]
        .as_str()
        .unwrap_or("gpt-4o-mini")
        .to_owned();
    let usage = json!({ "prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30 });
    // The tools benchmark: "tool calls: N" asks for N calls to the first offered tool,
    // one per turn, before the answer.
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let wanted: usize = messages
        .iter()
        .filter_map(|message| message["content"].as_str())
        .find_map(|text| text.strip_prefix("tool calls: "))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(0);
    let made = messages
        .iter()
        .filter(|message| message["role"] == "tool")
        .count();
    if let Some(tool) = request["tools"][0]["function"]["name"].as_str()
        && made < wanted
        && request["stream"] != true
    {
        let completion = json!({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_764_000_000, "model": model,
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": null, "tool_calls": [
                { "id": format!("call_{made}"), "type": "function", "function": { "name": tool, "arguments": "{}" } }] },
                "finish_reason": "tool_calls", "logprobs": null }],
            "usage": usage,
        });
        return Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(completion.to_string()))
            .unwrap_or_default();
    }
    if request["stream"] != true {
        let completion = json!({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 1_764_000_000, "model": model,
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": CHUNKS.concat() },
                          "finish_reason": "stop", "logprobs": null }],
            "usage": usage,
        });
        return Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(completion.to_string()))
            .unwrap_or_default();
    }
    let chunk = |delta: Value, finish: Value| {
        format!(
            "data: {}\n\n",
            json!({ "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1_764_000_000,
                    "model": model, "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] })
        )
    };
    let mut body = chunk(json!({ "role": "assistant", "content": "" }), Value::Null);
    for piece in CHUNKS {
        body.push_str(&chunk(json!({ "content": piece }), Value::Null));
    }
    body.push_str(&chunk(json!({}), json!("stop")));
    body.push_str(&format!(
        "data: {}\n\ndata: [DONE]\n\n",
        json!({ "id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1_764_000_000,
                "model": model, "choices": [], "usage": usage })
    ));
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// One way to reach the model.
struct Target {
    name: &'static str,
    url: String,
    model: String,
    /// Bearer credentials, used round robin by the workers.
    keys: Vec<String>,
    pid: Option<u32>,
}

/// The measurements of one target at one concurrency.
struct Measured {
    p50: f64,
    p99: f64,
    rps: f64,
    requests: usize,
    errors: usize,
    cpu_ms_per_request: Option<f64>,
    rss_mb: Option<f64>,
}

pub async fn run(
    stub: &str,
    agora: &str,
    litellm: &str,
    agora_pid: u32,
    litellm_pid: u32,
    seconds: u64,
) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()?;
    let (agent, keys) = set_up_agora(&client, agora).await?;
    let targets = [
        Target {
            name: "direct to the stub",
            url: format!("{stub}/v1/chat/completions"),
            model: "gpt-4o-mini".into(),
            keys: vec!["sk-bench-upstream".into()],
            pid: None,
        },
        Target {
            name: "Agora /v1/chat/completions",
            url: format!("{agora}/v1/chat/completions"),
            model: format!("agent:{agent}"),
            keys,
            pid: Some(agora_pid),
        },
        Target {
            name: "LiteLLM proxy",
            url: format!("{litellm}/v1/chat/completions"),
            model: "gpt-4o-mini".into(),
            keys: vec!["sk-litellm-master".into()],
            pid: Some(litellm_pid),
        },
    ];
    let duration = Duration::from_secs(seconds);
    let mut lines = vec![
        "| concurrency | target | p50 | p99 | added p50 | added p99 | throughput | CPU per request | memory (RSS) | errors |".to_owned(),
        "|---|---|---|---|---|---|---|---|---|---|".to_owned(),
    ];
    for concurrency in [1, 10, 50] {
        let mut direct: Option<(f64, f64)> = None;
        for target in &targets {
            // Warm up connections and caches.
            measure(&client, target, concurrency, Duration::from_secs(2)).await?;
            let m = measure(&client, target, concurrency, duration).await?;
            let added = match direct {
                None => {
                    direct = Some((m.p50, m.p99));
                    ("-".to_owned(), "-".to_owned())
                }
                Some((p50, p99)) => (
                    format!("{:+.2} ms", m.p50 - p50),
                    format!("{:+.2} ms", m.p99 - p99),
                ),
            };
            lines.push(format!(
                "| {concurrency} | {} | {:.2} ms | {:.2} ms | {} | {} | {:.0} req/s | {} | {} | {}/{} |",
                target.name,
                m.p50,
                m.p99,
                added.0,
                added.1,
                m.rps,
                m.cpu_ms_per_request.map_or("-".into(), |cpu| format!("{cpu:.2} ms")),
                m.rss_mb.map_or("-".into(), |rss| format!("{rss:.0} MB")),
                m.errors,
                m.requests + m.errors,
            ));
        }
    }
    lines.push(String::new());
    lines.push(
        "| streaming, concurrency 1 | time to first token p50 | p99 | added p50 |".to_owned(),
    );
    lines.push("|---|---|---|---|".to_owned());
    let mut direct_ttft = None;
    for target in &targets {
        let (p50, p99) = time_to_first_token(&client, target, 200).await?;
        let added = match direct_ttft {
            None => {
                direct_ttft = Some(p50);
                "-".to_owned()
            }
            Some(direct) => format!("{:+.2} ms", p50 - direct),
        };
        lines.push(format!(
            "| {} | {p50:.2} ms | {p99:.2} ms | {added} |",
            target.name
        ));
    }
    Ok(lines)
}

/// 50 users, each with an API key and plenty of credits granted at sign-up, and one agent
/// on the stub's model; returns its address and the keys.
async fn set_up_agora(
    client: &reqwest::Client,
    agora: &str,
) -> anyhow::Result<(String, Vec<String>)> {
    let mut keys = Vec::new();
    let mut first_token = None;
    for index in 0..50 {
        let email = format!("bench-{index}-{}@example.com", std::process::id());
        let token = crate::register(client, agora, &email).await?;
        let key: Value = client
            .post(format!("{agora}/v1/me/api-keys"))
            .bearer_auth(&token)
            .json(&json!({ "name": "bench" }))
            .send()
            .await?
            .error_for_status()
            .context("create an API key")?
            .json()
            .await?;
        keys.push(key["key"].as_str().unwrap_or_default().to_owned());
        first_token.get_or_insert(token);
    }
    let token = first_token.unwrap_or_default();
    let address = crate::publish_agent(
        client,
        agora,
        &token,
        json!({
            "name": "Gateway bench", "summary": "Answers through the upstream stub", "category": "productivity",
            "system_prompt": "You are concise.", "model": { "provider": "openai", "name": "gpt-4o-mini" },
            "price_per_run": "0.001"
        }),
    )
    .await?;
    Ok((address, keys))
}

fn body(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [{ "role": "user", "content": "Say hello in five words." }],
        "max_tokens": 64,
        "stream": stream,
    })
}

async fn measure(
    client: &reqwest::Client,
    target: &Target,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let cpu_before = target.pid.and_then(cpu_ticks);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (client, samples, errors) = (client.clone(), samples.clone(), errors.clone());
            let url = target.url.clone();
            let key = target.keys[worker % target.keys.len()].clone();
            let body = body(&target.model, false);
            #[expect(
                clippy::disallowed_methods,
                reason = "load generators run side by side; each is joined before the figures are read"
            )]
            tokio::spawn(async move {
                let mut local = Vec::new();
                let mut failed = 0;
                while started.elapsed() < duration {
                    let sent = Instant::now();
                    match client.post(&url).bearer_auth(&key).json(&body).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            local.push(sent.elapsed());
                        }
                        _ => failed += 1,
                    }
                }
                samples
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(local);
                *errors.lock().unwrap_or_else(|e| e.into_inner()) += failed;
            })
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed();
    let cpu_after = target.pid.and_then(cpu_ticks);
    let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
    samples.sort();
    anyhow::ensure!(
        !samples.is_empty(),
        "{}: no successful request",
        target.name
    );
    let ms =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    let requests = samples.len();
    Ok(Measured {
        p50: ms(0.5),
        p99: ms(0.99),
        rps: requests as f64 / elapsed.as_secs_f64(),
        requests,
        errors: *errors.lock().unwrap_or_else(|e| e.into_inner()),
        cpu_ms_per_request: cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) as f64 * 10.0 / requests as f64),
        rss_mb: target.pid.and_then(rss_mb),
    })
}

/// Time until the first content chunk of a streamed answer, `count` times in a row.
async fn time_to_first_token(
    client: &reqwest::Client,
    target: &Target,
    count: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut samples = Vec::new();
    for index in 0..count {
        let sent = Instant::now();
        let mut response = client
            .post(&target.url)
            .bearer_auth(&target.keys[index % target.keys.len()])
            .json(&body(&target.model, true))
            .send()
            .await?
            .error_for_status()?;
        let mut seen = String::new();
        let mut first = None;
        while let Some(chunk) = response.chunk().await? {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if first.is_none() && seen.contains("\"content\":\"Hello\"") {
                first = Some(sent.elapsed());
            }
        }
        samples.push(first.context("no content chunk in the stream")?);
    }
    samples.sort();
    let ms =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    Ok((ms(0.5), ms(0.99)))
}

/// User plus system CPU time of a process and its threads, in clock ticks (10 ms).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let processes = std::iter::once(pid).chain(children(pid));
    let mut total = 0;
    for pid in processes {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        total += fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Resident memory of a process and its children, in MB.
fn rss_mb(pid: u32) -> Option<f64> {
    let mut total = 0.0;
    for pid in std::iter::once(pid).chain(children(pid)) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        total += kb / 1024.0;
    }
    Some(total)
}

/// Direct children of a process (LiteLLM's workers).
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|child| child.parse().ok())
        .collect()
}
