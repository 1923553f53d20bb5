//! Running agents: every provider call is held for, recorded and billed exactly once, on
//! every path, and the balance never goes below zero (RELIABILITY 8 to 11).

use std::time::Duration;

use agora::{Config, bootstrap::Overrides, domain::secret::SecretString};
use http::StatusCode;
use serde_json::{Value, json};

use crate::{
    llm_stub::{LlmStub, Scenario},
    support::{TestApp, TestUser, agent_spec},
};

/// Agora's own provider key in these tests: it must only ever reach the providers' hosts.
pub const PLATFORM_KEY: &str = "sk-platform-canary-7Hq2";

/// An app whose providers all point at `stub`, with fast retries and timeouts, and the
/// settings `configure` changes.
pub async fn app_with_stub(stub: &LlmStub, configure: impl FnOnce(&mut Config)) -> TestApp {
    app_with_overrides(stub, configure, Overrides::default()).await
}

/// [`app_with_stub`] with a clock the test moves.
pub async fn app_with_clock(
    stub: &LlmStub,
    configure: impl FnOnce(&mut Config),
    clock: crate::accounts::TestClock,
) -> TestApp {
    let overrides = Overrides {
        clock: Some(std::sync::Arc::new(clock)),
        ..Default::default()
    };
    app_with_overrides(stub, configure, overrides).await
}

async fn app_with_overrides(
    stub: &LlmStub,
    configure: impl FnOnce(&mut Config),
    overrides: Overrides,
) -> TestApp {
    TestApp::with_config_and_overrides(
        |config| {
            point_at_stub(config, stub);
            configure(config);
        },
        overrides,
    )
    .await
}

/// Points every provider of `config` at `stub`, with fast retries and timeouts.
pub fn point_at_stub(config: &mut Config, stub: &LlmStub) {
    agora::testing::remember_secret(PLATFORM_KEY);
    let providers = &mut config.providers;
    providers.openai_api_key = Some(SecretString::new(PLATFORM_KEY.to_owned()));
    providers.openai_base_url = format!("{}/v1", stub.url());
    providers.anthropic_api_key = Some(SecretString::new(PLATFORM_KEY.to_owned()));
    providers.anthropic_base_url = stub.url();
    providers.bedrock = true;
    providers.bedrock_endpoint_url = Some(stub.url());
    providers.echo_word_delay = Duration::ZERO;
    config.runs.provider_timeout = Duration::from_millis(600);
    config.runs.retry_base = Duration::from_millis(5);
    set_request_timeout(config, Duration::from_millis(8_000));
}

/// The request budget, and the budget for finding a model that answers within it (as
/// configuration derives it).
pub fn set_request_timeout(config: &mut Config, timeout: Duration) {
    config.http.request_timeout = timeout;
    config.runs.start_budget = timeout
        .saturating_sub(Duration::from_secs(1))
        .max(Duration::from_millis(500));
}

/// Credits a new account receives when its email is confirmed.
pub fn set_signup_credits(config: &mut Config, micros: i64) {
    config.auth.verification.signup_grant_micros = micros;
}

/// An agent on `provider`/`model` by a new creator, published; returns (creator, address).
pub async fn published_on(
    app: &TestApp,
    provider: &str,
    model: &str,
    price: &str,
) -> (TestUser, String) {
    let creator = app.with_user().await;
    let mut spec = agent_spec("Greeter", "Says hello back");
    spec["model"] = json!({ "provider": provider, "name": model });
    spec["price_per_run"] = json!(price);
    let address = app.published_agent(&creator, spec).await;
    (creator, address)
}

