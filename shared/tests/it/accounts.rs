//! Accounts: sign-up, sign-in, sessions, the caller's profile and API keys, over the real
//! router with real PostgreSQL and Redis (issue 3; RELIABILITY 1, 3, 5, 6, 7, 19, 26).

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use agora::{
    adapters::argon2::Argon2Hasher,
    bootstrap::Overrides,
    domain::Password,
    ports::{Clock, PasswordCheck, PasswordHasher},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, TestUser, closed_port};

const PASSWORD: &str = "correct horse battery staple";

fn fresh_email() -> String {
    format!("ada-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Utc::now())))
    }

    pub fn advance(&self, seconds: i64) {
        *self.0.lock().unwrap() += chrono::Duration::seconds(seconds);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The real hasher, counting verifications.
struct CountingHasher {
    inner: Argon2Hasher,
    verifications: AtomicUsize,
}

#[async_trait]
impl PasswordHasher for CountingHasher {
    async fn hash(&self, password: &Password) -> agora::Result<String> {
        self.inner.hash(password).await
    }

    async fn verify(&self, password: &Password, phc: &str) -> agora::Result<PasswordCheck> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, phc).await
    }

    async fn dummy_hash(&self) -> agora::Result<String> {
        self.inner.dummy_hash().await
    }
}

/// The app with a clock the test moves.
pub async fn app_with_clock() -> (TestApp, TestClock) {
    let clock = TestClock::new();
    let app = TestApp::with_config_and_overrides(
        |_| {},
        Overrides {
            clock: Some(Arc::new(clock.clone())),
            ..Overrides::default()
        },
    )
    .await;
    (app, clock)
}

async fn refresh(app: &TestApp, token: &str) -> crate::support::TestResponse {
    app.call(
        "POST",
        "/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
    )
    .await
}

// ---- sign-up ----------------------------------------------------------------------------

#[tokio::test]
async fn signing_up_signs_in_and_me_shows_the_account() {
    let app = TestApp::spawn().await;
    let email = fresh_email();
    let user = app.register(&email.to_uppercase(), PASSWORD).await;
    let me = app
        .call("GET", "/v1/me", Some(&user.access_token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let body = me.json();
    assert_eq!(body["email"], email, "stored lower-cased");
    assert_eq!(body["id"], user.id.as_str());
    assert_eq!(body["role"], "user");
    assert_eq!(body["display_name"], email.split('@').next().unwrap());
    let text = String::from_utf8_lossy(&me.body);
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
}

#[tokio::test]
async fn a_browser_sign_up_gets_the_refresh_token_only_in_a_strict_cookie() {
    let app = TestApp::spawn().await;
    let response = app
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({ "email": fresh_email(), "password": PASSWORD })),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert!(response.json().get("refresh_token").is_none());
    assert_eq!(response.header("cache-control"), "no-store");
    let cookie = response.header("set-cookie");
    for attribute in [
        "agora_refresh=agora_rt_",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/v1/auth",
    ] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    // The cookie alone refreshes the session, and the new token comes back as a cookie.
    let token = cookie.split(';').next().unwrap();
    let refreshed = app
        .send(
            http::Request::post("/v1/auth/refresh")
                .header("content-type", "application/json")
                .header("cookie", token)
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
    assert!(
        refreshed
            .header("set-cookie")
            .starts_with("agora_refresh=agora_rt_")
    );
    assert_ne!(
        refreshed.header("set-cookie").split(';').next().unwrap(),
        token
    );
}

#[tokio::test]
async fn emails_are_unique_case_insensitively() {
    let app = TestApp::spawn().await;
    let email = fresh_email();
    app.register(&email, PASSWORD).await;
    let again = app
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({ "email": format!("  {}  ", email.to_uppercase()), "password": PASSWORD })),
        )
        .await;
    again.problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(app.count("users", "true").await, 1);
}

