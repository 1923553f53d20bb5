//! Workflows: definitions are checked before anything runs; runs proceed over a queue with
//! each step's result stored once and each agent run billed once, whatever the queue does
//! (RELIABILITY 14 to 16).

use std::time::Duration;

use agora::ports::Delivery;
use aws_config::BehaviorVersion;
use http::StatusCode;
use serde_json::{Value, json};

use crate::{
    runs::{balance_and_ledger, published_on},
    support::{TestApp, TestUser},
};

/// Summarise, check, split into items, answer each item, and a step that never runs.
pub(crate) fn brief(agent: &str) -> Value {
    json!({
        "format": "agora.workflow/v1",
        "name": "Brief",
        "summary": "Summarise, then answer each item",
        "inputs": [{ "name": "text", "type": "text" }],
        "steps": [
            { "id": "summary", "agent": { "ref": agent, "version": 1, "prompt": "Summarise: {{ inputs.text }}" } },
            { "id": "check", "condition": { "value": "{{ steps.summary.output }}", "operator": "contains", "compare": "Summarise" } },
            { "id": "never", "condition": { "value": "{{ steps.summary.output }}", "operator": "equals", "compare": "no" } },
            { "id": "items", "when": "steps.check.output", "template": { "text": "[\"one\", \"two\", \"three\"]" } },
            { "id": "each", "map": { "over": "steps.items.output", "concurrency": 2, "max_items": 5,
                "agent": { "ref": agent, "version": 1, "prompt": "Item {{ item }}" } } },
            { "id": "skipped", "when": "steps.never.output", "agent": { "ref": agent, "version": 1, "prompt": "no" } }
        ],
        "outputs": { "summary": "{{ steps.summary.output }}", "answers": "{{ steps.each.output }}" }
    })
}

/// One step: `agent` answers "hi".
fn one_step(agent: &str) -> Value {
    json!({
        "name": "One", "summary": "One step",
        "steps": [{ "id": "only", "agent": { "ref": agent, "version": 1, "prompt": "hi" } }]
    })
}

pub(crate) async fn create(app: &TestApp, user: &TestUser, slug: &str, spec: Value) -> String {
    let response = app
        .call(
            "POST",
            "/v1/workflows",
            Some(&user.access_token),
            Some(json!({ "slug": slug, "spec": spec })),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::CREATED,
        "{:?}",
        response.json()
    );
    response.json()["address"].as_str().unwrap().to_owned()
}

pub(crate) async fn start(
    app: &TestApp,
    user: &TestUser,
    address: &str,
    inputs: Value,
) -> crate::support::TestResponse {
    app.call(
        "POST",
        &format!("/v1/workflows/{address}/runs"),
        Some(&user.access_token),
        Some(json!({ "version": "draft", "inputs": inputs })),
    )
    .await
}

pub(crate) async fn wait_until_finished(app: &TestApp, user: &TestUser, run_id: &str) -> Value {
    for _ in 0..200 {
        let run = app
            .call(
                "GET",
                &format!("/v1/workflow-runs/{run_id}"),
                Some(&user.access_token),
                None,
            )
            .await
            .json();
        if run["status"] != "running" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("workflow run {run_id} did not finish");
}

/// (workflow-sourced runs, their charges, creator earnings) of a user.
async fn step_billing(app: &TestApp, user_id: &str) -> (i64, i64, i64) {
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(user_id).unwrap();
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM runs WHERE user_id = $1 AND source = 'workflow'),
                    (SELECT count(*) FROM credit_ledger l JOIN runs r ON r.id = l.run_id
                      WHERE r.user_id = $1 AND l.kind = 'run_charge'),
                    (SELECT count(*) FROM credit_ledger l JOIN runs r ON r.id = l.run_id
                      WHERE r.user_id = $1 AND l.kind = 'creator_earning')",
            &[&id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// The user's workflows made exactly `expected` agent runs; each run with a charge has
/// exactly one charge row and none has two (an answer served from the response cache may
/// cost nothing); every hold is released.
async fn assert_billed_once(app: &TestApp, user_id: &str, expected: i64, seed: u64) {
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(user_id).unwrap();
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM runs WHERE user_id = $1 AND source = 'workflow'),
                    (SELECT count(*) FROM runs WHERE user_id = $1 AND source = 'workflow'
                      AND charged_micros > 0),
                    (SELECT count(*) FROM credit_ledger l JOIN runs r ON r.id = l.run_id
                      WHERE r.user_id = $1 AND l.kind = 'run_charge'),
                    COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM credit_ledger l
                      JOIN runs r ON r.id = l.run_id WHERE r.user_id = $1 AND l.kind = 'run_charge'
                      GROUP BY l.run_id) per_run), 0)",
            &[&id],
        )
        .await
        .unwrap();
    let (runs, chargeable, charges, most): (i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(runs, expected, "seed {seed:#x}");
    assert_eq!(charges, chargeable, "seed {seed:#x}");
    assert!(most <= 1, "seed {seed:#x}: a run charged {most} times");
    assert_eq!(settled(app, user_id).await, 0, "seed {seed:#x}");
}

