//! PostgreSQL: the pool, migrations, TLS and RDS IAM tokens.

use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use agora::{
    adapters::postgres::{
        DatabaseSettings, Db, RdsIamTokens,
        migrations::{self, MIGRATIONS, MigrationError},
    },
    ports::{Clock, DependencyProbe},
    testing,
};
use chrono::{DateTime, TimeDelta, Utc};

fn database(url: String) -> DatabaseSettings {
    DatabaseSettings {
        connect_timeout: Duration::from_secs(3),
        ..DatabaseSettings::at(url, 4)
    }
}

async fn empty_database() -> String {
    let admin = testing::admin_database_url();
    let name = format!("agora_empty_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    testing::with_database(&admin, &name)
}

#[tokio::test]
async fn migrations_apply_in_order_once_and_enable_pgvector() {
    let db = Db::new(&database(empty_database().await), None).unwrap();
    let applied = db.migrate().await.unwrap();
    assert_eq!(applied.len(), MIGRATIONS.len());
    assert_eq!(
        db.migrate().await.unwrap(),
        Vec::new(),
        "a second run applies nothing"
    );

    let connection = db.connection().await.unwrap();
    let recorded: Vec<i64> = connection
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(recorded, (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>());
    let vector: String = connection
        .query_one(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!vector.is_empty());
    let distance: f64 = connection
        .query_one("SELECT '[1,2]'::vector <-> '[1,3]'::vector", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(distance, 1.0);
}

#[tokio::test]
async fn concurrent_migrators_apply_each_migration_once() {
    let url = empty_database().await;
    let runs = (0..4).map(|_| {
        let db = Db::new(&database(url.clone()), None).unwrap();
        tokio::spawn(async move { db.migrate().await.unwrap().len() })
    });
    let applied: usize = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(applied, MIGRATIONS.len());
}

#[tokio::test]
async fn an_edited_or_unknown_migration_is_refused() {
    let test_database = testing::fresh_database().await;
    let db = Db::new(&database(test_database.url().to_owned()), None).unwrap();
    let connection = db.connection().await.unwrap();
    connection
        .execute(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
            &[],
        )
        .await
        .unwrap();
    assert!(matches!(
        db.migrate().await,
        Err(MigrationError::Edited { version: 1 })
    ));

    let other_database = testing::fresh_database().await;
    let db = Db::new(&database(other_database.url().to_owned()), None).unwrap();
    let connection = db.connection().await.unwrap();
    connection
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')",
            &[],
        )
        .await
        .unwrap();
    let error = db.migrate().await.unwrap_err();
    assert!(
        matches!(error, MigrationError::Ahead { version: 9999 }),
        "every known migration is applied, and a newer one: a rollback's older build"
    );
    assert!(error.to_string().contains("nothing to apply"));
    // A known migration missing beside an unknown one is no rollback.
    connection
        .execute("DELETE FROM schema_migrations WHERE version = 1", &[])
        .await
        .unwrap();
    let error = db.migrate().await.unwrap_err();
    assert!(matches!(error, MigrationError::Unknown { version: 9999 }));
    assert!(error.to_string().contains("newer Agora"));
}

#[tokio::test]
async fn an_unreachable_database_fails_the_probe_within_the_connect_timeout() {
    let mut config = database(format!(
        "postgres://agora@127.0.0.1:{}/agora",
        crate::support::closed_port()
    ));
    config.connect_timeout = Duration::from_millis(500);
    let db = Db::new(&config, None).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), db.probe())
        .await
        .expect("bounded");
    assert!(outcome.is_err());
    let error = db.connection().await.err().unwrap();
    assert_eq!(error.status(), http::StatusCode::SERVICE_UNAVAILABLE);
}

/// TLS: `scripts/test` starts a PostgreSQL with a self-signed certificate
/// (AGORA_TEST_TLS_DATABASE_URL) and exports the certificate's path (AGORA_TEST_PG_CA).
#[tokio::test]
async fn sslmode_require_connects_over_rustls_verifying_the_server_certificate() {
    let ca = std::env::var("AGORA_TEST_PG_CA")
        .expect("AGORA_TEST_PG_CA: run under scripts/test, which starts a TLS PostgreSQL");
    let server = std::env::var("AGORA_TEST_TLS_DATABASE_URL")
        .expect("AGORA_TEST_TLS_DATABASE_URL: run under scripts/test");
    let url = format!("{server}?sslmode=require");
    let mut trusted = database(url.clone());
    trusted.ca_file = Some(ca.into());
    let db = Db::new(&trusted, None).unwrap();
    let connection = db.connection().await.unwrap();
    let ssl: bool = connection
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(ssl, "the session is encrypted");

    let untrusted = Db::new(&database(url), None).unwrap();
    let refused = untrusted.probe().await.unwrap_err();
    assert!(
        refused.to_lowercase().contains("certificate"),
        "an unknown CA is refused: {refused}"
    );
}