#[tokio::test]
async fn bad_sign_ups_name_each_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(257);
    let cases = [
        (
            json!({ "email": "ada", "password": PASSWORD }),
            vec!["email"],
        ),
        (
            json!({ "email": "ada@example", "password": "short" }),
            vec!["email", "password"],
        ),
        (
            json!({ "email": fresh_email(), "password": long }),
            vec!["password"],
        ),
        (
            json!({ "email": fresh_email(), "password": "password123" }),
            vec!["password"],
        ),
        (
            json!({ "email": "ada.lovelace@example.com", "password": "Ada.Lovelace@example.com" }),
            vec!["password"],
        ),
        (
            json!({ "email": fresh_email(), "password": PASSWORD, "display_name": "  " }),
            vec!["display_name"],
        ),
        (
            json!({ "email": fresh_email(), "password": PASSWORD, "role": "admin" }),
            vec!["role"],
        ),
        (
            json!({ "email": fresh_email(), "password": PASSWORD, "id": uuid::Uuid::new_v4() }),
            vec!["id"],
        ),
        (json!({ "email": fresh_email() }), vec![""]),
    ];
    for (body, fields) in cases {
        let response = app
            .call("POST", "/v1/auth/register", None, Some(body.clone()))
            .await;
        let problem = response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let reported: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(reported, fields, "{body}: {problem}");
    }
    let malformed = app
        .send(
            http::Request::post("/v1/auth/register")
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{\"email\":"))
                .unwrap(),
        )
        .await;
    malformed.problem(StatusCode::BAD_REQUEST, "malformed-body");
    assert_eq!(app.count("users", "true").await, 0, "no partial account");
    assert_eq!(app.count("audit_log", "true").await, 0);
}

// ---- passwords --------------------------------------------------------------------------

#[tokio::test]
async fn stored_passwords_are_argon2id_with_at_least_owasp_parameters() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let hash: String = app
        .db()
        .await
        .query_one(
            "SELECT password_hash FROM users WHERE id = $1::text::uuid",
            &[&user.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    let params: std::collections::HashMap<&str, u32> = hash
        .split('$')
        .nth(3)
        .unwrap()
        .split(',')
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            (key, value.parse().unwrap())
        })
        .collect();
    assert!(params["m"] >= 19_456, "{hash}");
    assert!(params["t"] >= 2, "{hash}");
    assert_eq!(params["p"], 1, "{hash}");
}

