//! `TestApp`: the real router over real backends, driven in process.

use agora::{
    AppState, Config,
    adapters::{local::queue::InProcessQueue, sqs::SqsQueue},
    bootstrap::{Overrides, assemble},
    testing::{self, TestDatabase},
};
use axum::{Router, body::Body};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    /// The configuration the app was built from (to build another over the same database).
    pub config: Config,
    /// The database of this app, when it has one.
    pub database_url: Option<String>,
    /// The in-process workflow queue, when steps are not sent to SQS.
    pub local_queue: Option<InProcessQueue>,
    /// The SQS workflow queue, when the app has one.
    pub sqs_queue: Option<SqsQueue>,
    /// The database and home folder made for this app's test, removed with the app.
    _backing: Option<TestBacking>,
}

/// What a test's configuration points at and the test removes when it ends: its home
/// folder (the blob folder, local secrets) and, when it has one, its database.
pub struct TestBacking {
    _home: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

/// A response, fully read.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: bytes::Bytes,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem with this status and type, and returns it.
    pub fn problem(&self, status: StatusCode, kind: &str) -> serde_json::Value {
        assert_eq!(
            self.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), "application/problem+json");
        let problem = self.json();
        assert_eq!(problem["status"], status.as_u16());
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{kind}")),
            "{problem}"
        );
        assert!(!problem["title"].as_str().unwrap().is_empty());
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        assert_eq!(
            problem["request_id"],
            self.header("x-request-id"),
            "the body quotes the request id"
        );
        problem
    }
}

/// The defaults, with local state (the blob folder, secrets) in a folder of the test's own,
/// never in the source tree the tests run from, removed when the returned backing drops.
pub fn base_config() -> (Config, TestBacking) {
    let home = tempfile::Builder::new()
        .prefix("agora-test-")
        .tempdir()
        .expect("a temporary folder");
    let config = Config::from_vars([("AGORA_HOME".to_owned(), home.path().display().to_string())])
        .expect("test config");
    let backing = TestBacking {
        _home: home,
        _database: None,
    };
    (config, backing)
}

/// A configuration over a fresh database (dropped with the returned guard), Redis under a
/// key prefix of its own, and the signing keys every test app shares.
pub async fn backed_config() -> (Config, TestBacking) {
    let database = testing::fresh_database().await;
    let (mut config, mut backing) = base_config();
    let backed = Config::from_vars([
        ("DATABASE_URL".to_owned(), database.url().to_owned()),
        ("REDIS_URL".to_owned(), testing::redis_url()),
        ("REDIS_KEY_PREFIX".to_owned(), testing::unique_prefix()),
        (
            "AGORA_SECRETS".to_owned(),
            testing::test_signing_keys().to_owned(),
        ),
    ])
    .expect("test config");
    config.database = backed.database;
    config.redis = backed.redis;
    config.secret = backed.secret;
    backing._database = Some(database);
    (config, backing)
}

impl TestApp {
    /// The app over a fresh database and Redis.
    pub async fn spawn() -> Self {
        Self::with_config(|_| {}).await
    }

    /// The app over a fresh database and Redis, with the settings `configure` changes.
    pub async fn with_config(configure: impl FnOnce(&mut Config)) -> Self {
        Self::with_config_and_overrides(configure, Overrides::default()).await
    }

    /// [`TestApp::with_config`] with some parts replaced (a counting hasher, a movable
    /// clock).
    pub async fn with_config_and_overrides(
        configure: impl FnOnce(&mut Config),
        overrides: Overrides,
    ) -> Self {
        let (mut config, backing) = backed_config().await;
        configure(&mut config);
        Self::from_config(config, overrides)
            .await
            .backed_by(backing)
    }

    /// The app with no database, cache or AWS service: the embedded defaults only.
    pub async fn without_backends() -> Self {
        let (config, backing) = base_config();
        Self::from_config(config, Overrides::default())
            .await
            .backed_by(backing)
    }

    /// The app, removing `backing` when it drops.
    pub fn backed_by(mut self, backing: TestBacking) -> Self {
        self._backing = Some(backing);
        self
    }