#[test]
fn a_ca_file_without_certificates_is_rejected_at_startup() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut config = database("postgres://agora@db.example.com/agora?sslmode=require".into());
    config.ca_file = Some(file.path().to_owned());
    let error = Db::new(&config, None).err().unwrap();
    assert!(error.to_string().contains("DATABASE_CA_FILE"), "{error}");
}

/// A clock the test moves by hand, shared with the SDK's signer.
#[derive(Clone)]
struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl std::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManualClock")
    }
}

impl aws_smithy_async::time::TimeSource for ManualClock {
    fn now(&self) -> SystemTime {
        SystemTime::from(Clock::now(self))
    }
}

#[tokio::test]
async fn iam_tokens_are_signed_for_the_database_user_and_refreshed_before_expiry() {
    let clock = ManualClock(Arc::new(Mutex::new(
        DateTime::from_str("2026-11-25T10:00:00Z").unwrap(),
    )));
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::from_keys(
                    "AKIDEXAMPLE",
                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                    None,
                ),
            ),
        )
        .time_source(clock.clone())
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let tokens = RdsIamTokens::new(
        "db.abc.eu-west-1.rds.amazonaws.com",
        5432,
        "agora_app",
        sdk,
        Arc::new(clock.clone()),
    )
    .unwrap();
    assert_eq!(tokens.current(), None);

    assert!(
        tokens.refresh_if_due().await.unwrap(),
        "the first call generates a token"
    );
    let first = tokens.current().unwrap();
    assert!(
        first.starts_with(
            "db.abc.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=agora_app&"
        ),
        "{first}"
    );
    assert!(first.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"));
    assert!(
        first.contains(
            "X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Feu-west-1%2Frds-db%2Faws4_request"
        )
    );
    assert!(first.contains("X-Amz-Date=20261125T100000Z"));
    assert!(first.contains("X-Amz-Expires=900"));
    assert!(first.contains("X-Amz-Signature="));

    clock.advance(TimeDelta::minutes(9));
    assert!(
        !tokens.refresh_if_due().await.unwrap(),
        "a 9-minute-old token is still used"
    );
    assert_eq!(tokens.current().unwrap(), first);

    clock.advance(TimeDelta::minutes(1));
    assert!(
        tokens.refresh_if_due().await.unwrap(),
        "a 10-minute-old token is replaced, 5 minutes before it expires"
    );
    let second = tokens.current().unwrap();
    assert_ne!(second, first);
    assert!(second.contains("X-Amz-Date=20261125T101000Z"));
}

#[tokio::test]
async fn iam_auth_needs_a_user_and_a_tcp_host() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let no_user = tokio_postgres::Config::from_str("postgres://db.example.com/agora").unwrap();
    assert!(
        RdsIamTokens::for_database(&no_user, sdk.clone())
            .err()
            .unwrap()
            .to_string()
            .contains("user")
    );
    let mut config = database("postgres://agora_app@db.example.com/agora".into());
    config.iam_auth = true;
    assert!(
        Db::new(&config, None)
            .err()
            .unwrap()
            .to_string()
            .contains("DATABASE_IAM_AUTH")
    );
    assert!(
        Db::new(&config, Some(&sdk)).is_ok(),
        "the pool builds without connecting"
    );
    let _ = migrations::schema_fingerprint();
}

/// The error Agora makes of a database failure, and the status it answers with.
fn answered(error: tokio_postgres::Error) -> (u16, Option<u64>) {
    let error = agora::Error::from(error);
    (error.status().as_u16(), error.retry_after())
}