#[tokio::test]
async fn an_unknown_email_costs_one_verification_like_a_known_one() {
    let hasher = Arc::new(CountingHasher {
        inner: Argon2Hasher::new().unwrap(),
        verifications: AtomicUsize::new(0),
    });
    let app = TestApp::with_config_and_overrides(
        |_| {},
        Overrides {
            hasher: Some(hasher.clone()),
            ..Overrides::default()
        },
    )
    .await;
    let user = app.with_user().await;
    let unknown = app.login(&fresh_email(), PASSWORD).await;
    unknown.problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    assert_eq!(
        hasher.verifications.load(Ordering::SeqCst),
        1,
        "a dummy verification"
    );
    let wrong = app.login(&user.email, "not the password at all").await;
    let wrong_problem = wrong.problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    assert_eq!(hasher.verifications.load(Ordering::SeqCst), 2);
    assert_eq!(
        unknown.json()["detail"],
        wrong_problem["detail"],
        "the answer does not tell which was wrong"
    );
    assert_eq!(wrong.header("www-authenticate"), r#"Bearer realm="agora""#);
}

#[tokio::test]
async fn a_weaker_stored_hash_is_upgraded_at_sign_in() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let weak = Argon2Hasher::with_params(4096, 1, 1)
        .unwrap()
        .hash(&Password::parse(PASSWORD).unwrap())
        .await
        .unwrap();
    let db = app.db().await;
    db.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1::text::uuid",
        &[&user.id, &weak],
    )
    .await
    .unwrap();
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status,
        StatusCode::OK
    );
    let stored: String = db
        .query_one(
            "SELECT password_hash FROM users WHERE id = $1::text::uuid",
            &[&user.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(stored.contains("m=19456,t=2,p=1"), "rehashed: {stored}");
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_oversized_password_is_refused_before_hashing() {
    let hasher = Arc::new(CountingHasher {
        inner: Argon2Hasher::new().unwrap(),
        verifications: AtomicUsize::new(0),
    });
    let app = TestApp::with_config_and_overrides(
        |_| {},
        Overrides {
            hasher: Some(hasher.clone()),
            ..Overrides::default()
        },
    )
    .await;
    let response = app.login(&fresh_email(), &"p".repeat(257)).await;
    let problem = response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "password");
    assert_eq!(hasher.verifications.load(Ordering::SeqCst), 0);
}

// ---- sessions ---------------------------------------------------------------------------

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_signs_out_the_family() {
    let (app, clock) = app_with_clock().await;
    let user = app.with_user().await;
    let first = refresh(&app, &user.refresh_token).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let child = first.json()["refresh_token"].as_str().unwrap().to_owned();
    agora::testing::remember_secret(&child);
    assert_ne!(child, user.refresh_token);

    clock.advance(11);
    let reuse = refresh(&app, &user.refresh_token).await;
    let problem = reuse.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(problem["detail"].as_str().unwrap().contains("already used"));
    refresh(&app, &child)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        app.count("refresh_tokens", "revoked_at IS NULL").await,
        0,
        "the whole family is revoked"
    );
    // Its access tokens stop working at once, not when they expire.
    let child_access = first.json()["access_token"].as_str().unwrap().to_owned();
    for access in [&user.access_token, &child_access] {
        app.call("GET", "/v1/me", Some(access), None)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(
        app.count(
            "audit_log",
            "action = 'refresh_token.reused' AND request_id IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_retry_within_the_grace_period_gets_the_same_successor() {
    let (app, clock) = app_with_clock().await;
    let user = app.with_user().await;
    let first = refresh(&app, &user.refresh_token).await.json();
    clock.advance(9);
    let retry = refresh(&app, &user.refresh_token).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.json()["refresh_token"], first["refresh_token"]);
    let child = first["refresh_token"].as_str().unwrap();
    agora::testing::remember_secret(child);
    assert_eq!(
        refresh(&app, child).await.status,
        StatusCode::OK,
        "the successor is live"
    );
}

#[tokio::test]
async fn a_racer_that_read_the_clock_before_the_winning_rotation_gets_the_same_successor() {
    let (app, clock) = app_with_clock().await;
    let user = app.with_user().await;
    clock.advance(2);
    let winner = refresh(&app, &user.refresh_token).await.json();
    let successor = winner["refresh_token"].as_str().unwrap().to_owned();
    agora::testing::remember_secret(&successor);
    clock.advance(-2);
    let loser = refresh(&app, &user.refresh_token).await;
    assert_eq!(loser.status, StatusCode::OK, "{:?}", loser.body);
    assert_eq!(loser.json()["refresh_token"], successor.as_str());
    assert_eq!(
        app.count("refresh_tokens", "revoked_at IS NOT NULL").await,
        0,
        "a concurrent refresh is not a reuse"
    );
}

#[tokio::test]
async fn parallel_refreshes_of_one_token_never_leave_two_live_children() {
    let app = Arc::new(TestApp::spawn().await);
    let user = app.with_user().await;
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, barrier, token) = (app.clone(), barrier.clone(), user.refresh_token.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                refresh(&app, &token).await
            })
        })
        .collect();
    let mut successors = std::collections::BTreeSet::new();
    for task in tasks {
        let response = task.await.unwrap();
        assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
        let successor = response.json()["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        agora::testing::remember_secret(&successor);
        successors.insert(successor);
    }
    assert_eq!(successors.len(), 1, "every racer got the same successor");
    assert_eq!(
        app.count(
            "refresh_tokens",
            "rotated_at IS NULL AND revoked_at IS NULL"
        )
        .await,
        1,
        "one live token in the family"
    );
}

