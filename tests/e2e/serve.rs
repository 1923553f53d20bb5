//! `agora serve`: API and UI on loopback, with the embedded PostgreSQL cluster or a given
//! DATABASE_URL, stopping cleanly on SIGTERM.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    thread::JoinHandle,
    time::Duration,
};

use nix::{sys::signal::Signal, unistd::Pid};

/// A running `agora serve`, stopped (SIGTERM) on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) base_url: String,
    /// Every line printed after the "listening" one.
    printed: Arc<Mutex<Vec<String>>>,
    drain: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts `agora serve --port 0` with exactly `vars` (plus PATH and HOME) and waits for
    /// its "listening" line.
    pub(crate) fn start(vars: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .args(["serve", "--port", "0"])
            .env_clear()
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for name in ["PATH", "HOME"] {
            if let Ok(value) = std::env::var(name) {
                command.env(name, value);
            }
        }
        // Under scripts/test the server logs everything, for the secret canary scan.
        let capture = std::env::var_os("AGORA_TEST_CAPTURE_DIR").map(std::path::PathBuf::from);
        command
            .env(
                "AGORA_LOG",
                if capture.is_some() { "debug" } else { "warn" },
            )
            .envs(vars.iter().copied());
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| {
                    panic!(
                        "agora serve exited before listening: {:?}",
                        child.try_wait()
                    )
                })
                .unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        let mut sink: Box<dyn std::io::Write + Send> = match capture {
            Some(dir) => Box::new(
                std::fs::File::create(dir.join(format!("serve-{}.log", child.id()))).unwrap(),
            ),
            None => Box::new(std::io::sink()),
        };
        let printed = Arc::new(Mutex::new(Vec::new()));
        let drain = std::thread::spawn({
            let printed = printed.clone();
            move || {
                for line in lines.map_while(Result::ok) {
                    let _ = writeln!(sink, "{line}");
                    printed.lock().unwrap().push(line);
                }
            }
        });
        Self {
            child,
            base_url,
            printed,
            drain: Some(drain),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}{path}", self.base_url))
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .unwrap()
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub(crate) fn stop(self) -> ExitStatus {
        self.stop_and_read_output().0
    }

    /// Sends SIGTERM, waits for a clean exit and returns everything the server printed
    /// after its "listening" line, shutdown included.
    pub(crate) fn stop_and_read_output(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.terminate();
        if let Some(drain) = self.drain.take() {
            drain.join().unwrap();
        }
        let printed = std::mem::take(&mut *self.printed.lock().unwrap());
        (status, printed)
    }

    fn terminate(&mut self) -> ExitStatus {
        nix::sys::signal::kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill().unwrap();
        panic!("agora serve did not stop within 30 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.terminate();
        }
    }
}

fn pg_bin() -> String {
    std::env::var("AGORA_PG_BIN")
        .expect("AGORA_PG_BIN: run under scripts/test, which points it at PostgreSQL's binaries")
}

fn web_dir(root: &Path) -> String {
    let web = root.join("web");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>Agora UI</title>",
    )
    .unwrap();
    web.display().to_string()
}

#[tokio::test]
async fn serve_creates_starts_and_stops_a_local_cluster_and_reuses_it() {
    let home = tempfile::tempdir().unwrap();
    let agora_home = home.path().join(".agora").display().to_string();
    let web = web_dir(home.path());
    let pg_bin = pg_bin();
    let vars = [
        ("AGORA_HOME", agora_home.as_str()),
        ("AGORA_PG_BIN", pg_bin.as_str()),
        ("AGORA_WEB_DIR", web.as_str()),
    ];

    let server = Server::start(&vars);
    let health = server.get("/v1/health").await;
    assert_eq!(health.status(), 200);
    let report: serde_json::Value = health.json().await.unwrap();
    assert_eq!(report["checks"][0]["name"], "database");
    assert_eq!(report["checks"][0]["status"], "ok");
    let ui = server.get("/status").await.text().await.unwrap();
    assert!(
        ui.contains("<title>Agora UI</title>"),
        "the UI is served beside the API"
    );
    let pid_file = Path::new(&agora_home).join("pg/postmaster.pid");
    assert!(pid_file.exists(), "the cluster runs while serving");
    let (status, printed) = server.stop_and_read_output();
    assert!(status.success(), "SIGTERM stops agora serve cleanly");
    assert!(
        !pid_file.exists(),
        "the cluster is stopped with agora serve"
    );
    let lost: Vec<&String> = printed
        .iter()
        .filter(|line| line.contains("database connection closed"))
        .collect();
    assert!(
        lost.is_empty(),
        "the pool closes before the cluster stops, so no connection is lost: {lost:?}"
    );

    // The cluster persists: a second start reuses it (no initdb) and still answers.
    let server = Server::start(&vars);
    assert_eq!(server.get("/v1/health").await.status(), 200);
    assert!(server.stop().success());
}

#[tokio::test]
async fn serve_uses_a_given_database_url_and_migrates_it() {
    let database = agora::testing::fresh_database().await;
    let url = database.url().to_owned();
    let server = Server::start(&[
        ("DATABASE_URL", url.as_str()),
        ("AGORA_WEB_DIR", "/nonexistent"),
    ]);
    assert_eq!(server.get("/v1/health").await.status(), 200);
    let openapi: serde_json::Value = server.get("/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(openapi["openapi"], "3.1.0");
    let missing = server.get("/v1/nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert!(server.stop().success());
}
