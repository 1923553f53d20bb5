//! `agora-bench catalog`: browse, keyword search and semantic search against a running
//! `agora serve`, each for a fixed time at a fixed concurrency; reports p50, p99 and
//! throughput twice: with the listing cache warm (a set of varied queries, each asked
//! before measuring), and cold (every request unique, so each one reaches PostgreSQL).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;

/// What one scenario asks.
struct Scenario {
    name: &'static str,
    paths: Vec<String>,
}

const WORDS: &[&str] = &[
    "blog",
    "code",
    "research",
    "spreadsheet",
    "sales",
    "contract",
    "lesson",
    "campaign",
    "meeting",
    "story",
    "review",
    "planner",
    "tutor",
    "editor",
    "analyst",
    "writer",
    "coach",
    "helper",
];
const TASKS: &[&str] = &[
    "help me review a contract for risky clauses",
    "write a blog post about databases",
    "plan my meetings for next week",
    "explain statistics in my spreadsheet",
    "draft sales emails for startups",
    "make a quiz about physics for students",
    "tell a bedtime story with games",
    "improve my ad campaign for small teams",
];
const CATEGORIES: &[&str] = &[
    "writing",
    "coding",
    "research",
    "data",
    "business",
    "legal",
    "education",
    "marketing",
    "productivity",
    "fun",
];
const SORTS: &[&str] = &["trending", "newest", "most_used"];

fn scenarios() -> Vec<Scenario> {
    let mut browse = Vec::new();
    for category in CATEGORIES {
        for sort in SORTS {
            browse.push(format!(
                "/v1/agents?category={category}&sort={sort}&limit=20"
            ));
        }
    }
    for sort in SORTS {
        browse.push(format!("/v1/agents?sort={sort}&limit=20"));
    }
    let mut keyword = Vec::new();
    for (i, word) in WORDS.iter().enumerate() {
        keyword.push(format!("/v1/agents?q={word}&mode=keyword&limit=20"));
        keyword.push(format!(
            "/v1/agents?q={word}+{}&mode=keyword&limit=20",
            WORDS[(i + 5) % WORDS.len()]
        ));
    }
    let semantic = TASKS
        .iter()
        .flat_map(|task| {
            let q = task.replace(' ', "+");
            [
                format!("/v1/agents?q={q}&mode=semantic&limit=20"),
                format!("/v1/agents?q={q}&mode=semantic&limit=20&category=writing"),
            ]
        })
        .collect();
    let faceted = CATEGORIES
        .iter()
        .map(|category| format!("/v1/agents?category={category}&facets=true&limit=20"))
        .chain(
            WORDS
                .iter()
                .map(|word| format!("/v1/agents?q={word}&facets=true&limit=20")),
        )
        .collect();
    vec![
        Scenario {
            name: "browse (filters, sorts)",
            paths: browse,
        },
        Scenario {
            name: "first page with facet counts",
            paths: faceted,
        },
        Scenario {
            name: "keyword search",
            paths: keyword,
        },
        Scenario {
            name: "semantic search",
            paths: semantic,
        },
    ]
}

/// Runs every scenario against `base` and prints one line each.
pub async fn run(
    base: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(10))
        .build()?;
    let health = client
        .get(format!("{base}/v1/health"))
        .send()
        .await
        .context("is agora serve running?")?;
    anyhow::ensure!(
        health.status().is_success(),
        "agora serve answered {} to /v1/health",
        health.status()
    );
    let mut lines = Vec::new();
    for (scenario, cold) in scenarios().into_iter().flat_map(|s| {
        let cold = Scenario {
            name: s.name,
            paths: s.paths.clone(),
        };
        [(s, false), (cold, true)]
    }) {
        // Warm-up: every distinct query once, so the warm run measures a steady state.
        for path in &scenario.paths {
            client
                .get(format!("{base}{path}"))
                .send()
                .await?
                .error_for_status()?;
        }
        let samples = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(0usize));
        let started = Instant::now();
        let workers: Vec<_> = (0..concurrency)
            .map(|worker| {
                let (client, samples, errors) = (client.clone(), samples.clone(), errors.clone());
                let paths = scenario.paths.clone();
                let base = base.to_owned();
                #[expect(
                    clippy::disallowed_methods,
                    reason = "load generators run side by side; each is joined before the figures are read"
                )]
                tokio::spawn(async move {
                    let mut index = worker * 7;
                    let mut local = Vec::new();
                    while started.elapsed() < duration {
                        let mut path = paths[index % paths.len()].clone();
                        index += 1;
                        if cold {
                            // A price ceiling no agent reaches: the same results, a new cache key.
                            path.push_str(&format!(
                                "&max_price={}.{:06}",
                                100_000 + worker,
                                index % 1_000_000
                            ));
                        }
                        let sent = Instant::now();
                        match client.get(format!("{base}{path}")).send().await {
                            Ok(response) if response.status().is_success() => {
                                let _ = response.bytes().await;
                                local.push(sent.elapsed());
                            }
                            _ => *errors.lock().unwrap_or_else(|e| e.into_inner()) += 1,
                        }
                    }
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(local);
                })
            })
            .collect();
        for worker in workers {
            worker.await?;
        }
        let elapsed = started.elapsed();
        let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
        samples.sort();
        anyhow::ensure!(
            !samples.is_empty(),
            "{}: no successful request",
            scenario.name
        );
        let ms = |q: f64| {
            samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
        };
        let errors = *errors.lock().unwrap_or_else(|e| e.into_inner());
        lines.push(format!(
            "| {} ({}) | {:.1} ms | {:.1} ms | {:.0} req/s | {} | {} |",
            scenario.name,
            if cold {
                "cold: every request reaches PostgreSQL"
            } else {
                "listing cache warm"
            },
            ms(0.5),
            ms(0.99),
            samples.len() as f64 / elapsed.as_secs_f64(),
            samples.len(),
            errors
        ));
    }
    Ok(lines)
}
