//! Fault injection against real servers: a Redis that freezes (SIGSTOP) and PostgreSQL
//! sessions killed while runs hold and settle credits. Whatever breaks, requests answer
//! within their budget with an answer or a problem, nothing stays held once the sweeper
//! ran, nothing is charged twice, and every balance is the sum of its ledger (issue 14;
//! RELIABILITY 8 to 11).

use std::{process::Command, time::Duration};

use agora::adapters::redis::RedisSettings;
use http::StatusCode;
use serde_json::json;

use crate::{
    accounts::TestClock,
    llm_stub::{LlmStub, Scenario},
    runs::{app_with_clock, app_with_stub, published_on, sse_events},
    support::TestApp,
};

/// A Redis server of this test's own, to freeze and thaw; killed when dropped.
struct OwnRedis {
    child: std::process::Child,
    port: u16,
}

impl OwnRedis {
    fn start() -> Self {
        let port = crate::support::closed_port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/setup installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, port };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not start on {port}");
    }

    fn settings(&self) -> RedisSettings {
        RedisSettings {
            url: format!("redis://127.0.0.1:{}/0", self.port),
            key_prefix: "faults:".into(),
            pool_size: 8,
            timeout: Duration::from_millis(250),
        }
    }

    /// Whether the process took the signal (a killed one no longer can).
    fn signal(&self, signal: &str) -> bool {
        Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Stops the process without closing its sockets: connections hang, none is refused.
    fn freeze(&self) {
        assert!(self.signal("-STOP"));
    }

    fn thaw(&self) {
        assert!(self.signal("-CONT"));
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer of ten words, one every 100 ms.
fn slow_answer() -> Scenario {
    Scenario::Paced(
        Duration::from_millis(100),
        Box::new(Scenario::answer(
            "one two three four five six seven eight nine ten",
            40,
            10,
        )),
    )
}

#[tokio::test]
async fn a_frozen_redis_delays_neither_a_streamed_answer_nor_the_limit_on_sign_in_guesses() {
    let redis = OwnRedis::start();
    let stub = LlmStub::start().await;
    stub.always(slow_answer());
    let app = app_with_stub(&stub, |config| {
        config.redis = Some(redis.settings());
        config.auth.login_failures_per_account = 3;
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let user = app.with_user().await;
    app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
        .await;

    redis.freeze();
    // The whole answer takes about a second; a frozen cache may add its timeouts, not hang it.
    let response = tokio::time::timeout(
        Duration::from_secs(15),
        app.call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "count", "stream": true })),
        ),
    )
    .await
    .expect("the streamed answer finished while Redis was frozen");
    assert_eq!(response.status, StatusCode::OK);
    let done = sse_events(&response.body)
        .into_iter()
        .find(|(name, _)| name == "done")
        .unwrap()
        .1;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        done["output"],
        "one two three four five six seven eight nine ten"
    );

    // Sign-in guesses are still limited, by this process's own counters.
    let victim = app.with_user().await;
    for _ in 0..3 {
        let guess = tokio::time::timeout(
            Duration::from_secs(5),
            app.login(&victim.email, "wrong password!"),
        )
        .await
        .expect("a sign-in answered while Redis was frozen");
        guess.problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    }
    app.login(&victim.email, "wrong password!")
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    redis.thaw();
    app.assert_ledger_consistent(true).await;
}

