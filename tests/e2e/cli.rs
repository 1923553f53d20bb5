//! The `agora` commands' answers to good and bad input: clear messages, no hangs, no panics.

use std::{path::Path, process::Command, time::Duration};

fn agora(args: &[&str], vars: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    command.args(args).env_clear().env("AGORA_LOG", "error");
    if let Ok(home) = std::env::var("HOME") {
        command.env("HOME", home);
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

fn events(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(file)
        .display()
        .to_string()
}

#[tokio::test]
async fn invoke_prints_the_lambda_response_of_a_function() {
    let database = agora::testing::fresh_database().await;
    let url = database.url().to_owned();
    let (ok, stdout, stderr) = agora(
        &[
            "invoke",
            "health",
            "--event",
            &events("health.apigw-v2.json"),
        ],
        &[("DATABASE_URL", &url)],
    );
    assert!(ok, "{stderr}");
    let response: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(response["statusCode"], 200);
    let body: serde_json::Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
}

#[test]
fn invoke_explains_unknown_functions_and_bad_event_files() {
    let (ok, _, stderr) = agora(
        &["invoke", "nope", "--event", &events("health.apigw-v2.json")],
        &[],
    );
    assert!(!ok);
    assert!(
        stderr.contains("no function is named `nope`") && stderr.contains("health, openapi"),
        "{stderr}"
    );

    let (ok, _, stderr) = agora(&["invoke", "health", "--event", "/no/such/event.json"], &[]);
    assert!(!ok);
    assert!(
        stderr.contains("cannot read the event file /no/such/event.json"),
        "{stderr}"
    );

    let malformed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(malformed.path(), "{\"version\": \"2.0\", ").unwrap();
    let (ok, _, stderr) = agora(
        &[
            "invoke",
            "health",
            "--event",
            &malformed.path().display().to_string(),
        ],
        &[],
    );
    assert!(!ok);
    assert!(
        stderr.contains("not an API Gateway (v1 or v2) or ALB event"),
        "{stderr}"
    );
}

#[tokio::test]
async fn migrate_applies_then_reports_up_to_date() {
    let admin = agora::testing::admin_database_url();
    let name = format!("agora_cli_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = agora::testing::with_database(&admin, &name);

    let (ok, stdout, stderr) = agora(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(ok, "{stderr}");
    let count = agora::adapters::postgres::migrations::MIGRATIONS.len();
    assert!(
        stdout.contains(&format!("Applied {count} migrations: 0001 foundation, ")),
        "{stdout}"
    );
    let (ok, stdout, _) = agora(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(ok);
    assert!(stdout.contains("up to date"), "{stdout}");
}

#[test]
fn migrate_needs_a_valid_reachable_database_url() {
    let (ok, _, stderr) = agora(&["migrate"], &[]);
    assert!(!ok);
    assert!(stderr.contains("DATABASE_URL is not set"), "{stderr}");

    let (ok, _, stderr) = agora(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root@localhost/agora")],
    );
    assert!(!ok);
    assert!(
        stderr.contains("DATABASE_URL: must start with postgres://"),
        "{stderr}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://agora:hunter2@127.0.0.1:{port}/agora");
    let started = std::time::Instant::now();
    let (ok, _, stderr) = agora(
        &["migrate"],
        &[
            ("DATABASE_URL", &url),
            ("DATABASE_CONNECT_TIMEOUT_MS", "1000"),
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("cannot migrate the database; check DATABASE_URL"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2"),
        "the password never appears in messages"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "an unreachable database fails instead of hanging"
    );
}

#[test]
fn serve_without_postgresql_binaries_says_what_to_install() {
    let home = tempfile::tempdir().unwrap();
    let empty_path = home.path().join("bin");
    std::fs::create_dir(&empty_path).unwrap();
    let agora_home = home.path().join(".agora").display().to_string();
    let (ok, _, stderr) = agora(
        &["serve", "--port", "0"],
        &[
            ("AGORA_HOME", &agora_home),
            ("PATH", &empty_path.display().to_string()),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("no PostgreSQL binaries found"), "{stderr}");
    assert!(
        stderr.contains("scripts/setup")
            && stderr.contains("AGORA_PG_BIN")
            && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );

    let (ok, _, stderr) = agora(
        &["serve", "--port", "0"],
        &[
            ("AGORA_HOME", &agora_home),
            ("AGORA_PG_BIN", "/no/such/bin"),
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("AGORA_PG_BIN=/no/such/bin does not hold initdb"),
        "{stderr}"
    );
}

#[tokio::test]
async fn workflows_redrive_moves_dead_letters_back_and_says_how_many() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("moto: run under scripts/test");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let mut urls = Vec::new();
    for name in ["steps", "dlq"] {
        urls.push(
            sqs.create_queue()
                .queue_name(format!("agora-{name}-{unique}"))
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap(),
        );
    }
    let (queue, dlq) = (&urls[0], &urls[1]);
    for step in ["a", "b", "c"] {
        sqs.send_message()
            .queue_url(dlq)
            .message_body(format!(
                r#"{{"run_id":"{}","step":"{step}"}}"#,
                uuid::Uuid::nil()
            ))
            .send()
            .await
            .unwrap();
    }
    let aws = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    let (ok, _, stderr) = agora(&["workflows", "redrive"], &aws);
    assert!(!ok);
    assert!(stderr.contains("set QUEUE_URL"), "{stderr}");

    let mut vars = aws.to_vec();
    vars.push(("QUEUE_URL", queue));
    let (ok, stdout, stderr) = agora(&["workflows", "redrive", "--dlq-url", dlq], &vars);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Moved 3 step messages back"), "{stdout}");
    let mut bodies = Vec::new();
    for _ in 0..5 {
        let received = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        bodies.extend(received.messages.unwrap_or_default());
        if bodies.len() >= 3 {
            break;
        }
    }
    assert_eq!(bodies.len(), 3, "every dead letter is back on the queue");
    let (ok, stdout, _) = agora(&["workflows", "redrive", "--dlq-url", dlq], &vars);
    assert!(ok);
    assert!(stdout.contains("nothing to redrive"), "{stdout}");
}