/// Micro-credits of the user's balance, and of the sum of their ledger.
pub async fn balance_and_ledger(app: &TestApp, user_id: &str) -> (i64, i64) {
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(user_id).unwrap();
    let balance: i64 = db
        .query_opt(
            "SELECT balance_micros FROM credit_accounts WHERE user_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .map_or(0, |row| row.get(0));
    let ledger: i64 = db
        .query_one(
            "SELECT COALESCE(sum(amount_micros), 0)::bigint FROM credit_ledger WHERE user_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    (balance, ledger)
}

/// The micro-credits charged for a run and earned from it, from the ledger.
pub async fn ledger_of_run(app: &TestApp, run_id: &str) -> (Vec<i64>, Vec<i64>) {
    let db = app.db().await;
    let id = uuid::Uuid::parse_str(run_id).unwrap();
    let rows = db
        .query(
            "SELECT kind, amount_micros FROM credit_ledger WHERE run_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let of = |kind: &str| {
        rows.iter()
            .filter(|row| row.get::<_, &str>(0) == kind)
            .map(|row| row.get::<_, i64>(1))
            .collect()
    };
    (of("run_charge"), of("creator_earning"))
}

async fn run(app: &TestApp, user: &TestUser, body: Value) -> crate::support::TestResponse {
    app.call("POST", "/v1/runs", Some(&user.access_token), Some(body))
        .await
}

#[tokio::test]
async fn a_run_of_the_offline_model_is_recorded_billed_and_earns_its_creator_the_price() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (creator, address) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app.with_user().await;
    let response = run(
        &app,
        &user,
        json!({ "agent": address, "input": "hello there" }),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    let body = response.json();
    let outcome = &body["outcome"];
    assert!(
        outcome["output"]
            .as_str()
            .unwrap()
            .contains("offline model")
    );
    assert!(outcome["output"].as_str().unwrap().ends_with("hello there"));
    assert_eq!(outcome["status"], "succeeded");
    assert_eq!(body["run"]["provider"], "agora");
    let run_id = outcome["run_id"].as_str().unwrap();
    // echo: 0.1 per million input, 0.2 per million output tokens, rounded up, plus the price.
    let input = outcome["input_tokens"].as_i64().unwrap();
    let output = outcome["output_tokens"].as_i64().unwrap();
    let model_cost = (input * 100_000 + output * 200_000 + 999_999) / 1_000_000;
    let (charges, earnings) = ledger_of_run(&app, run_id).await;
    assert_eq!(charges, vec![-(model_cost + 10_000)]);
    assert_eq!(earnings, vec![10_000]);
    assert_eq!(
        outcome["charged"].as_str().unwrap(),
        agora::domain::Credits::from_micros(model_cost + 10_000)
            .unwrap()
            .to_string()
    );
    for account in [&user.id, &creator.id] {
        let (balance, ledger) = balance_and_ledger(&app, account).await;
        assert_eq!(balance, ledger, "balance = SUM(ledger)");
    }
    let record = app
        .call(
            "GET",
            &format!("/v1/runs/{run_id}"),
            Some(&user.access_token),
            None,
        )
        .await
        .json();
    assert_eq!(record["status"], "succeeded");
    assert_eq!(
        record["price_table"],
        agora::domain::pricing::CURRENT.version
    );
    assert_eq!(record["attempts"].as_array().unwrap().len(), 1);
    assert!(record["latency_ms"].as_i64().is_some());
    let listed = app
        .call("GET", "/v1/me/runs", Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(listed["runs"][0]["id"], run_id);
    // Nobody else sees the run.
    let other = app.with_user().await;
    app.call(
        "GET",
        &format!("/v1/runs/{run_id}"),
        Some(&other.access_token),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn every_token_is_billed_once_at_the_stubs_usage_times_the_versioned_price() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Hello from the stub", 31, 12));
    let app = app_with_stub(&stub, |_| {}).await;
    for (provider, model) in [
        ("openai", "gpt-4o-mini"),
        ("anthropic", "claude-3-5-haiku-latest"),
        ("bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0"),
    ] {
        let (_, address) = published_on(&app, provider, model, "0").await;
        let user = app.with_user().await;
        let price = agora::domain::pricing::CURRENT
            .find(serde_json::from_value(json!(provider)).unwrap(), model)
            .unwrap();
        let expected = price.cost(&agora::domain::llm::Usage {
            input_tokens: 31,
            output_tokens: 12,
        });
        for stream in [false, true] {
            let response = run(
                &app,
                &user,
                json!({ "agent": address, "input": "hi", "stream": stream }),
            )
            .await;
            assert_eq!(
                response.status,
                StatusCode::OK,
                "{provider} {:?}",
                response.body
            );
            let run_id = if stream {
                let done = sse_events(&response.body)
                    .into_iter()
                    .find(|(name, _)| name == "done")
                    .unwrap()
                    .1;
                assert_eq!(done["output"], "Hello from the stub");
                done["run_id"].as_str().unwrap().to_owned()
            } else {
                response.json()["outcome"]["run_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            let (charges, _) = ledger_of_run(&app, &run_id).await;
            assert_eq!(charges, vec![-expected], "{provider} stream={stream}");
        }
        let (balance, ledger) = balance_and_ledger(&app, &user.id).await;
        assert_eq!(balance, ledger);
    }
    // The platform key went to the stub as each provider's own header, and nowhere else.
    for received in stub.received() {
        let auth = received
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        let api_key = received
            .headers
            .get("x-api-key")
            .map(|v| v.to_str().unwrap().to_owned());
        assert!(
            auth == Some(format!("Bearer {PLATFORM_KEY}"))
                || api_key.as_deref() == Some(PLATFORM_KEY)
                || auth.is_some_and(|auth| auth.starts_with("AWS4-HMAC-SHA256")),
            "{received:?}"
        );
    }
}

#[tokio::test]
async fn a_failing_model_falls_back_to_the_next_and_only_the_answer_is_billed() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |config| config.runs.max_retries = 1).await;
    let creator = app.with_user().await;
    let mut spec = agent_spec("Fallback", "Falls back");
    spec["model"] = json!({
        "provider": "openai", "name": "gpt-4o-mini",
        "fallbacks": [{ "provider": "anthropic", "name": "claude-3-5-haiku-latest" }]
    });
    let address = app.published_agent(&creator, spec).await;
    let user = app.with_user().await;
    stub.then(Scenario::Status {
        status: 503,
        retry_after: None,
    })
    .then(Scenario::Status {
        status: 500,
        retry_after: None,
    })
    .then(Scenario::answer("From the fallback", 50, 10));
    let response = run(&app, &user, json!({ "agent": address, "input": "hi" })).await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    let outcome = response.json()["outcome"].clone();
    assert_eq!(outcome["provider"], "anthropic");
    assert_eq!(outcome["output"], "From the fallback");
    let record = app
        .call(
            "GET",
            &format!("/v1/runs/{}", outcome["run_id"].as_str().unwrap()),
            Some(&user.access_token),
            None,
        )
        .await
        .json();
    let outcomes: Vec<&str> = record["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["unavailable", "unavailable", "ok"],
        "one retry, then the fallback"
    );
    let price = agora::domain::pricing::CURRENT
        .find(
            agora::domain::models::Provider::Anthropic,
            "claude-3-5-haiku-latest",
        )
        .unwrap()
        .cost(&agora::domain::llm::Usage {
            input_tokens: 50,
            output_tokens: 10,
        });
    let (charges, _) = ledger_of_run(&app, outcome["run_id"].as_str().unwrap()).await;
    assert_eq!(charges, vec![-price]);
}

#[tokio::test]
async fn when_every_model_fails_the_run_is_recorded_failed_unbilled_with_a_problem() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Status {
        status: 429,
        retry_after: Some(30),
    });
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.5").await;
    let user = app.with_user().await;
    let response = run(&app, &user, json!({ "agent": address, "input": "hi" })).await;
    response.problem(StatusCode::SERVICE_UNAVAILABLE, "upstream-unavailable");
    assert_eq!(
        stub.request_count(),
        1,
        "a retry-after beyond the budget is not waited for"
    );
    assert_eq!(
        app.count("runs", "status = 'failed' AND charged_micros = 0")
            .await,
        1
    );
    assert_eq!(app.count("credit_ledger", "kind = 'run_charge'").await, 0);
    assert_eq!(
        app.count("credit_accounts", "held_micros <> 0").await,
        0,
        "the hold is released"
    );
}

#[tokio::test]
async fn untrustworthy_provider_answers_end_in_upstream_invalid_and_a_failed_record() {
    for scenario in [
        Scenario::answer("Hello", -1_000_000, 5),
        Scenario::answer("Hello", 5, 1_000_000_000),
        Scenario::Garbage,
        Scenario::Truncated { pieces: vec![] },
    ] {
        for stream in [false, true] {
            let stub = LlmStub::start().await;
            stub.always(scenario.clone());
            let app = app_with_stub(&stub, |_| {}).await;
            let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
            let user = app.with_user().await;
            // Opens the account (with its sign-up credits) before the run.
            app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
                .await;
            let before = balance_and_ledger(&app, &user.id).await.0;
            let response = run(
                &app,
                &user,
                json!({ "agent": address, "input": "hi", "stream": stream }),
            )
            .await;
            if response.status == StatusCode::OK {
                // The answer had begun streaming: it ends with a failed outcome instead.
                assert!(stream, "{scenario:?}");
                let done = sse_events(&response.body)
                    .into_iter()
                    .find(|(name, _)| name == "done")
                    .unwrap()
                    .1;
                assert_eq!(done["status"], "failed", "{scenario:?}");
                assert_eq!(done["error"]["kind"], "upstream-invalid");
            } else {
                response.problem(StatusCode::BAD_GATEWAY, "upstream-invalid");
            }
            assert_eq!(
                app.count(
                    "runs",
                    "status = 'failed' AND error_kind = 'upstream-invalid'"
                )
                .await,
                1,
                "{scenario:?} stream={stream}"
            );
            let (after, ledger) = balance_and_ledger(&app, &user.id).await;
            assert!(after <= before, "never credited ({scenario:?})");
            assert_eq!(after, ledger);
        }
    }
}

#[tokio::test]
async fn an_error_after_partial_output_bills_what_was_produced_once() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Truncated {
        pieces: vec!["Partial ".into(), "answer".into()],
    });
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.2").await;
    let user = app.with_user().await;
    let response = run(
        &app,
        &user,
        json!({ "agent": address, "input": "hi", "stream": true }),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    let events = sse_events(&response.body);
    let done = events
        .iter()
        .find(|(name, _)| name == "done")
        .unwrap()
        .1
        .clone();
    assert_eq!(done["status"], "failed");
    assert_eq!(done["output"], "Partial answer");
    assert_eq!(done["usage_estimated"], true);
    assert_eq!(done["error"]["kind"], "upstream-invalid");
    let (charges, earnings) = ledger_of_run(&app, done["run_id"].as_str().unwrap()).await;
    assert_eq!(charges.len(), 1, "tokens produced are billed once");
    assert!(
        earnings.is_empty(),
        "a failed run earns its creator nothing"
    );
    let record = app
        .count(
            "runs",
            "status = 'failed' AND usage_estimated AND output_tokens = 4",
        )
        .await;
    assert_eq!(
        record, 1,
        "\"Partial answer\" is 14 bytes: 4 tokens at 4 bytes per token"
    );
}

#[tokio::test]
async fn a_balance_one_micro_credit_short_of_the_worst_case_gets_402_and_no_provider_call() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |config| crate::runs::set_signup_credits(config, 0)).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o", "0.05").await;
    let user = app.with_user().await;
    // The worst case: the price, plus gpt-4o's price of the input bound and max_tokens.
    let request = agora::domain::llm::LlmRequest {
        model: "gpt-4o".into(),
        system: Some("You are Greeter.".into()),
        messages: vec![agora::domain::llm::Message::new(
            agora::domain::llm::Role::User,
            "hi",
        )],
        tools: Vec::new(),
        tool_choice: Default::default(),
        sampling: agora::domain::llm::Sampling {
            max_tokens: 100,
            ..Default::default()
        },
        stream: false,
    };
    let worst = 50_000
        + agora::domain::pricing::CURRENT
            .find(agora::domain::models::Provider::Openai, "gpt-4o")
            .unwrap()
            .cost(&agora::domain::llm::Usage {
                input_tokens: agora::domain::llm::input_token_bound(&request),
                output_tokens: 100,
            });
    let user_id = uuid::Uuid::parse_str(&user.id).unwrap();
    let billing = app.state.billing().unwrap();
    billing
        .grant(
            user_id,
            agora::domain::Credits::from_micros(worst - 1).unwrap(),
            "test",
        )
        .await
        .unwrap();
    let body = json!({ "agent": address, "input": "hi", "max_tokens": 100 });
    let problem = run(&app, &user, body.clone())
        .await
        .problem(StatusCode::PAYMENT_REQUIRED, "insufficient-credits");
    assert!(problem["detail"].as_str().unwrap().contains("max_tokens"));
    assert_eq!(stub.request_count(), 0, "the provider never heard of it");
    assert_eq!(app.count("runs", "true").await, 0);
    billing
        .grant(
            user_id,
            agora::domain::Credits::from_micros(1).unwrap(),
            "test",
        )
        .await
        .unwrap();
    assert_eq!(run(&app, &user, body).await.status, StatusCode::OK);
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn concurrent_runs_never_overdraw_the_balance() {
    let stub = LlmStub::start().await;
    // Each answer takes a while, so every run holds at once.
    stub.always(Scenario::Delayed(
        Duration::from_millis(700),
        Box::new(Scenario::answer("ok", 10, 10)),
    ));
    let app = app_with_stub(&stub, |config| {
        crate::runs::set_signup_credits(config, 0);
        config.runs.max_concurrent_runs = 100;
        config.runs.provider_timeout = Duration::from_millis(3000);
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "1").await;
    let user = app.with_user().await;
    // Enough for exactly 3 worst cases (price 1 + a small model cost each).
    let user_id = uuid::Uuid::parse_str(&user.id).unwrap();
    app.state
        .billing()
        .unwrap()
        .grant(
            user_id,
            agora::domain::Credits::parse("3.5").unwrap(),
            "test",
        )
        .await
        .unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let router = app.router.clone();
        let token = user.access_token.clone();
        let address = address.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let request = http::Request::post("/v1/runs")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(
                    json!({ "agent": address, "input": "go", "max_tokens": 50 }).to_string(),
                ))
                .unwrap();
            crate::support::send(&router, request).await.status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYMENT_REQUIRED)
        .count();
    assert_eq!((ok, refused), (3, 5), "{statuses:?}");
    let (balance, ledger) = balance_and_ledger(&app, &user.id).await;
    assert!(balance >= 0);
    assert_eq!(balance, ledger, "balance = SUM(ledger)");
    assert_eq!(app.count("credit_accounts", "held_micros <> 0").await, 0);
}