    /// The app over exactly `config` (another app's database stays that app's).
    pub async fn from_config(config: Config, overrides: Overrides) -> Self {
        testing::capture_logs();
        let database_url = config.database.as_ref().map(|db| db.url.clone());
        let app = assemble(config.clone(), overrides).await.expect("state");
        Self {
            router: agora::api::app(app.state.clone()),
            state: app.state,
            config,
            database_url,
            local_queue: app.local_queue,
            sqs_queue: app.sqs_queue,
            _backing: None,
        }
    }

    /// A direct connection to this app's database, to check what was written.
    pub async fn db(&self) -> tokio_postgres::Client {
        let url = self
            .database_url
            .as_deref()
            .expect("the app has a database");
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
    }

    /// Counts the rows of `table` matching `condition` (SQL).
    pub async fn count(&self, table: &str, condition: &str) -> i64 {
        self.db()
            .await
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE {condition}"),
                &[],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Sends `method path` with an optional JSON body and bearer credential.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(bearer) = bearer {
            request = request.header("authorization", format!("Bearer {bearer}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }

    /// Registers a new user with a fresh email and returns it signed in.
    pub async fn with_user(&self) -> TestUser {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        self.register(&email, "correct horse battery staple").await
    }

    /// Registers `email` (refresh token in the body) and returns the signed-in user.
    /// An administrator, made the only way there is: the service the CLI calls.
    pub async fn with_admin(&self) -> TestUser {
        let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
        let password = "correct horse battery staple";
        self.state
            .accounts()
            .unwrap()
            .create_admin(
                &email,
                Some(password),
                &agora::domain::RequestOrigin::default(),
            )
            .await
            .unwrap();
        let session = self.login(&email, password).await;
        assert_eq!(session.status, StatusCode::OK);
        assert_eq!(session.json()["role"], "admin");
        TestUser::from_session(&email, password, &session.json())
    }

    /// Registers `email` and confirms it (through the dev outbox, as a person would), so
    /// the user has the sign-up credits.
    pub async fn register(&self, email: &str, password: &str) -> TestUser {
        let user = self.register_unconfirmed(email, password).await;
        self.confirm_email(&user).await;
        user
    }

    /// The newest confirmation token in the dev outbox for `user`.
    pub async fn confirmation_token(&self, user: &TestUser) -> String {
        let outbox = self
            .call("GET", "/v1/me/outbox", Some(&user.access_token), None)
            .await;
        assert_eq!(outbox.status, StatusCode::OK, "{:?}", outbox.body);
        let link = outbox.json()["mails"][0]["link"]
            .as_str()
            .expect("a confirmation link in the outbox")
            .to_owned();
        let token = link
            .split_once("#token=")
            .map(|(_, token)| token.to_owned())
            .expect("the token is in the link's fragment");
        testing::remember_secret(&token);
        token
    }

    /// Follows the newest confirmation link of `user`; returns the credits it added.
    pub async fn confirm_email(&self, user: &TestUser) -> String {
        let token = self.confirmation_token(user).await;
        let confirmed = self
            .call(
                "POST",
                "/v1/auth/verify-email",
                None,
                Some(serde_json::json!({ "token": token })),
            )
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
        confirmed.json()["credits_granted"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Registers `email` without confirming it: no credits yet.
    pub async fn register_unconfirmed(&self, email: &str, password: &str) -> TestUser {
        testing::remember_secret(password);
        let response = self
            .call(
                "POST",
                "/v1/auth/register",
                None,
                Some(serde_json::json!({
                    "email": email,
                    "password": password,
                    "refresh_token_delivery": "body",
                })),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{:?}", response.body);
        TestUser::from_session(email, password, &response.json())
    }

    /// Signs `user` in again (refresh token in the body).
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.call(
            "POST",
            "/v1/auth/login",
            None,
            Some(serde_json::json!({
                "email": email,
                "password": password,
                "refresh_token_delivery": "body",
            })),
        )
        .await
    }

    /// Creates an API key for `user` and returns (id, key).
    pub async fn api_key(&self, user: &TestUser) -> (String, String) {
        let response = self
            .call(
                "POST",
                "/v1/me/api-keys",
                Some(&user.access_token),
                Some(serde_json::json!({ "name": "test key" })),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{:?}", response.body);
        let body = response.json();
        let key = body["key"].as_str().unwrap().to_owned();
        testing::remember_secret(&key);
        (body["api_key"]["id"].as_str().unwrap().to_owned(), key)
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await
    }
}

/// A registered, signed-in user.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestUser {
    pub fn from_session(email: &str, password: &str, session: &serde_json::Value) -> Self {
        let access_token = session["access_token"].as_str().unwrap().to_owned();
        let refresh_token = session["refresh_token"].as_str().unwrap().to_owned();
        testing::remember_secret(&access_token);
        testing::remember_secret(&refresh_token);
        Self {
            id: session["user_id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            access_token,
            refresh_token,
        }
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let (method, path) = (
        request.method().to_string(),
        request.uri().path().to_owned(),
    );
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    testing::capture_response(&method, &path, &body);
    TestResponse {
        status,
        headers,
        body,
    }
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A valid `agora.agent/v1` definition to vary in tests.
pub fn agent_spec(name: &str, summary: &str) -> serde_json::Value {
    serde_json::json!({
        "format": "agora.agent/v1",
        "name": name,
        "summary": summary,
        "description": format!("# {name}\n\n{summary}"),
        "category": "productivity",
        "tags": ["helper"],
        "language": "en",
        "system_prompt": format!("You are {name}."),
        "model": { "provider": "agora", "name": "echo" },
        "price_per_run": "0",
        "licence": "open"
    })
}

impl TestApp {
    /// Creates `spec` as a draft of `user` (public unless the spec says otherwise) and
    /// returns its address `handle/slug`.
    pub async fn create_agent(&self, user: &TestUser, spec: serde_json::Value) -> String {
        let response = self
            .call(
                "POST",
                "/v1/agents",
                Some(&user.access_token),
                Some(serde_json::json!({ "definition": spec })),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "{:?}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()["agent"]["address"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Publishes the draft at `address` and returns the new version number.
    pub async fn publish(&self, user: &TestUser, address: &str, changelog: &str) -> i64 {
        let response = self
            .call(
                "POST",
                &format!("/v1/agents/{address}/versions"),
                Some(&user.access_token),
                Some(serde_json::json!({ "changelog": changelog })),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "{:?}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()["version"].as_i64().unwrap()
    }

    /// Creates and publishes an agent; returns its address.
    pub async fn published_agent(&self, user: &TestUser, spec: serde_json::Value) -> String {
        let address = self.create_agent(user, spec).await;
        self.publish(user, &address, "first release").await;
        address
    }
}

/// Every `.rs` file under `dir`.
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

impl TestApp {
    /// The ledger's invariants, checked after a test did its worst: every balance equals
    /// the sum of its ledger and is never negative, a run is charged and earns its creator
    /// at most once, a finished run's charge is what its record says and within its hold,
    /// and, once `settled`, no run is still running and no credits are held.
    pub async fn assert_ledger_consistent(&self, settled: bool) {
        let db = self.db().await;
        let broken = db
            .query(
                "SELECT a.user_id::text, a.balance_micros, COALESCE(l.total, 0)::bigint
                   FROM credit_accounts a
                   LEFT JOIN (SELECT user_id, sum(amount_micros) AS total
                                FROM credit_ledger GROUP BY user_id) l USING (user_id)
                  WHERE a.balance_micros <> COALESCE(l.total, 0) OR a.balance_micros < 0",
                &[],
            )
            .await
            .unwrap();
        let broken: Vec<(String, i64, i64)> = broken
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect();
        assert!(broken.is_empty(), "balance <> SUM(ledger): {broken:?}");
        let mischarged = db
            .query(
                "SELECT r.id::text, r.status, r.charged_micros, r.hold_micros,
                        COALESCE(-l.amount_micros, 0)::bigint
                   FROM runs r
                   LEFT JOIN credit_ledger l ON l.run_id = r.id AND l.kind = 'run_charge'
                  WHERE r.status <> 'running'
                    AND (r.charged_micros <> COALESCE(-l.amount_micros, 0)
                         OR r.charged_micros > r.hold_micros)",
                &[],
            )
            .await
            .unwrap();
        let mischarged: Vec<(String, String, i64, i64, i64)> = mischarged
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
            .collect();
        assert!(
            mischarged.is_empty(),
            "runs whose charge is not their ledger's (id, status, charged, hold, ledger): {mischarged:?}"
        );
        if settled {
            assert_eq!(
                self.count("runs", "status = 'running'").await,
                0,
                "runs left running"
            );
            assert_eq!(
                self.count("credit_accounts", "held_micros <> 0").await,
                0,
                "credits left held"
            );
        }
    }
}