#[tokio::test]
async fn a_killed_session_a_deadlock_and_a_serialization_failure_are_503s_worth_retrying() {
    let url = empty_database().await;
    let connect = || async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    };
    let (a, b) = (connect().await, connect().await);
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL); INSERT INTO t VALUES (1, 0), (2, 0);",
    )
    .await
    .unwrap();

    // A deadlock: each holds the row the other wants.
    a.batch_execute("BEGIN; UPDATE t SET n = n + 1 WHERE id = 1")
        .await
        .unwrap();
    b.batch_execute("BEGIN; UPDATE t SET n = n + 1 WHERE id = 2")
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        a.execute("UPDATE t SET n = n + 1 WHERE id = 2", &[]),
        b.execute("UPDATE t SET n = n + 1 WHERE id = 1", &[]),
    );
    let deadlocked = first.err().or(second.err()).expect("one of them deadlocks");
    assert_eq!(deadlocked.code().unwrap().code(), "40P01");
    assert_eq!(answered(deadlocked), (503, Some(5)));
    a.batch_execute("ROLLBACK").await.unwrap();
    b.batch_execute("ROLLBACK").await.unwrap();

    // A serialization failure: two serializable transactions that each read what the other writes.
    for client in [&a, &b] {
        client
            .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT sum(n) FROM t")
            .await
            .unwrap();
    }
    a.execute("UPDATE t SET n = 5 WHERE id = 1", &[])
        .await
        .unwrap();
    b.execute("UPDATE t SET n = 5 WHERE id = 2", &[])
        .await
        .unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    let failed = b.batch_execute("COMMIT").await.unwrap_err();
    assert_eq!(failed.code().unwrap().code(), "40001");
    assert_eq!(answered(failed), (503, Some(5)));

    // A session killed by an operator (or a failover): 57P01.
    let pid: i32 = a
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    b.execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    let killed = a.query_one("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(answered(killed), (503, Some(5)));

    // A constraint Agora did not expect is still a bug: a 500, not "try again".
    let broken = b
        .execute("INSERT INTO t VALUES (1, 0)", &[])
        .await
        .unwrap_err();
    assert_eq!(answered(broken), (500, None));
}

#[tokio::test]
async fn a_hung_statement_and_a_transaction_left_open_are_ended_by_the_server() {
    let settings = DatabaseSettings {
        statement_timeout: Duration::from_millis(300),
        idle_in_transaction_timeout: Duration::from_millis(300),
        ..database(empty_database().await)
    };
    let db = Db::new(&settings, None).unwrap();
    let connection = db.connection().await.unwrap();
    let hung = connection
        .query_one("SELECT pg_sleep(5)", &[])
        .await
        .unwrap_err();
    assert_eq!(
        hung.code().unwrap().code(),
        "57014",
        "cancelled by statement_timeout"
    );
    assert_eq!(agora::Error::from(hung).status().as_u16(), 503);
    drop(connection);

    let mut connection = db.connection().await.unwrap();
    let transaction = connection.transaction().await.unwrap();
    transaction.execute("SELECT 1", &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let ended = transaction.execute("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(agora::Error::from(ended).status().as_u16(), 503);
}

#[tokio::test]
async fn an_unreachable_database_opens_the_breaker_but_a_busy_pool_does_not() {
    let cause = |result: agora::Result<agora::adapters::postgres::Connection>| match result {
        Err(agora::Error::Unavailable { cause, .. }) => cause,
        Err(other) => panic!("expected unavailable, got {other:?}"),
        Ok(_) => panic!("expected an error"),
    };
    let unreachable = Db::new(
        &DatabaseSettings {
            connect_timeout: Duration::from_millis(300),
            ..database(format!(
                "postgres://agora@127.0.0.1:{}/agora",
                crate::support::closed_port()
            ))
        },
        None,
    )
    .unwrap();
    for _ in 0..3 {
        assert!(!cause(unreachable.connection().await).contains("not tried again"));
    }
    // Now requests are answered 503 at once, without another attempt to connect.
    assert!(cause(unreachable.connection().await).contains("not tried again"));

    // Every connection busy is load, not an outage.
    let busy = Db::new(
        &DatabaseSettings {
            pool_size: 1,
            connect_timeout: Duration::from_millis(200),
            ..database(empty_database().await)
        },
        None,
    )
    .unwrap();
    let held = busy.connection().await.unwrap();
    for _ in 0..4 {
        assert!(!cause(busy.connection().await).contains("not tried again"));
    }
    drop(held);
    assert!(busy.connection().await.is_ok(), "the breaker stayed closed");
}

/// Issue 15: the functions log in as `agora_app`, whose rights the migrations grant. It
/// runs the whole paid path (sign-up, confirmation, publishing, a billed run) and cannot
/// rewrite the ledger or the audit log, touch the migration record, or change the schema.
#[tokio::test]
async fn the_application_role_runs_agora_and_cannot_rewrite_what_is_append_only() {
    let app = crate::support::TestApp::spawn().await;
    // The test cluster trusts local logins (in AWS the role signs in with IAM tokens).
    app.db()
        .await
        .batch_execute("ALTER ROLE agora_app LOGIN")
        .await
        .unwrap();
    let url = app.database_url.clone().unwrap().replacen(
        "postgres://postgres@",
        "postgres://agora_app@",
        1,
    );
    assert!(url.contains("agora_app@"), "{url}");
    let mut config = app.config.clone();
    config.database.as_mut().unwrap().url = url.clone();
    let as_role = crate::support::TestApp::from_config(config, Default::default()).await;
    let (_, address) = crate::runs::published_on(&as_role, "agora", "echo", "0.01").await;
    let user = as_role.with_user().await;
    let run = as_role
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(serde_json::json!({ "agent": address, "input": "hello" })),
        )
        .await;
    assert_eq!(run.status, http::StatusCode::OK, "{:?}", run.body);

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    assert_eq!(
        client
            .query_one("SELECT current_user::text", &[])
            .await
            .unwrap()
            .get::<_, String>(0),
        "agora_app"
    );
    for statement in [
        "UPDATE credit_ledger SET note = 'rewritten'",
        "DELETE FROM credit_ledger",
        "UPDATE audit_log SET subject = NULL",
        "DELETE FROM audit_log",
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'x', 'x')",
        "DELETE FROM schema_migrations",
        "DROP TABLE runs",
        "CREATE TABLE intruder (id int)",
    ] {
        let error = client.batch_execute(statement).await.unwrap_err();
        assert_eq!(
            error.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{statement}: {error}"
        );
    }
}

