//! Test support shared by this crate's tests and the end-to-end tests: an isolated
//! database per test, cloned from a template database migrated once per schema version.
//!
//! Servers come from the environment (`DATABASE_URL`, `REDIS_URL`, `AWS_ENDPOINT_URL`);
//! `scripts/test` starts throwaway ones when none is given.
#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test support fails loudly"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "tests find their servers in the environment, as scripts/test sets it"
)]

use std::str::FromStr;

use crate::adapters::postgres::migrations;

/// The server URL tests create their databases on.
pub fn admin_database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("DATABASE_URL is not set: run the tests with scripts/test, which starts PostgreSQL, or point DATABASE_URL at a server")
    })
}

/// A Redis server for tests.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .unwrap_or_else(|_| panic!("REDIS_URL is not set: run the tests with scripts/test, which starts Redis, or set REDIS_URL"))
}

/// The URL of `database` on the same server as `url`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// A database of one test: dropped when the test is done with it (connections still open
/// to it are closed), so runs against a long-lived server leave nothing behind.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    name: String,
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (admin_database_url(), self.name.clone());
        // Drop cannot wait on the test's runtime: a thread of its own does the work, and
        // the test waits for it, so the database is gone when the test ends.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if capture_dir().is_some() {
                    capture_audit_log(&with_database(&admin_url, &name)).await;
                }
                let admin = connect(&admin_url).await;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop the test database {}: {error}", self.name);
        }
    }
}

/// Every audit row of a test's database, for the secret canary (`<pid>.audit`).
async fn capture_audit_log(url: &str) {
    let client = connect(url).await;
    if let Ok(rows) = client
        .query("SELECT row_to_json(a)::text FROM audit_log a", &[])
        .await
    {
        for row in rows {
            append_capture("audit", &row.get::<_, String>(0));
        }
    }
}

/// Creates an empty, fully migrated database for one test; it is dropped with the guard.
pub async fn fresh_database() -> TestDatabase {
    let admin_url = admin_database_url();
    let admin = connect(&admin_url).await;
    let template = format!("agora_template_{}", migrations::schema_fingerprint());
    // Every test process races here; the lock makes exactly one of them build the template.
    admin
        .execute("SELECT pg_advisory_lock(7217)", &[])
        .await
        .expect("lock");
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await
        .expect("query")
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .await
            .expect("drop stale");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .expect("create template");
        {
            let mut client = connect(&with_database(&admin_url, &building)).await;
            migrations::apply(&mut client)
                .await
                .expect("migrate template");
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await
            .expect("publish template");
    }
    admin
        .execute("SELECT pg_advisory_unlock(7217)", &[])
        .await
        .expect("unlock");
    let name = format!("agora_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("clone template");
    TestDatabase {
        url: with_database(&admin_url, &name),
        name,
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let config = tokio_postgres::Config::from_str(url).expect("DATABASE_URL parses");
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to test PostgreSQL: {error}"));
    tokio::spawn(connection);
    client
}

/// A Redis key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

/// Where the secret canary's material goes: `AGORA_TEST_CAPTURE_DIR`, set by scripts/test.
fn capture_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("AGORA_TEST_CAPTURE_DIR").map(std::path::PathBuf::from)
}

/// Sends every log line of this test process, at debug level, to
/// `$AGORA_TEST_CAPTURE_DIR/<pid>.log` (once per process; nothing without the variable).
/// scripts/test scans those files for every secret [`remember_secret`] noted
/// (RELIABILITY 19).
pub fn capture_logs() {
    use tracing_subscriber::{EnvFilter, prelude::*};
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Some(dir) = capture_dir() else {
            return;
        };
        let path = dir.join(format!("{}.log", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
        let _ = tracing_subscriber::registry()
            .with(EnvFilter::new("debug"))
            .with(crate::telemetry::json_layer(std::sync::Mutex::new(file)))
            .try_init();
    });
}

/// Notes a secret a test created (password, token, key) for the canary scan.
/// Notes a response for the secret canary, one JSON object (`method`, `path`, `body`) a
/// line in `$AGORA_TEST_CAPTURE_DIR/<pid>.bodies`: secrets may stand only in the answers
/// of the routes that issue them (RELIABILITY 19).
pub fn capture_response(method: &str, path: &str, body: &[u8]) {
    let record = serde_json::json!({
        "method": method,
        "path": path,
        "body": String::from_utf8_lossy(body),
    });
    append_capture("bodies", &record.to_string());
}

/// Appends `text` as one JSON string line to `<pid>.<kind>` in the capture folder.
fn append_capture(kind: &str, text: &str) {
    use std::io::Write;
    let Some(dir) = capture_dir() else {
        return;
    };
    let path = dir.join(format!("{}.{kind}", std::process::id()));
    let line = serde_json::to_string(text).expect("a string serialises");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
    writeln!(file, "{line}").expect("note a response");
}

pub fn remember_secret(secret: &str) {
    use std::io::Write;
    let Some(dir) = capture_dir() else {
        return;
    };
    let path = dir.join(format!("{}.secrets", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
    writeln!(file, "{secret}").expect("note a secret");
}

/// The signing-key secret (`AGORA_SECRETS`) every test app of this process shares, so
/// tokens from one app verify in another and tests can forge tokens with a known key.
pub fn test_signing_keys() -> &'static str {
    static KEYS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| crate::domain::tokens::TokenKeys::generate_secret().expect("keys"))
}
