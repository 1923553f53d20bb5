//! Accounts end to end: a real `agora serve` (its local signing keys created on first use)
//! driven over HTTP as an API user would, and `agora admin create` granting the first
//! administrator.

use std::{io::Write, process::Stdio, time::Duration};

use agora::testing::remember_secret;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::serve::Server;

struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(20));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn sign_up_sign_in_create_a_key_use_it_revoke_it_and_be_refused() {
    let database = agora::testing::fresh_database().await;
    let url = database.url().to_owned();
    let home = tempfile::tempdir().unwrap();
    let agora_home = home.path().display().to_string();
    let server = Server::start(&[
        ("DATABASE_URL", url.as_str()),
        ("AGORA_HOME", agora_home.as_str()),
        ("AGORA_WEB_DIR", "/nonexistent"),
    ]);
    let api = Api {
        client: Client::new(),
        base: server.base_url.clone(),
    };
    let email = format!("e2e-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "an end-to-end passphrase";
    remember_secret(password);

    let (status, registered) = api
        .send(
            reqwest::Method::POST,
            "/v1/auth/register",
            None,
            Some(json!({ "email": email, "password": password })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert!(
        home.path().join("secrets.json").is_file(),
        "a local install creates its signing keys on first use"
    );

    let (status, session) = api
        .send(
            reqwest::Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({ "email": email, "password": password, "refresh_token_delivery": "body" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let access = session["access_token"].as_str().unwrap();
    remember_secret(access);
    remember_secret(session["refresh_token"].as_str().unwrap());

    let (status, created) = api
        .send(
            reqwest::Method::POST,
            "/v1/me/api-keys",
            Some(access),
            Some(json!({ "name": "end to end" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap();
    remember_secret(key);
    let key_id = created["api_key"]["id"].as_str().unwrap();

    let (status, me) = api
        .send(reqwest::Method::GET, "/v1/me", Some(key), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], email);

    let (status, _) = api
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/me/api-keys/{key_id}"),
            Some(access),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, refused) = api
        .send(reqwest::Method::GET, "/v1/me", Some(key), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["type"], "https://agora.dev/problems/unauthorized");
    assert!(server.stop().success());
}

#[tokio::test]
async fn admin_create_grants_the_first_administrator_from_the_command_line() {
    let database = agora::testing::fresh_database().await;
    let url = database.url().to_owned();
    let secrets = agora::testing::test_signing_keys();
    let email = format!("root-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "the first admin's passphrase";
    remember_secret(password);

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_agora"));
    let mut child = command
        .args(["admin", "create", "--email", &email, "--password-stdin"])
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("AGORA_SECRETS", secrets)
        .env("AGORA_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("Created administrator {email}")),
        "{stdout}"
    );
    assert!(
        !stdout.contains(password),
        "a given password is never echoed"
    );

    let server = Server::start(&[
        ("DATABASE_URL", url.as_str()),
        ("AGORA_SECRETS", secrets),
        ("AGORA_WEB_DIR", "/nonexistent"),
    ]);
    let api = Api {
        client: Client::new(),
        base: server.base_url.clone(),
    };
    let (status, session) = api
        .send(
            reqwest::Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({ "email": email, "password": password })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["role"], "admin");
    let access = session["access_token"].as_str().unwrap();
    remember_secret(access);
    let (status, page) = api
        .send(
            reqwest::Method::GET,
            "/v1/admin/audit-log",
            Some(access),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "login.succeeded");
    assert!(actions.contains(&"admin.granted"), "{actions:?}");
    assert!(server.stop().success());

    // A bad email is refused with the reason, before anything is written.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(["admin", "create", "--email", "not-an-email"])
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("AGORA_SECRETS", secrets)
        .env("AGORA_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("email must look like name@example.com"),
        "{stderr}"
    );
}