/// Issue 15: on deploy, the migrate function logs in as the owner whose password Secrets
/// Manager (moto) keeps, and applies the migrations to an empty database, once.
#[tokio::test]
async fn the_deploy_time_migrations_log_in_as_the_owner_from_secrets_manager() {
    let admin_url = testing::admin_database_url();
    let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let name = format!("agora_deploy_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let owner = url::Url::parse(&admin_url).unwrap();
    let secret_id = secrets
        .create_secret()
        .name(format!("agora/test/owner-{}", uuid::Uuid::new_v4()))
        .secret_string(
            serde_json::json!({ "username": owner.username(), "password": "owner-password-in-the-secret" })
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    testing::remember_secret("owner-password-in-the-secret");
    // The function's own DATABASE_URL names another user: the secret's login wins.
    let config = agora::Config::from_vars([
        (
            "DATABASE_URL".to_owned(),
            testing::with_database(&admin_url, &name).replacen(
                &format!("{}@", owner.username()),
                "agora_app@",
                1,
            ),
        ),
        ("DATABASE_OWNER_SECRET_ID".to_owned(), secret_id),
    ])
    .unwrap();
    assert_eq!(
        agora::bootstrap::deploy::migrate_as_owner(&config).await,
        Ok(MIGRATIONS.len())
    );
    assert_eq!(
        agora::bootstrap::deploy::migrate_as_owner(&config).await,
        Ok(0),
        "a second deploy applies nothing"
    );
    // A rollback deploys the previous version, which does not know the newest migration:
    // the deploy goes on (the schema only grew) instead of failing and rolling back again.
    let (database, connection) = tokio_postgres::connect(
        &testing::with_database(&admin_url, &name),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    database
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'next', 'x')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        agora::bootstrap::deploy::migrate_as_owner(&config).await,
        Ok(0),
        "an older build on a newer schema"
    );
    drop(database);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

/// The migrate function's answer reaches CloudFormation as its presigned URL expects: a
/// PUT of the JSON with no content type.
#[tokio::test]
async fn the_deploy_time_answer_is_put_to_the_response_url_as_json() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let recorded = received.clone();
    let app = axum::Router::new().route(
        "/response",
        axum::routing::put(move |headers: http::HeaderMap, body: String| {
            let recorded = recorded.clone();
            async move {
                let content_type = headers
                    .get(http::header::CONTENT_TYPE)
                    .map(|value| value.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                recorded.lock().unwrap().push((content_type, body));
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let answer = serde_json::json!({ "Status": "SUCCESS", "RequestId": "request-1" });
    let url = format!("http://{address}/response").parse().unwrap();
    agora::bootstrap::deploy::respond(url, &answer)
        .await
        .unwrap();
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0, "");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&received[0].1).unwrap(),
        answer
    );
    // An answer CloudFormation's URL refuses is an error, not silence.
    let missing = format!("http://{address}/elsewhere").parse().unwrap();
    assert!(
        agora::bootstrap::deploy::respond(missing, &answer)
            .await
            .is_err()
    );
}