/// Waits (up to 5 s) for every hold of the user to be released: a step's agent run
/// settles its own hold just after the step has its answer.
async fn settled(app: &TestApp, user_id: &str) -> i64 {
    for _ in 0..100 {
        if held(app, user_id).await == 0 {
            return 0;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    held(app, user_id).await
}

async fn held(app: &TestApp, user_id: &str) -> i64 {
    let db = app.db().await;
    db.query_one(
        "SELECT held_micros FROM credit_accounts WHERE user_id = $1",
        &[&uuid::Uuid::parse_str(user_id).unwrap()],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn a_workflow_runs_every_step_once_bills_each_agent_run_once_and_releases_its_hold() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |_| {}).await;
    let (creator, agent) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app.with_user().await;
    let address = create(&app, &user, "brief", brief(&agent)).await;

    let estimate = app
        .call(
            "POST",
            "/v1/workflows/validate",
            Some(&user.access_token),
            Some(json!({ "spec": brief(&agent) })),
        )
        .await;
    assert_eq!(estimate.status, StatusCode::OK, "{:?}", estimate.json());
    let estimate = estimate.json();
    assert_eq!(estimate["order"][0], "summary");
    // The map's worst case counts its max_items (5) runs; creators earn 0.01 per run.
    let each = estimate["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["step"] == "each")
        .unwrap();
    assert_eq!(each["creators_share"], "0.05");

    let started = start(
        &app,
        &user,
        &address,
        json!({ "text": "the quarterly report" }),
    )
    .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.json());
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    let run = wait_until_finished(&app, &user, &run_id).await;
    assert_eq!(run["status"], "succeeded", "{run:#}");
    let status = |id: &str| {
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|step| step["step_id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("summary"), "succeeded");
    assert_eq!(status("each"), "succeeded");
    assert_eq!(status("skipped"), "skipped");
    let answers = run["outputs"]["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 3);
    assert!(
        answers[1].as_str().unwrap().ends_with("Item two"),
        "{answers:?}"
    );
    assert!(
        run["outputs"]["summary"]
            .as_str()
            .unwrap()
            .ends_with("Summarise: the quarterly report")
    );

    // One summary run and three item runs: each recorded, charged and earned once.
    assert_eq!(step_billing(&app, &user.id).await, (4, 4, 4));
    let step_charges: i64 = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["charged_micros"].as_i64().unwrap())
        .sum();
    let db = app.db().await;
    let ledger_charges: i64 = db
        .query_one(
            "SELECT -sum(amount_micros)::bigint FROM credit_ledger WHERE user_id = $1 AND kind = 'run_charge'",
            &[&uuid::Uuid::parse_str(&user.id).unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(step_charges, ledger_charges);
    assert_eq!(held(&app, &user.id).await, 0, "the whole hold is released");
    for account in [&user.id, &creator.id] {
        let (balance, ledger) = balance_and_ledger(&app, account).await;
        assert_eq!(balance, ledger);
    }

    // Redelivering every step message afterwards changes nothing.
    let service = app.state.workflows().unwrap();
    for step in ["summary", "each", "items", "skipped"] {
        let delivery = Delivery {
            message_id: "again".into(),
            body: json!({ "run_id": run_id, "step": step }).to_string(),
            receive_count: 2,
            receipt: None,
        };
        service.process(&delivery).await.unwrap();
    }
    assert_eq!(step_billing(&app, &user.id).await, (4, 4, 4));
}

#[tokio::test]
async fn a_published_workflow_is_listed_searched_saved_and_forked_by_others_with_its_agents() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |_| {}).await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    let owner = app.with_user().await;
    let reader = app.with_user().await;
    let address = create(&app, &owner, "brief", brief(&agent)).await;
    let as_reader = |method: &'static str, path: String| {
        let app = &app;
        let token = reader.access_token.clone();
        async move { app.call(method, &path, Some(&token), None).await }
    };
    let listed = |text: &'static str| {
        let app = &app;
        async move {
            app.call("GET", &format!("/v1/workflows?q={text}"), None, None)
                .await
                .json()["workflows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|workflow| workflow["address"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };

    // A draft is its owner's alone: not readable, listed or savable by others.
    as_reader("GET", format!("/v1/workflows/{address}"))
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    as_reader("PUT", format!("/v1/me/saved-workflows/{address}"))
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    assert!(!listed("Summarise").await.contains(&address));

    let shared = app
        .call(
            "PATCH",
            &format!("/v1/workflows/{address}"),
            Some(&owner.access_token),
            Some(json!({ "visibility": "public" })),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{:?}", shared.json());
    let published = app
        .call(
            "POST",
            &format!("/v1/workflows/{address}/versions"),
            Some(&owner.access_token),
            Some(json!({ "changelog": "First" })),
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::CREATED,
        "{:?}",
        published.json()
    );

    // Published: searchable by its summary, and its listing names the agents it runs.
    assert!(listed("Summarise").await.contains(&address));
    assert!(!listed("nowhere-to-be-found").await.contains(&address));
    let seen = as_reader("GET", format!("/v1/workflows/{address}"))
        .await
        .json();
    assert_eq!(seen["latest_version"], 1);
    assert_eq!(seen["agents"][0]["agent"], agent.as_str());
    assert_eq!(seen["agents"][0]["version"], 1);
    assert_eq!(seen["agents"][0]["price_per_run"], "0.01");

    // Saving is idempotent: one entry, counted once.
    let first = as_reader("PUT", format!("/v1/me/saved-workflows/{address}")).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.json());
    let again = as_reader("PUT", format!("/v1/me/saved-workflows/{address}")).await;
    assert_eq!(again.json()["saved_at"], first.json()["saved_at"]);
    assert_eq!(again.json()["workflow"]["save_count"], 1);
    let library = as_reader("GET", "/v1/me/saved-workflows".into())
        .await
        .json();
    assert_eq!(library["saved"].as_array().unwrap().len(), 1);
    assert_eq!(library["saved"][0]["workflow"]["address"], address.as_str());
    app.call("GET", "/v1/me/saved-workflows", None, None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");

    // A fork is the reader's own draft, pointing back at the original.
    let fork = app
        .call(
            "POST",
            &format!("/v1/workflows/{address}/fork"),
            Some(&reader.access_token),
            Some(json!({})),
        )
        .await;
    assert_eq!(fork.status, StatusCode::CREATED, "{:?}", fork.json());
    assert_eq!(fork.json()["forked_from"], address.as_str());
    assert!(fork.json()["is_owner"].as_bool().unwrap());
    let original = as_reader("GET", format!("/v1/workflows/{address}"))
        .await
        .json();
    assert_eq!(original["fork_count"], 1);

    // Made private again, it leaves the reader's library view (kept, not shown).
    app.call(
        "PATCH",
        &format!("/v1/workflows/{address}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "private" })),
    )
    .await;
    let library = as_reader("GET", "/v1/me/saved-workflows".into())
        .await
        .json();
    assert!(
        library["saved"].as_array().unwrap().is_empty(),
        "{library:#}"
    );
    app.call(
        "PATCH",
        &format!("/v1/workflows/{address}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "unlisted" })),
    )
    .await;
    assert!(!listed("Summarise").await.contains(&address), "unlisted");
    let library = as_reader("GET", "/v1/me/saved-workflows".into())
        .await
        .json();
    assert_eq!(library["saved"].as_array().unwrap().len(), 1);

    let removed = as_reader("DELETE", format!("/v1/me/saved-workflows/{address}")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    as_reader("DELETE", format!("/v1/me/saved-workflows/{address}"))
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    let original = as_reader("GET", format!("/v1/workflows/{address}"))
        .await
        .json();
    assert_eq!(original["save_count"], 0);
    as_reader("GET", "/v1/me/saved-workflows?limit=0".into())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

#[tokio::test]
async fn bad_definitions_are_rejected_before_anything_runs_with_errors_at_the_step() {
    let app = TestApp::spawn().await;
    let owner = app.with_user().await;
    let mut private = crate::support::agent_spec("Secret", "Private helper");
    private["model"] = json!({ "provider": "agora", "name": "echo" });
    let private_agent = app.published_agent(&owner, private).await;
    app.call(
        "PATCH",
        &format!("/v1/agents/{private_agent}"),
        Some(&owner.access_token),
        Some(json!({ "visibility": "private" })),
    )
    .await;
    let user = app.with_user().await;
    let validate = |spec: Value| {
        let app = &app;
        let token = user.access_token.clone();
        async move {
            app.call(
                "POST",
                "/v1/workflows/validate",
                Some(&token),
                Some(json!({ "spec": spec })),
            )
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")
        }
    };
    let step = |id: &str, prompt: &str| json!({ "id": id, "template": { "text": prompt } });
    let spec = |steps: Value| json!({ "name": "Bad", "summary": "Bad", "steps": steps });

    let cycle = validate(spec(json!([
        step("a", "{{ steps.b.output }}"),
        step("b", "{{ steps.a.output }}")
    ])))
    .await;
    assert_eq!(cycle["errors"][0]["field"], "steps[0]");
    let outside = validate(spec(json!([step("a", "{{ env.DATABASE_URL }}")]))).await;
    assert_eq!(outside["errors"][0]["field"], "steps[0].template.text");
    let private = validate(spec(
        json!([{ "id": "a", "agent": { "ref": private_agent, "version": 1, "prompt": "hi" } }]),
    ))
    .await;
    assert_eq!(private["errors"][0]["field"], "steps[0].agent.ref");
    let huge = validate(spec(json!([{ "id": "a", "map": { "over": "steps.b.output", "max_items": 100_000,
        "agent": { "ref": private_agent, "version": 1, "prompt": "{{ item }}" } } }, step("b", "[]")]))).await;
    assert!(
        huge["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|error| error["field"] == "steps[0].map.max_items")
    );
    assert_eq!(app.count("workflows", "true").await, 0);
    assert_eq!(app.count("workflow_runs", "true").await, 0);
}

#[tokio::test]
async fn a_run_whose_worst_case_exceeds_the_balance_is_402_and_nothing_runs() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |_| {}).await;
    // 5 credits on sign-up; this agent costs 3 per run and the map may run it 5 times.
    let (_, agent) = published_on(&app, "agora", "echo", "3").await;
    let user = app.with_user().await;
    let address = create(&app, &user, "brief", brief(&agent)).await;
    let problem = start(&app, &user, &address, json!({ "text": "x" }))
        .await
        .problem(StatusCode::PAYMENT_REQUIRED, "insufficient-credits");
    assert!(problem["detail"].is_string());
    assert_eq!(app.count("workflow_runs", "true").await, 0);
    assert_eq!(step_billing(&app, &user.id).await, (0, 0, 0));
    let bad_input = start(&app, &user, &address, json!({ "text": 7 }))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(bad_input["errors"][0]["field"], "inputs.text");
}

/// A moto SQS queue (visibility 1 s) and its DLQ (maxReceiveCount 3).
async fn sqs_queues() -> (String, String) {
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let dlq = client
        .create_queue()
        .queue_name(format!("agora-dlq-{unique}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let queue = client
        .create_queue()
        .queue_name(format!("agora-steps-{unique}"))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3" }).to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (queue, dlq)
}

async fn sqs_app(stub: &crate::llm_stub::LlmStub, queue: &str) -> TestApp {
    crate::runs::app_with_stub(stub, |config| {
        config.workflows.max_receive_count = 3;
        config.workflows.retry_base = Duration::from_millis(10);
        // More attempts than receives: a failing step outlives its message, which is
        // dead-lettered (the redrive case).
        config.workflows.max_step_attempts = 10;
        busy(config);
        config.aws.queue_url = Some(queue.to_owned());
        config.aws.endpoint_url =
            Some(std::env::var("AWS_ENDPOINT_URL").expect("moto: run under scripts/test"));
    })
    .await
}

/// Settings for many runs at once: short echoes, no per-user caps in the way, a larger pool.
fn busy(config: &mut agora::Config) {
    config.providers.echo_word_delay = Duration::from_millis(5);
    config.runs.max_concurrent_runs = 50;
    config.runs.runs_per_minute = 100_000;
    if let Some(database) = &mut config.database {
        database.pool_size = 32;
    }
}

/// A deterministic pseudo-random sequence (xorshift), so a failing seed can be replayed.
struct Chaos(u64);

impl Chaos {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The seeds a chaos test runs: a fixed one (the same path every time), then two new ones
/// each time. Every assertion names its seed; `AGORA_CHAOS_SEEDS=0x…,0x…` replays them.
fn chaos_seeds(fixed: u64) -> Vec<u64> {
    if let Ok(list) = std::env::var("AGORA_CHAOS_SEEDS") {
        return list
            .split(',')
            .map(|seed| u64::from_str_radix(seed.trim().trim_start_matches("0x"), 16).unwrap())
            .collect();
    }
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    // Odd, so never zero (xorshift's one fixed point).
    let seeds = vec![
        fixed,
        clock | 1,
        (clock.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15) | 1,
    ];
    eprintln!("chaos seeds: {seeds:#x?}");
    seeds
}

/// A new user with the brief workflow, and one run started per text.
async fn brief_runs(app: &TestApp, agent: &str, texts: &[&str]) -> (TestUser, Vec<uuid::Uuid>) {
    let user = app.with_user().await;
    let address = create(app, &user, "brief", brief(agent)).await;
    let mut run_ids = Vec::new();
    for text in texts {
        let started = start(app, &user, &address, json!({ "text": text })).await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.json());
        run_ids.push(uuid::Uuid::parse_str(started.json()["id"].as_str().unwrap()).unwrap());
    }
    (user, run_ids)
}

#[tokio::test]
async fn over_sqs_duplicated_reordered_redelivered_and_killed_steps_run_and_bill_once() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let (queue_url, _) = sqs_queues().await;
    let app = sqs_app(&stub, &queue_url).await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    for seed in chaos_seeds(0x5eed_2026) {
        sqs_chaos(&app, &agent, seed).await;
    }
}

/// Two runs, their messages received from SQS and reordered, duplicated, left undeleted
/// (redelivered after the visibility timeout) or cut off mid-step (a killed worker).
async fn sqs_chaos(app: &TestApp, agent: &str, seed: u64) {
    let (user, run_ids) = brief_runs(app, agent, &["first", "second"]).await;
    let queue = app.sqs_queue.clone().unwrap();
    let service = app.state.workflows().unwrap();
    let mut chaos = Chaos(seed);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let running: i64 = app
            .db()
            .await
            .query_one(
                "SELECT count(*) FROM workflow_runs WHERE id = ANY($1) AND status = 'running'",
                &[&run_ids],
            )
            .await
            .unwrap()
            .get(0);
        if running == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed {seed:#x}: runs did not finish"
        );
        let mut batch = queue.receive(10, Duration::from_secs(1)).await.unwrap();
        batch.reverse();
        let duplicates: Vec<Delivery> =
            batch.iter().filter(|_| chaos.chance(40)).cloned().collect();
        batch.extend(duplicates);
        for delivery in batch {
            let kill = chaos.chance(15);
            let keep = chaos.chance(20);
            if kill {
                let limit = Duration::from_millis(chaos.next() % 8);
                let _ = tokio::time::timeout(limit, service.process(&delivery)).await;
                continue;
            }
            let verdict = service.process(&delivery).await;
            if matches!(verdict, Ok(agora::ports::Verdict::Done))
                && !keep
                && let Some(receipt) = &delivery.receipt
            {
                let _ = queue.delete(receipt).await;
            }
        }
    }
    for run_id in &run_ids {
        let run = wait_until_finished(app, &user, &run_id.to_string()).await;
        assert_eq!(run["status"], "succeeded", "seed {seed:#x}: {run:#}");
    }
    // Two runs of four agent runs each.
    assert_billed_once(app, &user.id, 8, seed).await;
    let results: i64 = app
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM workflow_steps
             WHERE run_id = ANY($1) AND status = 'succeeded' AND output IS NOT NULL",
            &[&run_ids],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        results, 10,
        "seed {seed:#x}: five steps with a result per run"
    );
}

#[tokio::test]
async fn a_batch_with_two_poison_messages_reports_exactly_those_and_redrive_completes_the_run() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let (queue_url, dlq_url) = sqs_queues().await;
    let app = sqs_app(&stub, &queue_url).await;
    let (_, agent) = published_on(&app, "agora", "echo", "0").await;
    let user = app.with_user().await;
    let one_step = one_step(&agent);
    let address = create(&app, &user, "one", one_step).await;
    let mut run_ids = Vec::new();
    for _ in 0..8 {
        let started = start(&app, &user, &address, json!({})).await;
        run_ids.push(started.json()["id"].as_str().unwrap().to_owned());
    }
    let queue = app.sqs_queue.clone().unwrap();
    let mut real = Vec::new();
    while real.len() < 8 {
        real.extend(queue.receive(10, Duration::from_secs(1)).await.unwrap());
    }

    // Ten records: the steps of eight runs and two poison messages (not JSON, and a step
    // of a run that does not exist).
    let mut event = json!({ "Records": [] });
    let mut good = real.iter();
    for index in 0..10 {
        let body = match index {
            3 => "not json".to_owned(),
            7 => json!({ "run_id": uuid::Uuid::now_v7(), "step": "only" }).to_string(),
            _ => good.next().unwrap().body.clone(),
        };
        event["Records"].as_array_mut().unwrap().push(json!({
            "messageId": format!("m{index}"), "body": body, "receiptHandle": format!("r{index}"),
            "attributes": { "ApproximateReceiveCount": "1" }, "eventSource": "aws:sqs"
        }));
    }
    let response = agora::lambda::work(&app.state, &event).await.unwrap();
    let mut failed: Vec<&str> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|failure| failure["itemIdentifier"].as_str().unwrap())
        .collect();
    failed.sort_unstable();
    assert_eq!(failed, ["m3", "m7"]);
    assert_eq!(step_billing(&app, &user.id).await.0, 8);
    for run_id in &run_ids {
        let run = wait_until_finished(&app, &user, run_id).await;
        assert_eq!(run["status"], "succeeded");
    }
    let empty = agora::lambda::work(&app.state, &json!({ "Records": [] }))
        .await
        .unwrap();
    assert_eq!(empty["batchItemFailures"], json!([]));

    // A step whose agent keeps failing: after maxReceiveCount its message is in the DLQ
    // and its run failed with a problem detail; redriven after a fix, it completes once.
    let mut broken = crate::support::agent_spec("Broken", "Fails");
    broken["model"] = json!({ "provider": "openai", "name": "gpt-4o-mini" });
    let creator = app.with_user().await;
    let broken_agent = app.published_agent(&creator, broken).await;
    let flaky = json!({
        "name": "Flaky", "summary": "Fails then works",
        "steps": [{ "id": "call", "agent": { "ref": broken_agent, "version": 1, "prompt": "hi" } }]
    });
    let flaky_address = create(&app, &user, "flaky", flaky).await;
    stub.always(crate::llm_stub::Scenario::Status {
        status: 500,
        retry_after: None,
    });
    let started = start(&app, &user, &flaky_address, json!({})).await;
    let flaky_run = started.json()["id"].as_str().unwrap().to_owned();
    let service = app.state.workflows().unwrap();
    for _ in 0..30 {
        for delivery in queue.receive(10, Duration::from_secs(1)).await.unwrap() {
            // No deletes and no delays: every failure comes back until moto dead-letters it.
            let _ = service.process(&delivery).await;
        }
        let run = app
            .call(
                "GET",
                &format!("/v1/workflow-runs/{flaky_run}"),
                Some(&user.access_token),
                None,
            )
            .await
            .json();
        if run["status"] == "failed" {
            assert_eq!(run["error"]["kind"], "dead-lettered", "{run:#}");
            break;
        }
    }
    let dlq = agora::adapters::sqs::SqsQueue::new(
        &aws_config::defaults(BehaviorVersion::latest()).load().await,
        &dlq_url,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = queue.receive(10, Duration::from_secs(1)).await.unwrap();
    stub.always(crate::llm_stub::Scenario::answer("fixed", 3, 1));
    // A late duplicate of the step's message, not a redrive, leaves the run as it ended.
    let late = agora::ports::Delivery {
        message_id: "late".into(),
        body: json!({ "run_id": flaky_run, "step": "call" }).to_string(),
        receive_count: 1,
        receipt: None,
    };
    assert_eq!(
        service.process(&late).await.unwrap(),
        agora::ports::Verdict::Done
    );
    let run = app
        .call(
            "GET",
            &format!("/v1/workflow-runs/{flaky_run}"),
            Some(&user.access_token),
            None,
        )
        .await
        .json();
    assert_eq!(run["status"], "failed", "only a redrive reopens it");
    let moved = dlq.redrive_to(&queue, |_| {}).await.unwrap();
    assert!(moved >= 1, "the poison step waits in the DLQ");
    for _ in 0..20 {
        for delivery in queue.receive(10, Duration::from_secs(1)).await.unwrap() {
            if let Ok(agora::ports::Verdict::Done) = service.process(&delivery).await {
                queue
                    .delete(delivery.receipt.as_deref().unwrap())
                    .await
                    .unwrap();
            }
        }
        let run = app
            .call(
                "GET",
                &format!("/v1/workflow-runs/{flaky_run}"),
                Some(&user.access_token),
                None,
            )
            .await
            .json();
        if run["status"] == "succeeded" {
            let step = &run["steps"][0];
            assert_eq!(step["status"], "succeeded");
            return;
        }
    }
    panic!("the redriven step did not complete");
}

#[test]
fn the_template_dead_letters_after_five_receives_with_visibility_six_times_the_worker_timeout() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let template: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(root.join("template.yaml")).unwrap())
            .unwrap();
    let resources = &template["Resources"];
    let queue = &resources["WorkflowQueue"]["Properties"];
    let dlq = &resources["WorkflowDeadLetterQueue"]["Properties"];
    let worker = &resources["WorkflowWorkerFunction"]["Properties"];
    let timeout = worker["Timeout"].as_i64().unwrap();
    assert!(queue["VisibilityTimeout"].as_i64().unwrap() >= 6 * timeout);
    assert!(queue["RedrivePolicy"]["maxReceiveCount"].as_i64().unwrap() >= 5);
    assert_eq!(
        queue["RedrivePolicy"]["maxReceiveCount"]
            .as_i64()
            .unwrap()
            .to_string(),
        worker["Environment"]["Variables"]["AGORA_WORKFLOW_MAX_RECEIVE_COUNT"]
            .as_str()
            .unwrap(),
        "the worker knows when a message is about to be dead-lettered"
    );
    assert!(
        dlq["MessageRetentionPeriod"].as_i64().unwrap()
            > queue["MessageRetentionPeriod"].as_i64().unwrap()
    );
    let steps = &worker["Events"]["Steps"];
    assert_eq!(steps["Type"], "SQS");
    assert_eq!(
        steps["Properties"]["FunctionResponseTypes"][0],
        "ReportBatchItemFailures"
    );
}

#[tokio::test]
async fn in_process_duplicated_early_and_killed_deliveries_never_run_or_bill_a_step_twice() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |config| {
        busy(config);
        // Duplicates that find a step in flight wait and come back; dead-lettering is
        // tested over SQS, so here they may come back often.
        config.workflows.max_receive_count = 50;
    })
    .await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    for seed in chaos_seeds(0x1a_2026) {
        in_process_chaos(&app, &agent, seed).await;
    }
}

/// Three runs on the in-process queue while the test adds duplicates of every step, early
/// ones (before their inputs exist) and deliveries cut off at a random point, as a worker
/// killed mid-step would leave them.
async fn in_process_chaos(app: &TestApp, agent: &str, seed: u64) {
    let (user, run_ids) = brief_runs(app, agent, &["a", "b", "c"]).await;
    let queue = app.local_queue.clone().unwrap();
    let mut chaos = Chaos(seed);
    let mut killed = tokio::task::JoinSet::new();
    for _ in 0..30 {
        for run_id in &run_ids {
            for step in ["summary", "check", "never", "items", "each", "skipped"] {
                if !chaos.chance(30) {
                    continue;
                }
                let message = agora::ports::StepMessage {
                    run_id: *run_id,
                    step: step.to_owned(),
                    redriven: false,
                };
                if chaos.chance(25) {
                    let delivery = Delivery {
                        message_id: uuid::Uuid::new_v4().to_string(),
                        body: serde_json::to_string(&message).unwrap(),
                        receive_count: 1,
                        receipt: None,
                    };
                    let limit = Duration::from_millis(chaos.next() % 20);
                    let state = app.state.clone();
                    killed.spawn(async move {
                        let service = state.workflows().unwrap();
                        let _ = tokio::time::timeout(limit, service.process(&delivery)).await;
                    });
                } else {
                    use agora::ports::Queue;
                    queue.send(std::slice::from_ref(&message)).await.unwrap();
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    killed.join_all().await;
    for run_id in &run_ids {
        let run = wait_until_finished(app, &user, &run_id.to_string()).await;
        assert_eq!(run["status"], "succeeded", "seed {seed:#x}: {run:#}");
    }
    assert_billed_once(app, &user.id, 12, seed).await;
    assert!(queue.dead_letters().is_empty(), "seed {seed:#x}");
}

#[tokio::test]
async fn a_delivery_finding_its_step_in_flight_looks_again_with_a_fresh_message_instead_of_dead_lettering()
 {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |config| {
        config.providers.echo_word_delay = Duration::from_millis(100)
    })
    .await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app.with_user().await;
    let address = create(&app, &user, "brief", brief(&agent)).await;
    let text = "a long report whose summary takes a while to write, word after word after word";
    let started = start(&app, &user, &address, json!({ "text": text })).await;
    let run_id = uuid::Uuid::parse_str(started.json()["id"].as_str().unwrap()).unwrap();
    let summary = agora::services::workflows::step_run_id(run_id, "summary", None, 0);
    let db = app.db().await;
    let mut in_flight = false;
    for _ in 0..100 {
        let status = db
            .query_opt("SELECT status FROM runs WHERE id = $1", &[&summary])
            .await
            .unwrap()
            .map(|row| row.get::<_, String>(0));
        if status.as_deref() == Some("running") {
            in_flight = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(in_flight, "the summary's agent run never showed up running");

    // A duplicate on its last receive: waiting for the run in flight must not dead-letter
    // the step (and fail the run) while the first delivery is about to finish it.
    let service = app.state.workflows().unwrap();
    let duplicate = Delivery {
        message_id: "duplicate".into(),
        body: json!({ "run_id": run_id, "step": "summary" }).to_string(),
        receive_count: service.settings().max_receive_count,
        receipt: None,
    };
    let verdict = service.process(&duplicate).await.unwrap();
    assert!(matches!(verdict, agora::ports::Verdict::Done));
    let run = wait_until_finished(&app, &user, &run_id.to_string()).await;
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_billed_once(&app, &user.id, 4, 0).await;
    assert!(app.local_queue.as_ref().unwrap().dead_letters().is_empty());
}

#[tokio::test]
async fn a_restarted_local_worker_resumes_the_runs_whose_messages_it_lost() {
    let stub = crate::llm_stub::LlmStub::start().await;
    // The first process queues its steps where nobody takes them (as if its in-memory
    // queue died with it).
    let (queue_url, _) = sqs_queues().await;
    let first = sqs_app(&stub, &queue_url).await;
    let (_, agent) = published_on(&first, "agora", "echo", "0.01").await;
    let user = first.with_user().await;
    let address = create(&first, &user, "brief", brief(&agent)).await;
    let started = start(
        &first,
        &user,
        &address,
        json!({ "text": "after a restart" }),
    )
    .await;
    let run_id = started.json()["id"].as_str().unwrap().to_owned();

    let mut config = first.config.clone();
    config.aws.queue_url = None;
    let restarted = TestApp::from_config(config, Default::default()).await;
    assert!(restarted.local_queue.is_some());
    let run = wait_until_finished(&restarted, &user, &run_id).await;
    assert_eq!(run["status"], "succeeded", "{run:#}");
    assert_billed_once(&restarted, &user.id, 4, 0).await;
}

#[tokio::test]
async fn maintenance_ends_runs_that_outlived_their_time_and_releases_the_hold() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let (queue_url, _) = sqs_queues().await;
    // Steps go to a queue nobody reads: the run never progresses.
    let app = sqs_app(&stub, &queue_url).await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app.with_user().await;
    let address = create(&app, &user, "brief", brief(&agent)).await;
    let started = start(&app, &user, &address, json!({ "text": "x" })).await;
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    assert!(held(&app, &user.id).await > 0);
    let service = app.state.workflows().unwrap();
    assert_eq!(
        service.end_stale_runs().await.unwrap(),
        0,
        "young runs stay"
    );
    app.db()
        .await
        .execute(
            "UPDATE workflow_runs SET created_at = now() - interval '2 days' WHERE id = $1",
            &[&uuid::Uuid::parse_str(&run_id).unwrap()],
        )
        .await
        .unwrap();
    let report = agora::lambda::maintain(&app.state).await.unwrap();
    assert_eq!(report["stale_workflow_runs_ended"], 1);
    let run = wait_until_finished(&app, &user, &run_id).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(run["error"]["kind"], "timed-out");
    assert_eq!(held(&app, &user.id).await, 0);
}

#[tokio::test]
async fn a_cancel_during_a_running_step_stops_the_run_and_releases_its_hold() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |config| {
        config.providers.echo_word_delay = Duration::from_millis(200)
    })
    .await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app.with_user().await;
    let address = create(&app, &user, "brief", brief(&agent)).await;
    let started = start(&app, &user, &address, json!({ "text": "a long report" })).await;
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/workflow-runs/{run_id}");
    for _ in 0..100 {
        let run = app
            .call("GET", &path, Some(&user.access_token), None)
            .await
            .json();
        if run["steps"][0]["status"] == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cancelled = app
        .call(
            "POST",
            &format!("{path}/cancel"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.json()["status"], "cancelled");
    // The step's agent run ends (stopped, charged for what it used); nothing starts after.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let run = app
        .call("GET", &path, Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(run["status"], "cancelled");
    assert_eq!(run["error"]["kind"], "cancelled");
    assert!(
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|step| step["status"] == "cancelled"),
        "{run:#}"
    );
    let (runs, charges, _) = step_billing(&app, &user.id).await;
    assert!(
        runs <= 1 && charges <= runs,
        "only the running step's run: {runs}"
    );
    assert_eq!(held(&app, &user.id).await, 0);
    // Cancelling again changes nothing; another user cannot see the run.
    let again = app
        .call(
            "POST",
            &format!("{path}/cancel"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(again.json()["status"], "cancelled");
    let other = app.with_user().await;
    app.call(
        "POST",
        &format!("{path}/cancel"),
        Some(&other.access_token),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn a_cancel_during_a_map_launches_none_of_its_remaining_items() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |config| {
        config.providers.echo_word_delay = Duration::from_millis(150)
    })
    .await;
    let (_, agent) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app.with_user().await;
    let items: Vec<String> = (1..=12).map(|n| format!("item {n}")).collect();
    let spec = json!({
        "name": "Many", "summary": "One agent run per item, one at a time",
        "steps": [
            { "id": "items", "template": { "text": serde_json::to_string(&items).unwrap() } },
            { "id": "each", "map": { "over": "steps.items.output", "concurrency": 1, "max_items": 20,
                "agent": { "ref": agent, "version": 1, "prompt": "Say {{ item }} slowly please" } } }
        ]
    });
    let address = create(&app, &user, "many", spec).await;
    let started = start(&app, &user, &address, json!({})).await;
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/workflow-runs/{run_id}");
    for _ in 0..200 {
        if step_billing(&app, &user.id).await.0 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.call(
        "POST",
        &format!("{path}/cancel"),
        Some(&user.access_token),
        None,
    )
    .await;
    // Twelve items of about a second each would go on for ten seconds; wait out a few.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (runs, _, _) = step_billing(&app, &user.id).await;
    assert!(
        runs <= 2,
        "items launched after the cancel: {runs} agent runs"
    );
    assert_eq!(held(&app, &user.id).await, 0);
    app.assert_ledger_consistent(true).await;
}

/// Sessions of this database waiting for a lock.
async fn waiting_for_locks(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE NOT l.granted AND a.datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_cancel_racing_a_step_waits_for_it_instead_of_deadlocking() {
    use agora::ports::{WorkflowRunStatus, WorkflowRunStore};
    let stub = crate::llm_stub::LlmStub::start().await;
    // Over SQS, with nobody receiving: the run and its step stay as they started.
    let (queue_url, _) = sqs_queues().await;
    let app = sqs_app(&stub, &queue_url).await;
    let (_, agent) = published_on(&app, "agora", "echo", "0").await;
    let user = app.with_user().await;
    let one_step = one_step(&agent);
    let address = create(&app, &user, "one", one_step).await;
    let started = start(&app, &user, &address, json!({})).await;
    let run_id: uuid::Uuid = started.json()["id"].as_str().unwrap().parse().unwrap();
    let store = agora::adapters::postgres::Db::new(
        &agora::adapters::postgres::DatabaseSettings::at(app.database_url.clone().unwrap(), 4),
        None,
    )
    .unwrap();

    // Someone holds the run's row; the cancel queues for it first, then the step's start.
    // Had the step locked its own row before the run's, each would now wait for the other.
    let holder = app.db().await;
    // Another session watches (activity statistics stay frozen inside a transaction).
    let watcher = app.db().await;
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM workflow_runs WHERE id = '{run_id}' FOR UPDATE"
        ))
        .await
        .unwrap();
    let cancel = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .finish_run(run_id, WorkflowRunStatus::Cancelled, None, None)
                .await
        }
    });
    for _ in 0..300 {
        if waiting_for_locks(&watcher).await >= 1 {
            break;
        }
        assert!(!cancel.is_finished(), "{:?}", cancel.await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let begin = tokio::spawn({
        let store = store.clone();
        async move { store.begin_step(run_id, "only").await }
    });
    for _ in 0..300 {
        if waiting_for_locks(&watcher).await >= 2 {
            break;
        }
        assert!(!begin.is_finished(), "{:?}", begin.await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        waiting_for_locks(&watcher).await,
        2,
        "both wait for the run"
    );
    holder.batch_execute("COMMIT").await.unwrap();
    let cancelled = cancel.await.unwrap();
    let begun = begin.await.unwrap();
    assert!(matches!(cancelled, Ok(true)), "{cancelled:?}");
    assert!(
        matches!(begun, Ok(false)),
        "the step does not start in a cancelled run: {begun:?}"
    );
    app.assert_ledger_consistent(true).await;
}

#[tokio::test]
async fn one_user_may_open_only_so_many_event_streams_a_minute() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |config| {
        config.workflows.streams_per_minute = 2;
        config.providers.echo_word_delay = Duration::ZERO;
    })
    .await;
    let (_, agent) = published_on(&app, "agora", "echo", "0").await;
    let user = app.with_user().await;
    let one_step = one_step(&agent);
    let address = create(&app, &user, "one", one_step).await;
    let started = start(&app, &user, &address, json!({})).await;
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    wait_until_finished(&app, &user, &run_id).await;
    let path = format!("/v1/workflow-runs/{run_id}/events");
    for _ in 0..2 {
        let stream = app.call("GET", &path, Some(&user.access_token), None).await;
        assert_eq!(stream.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&stream.body).contains("event: end"));
    }
    let refused = app.call("GET", &path, Some(&user.access_token), None).await;
    refused.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(refused.header("retry-after").parse::<u64>().unwrap() <= 60);
    // Another user's streams are their own.
    let other = app.with_user().await;
    app.call("GET", &path, Some(&other.access_token), None)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
}

/// The published JSON Schema of `agora.workflow/v1` matches the code (regenerated on change).
#[test]
fn the_workflow_definition_schema_in_docs_is_current() {
    let schema = schemars::schema_for!(agora::domain::workflow::WorkflowSpec);
    let current = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/schemas/agora.workflow.v1.json");
    if std::fs::read_to_string(&path).unwrap_or_default() != current {
        std::fs::write(&path, &current).unwrap();
        panic!("docs/schemas/agora.workflow.v1.json was stale and has been regenerated: commit it");
    }
    let schema: Value = serde_json::from_str(&current).unwrap();
    assert_eq!(
        schema["$id"],
        "https://agora.dev/schemas/agora.workflow.v1.json"
    );
    assert_eq!(schema["additionalProperties"], false);
}