#[tokio::test]
async fn a_run_whose_process_died_has_its_hold_released_by_maintenance() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Silent);
    let clock = crate::accounts::TestClock::new();
    let app = app_with_clock(
        &stub,
        |config| {
            config.runs.provider_timeout = Duration::from_millis(60000);
            crate::runs::set_request_timeout(config, Duration::from_millis(60000));
        },
        clock.clone(),
    )
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    // The request is abandoned while the provider is silent: as if the function died.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(500),
        run(&app, &user, json!({ "agent": address, "input": "hi" })),
    )
    .await;
    assert!(abandoned.is_err());
    assert_eq!(
        app.count("credit_accounts", "held_micros > 0").await,
        1,
        "the hold is still taken"
    );
    let runs = app.state.runs().unwrap();
    assert_eq!(
        runs.release_stale_runs().await.unwrap(),
        0,
        "not before the hold expires"
    );
    clock.advance(16 * 60);
    assert_eq!(runs.release_stale_runs().await.unwrap(), 1);
    assert_eq!(app.count("credit_accounts", "held_micros <> 0").await, 0);
    assert_eq!(
        app.count(
            "runs",
            "status = 'failed' AND error_kind = 'abandoned' AND charged_micros = 0"
        )
        .await,
        1
    );
    assert_eq!(runs.release_stale_runs().await.unwrap(), 0, "released once");
}

