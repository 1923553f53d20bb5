//! `agora-bench workflows <base url> [concurrent runs]`: against a running `agora serve`
//! (in-process queue, or SQS when it has `QUEUE_URL`), on the offline model:
//!
//! - orchestration overhead per step: a chain of 10 template steps (no model at all), end
//!   to end, divided by 10 — what queueing, storing and advancing one step costs;
//! - a chain of 5 agent steps against 5 one-shot runs of the same agent, per step;
//! - throughput: N concurrent runs of a 3-step workflow (two agents in parallel, then a
//!   template), in runs and steps per second.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

pub async fn run(base: &str, concurrent: usize) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let email = format!("wf-bench-{}@example.com", std::process::id());
    let token = crate::register(&client, base, &email).await?;
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let request = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        async move {
            let response = request.send().await?;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            anyhow::ensure!(status.is_success(), "{status}: {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };
    let created = call(
        reqwest::Method::POST,
        "/v1/agents".into(),
        Some(json!({ "definition": {
            "name": "Workflow bench", "summary": "Echoes", "category": "productivity",
            "system_prompt": "Echo.", "model": { "provider": "agora", "name": "echo" }
        } })),
    )
    .await
    .context("create the agent")?;
    let agent = created["agent"]["address"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    call(
        reqwest::Method::POST,
        format!("/v1/agents/{agent}/versions"),
        Some(json!({ "changelog": "bench" })),
    )
    .await
    .context("publish the agent")?;

    let agent_step = |id: &str, prompt: &str| json!({ "id": id, "agent": { "ref": agent, "version": 1, "prompt": prompt } });
    let templates: Vec<Value> = (0..10)
        .map(|index| {
            let text = if index == 0 {
                "start".to_owned()
            } else {
                format!("{{{{ steps.t{}.output }}}}.", index - 1)
            };
            json!({ "id": format!("t{index}"), "template": { "text": text } })
        })
        .collect();
    let agents: Vec<Value> = (0..5)
        .map(|index| {
            let prompt = if index == 0 {
                "go".to_owned()
            } else {
                format!("{{{{ steps.a{}.output }}}}", index - 1)
            };
            agent_step(&format!("a{index}"), &prompt)
        })
        .collect();
    let fan = vec![
        agent_step("left", "left {{ inputs.n }}"),
        agent_step("right", "right {{ inputs.n }}"),
        json!({ "id": "join", "template": { "text": "{{ steps.left.output }} | {{ steps.right.output }}" } }),
    ];
    let mut addresses = Vec::new();
    for (slug, steps) in [
        ("template-chain", templates),
        ("agent-chain", agents),
        ("fan-out", fan),
    ] {
        let view = call(
            reqwest::Method::POST,
            "/v1/workflows".into(),
            Some(json!({ "slug": slug, "spec": {
                "name": slug, "summary": "bench",
                "inputs": [{ "name": "n", "type": "number", "required": false }],
                "steps": steps
            } })),
        )
        .await
        .with_context(|| format!("create workflow {slug}"))?;
        addresses.push(view["address"].as_str().unwrap_or_default().to_owned());
    }

    let run_once = |address: String, n: usize| {
        let call = &call;
        async move {
            let started = Instant::now();
            let run = call(
                reqwest::Method::POST,
                format!("/v1/workflows/{address}/runs"),
                Some(json!({ "version": "draft", "inputs": { "n": n } })),
            )
            .await?;
            let id = run["id"].as_str().unwrap_or_default().to_owned();
            loop {
                let run = call(
                    reqwest::Method::GET,
                    format!("/v1/workflow-runs/{id}"),
                    None,
                )
                .await?;
                match run["status"].as_str() {
                    Some("running") => tokio::time::sleep(Duration::from_millis(5)).await,
                    Some("succeeded") => return Ok::<Duration, anyhow::Error>(started.elapsed()),
                    other => anyhow::bail!("run {id} ended {other:?}: {}", run["error"]),
                }
            }
        }
    };

    let mut lines = vec![
        "| measurement | result |".to_owned(),
        "|---|---|".to_owned(),
    ];
    // Warm up connections and statements.
    run_once(addresses[0].clone(), 0).await?;
    let mut per_step = Vec::new();
    for _ in 0..10 {
        per_step.push(run_once(addresses[0].clone(), 0).await?.as_secs_f64() * 1000.0 / 10.0);
    }
    per_step.sort_by(f64::total_cmp);
    lines.push(format!(
        "| orchestration per step (10 template steps, median of 10 runs) | {:.2} ms |",
        per_step[per_step.len() / 2]
    ));

    let mut direct = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        call(
            reqwest::Method::POST,
            "/v1/runs".into(),
            Some(json!({ "agent": agent, "input": "go" })),
        )
        .await?;
        direct.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    direct.sort_by(f64::total_cmp);
    let chain = run_once(addresses[1].clone(), 0).await?.as_secs_f64() * 1000.0 / 5.0;
    lines.push(format!(
        "| agent step in a 5-step chain vs a one-shot run of the agent | {chain:.2} ms vs {:.2} ms |",
        direct[direct.len() / 2]
    ));

    let started = Instant::now();
    let mut runs = tokio::task::JoinSet::new();
    for n in 0..concurrent {
        runs.spawn(owned_run(
            client.clone(),
            base.to_owned(),
            token.clone(),
            addresses[2].clone(),
            n,
        ));
    }
    let mut failed = 0;
    while let Some(result) = runs.join_next().await {
        if !matches!(result, Ok(Ok(_))) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    lines.push(format!(
        "| {concurrent} concurrent runs of a 3-step workflow | {:.1} runs/s, {:.1} steps/s, {failed} failed, {elapsed:.2} s |",
        concurrent as f64 / elapsed,
        3.0 * concurrent as f64 / elapsed
    ));
    Ok(lines)
}

/// One run to the end, owning what it needs (to run as its own task).
async fn owned_run(
    client: reqwest::Client,
    base: String,
    token: String,
    address: String,
    n: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let run: Value = client
        .post(format!("{base}/v1/workflows/{address}/runs"))
        .bearer_auth(&token)
        .json(&json!({ "version": "draft", "inputs": { "n": n } }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = run["id"].as_str().unwrap_or_default().to_owned();
    loop {
        let run: Value = client
            .get(format!("{base}/v1/workflow-runs/{id}"))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match run["status"].as_str() {
            Some("running") => tokio::time::sleep(Duration::from_millis(10)).await,
            Some("succeeded") => return Ok(started.elapsed()),
            other => anyhow::bail!("run {id} ended {other:?}: {}", run["error"]),
        }
    }
}
