//! Agora's benchmarks, run on an optimised build (`--profile bench-fast`):
//!
//! - `agora-bench passwords [iterations]`
//! - `agora-bench catalog <base url> [concurrency] [seconds]` (see `bench/catalog.sh`)
//! - `agora-bench workflows <base url> [concurrent runs]` (see `bench/workflows.sh`)
//! - `agora-bench stub <port>` and `agora-bench gateway <stub> <agora> <litellm> <agora pid>
//!   <litellm pid> [seconds]` (see `bench/gateway.sh`)
//! - `agora-bench tools <agora> [seconds]` (see `bench/tools.sh`)
//!
//! Results and the commands that reproduce them are in BENCHMARKS.md.

mod catalog;
mod gateway;
mod tools;
mod workflows;

use std::{
    io::Write,
    process::ExitCode,
    time::{Duration, Instant},
};

use agora::{
    adapters::argon2::{Argon2Hasher, ITERATIONS, MEMORY_KIB, PARALLELISM},
    domain::Password,
    ports::{PasswordCheck, PasswordHasher},
};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let benchmark = args.next().unwrap_or_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error.into()),
    };
    let outcome = runtime.block_on(async {
        match benchmark.as_str() {
            "passwords" => {
                let iterations = args.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(50);
                passwords(iterations.max(1)).await
            }
            "catalog" => {
                let base = args.next().unwrap_or_default();
                let concurrency = args.next().and_then(|n| n.parse().ok()).unwrap_or(16);
                let seconds = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
                let lines = catalog::run(&base, concurrency, Duration::from_secs(seconds)).await?;
                let mut out = std::io::stdout().lock();
                writeln!(out, "| scenario | p50 | p99 | throughput | requests | errors |")?;
                writeln!(out, "|---|---|---|---|---|---|")?;
                for line in lines {
                    writeln!(out, "{line}")?;
                }
                Ok(())
            }
            "workflows" => {
                let base = args.next().unwrap_or_default();
                let concurrent = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
                let lines = workflows::run(&base, concurrent).await?;
                let mut out = std::io::stdout().lock();
                for line in lines {
                    writeln!(out, "{line}")?;
                }
                Ok(())
            }
            "stub" => {
                let port = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                gateway::stub(port).await
            }
            "tools" => {
                let agora = args.next().unwrap_or_default();
                let seconds = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
                let lines = tools::run(&agora, seconds).await?;
                let mut out = std::io::stdout().lock();
                for line in lines {
                    writeln!(out, "{line}")?;
                }
                Ok(())
            }
            "gateway" => {
                let urls: Vec<String> = args.by_ref().take(3).collect();
                let pids: Vec<u32> = args.by_ref().take(2).filter_map(|n| n.parse().ok()).collect();
                let seconds = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
                anyhow::ensure!(urls.len() == 3 && pids.len() == 2, "usage: agora-bench gateway <stub> <agora> <litellm> <agora pid> <litellm pid> [seconds]");
                let lines = gateway::run(&urls[0], &urls[1], &urls[2], pids[0], pids[1], seconds).await?;
                let mut out = std::io::stdout().lock();
                for line in lines {
                    writeln!(out, "{line}")?;
                }
                Ok(())
            }
            _ => Err(anyhow::anyhow!(
                "usage: agora-bench passwords [iterations] | catalog <base url> [concurrency] [seconds] | workflows <base url> [concurrent runs] | stub <port> | gateway <stub> <agora> <litellm> <agora pid> <litellm pid> [seconds] | tools <agora> [seconds]   (see BENCHMARKS.md)"
            )),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {error:#}");
    ExitCode::FAILURE
}

/// One argon2id hash and one verification with the production parameters, and the dummy
/// verification an unknown email costs, each timed `iterations` times in sequence.
async fn passwords(iterations: usize) -> anyhow::Result<()> {
    let hasher = Argon2Hasher::new().map_err(anyhow::Error::msg)?;
    let password = Password::parse("correct horse battery staple").map_err(anyhow::Error::msg)?;
    let wrong = Password::for_login("wrong horse battery staple").map_err(anyhow::Error::msg)?;
    let stored = hasher.hash(&password).await?;
    let dummy = hasher.dummy_hash().await?;
    let mut hashes = Vec::with_capacity(iterations);
    let mut known = Vec::with_capacity(iterations);
    let mut unknown = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        hasher.hash(&password).await?;
        hashes.push(started.elapsed());

        let started = Instant::now();
        let check = hasher.verify(&wrong, &stored).await?;
        known.push(started.elapsed());
        anyhow::ensure!(check == PasswordCheck::Mismatch, "a wrong password matched");

        let started = Instant::now();
        hasher.verify(&wrong, &dummy).await?;
        unknown.push(started.elapsed());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "argon2id m={MEMORY_KIB} KiB t={ITERATIONS} p={PARALLELISM}, {iterations} iterations"
    )?;
    for (name, samples) in [
        ("hash (sign-up, password change)", &mut hashes),
        ("verify, known email, wrong password", &mut known),
        ("verify, unknown email (dummy hash)", &mut unknown),
    ] {
        writeln!(out, "{name:<40} {}", summary(samples))?;
    }
    Ok(())
}

fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len().max(1) as f64;
    format!(
        "mean {mean:6.1} ms  p50 {:6.1} ms  p99 {:6.1} ms",
        ms(at(0.5)),
        ms(at(0.99))
    )
}

/// Signs a new benchmark user up on the Agora at `base` and confirms its email through
/// the dev outbox (credits come with it); returns its access token.
/// Creates an agent from `definition` as the user of `token` and publishes it; answers its
/// address.
async fn publish_agent(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    definition: serde_json::Value,
) -> anyhow::Result<String> {
    use anyhow::Context;
    let created: serde_json::Value = client
        .post(format!("{base}/v1/agents"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "definition": definition }))
        .send()
        .await?
        .error_for_status()
        .context("create the agent")?
        .json()
        .await?;
    let address = created["agent"]["address"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    client
        .post(format!("{base}/v1/agents/{address}/versions"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "changelog": "bench" }))
        .send()
        .await?
        .error_for_status()
        .context("publish the agent")?;
    Ok(address)
}

async fn register(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    let session: serde_json::Value = client
        .post(format!("{base}/v1/auth/register"))
        .json(&serde_json::json!({ "email": email, "password": "a benchmark passphrase", "refresh_token_delivery": "body" }))
        .send()
        .await?
        .error_for_status()
        .context("register")?
        .json()
        .await?;
    let token = session["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let outbox: serde_json::Value = client
        .get(format!("{base}/v1/me/outbox"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()
        .context("the dev outbox")?
        .json()
        .await?;
    let confirmation = outbox["mails"][0]["link"]
        .as_str()
        .and_then(|link| link.split_once("#token="))
        .map(|(_, token)| token.to_owned())
        .context("no confirmation link in the dev outbox")?;
    client
        .post(format!("{base}/v1/auth/verify-email"))
        .json(&serde_json::json!({ "token": confirmation }))
        .send()
        .await?
        .error_for_status()
        .context("confirm the email")?;
    Ok(token)
}