/// `(event name, JSON data)` of each Server-Sent Event in `body`.
pub fn sse_events(body: &[u8]) -> Vec<(String, Value)> {
    let text = String::from_utf8_lossy(body);
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = String::from("message");
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim_start());
                }
            }
            if data.is_empty() {
                return None;
            }
            Some((
                name,
                serde_json::from_str(&data).unwrap_or(Value::String(data)),
            ))
        })
        .collect()
}

#[tokio::test]
async fn a_user_over_the_concurrency_cap_waits_with_retry_after() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Delayed(
        Duration::from_millis(600),
        Box::new(Scenario::answer("ok", 5, 2)),
    ));
    let app = app_with_stub(&stub, |config| {
        config.runs.max_concurrent_runs = 1;
        config.runs.provider_timeout = Duration::from_millis(3000);
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    let body = json!({ "agent": address, "input": "hi" });
    let first = run(&app, &user, body.clone());
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        run(&app, &user, body.clone()).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.status, StatusCode::OK);
    second.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert_eq!(second.header("retry-after"), "1");
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn simultaneous_starts_never_exceed_the_concurrency_cap() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Delayed(
        Duration::from_millis(800),
        Box::new(Scenario::answer("ok", 5, 2)),
    ));
    let app = app_with_stub(&stub, |config| {
        config.runs.max_concurrent_runs = 2;
        config.runs.runs_per_minute = 1_000;
        config.runs.provider_timeout = Duration::from_millis(3000);
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
        .await;
    let body = json!({ "agent": address, "input": "hi" });
    let responses = futures::future::join_all((0..8).map(|_| run(&app, &user, body.clone()))).await;
    let admitted = responses
        .iter()
        .filter(|response| response.status == StatusCode::OK)
        .count();
    let refused = responses
        .iter()
        .filter(|response| response.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((admitted, refused), (2, 6));
    assert_eq!(stub.request_count(), 2);
    app.assert_ledger_consistent(true).await;
}

#[tokio::test]
async fn a_spending_limit_refuses_runs_that_could_exceed_it() {
    let stub = LlmStub::start().await;
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "agora", "echo", "0.5").await;
    let user = app.with_user().await;
    let limits = app
        .call(
            "PUT",
            "/v1/me/credits/limits",
            Some(&user.access_token),
            Some(json!({ "daily": "0.4" })),
        )
        .await;
    assert_eq!(limits.status, StatusCode::OK, "{:?}", limits.body);
    assert_eq!(limits.json()["daily_limit"], "0.4");
    let problem = run(&app, &user, json!({ "agent": address, "input": "hi" }))
        .await
        .problem(StatusCode::PAYMENT_REQUIRED, "spending-limit");
    assert!(problem["detail"].as_str().unwrap().contains("daily"));
    app.call(
        "PUT",
        "/v1/me/credits/limits",
        Some(&user.access_token),
        Some(json!({ "daily": "2", "monthly": "1" })),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    app.call(
        "PUT",
        "/v1/me/credits/limits",
        Some(&user.access_token),
        Some(json!({ "daily": null })),
    )
    .await;
    assert_eq!(
        run(&app, &user, json!({ "agent": address, "input": "hi" }))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn identical_deterministic_requests_are_answered_from_the_cache() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Deterministic answer", 10, 3));
    let app = app_with_stub(&stub, |_| {}).await;
    let (creator, address) = published_on(&app, "openai", "gpt-4o-mini", "0.2").await;
    let user = app.with_user().await;
    let body = json!({ "agent": address, "input": "same question", "temperature": 0 });
    let first = run(&app, &user, body.clone()).await.json();
    let second = run(&app, &user, body).await.json();
    assert_eq!(
        stub.request_count(),
        1,
        "the second answer came from the cache"
    );
    assert_eq!(second["outcome"]["output"], "Deterministic answer");
    assert_eq!(second["outcome"]["cached"], true);
    assert_eq!(first["outcome"]["cached"], false);
    // A cached answer costs no tokens; the creator still earns the price.
    let (charges, earnings) =
        ledger_of_run(&app, second["outcome"]["run_id"].as_str().unwrap()).await;
    assert_eq!((charges, earnings), (vec![-200_000], vec![200_000]));
    let (balance, ledger) = balance_and_ledger(&app, &creator.id).await;
    assert_eq!(balance, ledger);
    // Sampled requests are never cached.
    run(
        &app,
        &user,
        json!({ "agent": address, "input": "same question", "temperature": 0.7 }),
    )
    .await;
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn agoras_provider_keys_come_from_secrets_manager_in_aws() {
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let key = "sk-from-secrets-manager-Zq1";
    agora::testing::remember_secret(key);
    let mut secret: serde_json::Value =
        serde_json::from_str(agora::testing::test_signing_keys()).unwrap();
    secret["openai_api_key"] = json!(key);
    let name = format!("agora-test-{}", uuid::Uuid::new_v4().simple());
    secrets
        .create_secret()
        .name(&name)
        .secret_string(secret.to_string())
        .send()
        .await
        .unwrap();
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("From the secret's key", 5, 2));
    let app = app_with_stub(&stub, |config| {
        config.secret = agora::adapters::secrets::SecretLocation::SecretsManager(name.clone());
        config.aws.secret_id = Some(name.clone());
        config.providers.openai_api_key = None;
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    assert_eq!(
        run(&app, &user, json!({ "agent": address, "input": "hi" }))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        stub.received()[0].headers["authorization"],
        format!("Bearer {key}")
    );
}

#[tokio::test]
async fn every_route_that_reaches_a_provider_passes_the_metering_chokepoint() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Metered", 7, 3));
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    let conversation = app
        .call(
            "POST",
            "/v1/conversations",
            Some(&user.access_token),
            Some(json!({ "agent": address })),
        )
        .await
        .json();
    let id = conversation["id"].as_str().unwrap();
    // The streaming routes are the ones that call providers (and the only ones), but for
    // a workflow run's event stream, which only reads the run. Workflow steps reach
    // providers from the worker, through the same RunService::start (tests in
    // workflows.rs count their runs and ledger rows).
    let provider_routes: Vec<_> = agora::api::routes()
        .into_iter()
        .filter(|route| route.streams && route.function != "workflow-runs-events")
        .collect();
    assert_eq!(provider_routes.len(), 4);
    for route in provider_routes {
        let before = stub.request_count();
        let runs_before = app.count("runs", "status = 'succeeded'").await;
        let (path, body) = match route.function {
            "runs-create" => (
                "/v1/runs".to_owned(),
                json!({ "agent": address, "input": "hi" }),
            ),
            "chat-completions" => (
                "/v1/chat/completions".to_owned(),
                json!({ "model": format!("agent:{address}"), "messages": [{"role": "user", "content": "hi"}] }),
            ),
            "conversations-send" => (
                format!("/v1/conversations/{id}/messages"),
                json!({ "content": "hi", "stream": false }),
            ),
            "conversations-regenerate" => (
                format!("/v1/conversations/{id}/regenerate"),
                json!({ "stream": false }),
            ),
            other => panic!("a provider-reaching route without a metering check: {other}"),
        };
        let response = app
            .call("POST", &path, Some(&user.access_token), Some(body))
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{}: {:?}",
            route.function,
            response.body
        );
        assert_eq!(stub.request_count(), before + 1, "{}", route.function);
        assert_eq!(
            app.count("runs", "status = 'succeeded'").await,
            runs_before + 1,
            "{} is recorded",
            route.function
        );
    }
    assert_eq!(
        app.count("credit_ledger", "kind = 'run_charge'").await,
        4,
        "each charged once"
    );
    // In the source, only the run path's execution calls a provider.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in crate::support::walk(&src) {
        let text = std::fs::read_to_string(&entry).unwrap();
        if text.contains(".adapter.call(") {
            assert!(
                entry.ends_with("services/runs/execution.rs"),
                "{} calls a provider outside the metering chokepoint",
                entry.display()
            );
        }
    }
}