#[tokio::test]
async fn logging_out_revokes_the_session_and_clears_the_cookie() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let other_session = TestUser::from_session(
        &user.email,
        &user.password,
        &app.login(&user.email, &user.password).await.json(),
    );
    let logout = app
        .call(
            "POST",
            "/v1/auth/logout",
            None,
            Some(json!({ "refresh_token": user.refresh_token })),
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.header("set-cookie").contains("Max-Age=0"));
    refresh(&app, &user.refresh_token)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call("GET", "/v1/me", Some(&user.access_token), None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        app.call("GET", "/v1/me", Some(&other_session.access_token), None)
            .await
            .status,
        StatusCode::OK,
        "other sessions' access tokens stay"
    );
    assert_eq!(
        refresh(&app, &other_session.refresh_token).await.status,
        StatusCode::OK,
        "other sessions stay"
    );
    let again = app
        .call(
            "POST",
            "/v1/auth/logout",
            None,
            Some(json!({ "refresh_token": user.refresh_token })),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::NO_CONTENT,
        "logging out twice is fine"
    );
}

#[tokio::test]
async fn a_refresh_without_a_token_or_with_garbage_is_401() {
    let app = TestApp::spawn().await;
    app.call("POST", "/v1/auth/refresh", None, Some(json!({})))
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    for garbage in ["", "agora_rt_", "agora_rt_nope", "eyJhbGciOiJub25lIn0.e30."] {
        refresh(&app, garbage)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

// ---- profile ----------------------------------------------------------------------------

#[tokio::test]
async fn the_display_name_can_be_changed_and_is_checked() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let renamed = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "display_name": "  Ada Lovelace " })),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.json()["display_name"], "Ada Lovelace");
    let too_long = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "display_name": "a".repeat(81) })),
        )
        .await;
    let problem = too_long.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(problem["errors"][0]["field"], "display_name");
}