/// Ends every session the app has open on its database, as a failover or an operator would.
async fn kill_app_sessions(app: &TestApp) -> u64 {
    let db = app.db().await;
    db.query_one(
        "SELECT count(pg_terminate_backend(pid))::bigint FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'agora'
            AND pid <> pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
    .get::<_, i64>(0)
    .try_into()
    .unwrap()
}

#[tokio::test]
async fn sessions_killed_while_runs_hold_and_settle_lose_and_double_no_credit() {
    let stub = LlmStub::start().await;
    stub.always(slow_answer());
    let clock = TestClock::new();
    let app = app_with_clock(&stub, |_| {}, clock.clone()).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let mut users = Vec::new();
    for _ in 0..6 {
        let user = app.with_user().await;
        app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
            .await;
        users.push(user);
    }
    let runs = futures::future::join_all(users.iter().enumerate().map(|(index, user)| {
        app.call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "count", "stream": index % 2 == 0 })),
        )
    }));
    let killer = async {
        // Once while the runs hold their credits and stream, once as they settle.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let first = kill_app_sessions(&app).await;
        tokio::time::sleep(Duration::from_millis(650)).await;
        first + kill_app_sessions(&app).await
    };
    let (responses, killed) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(runs, killer)
    })
    .await
    .expect("every run answered");
    assert!(killed > 0, "the test killed sessions");
    for response in &responses {
        // An answer, or a problem that says to retry: never a 500.
        assert!(
            response.status == StatusCode::OK || response.status == StatusCode::SERVICE_UNAVAILABLE,
            "{} {:?}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    // The sweeper ends whatever a killed session left running, once its hold expired.
    clock.advance(3_600);
    app.state.maintenance().unwrap().run().await.unwrap();
    app.assert_ledger_consistent(true).await;
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_run_in_a_lambda_settles_and_bills_before_its_invocation_ends_however_long_the_model_talks()
 {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Trickle {
        pieces: vec!["more ".into()],
        every: Duration::from_millis(50),
    });
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let user = app.with_user().await;
    app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
        .await;
    let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(events.join("runs-create.apigw-v2.json")).unwrap())
            .unwrap();
    event["headers"]["authorization"] = format!("Bearer {}", user.access_token).into();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("content-length");
    event["body"] = json!({ "agent": address, "input": "talk", "stream": true })
        .to_string()
        .into();
    // The invocation has six seconds; the model would talk for ever.
    let deadline_ms = now_ms() + 6_000;
    let response = tokio::time::timeout(
        Duration::from_secs(30),
        agora::lambda::invoke_until(
            app.state.clone(),
            "runs-create",
            &serde_json::to_vec(&event).unwrap(),
            deadline_ms,
        ),
    )
    .await
    .expect("the function answered")
    .unwrap();
    assert!(
        now_ms() < deadline_ms,
        "answered before the invocation ended"
    );
    assert_eq!(response["statusCode"], 200, "{response}");
    let body = response["body"].as_str().unwrap();
    let done = sse_events(body.as_bytes())
        .into_iter()
        .find(|(name, _)| name == "done")
        .unwrap()
        .1;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["kind"], "upstream-timeout");
    assert!(done["output"].as_str().unwrap().starts_with("more more"));
    // Settled, and billed for what the user received, while the function still ran.
    assert_eq!(app.count("runs", "status = 'running'").await, 0);
    assert_eq!(
        app.count("credit_ledger", "kind = 'run_charge'").await,
        1,
        "the words produced are charged, once"
    );
    app.assert_ledger_consistent(true).await;
}

