//! Idempotency-Key with Stripe's semantics (RELIABILITY 12 and 13): one contract suite run
//! by the DynamoDB (moto) and PostgreSQL adapters, and the HTTP behaviour on run routes.

use std::{sync::Arc, time::Duration};
use uuid::Uuid;

use agora::ports::{IdempotencyClaim, IdempotencyStore};
use chrono::Utc;
use http::StatusCode;
use serde_json::json;

use crate::{
    llm_stub::{LlmStub, Scenario},
    runs::{app_with_clock, app_with_stub, ledger_of_run, published_on},
    support::TestApp,
};

const IN_PROGRESS: Duration = Duration::from_secs(60);
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// The PostgreSQL store of a fresh app (the app keeps its database for as long as it lives).
async fn postgres_store() -> (TestApp, Arc<dyn IdempotencyStore>) {
    let app = TestApp::spawn().await;
    let store = app.state.idempotency().unwrap();
    (app, store)
}

async fn dynamodb_store() -> Arc<dyn IdempotencyStore> {
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("idempotency-{}", uuid::Uuid::new_v4().simple());
    client
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("key")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("key")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    Arc::new(agora::adapters::dynamodb::DynamoIdempotency::new(
        &sdk, &table,
    ))
}

/// The contract every idempotency store keeps.
async fn contract(store: Arc<dyn IdempotencyStore>) {
    let now = Utc::now();
    let key = format!("user:{}", uuid::Uuid::new_v4());
    let first = Uuid::new_v4();
    assert_eq!(
        store
            .claim(&key, first, b"hash-a", now, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Started
    );
    // A second claim while the first runs: in progress, with the first request's hash.
    assert_eq!(
        store
            .claim(&key, Uuid::new_v4(), b"hash-b", now, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::InProgress {
            request_hash: b"hash-a".to_vec()
        }
    );
    assert!(
        store
            .complete(&key, first, b"the response", now, KEEP)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .claim(&key, Uuid::new_v4(), b"hash-a", now, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Completed {
            request_hash: b"hash-a".to_vec(),
            response: b"the response".to_vec()
        }
    );
    // Expired records count as absent (DynamoDB's TTL deletes late; moto never does).
    let later = now + chrono::Duration::hours(25);
    assert_eq!(
        store
            .claim(&key, Uuid::new_v4(), b"hash-c", later, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Started
    );

    // A claim whose execution died is taken over after the in-progress expiry, not before.
    let died = format!("user:{}", uuid::Uuid::new_v4());
    store
        .claim(&died, Uuid::new_v4(), b"h", now, IN_PROGRESS, KEEP)
        .await
        .unwrap();
    assert!(matches!(
        store
            .claim(
                &died,
                Uuid::new_v4(),
                b"h",
                now + chrono::Duration::seconds(59),
                IN_PROGRESS,
                KEEP
            )
            .await
            .unwrap(),
        IdempotencyClaim::InProgress { .. }
    ));
    assert_eq!(
        store
            .claim(
                &died,
                Uuid::new_v4(),
                b"h",
                now + chrono::Duration::seconds(61),
                IN_PROGRESS,
                KEEP
            )
            .await
            .unwrap(),
        IdempotencyClaim::Started
    );

    // A released key (a request refused before doing anything) is free again.
    let refused = format!("user:{}", uuid::Uuid::new_v4());
    let refused_claim = Uuid::new_v4();
    store
        .claim(&refused, refused_claim, b"h", now, IN_PROGRESS, KEEP)
        .await
        .unwrap();
    store.release(&refused, refused_claim).await.unwrap();
    let retry = Uuid::new_v4();
    assert_eq!(
        store
            .claim(&refused, retry, b"h2", now, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Started
    );
    // Releasing a completed record does nothing.
    assert!(
        store
            .complete(&refused, retry, b"done", now, KEEP)
            .await
            .unwrap()
    );
    store.release(&refused, retry).await.unwrap();
    assert!(matches!(
        store
            .claim(&refused, Uuid::new_v4(), b"h2", now, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Completed { .. }
    ));

    // Concurrent claims of one key: exactly one starts.
    let raced = format!("user:{}", uuid::Uuid::new_v4());
    let claims = futures::future::join_all(
        (0..8).map(|_| store.claim(&raced, Uuid::new_v4(), b"h", now, IN_PROGRESS, KEEP)),
    )
    .await;
    let started = claims
        .into_iter()
        .filter(|claim| matches!(claim, Ok(IdempotencyClaim::Started)))
        .count();
    assert_eq!(started, 1);

    // A request that outlived its in-progress window: the retry that took its key over
    // keeps the record; the late first request neither completes nor releases it.
    let taken = format!("user:{}", uuid::Uuid::new_v4());
    let (late, retry) = (Uuid::new_v4(), Uuid::new_v4());
    let after = now + chrono::Duration::seconds(61);
    store
        .claim(&taken, late, b"h", now, IN_PROGRESS, KEEP)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim(&taken, retry, b"h", after, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Started
    );
    assert!(
        !store
            .complete(&taken, late, b"late", after, KEEP)
            .await
            .unwrap()
    );
    store.release(&taken, late).await.unwrap();
    assert!(matches!(
        store
            .claim(&taken, Uuid::new_v4(), b"h", after, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::InProgress { .. }
    ));
    assert!(
        store
            .complete(&taken, retry, b"retry", after, KEEP)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .claim(&taken, Uuid::new_v4(), b"h", after, IN_PROGRESS, KEEP)
            .await
            .unwrap(),
        IdempotencyClaim::Completed {
            request_hash: b"h".to_vec(),
            response: b"retry".to_vec()
        }
    );

    // The largest response the store says it keeps is kept.
    let large = format!("user:{}", uuid::Uuid::new_v4());
    let claim = Uuid::new_v4();
    store
        .claim(&large, claim, b"h", now, IN_PROGRESS, KEEP)
        .await
        .unwrap();
    let response = vec![b'x'; store.max_response_bytes()];
    assert!(
        store
            .complete(&large, claim, &response, now, KEEP)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_postgres_store_keeps_the_contract() {
    let (_app, store) = postgres_store().await;
    contract(store).await;
}

#[tokio::test]
async fn the_dynamodb_store_keeps_the_contract() {
    contract(dynamodb_store().await).await;
}

async fn post_run(
    app: &TestApp,
    token: &str,
    key: &str,
    body: serde_json::Value,
) -> crate::support::TestResponse {
    let request = http::Request::post("/v1/runs")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_response_byte_for_byte() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Only once", 10, 5));
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.1").await;
    let user = app.with_user().await;
    for stream in [false, true] {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({ "agent": address, "input": "hi", "stream": stream });
        let first = post_run(&app, &user.access_token, &key, body.clone()).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.header("idempotent-replayed"), "");
        let again = post_run(&app, &user.access_token, &key, body).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.header("idempotent-replayed"), "true");
        assert_eq!(again.body, first.body, "byte-identical (stream={stream})");
    }
    assert_eq!(stub.request_count(), 2, "one provider call per key");
    assert_eq!(app.count("runs", "true").await, 2);
    assert_eq!(app.count("credit_ledger", "kind = 'run_charge'").await, 2);
}

#[tokio::test]
async fn a_key_reused_with_another_body_is_422_and_keys_are_per_caller() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Hi", 10, 5));
    let app = app_with_stub(&stub, |_| {}).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    let key = "order-42";
    post_run(
        &app,
        &user.access_token,
        key,
        json!({ "agent": address, "input": "one" }),
    )
    .await;
    post_run(
        &app,
        &user.access_token,
        key,
        json!({ "agent": address, "input": "two" }),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused");
    // Another caller's identical key is theirs alone.
    let other = app.with_user().await;
    let theirs = post_run(
        &app,
        &other.access_token,
        key,
        json!({ "agent": address, "input": "two" }),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.header("idempotent-replayed"), "");
}

#[tokio::test]
async fn a_key_in_flight_is_409_and_a_refused_request_is_not_remembered() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::Delayed(
        Duration::from_millis(800),
        Box::new(Scenario::answer("Slow", 10, 5)),
    ));
    let app = app_with_stub(&stub, |config| {
        config.runs.provider_timeout = Duration::from_millis(3000)
    })
    .await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0").await;
    let user = app.with_user().await;
    let body = json!({ "agent": address, "input": "hi" });
    let first = post_run(&app, &user.access_token, "slow-key", body.clone());
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        post_run(&app, &user.access_token, "slow-key", body.clone()).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.status, StatusCode::OK);
    second.problem(StatusCode::CONFLICT, "in-flight");
    assert_eq!(second.header("retry-after"), "1");

    // Validation failures are not stored: the fixed request with the same key runs.
    post_run(
        &app,
        &user.access_token,
        "fix-me",
        json!({ "agent": address, "input": "" }),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fixed = post_run(
        &app,
        &user.access_token,
        "fix-me",
        json!({ "agent": address, "input": "now fixed" }),
    )
    .await;
    assert_eq!(fixed.status, StatusCode::OK);
}

#[tokio::test]
async fn a_retry_after_the_execution_died_finds_the_run_and_never_charges_twice() {
    let stub = LlmStub::start().await;
    stub.always(Scenario::answer("Charged once", 10, 5));
    let clock = crate::accounts::TestClock::new();
    let app = app_with_clock(&stub, |_| {}, clock.clone()).await;
    let (_, address) = published_on(&app, "openai", "gpt-4o-mini", "0.3").await;
    let user = app.with_user().await;
    let body = json!({ "agent": address, "input": "hi" });
    let first = post_run(&app, &user.access_token, "crash-key", body.clone()).await;
    assert_eq!(first.status, StatusCode::OK);
    let run_id = first.json()["outcome"]["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The function "died" after charging but before storing the response: the record is
    // back to in progress, as a crash would have left it.
    let db = app.db().await;
    db.execute(
        "UPDATE idempotency_records SET status = 'in_progress', response = NULL",
        &[],
    )
    .await
    .unwrap();
    post_run(&app, &user.access_token, "crash-key", body.clone())
        .await
        .problem(StatusCode::CONFLICT, "in-flight");
    clock.advance(61);
    let retry = post_run(&app, &user.access_token, "crash-key", body).await;
    assert_eq!(retry.status, StatusCode::OK, "{:?}", retry.body);
    assert_eq!(
        retry.json()["outcome"]["run_id"],
        run_id.as_str(),
        "the same run, found again"
    );
    assert_eq!(retry.json()["outcome"]["output"], "Charged once");
    let (charges, earnings) = ledger_of_run(&app, &run_id).await;
    assert_eq!(
        (charges.len(), earnings.len()),
        (1, 1),
        "one charge, one earning"
    );
    assert_eq!(stub.request_count(), 1, "the provider was called once");
    assert_eq!(app.count("runs", "true").await, 1);
}