#[tokio::test]
async fn mass_assignment_of_role_id_or_email_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    for (field, value) in [
        ("role", json!("admin")),
        ("id", json!(uuid::Uuid::new_v4())),
        ("email", json!("mallory@example.com")),
        ("password_hash", json!("x")),
        ("created_at", json!("2020-01-01T00:00:00Z")),
    ] {
        let response = app
            .call(
                "PATCH",
                "/v1/me",
                Some(&user.access_token),
                Some(json!({ "display_name": "Mallory", field: value })),
            )
            .await;
        let problem = response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let me = app
        .call("GET", "/v1/me", Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(me["role"], "user");
    assert_eq!(me["email"], user.email);
    assert_ne!(me["display_name"], "Mallory", "nothing was applied");
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_signs_out_everywhere() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let second = TestUser::from_session(
        &user.email,
        &user.password,
        &app.login(&user.email, &user.password).await.json(),
    );
    let new_password = "a brand new passphrase";
    agora::testing::remember_secret(new_password);
    let missing = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "new_password": new_password })),
        )
        .await;
    assert_eq!(
        missing.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "current_password"
    );
    let wrong = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "current_password": "not my password", "new_password": new_password })),
        )
        .await;
    assert_eq!(
        wrong.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "current_password"
    );
    let weak = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "current_password": PASSWORD, "new_password": "short" })),
        )
        .await;
    assert_eq!(
        weak.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "new_password"
    );
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status,
        StatusCode::OK,
        "unchanged so far"
    );

    let changed = app
        .call(
            "PATCH",
            "/v1/me",
            Some(&user.access_token),
            Some(json!({ "current_password": PASSWORD, "new_password": new_password })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    for token in [&user.refresh_token, &second.refresh_token] {
        refresh(&app, token)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // Their access tokens stop working at once too, not when they expire.
    for token in [&user.access_token, &second.access_token] {
        app.call("GET", "/v1/me", Some(token), None)
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    app.login(&user.email, PASSWORD)
        .await
        .problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    let fresh = app.login(&user.email, new_password).await;
    assert_eq!(fresh.status, StatusCode::OK);
    let fresh_access = fresh.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call("GET", "/v1/me", Some(&fresh_access), None)
            .await
            .status,
        StatusCode::OK,
        "a session begun after the change works"
    );
    assert_eq!(
        app.count("audit_log", "action = 'password.changed'").await,
        1
    );
}

// ---- API keys ---------------------------------------------------------------------------

#[tokio::test]
async fn an_api_key_is_shown_once_works_as_a_bearer_and_stops_at_once_when_revoked() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let (id, key) = app.api_key(&user).await;
    assert!(
        key.starts_with("agora_sk_") && key.len() >= "agora_sk_".len() + 43,
        "{key}"
    );

    let me = app.call("GET", "/v1/me", Some(&key), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["id"], user.id.as_str());
    // Cached now; the next call is served from the cache.
    assert_eq!(
        app.call("GET", "/v1/me", Some(&key), None).await.status,
        StatusCode::OK
    );

    let listed = app
        .call("GET", "/v1/me/api-keys", Some(&user.access_token), None)
        .await;
    let listing = String::from_utf8_lossy(&listed.body).into_owned();
    assert!(!listing.contains(&key), "the key is never listed");
    let entry = &listed.json()["api_keys"][0];
    assert_eq!(entry["id"], id.as_str());
    assert_eq!(entry["status"], "active");
    assert!(key.starts_with(entry["prefix"].as_str().unwrap()));
    assert!(entry["last_used_at"].is_string(), "use is recorded");

    let revoked = app
        .call(
            "DELETE",
            &format!("/v1/me/api-keys/{id}"),
            Some(&user.access_token),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let refused = app.call("GET", "/v1/me", Some(&key), None).await;
    refused.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(refused.header("www-authenticate").starts_with("Bearer"));
    let listed = app
        .call("GET", "/v1/me/api-keys", Some(&user.access_token), None)
        .await;
    assert_eq!(listed.json()["api_keys"][0]["status"], "revoked");
    assert_eq!(
        app.count(
            "audit_log",
            "action IN ('api_key.created', 'api_key.revoked')"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn an_expired_api_key_is_refused_and_a_past_expiry_is_invalid() {
    let (app, clock) = app_with_clock().await;
    let user = app.with_user().await;
    let soon = (clock.now() + chrono::Duration::seconds(30)).to_rfc3339();
    let created = app
        .call(
            "POST",
            "/v1/me/api-keys",
            Some(&user.access_token),
            Some(json!({ "name": "short-lived", "expires_at": soon })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let key = created.json()["key"].as_str().unwrap().to_owned();
    agora::testing::remember_secret(&key);
    assert_eq!(
        app.call("GET", "/v1/me", Some(&key), None).await.status,
        StatusCode::OK
    );
    clock.advance(31);
    app.call("GET", "/v1/me", Some(&key), None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let past = (clock.now() - chrono::Duration::seconds(1)).to_rfc3339();
    let invalid = app
        .call(
            "POST",
            "/v1/me/api-keys",
            Some(&user.access_token),
            Some(json!({ "name": "too late", "expires_at": past })),
        )
        .await;
    assert_eq!(
        invalid.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
        "expires_at"
    );
}

#[tokio::test]
async fn api_key_names_and_the_live_key_cap_are_enforced() {
    let app = TestApp::with_config(|config| config.auth.max_api_keys = 2).await;
    let user = app.with_user().await;
    for name in ["", "  ", &"k".repeat(101), "tab\tname"] {
        let response = app
            .call(
                "POST",
                "/v1/me/api-keys",
                Some(&user.access_token),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(
            response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["errors"][0]["field"],
            "name",
            "{name:?}"
        );
    }
    let (first, _) = app.api_key(&user).await;
    app.api_key(&user).await;
    let third = app
        .call(
            "POST",
            "/v1/me/api-keys",
            Some(&user.access_token),
            Some(json!({ "name": "third" })),
        )
        .await;
    third.problem(StatusCode::CONFLICT, "conflict");
    app.call(
        "DELETE",
        &format!("/v1/me/api-keys/{first}"),
        Some(&user.access_token),
        None,
    )
    .await;
    app.api_key(&user).await;
    assert_eq!(app.count("api_keys", "true").await, 3);
}

#[tokio::test]
async fn another_users_api_key_is_not_found_exactly_like_a_missing_one() {
    let app = TestApp::spawn().await;
    let (owner, intruder) = (app.with_user().await, app.with_user().await);
    let (key_id, key) = app.api_key(&owner).await;
    let foreign = app
        .call(
            "DELETE",
            &format!("/v1/me/api-keys/{key_id}"),
            Some(&intruder.access_token),
            None,
        )
        .await;
    let missing = app
        .call(
            "DELETE",
            &format!("/v1/me/api-keys/{}", uuid::Uuid::new_v4()),
            Some(&intruder.access_token),
            None,
        )
        .await;
    let malformed = app
        .call(
            "DELETE",
            "/v1/me/api-keys/not-a-uuid",
            Some(&intruder.access_token),
            None,
        )
        .await;
    let strip = |mut problem: serde_json::Value| {
        problem.as_object_mut().unwrap().remove("request_id");
        problem
    };
    let foreign = strip(foreign.problem(StatusCode::NOT_FOUND, "not-found"));
    assert_eq!(
        foreign,
        strip(missing.problem(StatusCode::NOT_FOUND, "not-found"))
    );
    assert_eq!(
        foreign,
        strip(malformed.problem(StatusCode::NOT_FOUND, "not-found"))
    );
    assert_eq!(
        app.count("api_keys", "revoked_at IS NULL").await,
        1,
        "unchanged"
    );
    assert_eq!(
        app.call("GET", "/v1/me", Some(&key), None).await.status,
        StatusCode::OK
    );
    let listed = app
        .call("GET", "/v1/me/api-keys", Some(&intruder.access_token), None)
        .await;
    assert_eq!(
        listed.json()["api_keys"],
        json!([]),
        "B's keys are not A's to list"
    );
}

// ---- credentials in the Authorization header ---------------------------------------------

#[tokio::test]
async fn missing_or_malformed_authorization_is_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let anonymous = app.call("GET", "/v1/me", None, None).await;
    anonymous.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(anonymous.header("www-authenticate").starts_with("Bearer"));
    for header in [
        "Basic dXNlcjpwYXNz".to_owned(),
        "Bearer".to_owned(),
        "Bearer    ".to_owned(),
        user.access_token.clone(),
        format!("Token {}", user.access_token),
        format!("Bearer {}", user.refresh_token),
        "Bearer agora_sk_notarealkey".to_owned(),
    ] {
        let response = app
            .send(
                http::Request::get("/v1/me")
                    .header("authorization", &header)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        response.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let refresh_as_access = app
        .call("GET", "/v1/me", Some(&user.refresh_token), None)
        .await;
    assert!(
        refresh_as_access.problem(StatusCode::UNAUTHORIZED, "unauthorized")["detail"]
            .as_str()
            .unwrap()
            .contains("refresh token")
    );
}

#[tokio::test]
async fn a_lost_database_is_a_503_with_retry_after_never_a_500() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let (_, key) = app.api_key(&user).await;
    let mut config = app.config.clone();
    if let Some(database) = &mut config.database {
        database.url = format!("postgres://agora@127.0.0.1:{}/agora", closed_port());
        database.connect_timeout = Duration::from_millis(500);
    }
    let lost = TestApp::from_config(config, Default::default()).await;
    let calls = [
        (
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({ "email": fresh_email(), "password": PASSWORD })),
        ),
        (
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({ "email": user.email, "password": PASSWORD })),
        ),
        (
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": user.refresh_token })),
        ),
        ("GET", "/v1/me", Some(user.access_token.as_str()), None),
        ("GET", "/v1/me", Some(key.as_str()), None),
    ];
    for (method, path, bearer, body) in calls {
        let response = lost.call(method, path, bearer, body).await;
        response.problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        assert_eq!(response.header("retry-after"), "5", "{method} {path}");
    }
}