#[tokio::test]
async fn a_settlement_the_database_refuses_is_journaled_then_billed_by_the_sweeper_not_lost() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("All of the answer", 30, 5));
    let clock = TestClock::new();
    let app = app_with_clock(&stub, |_| {}, clock.clone()).await;
    let (creator, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let user = app.with_user().await;
    app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
        .await;
    let db = app.db().await;
    // The database takes the run's start, but not its end, whatever the retries.
    db.batch_execute(
        "ALTER TABLE runs ADD CONSTRAINT settlement_refused CHECK (status = 'running') NOT VALID",
    )
    .await
    .unwrap();
    let response = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "everything", "stream": true })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let done = sse_events(&response.body)
        .into_iter()
        .find(|(name, _)| name == "done")
        .unwrap()
        .1;
    assert_eq!(
        done["output"], "All of the answer",
        "the user got the answer"
    );
    assert_eq!(app.count("runs", "status = 'running'").await, 1);
    assert_eq!(app.count("credit_ledger", "kind = 'run_charge'").await, 0);

    // The database recovers; once the hold expired, the sweeper settles the run as it
    // ended, from the journal: billed for the answer, and the creator paid.
    db.batch_execute("ALTER TABLE runs DROP CONSTRAINT settlement_refused")
        .await
        .unwrap();
    clock.advance(3_600);
    app.state.maintenance().unwrap().run().await.unwrap();
    assert_eq!(
        app.count("runs", "status = 'succeeded' AND charged_micros > 0")
            .await,
        1
    );
    assert_eq!(app.count("credit_ledger", "kind = 'run_charge'").await, 1);
    let creator_id = uuid::Uuid::parse_str(&creator.id).unwrap();
    let earned: i64 = db
        .query_one(
            "SELECT COALESCE(sum(amount_micros), 0)::bigint FROM credit_ledger
              WHERE kind = 'creator_earning' AND user_id = $1",
            &[&creator_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(earned, 100_000, "the creator earns the price once");
    // A second sweep changes nothing.
    app.state.maintenance().unwrap().run().await.unwrap();
    assert_eq!(app.count("credit_ledger", "kind = 'run_charge'").await, 1);
    app.assert_ledger_consistent(true).await;
}

#[tokio::test]
async fn a_redis_killed_mid_stream_loses_nothing_and_bills_once() {
    let mut redis = OwnRedis::start();
    let stub = LlmStub::start().await;
    stub.always(slow_answer());
    let app = app_with_stub(&stub, |config| config.redis = Some(redis.settings())).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let user = app.with_user().await;
    app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
        .await;
    let run = app.call(
        "POST",
        "/v1/runs",
        Some(&user.access_token),
        Some(json!({ "agent": address, "input": "count", "stream": true })),
    );
    let killer = async {
        // Mid-answer (ten words, 100 ms apart), the cache process dies.
        tokio::time::sleep(Duration::from_millis(350)).await;
        redis.child.kill().unwrap();
        redis.child.wait().unwrap();
    };
    let (response, ()) =
        tokio::time::timeout(Duration::from_secs(15), async { tokio::join!(run, killer) })
            .await
            .expect("the streamed answer finished with its cache gone");
    assert_eq!(response.status, StatusCode::OK);
    let done = sse_events(&response.body)
        .into_iter()
        .find(|(name, _)| name == "done")
        .unwrap()
        .1;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(app.count("credit_ledger", "kind = 'run_charge'").await, 1);
    // Requests go on without it: limits fall back to this process's counters.
    let me = app
        .call("GET", "/v1/me", Some(&user.access_token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    app.assert_ledger_consistent(true).await;
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_within_its_budget_and_runs_stay_consistent() {
    let stub = LlmStub::start().await;
    stub.always(slow_answer());
    let app = app_with_stub(&stub, |config| {
        if let Some(database) = &mut config.database {
            database.pool_size = 2;
            database.connect_timeout = Duration::from_millis(300);
        }
        config.runs.max_concurrent_runs = 50;
        config.runs.runs_per_minute = 10_000;
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let mut users = Vec::new();
    for _ in 0..12 {
        let user = app.with_user().await;
        app.call("GET", "/v1/me/credits", Some(&user.access_token), None)
            .await;
        users.push(user);
    }
    // Twelve runs at once on a pool of two: some wait their turn, some are told to retry.
    let responses = tokio::time::timeout(
        Duration::from_secs(30),
        futures::future::join_all(users.iter().map(|user| {
            app.call(
                "POST",
                "/v1/runs",
                Some(&user.access_token),
                Some(json!({ "agent": address, "input": "count" })),
            )
        })),
    )
    .await
    .expect("every request answered");
    for response in &responses {
        assert!(
            response.status == StatusCode::OK || response.status == StatusCode::SERVICE_UNAVAILABLE,
            "{} {:?}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
        if response.status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(!response.header("retry-after").is_empty());
        }
    }
    assert!(
        responses
            .iter()
            .any(|response| response.status == StatusCode::OK),
        "the pool still served some"
    );
    app.assert_ledger_consistent(true).await;
}
