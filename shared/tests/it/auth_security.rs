//! The attacks issue 3 lists: forged access tokens (RFC 8725), brute force, privilege
//! escalation, cross-tenant access, and keys from Secrets Manager (RELIABILITY 1, 2, 4, 7,
//! 26, 30).

use std::net::SocketAddr;

use agora::{
    api::Access,
    domain::tokens::ed25519_pkcs8,
    domain::{RequestOrigin, Role},
    testing,
};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use axum::{body::Body, extract::ConnectInfo};
use base64::Engine;
use http::{Request, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::{TestApp, TestUser, closed_port};

const PASSWORD: &str = "correct horse battery staple";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of `jwt_key_1` in the test secret.
fn test_key_value() -> String {
    let secret: Value = serde_json::from_str(testing::test_signing_keys()).unwrap();
    secret["jwt_key_1"].as_str().unwrap().to_owned()
}

fn claims(user: &TestUser) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "agora", "aud": "agora-api", "sub": user.id, "iat": now, "exp": now + 900,
        "jti": uuid::Uuid::new_v4(), "role": "admin", "sid": uuid::Uuid::new_v4(),
    })
}

fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

fn ed_header(kid: Option<&str>, typ: Option<&str>) -> Header {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid.map(str::to_owned);
    header.typ = typ.map(str::to_owned);
    header
}

#[tokio::test]
async fn forged_and_misused_access_tokens_are_all_401() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let own_key = EncodingKey::from_ed_der(&ed25519_pkcs8(&test_key_value()).unwrap());
    let other_key = EncodingKey::from_ed_der(
        &ed25519_pkcs8("an attacker's own key, 32+ characters long").unwrap(),
    );
    let public_key = Ed25519KeyPair::from_pkcs8(&ed25519_pkcs8(&test_key_value()).unwrap())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let good = claims(&user);
    // The control: our own key, the right header and claims, is accepted.
    let valid = sign(&ed_header(Some("1"), Some("at+jwt")), &good, &own_key);
    assert_eq!(
        app.call("GET", "/v1/me", Some(&valid), None).await.status,
        StatusCode::OK
    );

    let with = |changes: Value| {
        let mut claims = good.clone();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        claims
    };
    let now = chrono::Utc::now().timestamp();
    let payload = b64(good.to_string().as_bytes());
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some("1".into());
    hs256.typ = Some("at+jwt".into());
    let forged: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{payload}.",
                b64(br#"{"alg":"none","typ":"at+jwt","kid":"1"}"#)
            ),
        ),
        (
            "HS256 keyed with the public key (HS/EdDSA confusion)",
            sign(&hs256, &good, &EncodingKey::from_secret(&public_key)),
        ),
        (
            "HS256 with a guessed secret",
            sign(&hs256, &good, &EncodingKey::from_secret(b"secret")),
        ),
        (
            "another Ed25519 key",
            sign(&ed_header(Some("1"), Some("at+jwt")), &good, &other_key),
        ),
        (
            "unknown kid",
            sign(&ed_header(Some("9"), Some("at+jwt")), &good, &own_key),
        ),
        (
            "no kid",
            sign(&ed_header(None, Some("at+jwt")), &good, &own_key),
        ),
        (
            "typ JWT",
            sign(&ed_header(Some("1"), Some("JWT")), &good, &own_key),
        ),
        ("no typ", sign(&ed_header(Some("1"), None), &good, &own_key)),
        (
            "wrong audience",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"aud": "someone-else"})),
                &own_key,
            ),
        ),
        (
            "wrong issuer",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"iss": "evil"})),
                &own_key,
            ),
        ),
        (
            "expired",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"iat": now - 4000, "exp": now - 3600})),
                &own_key,
            ),
        ),
        (
            "issued in the future",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"iat": now + 3600, "exp": now + 4500})),
                &own_key,
            ),
        ),
        (
            "no exp",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"exp": null})),
                &own_key,
            ),
        ),
        (
            "no sub",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"sub": null})),
                &own_key,
            ),
        ),
        (
            "sub not a user id",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"sub": "root"})),
                &own_key,
            ),
        ),
        (
            "no aud",
            sign(
                &ed_header(Some("1"), Some("at+jwt")),
                &with(json!({"aud": null})),
                &own_key,
            ),
        ),
        ("payload edited after signing", {
            let parts: Vec<&str> = valid.split('.').collect();
            let mut edited = good.clone();
            edited["sub"] = json!(uuid::Uuid::new_v4());
            format!(
                "{}.{}.{}",
                parts[0],
                b64(edited.to_string().as_bytes()),
                parts[2]
            )
        }),
        ("truncated", valid[..valid.len() - 10].to_owned()),
        ("not a JWT", "hello.world".to_owned()),
        ("a refresh token", user.refresh_token.clone()),
    ];
    for (attack, token) in forged {
        let response = app.call("GET", "/v1/me", Some(&token), None).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{attack}: {:?}",
            response.body
        );
        response.problem(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(
            response
                .header("www-authenticate")
                .starts_with("Bearer realm=\"agora\""),
            "{attack}"
        );
    }
}

fn login_from(address: &str, email: &str, password: &str) -> Request<Body> {
    let mut request = Request::post("/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "email": email, "password": password }).to_string(),
        ))
        .unwrap();
    let address: SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

async fn failed_logins_are_limited_per_account(app: &TestApp) {
    let user = app.with_user().await;
    for _ in 0..3 {
        let response = app
            .send(login_from("198.51.100.1", &user.email, "wrong password!"))
            .await;
        response.problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    }
    let limited = app
        .send(login_from("198.51.100.2", &user.email, PASSWORD))
        .await;
    limited.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry_after: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let other = app.with_user().await;
    assert_eq!(
        app.send(login_from("198.51.100.1", &other.email, PASSWORD))
            .await
            .status,
        StatusCode::OK,
        "other accounts are not affected"
    );
}

#[tokio::test]
async fn failed_logins_are_limited_per_account_with_redis() {
    failed_logins_are_limited_per_account(
        &TestApp::with_config(|config| config.auth.login_failures_per_account = 3).await,
    )
    .await;
}

#[tokio::test]
async fn failed_logins_are_still_limited_when_redis_is_down() {
    let app = TestApp::with_config(|config| {
        if let Some(redis) = &mut config.redis {
            redis.url = format!("redis://127.0.0.1:{}", closed_port());
        }
        config.auth.login_failures_per_account = 3;
    })
    .await;
    failed_logins_are_limited_per_account(&app).await;
}

#[tokio::test]
async fn parallel_guesses_are_bounded_and_the_owner_still_signs_in_from_a_known_client() {
    let app = TestApp::with_config(|config| config.auth.login_failures_per_account = 3).await;
    let user = app.with_user().await;
    // The owner signs in from home once: that client is now known to the account.
    let home = "198.51.100.10";
    assert_eq!(
        app.send(login_from(home, &user.email, PASSWORD))
            .await
            .status,
        StatusCode::OK
    );
    // Twenty guesses at once, from twenty addresses: only the limit's worth is checked.
    let guesses = futures::future::join_all((1..=20).map(|host| {
        app.send(login_from(
            &format!("203.0.113.{host}"),
            &user.email,
            "wrong password!",
        ))
    }))
    .await;
    let statuses: Vec<StatusCode> = guesses.iter().map(|response| response.status).collect();
    let checked = statuses
        .iter()
        .filter(|status| **status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|status| **status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (3, 17), "{statuses:?}");
    // The right password from a client the account never used: still over the limit.
    app.send(login_from("203.0.113.99", &user.email, PASSWORD))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    // The owner, from home: in.
    assert_eq!(
        app.send(login_from(home, &user.email, PASSWORD))
            .await
            .status,
        StatusCode::OK,
        "guesses elsewhere do not lock the owner out"
    );
}

#[tokio::test]
async fn a_known_client_that_guesses_is_limited_too() {
    let app = TestApp::with_config(|config| config.auth.login_failures_per_account = 3).await;
    let user = app.with_user().await;
    let known = "198.51.100.20";
    assert_eq!(
        app.send(login_from(known, &user.email, PASSWORD))
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..3 {
        app.send(login_from("203.0.113.50", &user.email, "wrong password!"))
            .await
            .problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    }
    // Past the account's limit, the known client has a limit of its own.
    for _ in 0..3 {
        app.send(login_from(known, &user.email, "wrong password!"))
            .await
            .problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    }
    app.send(login_from(known, &user.email, PASSWORD))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
}

#[tokio::test]
async fn failed_logins_are_limited_per_client_address() {
    let app = TestApp::with_config(|config| config.auth.login_failures_per_address = 3).await;
    let user = app.with_user().await;
    for attempt in 0..3 {
        let email = format!("nobody-{attempt}@example.com");
        let response = app.send(login_from("203.0.113.66", &email, PASSWORD)).await;
        response.problem(StatusCode::UNAUTHORIZED, "invalid-credentials");
    }
    app.send(login_from("203.0.113.66", &user.email, PASSWORD))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert_eq!(
        app.send(login_from("203.0.113.67", &user.email, PASSWORD))
            .await
            .status,
        StatusCode::OK
    );
}

fn me_from(address: &str, bearer: &str) -> Request<Body> {
    let mut request = Request::get("/v1/me")
        .header("authorization", format!("Bearer {bearer}"))
        .body(Body::empty())
        .unwrap();
    let address: SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

#[tokio::test]
async fn guessing_api_keys_is_limited_per_client_address_before_the_database_is_asked() {
    let app = TestApp::with_config(|config| config.auth.login_failures_per_address = 3).await;
    let user = app.with_user().await;
    let (_, real_key) = app.api_key(&user).await;
    let guess = || format!("agora_sk_{}", uuid::Uuid::new_v4().simple());
    for _ in 0..3 {
        app.send(me_from("203.0.113.80", &guess()))
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let limited = app.send(me_from("203.0.113.80", &guess())).await;
    limited.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry_after: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Another address is not affected, nor is a key already known to be good.
    assert_eq!(
        app.send(me_from("203.0.113.81", &guess())).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send(me_from("203.0.113.81", &real_key)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(me_from("203.0.113.80", &real_key)).await.status,
        StatusCode::OK,
        "a valid key, already checked, is answered from the cache"
    );
}

fn register_from(address: &str) -> Request<Body> {
    let email = format!("new-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut request = Request::post("/v1/auth/register")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "email": email, "password": PASSWORD }).to_string(),
        ))
        .unwrap();
    let address: SocketAddr = SocketAddr::new(address.parse().unwrap(), 40000);
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

#[tokio::test]
async fn sign_ups_are_limited_per_client_address_and_per_network() {
    let app = TestApp::with_config(|config| {
        config.auth.signups_per_address = 2;
        config.auth.signups_per_network = 3;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            app.send(register_from("203.0.113.5")).await.status,
            StatusCode::CREATED
        );
    }
    let limited = app.send(register_from("203.0.113.5")).await;
    limited.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(limited.header("retry-after").parse::<u64>().unwrap() <= 3600);
    // Another address of the same /24 has the network's last place.
    assert_eq!(
        app.send(register_from("203.0.113.6")).await.status,
        StatusCode::CREATED
    );
    app.send(register_from("203.0.113.7"))
        .await
        .problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    // Another network is not affected; IPv6 networks are /48s.
    assert_eq!(
        app.send(register_from("198.51.100.1")).await.status,
        StatusCode::CREATED
    );
    for (address, status) in [
        ("2001:db8:1:2::1", StatusCode::CREATED),
        ("2001:db8:1:3::1", StatusCode::CREATED),
        ("2001:db8:1:4::1", StatusCode::CREATED),
        ("2001:db8:1:5::1", StatusCode::TOO_MANY_REQUESTS),
        ("2001:db8:2::1", StatusCode::CREATED),
    ] {
        assert_eq!(
            app.send(register_from(address)).await.status,
            status,
            "{address}"
        );
    }
}

#[tokio::test]
async fn each_caller_is_limited_to_the_configured_requests_per_minute() {
    let app = TestApp::with_config(|config| config.auth.requests_per_minute = 3).await;
    // Unconfirmed: confirming would spend a request of this minute.
    let user = app
        .register_unconfirmed("limited@example.com", "correct horse battery staple")
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.call("GET", "/v1/me", Some(&user.access_token), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    let limited = app
        .call("GET", "/v1/me", Some(&user.access_token), None)
        .await;
    limited.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(limited.header("retry-after").parse::<u64>().unwrap() <= 60);
    let other = app.with_user().await;
    assert_eq!(
        app.call("GET", "/v1/me", Some(&other.access_token), None)
            .await
            .status,
        StatusCode::OK
    );
}

/// A concrete path for a route path (`{id}` becomes a fresh id).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn minimal_body(method: &http::Method) -> Option<Value> {
    matches!(
        *method,
        http::Method::POST | http::Method::PATCH | http::Method::PUT
    )
    .then(|| json!({}))
}

/// Every route of the table, called by nobody, a user and an administrator: the statuses
/// are a snapshot, and every non-public route refuses nobody (RELIABILITY 1, 2).
#[tokio::test]
async fn the_authorization_matrix_of_every_route() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let administrator = app.with_admin().await;
    let mut matrix = std::collections::BTreeMap::new();
    for route in agora::api::routes() {
        let path = concrete(&route.path);
        let mut row = Vec::new();
        for (who, token) in [
            ("anonymous", None),
            ("user", Some(user.access_token.as_str())),
            ("admin", Some(administrator.access_token.as_str())),
        ] {
            let response = app
                .call(
                    route.method.as_str(),
                    &path,
                    token,
                    minimal_body(&route.method),
                )
                .await;
            let openai_surface = route.errors == agora::api::error_format::ErrorFormat::OpenAi;
            match (route.access, who) {
                // The OpenAI-compatible paths answer in OpenAI's error format.
                (Access::User, "anonymous") if openai_surface => {
                    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
                    assert_eq!(response.json()["error"]["type"], "authentication_error");
                }
                (Access::User | Access::Admin, "anonymous") => {
                    response.problem(StatusCode::UNAUTHORIZED, "unauthorized");
                }
                (Access::Admin, "user") => {
                    response.problem(StatusCode::FORBIDDEN, "forbidden");
                }
                // Public routes answer on their own terms (a refresh without a token is 401).
                (Access::Public, _) => assert_ne!(response.status, StatusCode::FORBIDDEN),
                _ => assert!(
                    response.status != StatusCode::UNAUTHORIZED
                        && response.status != StatusCode::FORBIDDEN,
                    "{who} may call {} {}: {:?}",
                    route.method,
                    route.path,
                    response.body
                ),
            }
            row.push(format!("{who}={}", response.status.as_u16()));
        }
        matrix.insert(format!("{} {}", route.method, route.path), row.join(" "));
    }
    insta::assert_json_snapshot!("authorization_matrix", matrix);
}

#[test]
fn no_route_can_create_or_promote_an_administrator() {
    let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    for path in crate::support::walk(&api) {
        let source = std::fs::read_to_string(&path).unwrap();
        for forbidden in ["create_admin", "promote_to_admin", "Role::Admin"] {
            assert!(
                !source.contains(forbidden),
                "{} mentions {forbidden}: only `agora admin create` may grant admin",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn admin_create_promotes_an_existing_account_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let user = app.with_user().await;
    let accounts = app.state.accounts().unwrap();
    let origin = RequestOrigin::default();
    let grant = accounts
        .create_admin(&user.email, None, &origin)
        .await
        .unwrap();
    assert!(matches!(
        grant,
        agora::services::accounts::AdminGrant::Promoted { .. }
    ));
    let again = accounts
        .create_admin(&user.email, None, &origin)
        .await
        .unwrap();
    assert!(matches!(
        again,
        agora::services::accounts::AdminGrant::AlreadyAdmin { .. }
    ));
    let session = app.login(&user.email, PASSWORD).await.json();
    assert_eq!(session["role"], serde_json::to_value(Role::Admin).unwrap());
    let missing_password = accounts
        .create_admin(&format!("new-{}", user.email), None, &origin)
        .await;
    assert!(matches!(missing_password, Err(agora::Error::Validation(_))));
    assert_eq!(app.count("audit_log", "action = 'admin.granted'").await, 1);
}

#[tokio::test]
async fn the_audit_log_records_security_actions_without_secrets_and_pages() {
    let app = TestApp::spawn().await;
    let email = format!("audited-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut register = Request::post("/v1/auth/register")
        .header("content-type", "application/json")
        .header("x-request-id", "req-audit-1")
        .body(Body::from(
            json!({ "email": email, "password": PASSWORD, "refresh_token_delivery": "body" })
                .to_string(),
        ))
        .unwrap();
    register.extensions_mut().insert(ConnectInfo(
        "192.0.2.10:5555".parse::<SocketAddr>().unwrap(),
    ));
    let user = TestUser::from_session(&email, PASSWORD, &app.send(register).await.json());
    app.send(login_from("192.0.2.11", &email, "wrong password!"))
        .await;
    app.send(login_from("192.0.2.11", &email, PASSWORD)).await;
    let (key_id, _) = app.api_key(&user).await;
    app.call(
        "DELETE",
        &format!("/v1/me/api-keys/{key_id}"),
        Some(&user.access_token),
        None,
    )
    .await;

    let administrator = app.with_admin().await;
    let page = app
        .call(
            "GET",
            &format!("/v1/admin/audit-log?actor_id={}&limit=3", user.id),
            Some(&administrator.access_token),
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    let first = page.json();
    let actions: Vec<&str> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["api_key.revoked", "api_key.created", "login.succeeded"]
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .call(
            "GET",
            &format!(
                "/v1/admin/audit-log?actor_id={}&limit=3&cursor={cursor}",
                user.id
            ),
            Some(&administrator.access_token),
            None,
        )
        .await
        .json();
    let actions: Vec<&str> = rest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["login.failed", "user.registered"]);
    assert!(rest["next_cursor"].is_null());
    let registered = &rest["entries"][1];
    assert_eq!(registered["client_addr"], "192.0.2.10");
    assert_eq!(registered["request_id"], "req-audit-1");
    assert_eq!(rest["entries"][0]["client_addr"], "192.0.2.11");

    let everything = String::from_utf8_lossy(&page.body).into_owned() + &rest.to_string();
    for secret in [PASSWORD, &user.access_token, &user.refresh_token] {
        assert!(
            !everything.contains(secret),
            "the audit log holds no secret"
        );
    }
    for bad in [
        "limit=0",
        "limit=101",
        "cursor=zzz",
        "actor_id=not-a-uuid",
        "colour=blue",
    ] {
        let response = app
            .call(
                "GET",
                &format!("/v1/admin/audit-log?{bad}"),
                Some(&administrator.access_token),
                None,
            )
            .await;
        response.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
}

/// A digest of every row of every table the tests' users can change (the audit log, which
/// records refusals, and idempotency records aside): equal digests, nothing changed.
async fn database_digest(app: &TestApp) -> std::collections::BTreeMap<String, String> {
    let db = app.db().await;
    let tables: Vec<String> = db
        .query(
            "SELECT table_name::text FROM information_schema.tables
              WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
                AND table_name NOT IN ('audit_log', 'idempotency_records', 'schema_migrations')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut digest = std::collections::BTreeMap::new();
    for table in tables {
        let hash: Option<String> = db
            .query_one(
                &format!("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        digest.insert(table, hash.unwrap_or_default());
    }
    digest
}

/// RELIABILITY 1 as a generated matrix: user B owns one of every kind of object a path can
/// name (a private agent with a version, a conversation, a run, an API key, a provider
/// key, a private workflow and its run); user A calls every route that names an object,
/// with B's real ids and a body, and is answered 404 (or 403 where the route refuses
/// before it looks), while not one row of the database changes.
#[tokio::test]
async fn no_user_reaches_another_users_objects_on_any_route_that_names_one() {
    let stub = crate::llm_stub::LlmStub::start().await;
    let app = crate::runs::app_with_stub(&stub, |_| {}).await;
    let owner = app.with_user().await;
    let stranger = app.with_user().await;

    let agent = app
        .published_agent(&owner, crate::support::agent_spec("Secret", "Mine only"))
        .await;
    let private = app
        .call(
            "PATCH",
            &format!("/v1/agents/{agent}"),
            Some(&owner.access_token),
            Some(json!({ "visibility": "private" })),
        )
        .await;
    assert_eq!(private.status, StatusCode::OK, "{:?}", private.body);
    let post = |path: String, body: Value| {
        let token = owner.access_token.clone();
        let app = &app;
        async move {
            let response = app.call("POST", &path, Some(&token), Some(body)).await;
            assert!(response.status.is_success(), "{path}: {:?}", response.body);
            response.json()
        }
    };
    let conversation = post("/v1/conversations".into(), json!({ "agent": agent })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = post("/v1/runs".into(), json!({ "agent": agent, "input": "hi" })).await["outcome"]
        ["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (api_key, _) = app.api_key(&owner).await;
    let provider_key = post(
        "/v1/me/provider-keys".into(),
        json!({ "name": "mine", "provider": "openai", "api_key": "sk-owner-only-0123456789" }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let workflow_spec = json!({
        "name": "Secret flow", "summary": "Mine only",
        "steps": [{ "id": "only", "agent": { "ref": agent, "version": 1, "prompt": "hi" } }]
    });
    let workflow = crate::workflows::create(&app, &owner, "secret-flow", workflow_spec).await;
    let workflow_run = crate::workflows::start(&app, &owner, &workflow, json!({}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::workflows::wait_until_finished(&app, &owner, &workflow_run).await;

    let before = database_digest(&app).await;
    let mut matrix = std::collections::BTreeMap::new();
    for route in agora::api::routes() {
        if !route.path.contains('{') || route.access == Access::Admin {
            continue;
        }
        let path = route.path.as_str();
        let (agents, workflows) = (
            path.contains("/agents/") || path.contains("/saved-agents/"),
            path.contains("/workflows/") || path.contains("/saved-workflows/"),
        );
        let concrete = path
            .replace(
                "{handle}/{slug}",
                if agents {
                    &agent
                } else if workflows {
                    &workflow
                } else {
                    "nobody/nothing"
                },
            )
            .replace("{version}", "1")
            .replace(
                "{id}",
                if path.starts_with("/v1/conversations/") {
                    &conversation
                } else if path.starts_with("/v1/runs/") {
                    &run
                } else if path.starts_with("/v1/me/api-keys/") {
                    &api_key
                } else if path.starts_with("/v1/me/provider-keys/") {
                    &provider_key
                } else if path.starts_with("/v1/workflow-runs/") {
                    &workflow_run
                } else {
                    "00000000-0000-0000-0000-000000000000"
                },
            );
        if concrete.contains('{') || concrete.contains("nobody/nothing") {
            // Names no object users own (a blob by its key, a creator's public page).
            continue;
        }
        // A body the route would accept, so a refusal is the object's, not the body's.
        let body = match (route.method.as_str(), route.path.rsplit('/').next()) {
            ("PATCH", Some("{version}")) => Some(json!({ "deprecated": true })),
            ("POST", Some("reports")) => Some(json!({ "reason": "spam" })),
            ("POST", Some("messages")) => Some(json!({ "content": "hi" })),
            ("PUT", Some("latest")) => Some(json!({ "version": 1 })),
            ("PUT", Some("mine")) => Some(json!({ "rating": 5, "body": "Great" })),
            ("PUT", Some("reply")) => Some(json!({ "reply": "Thanks" })),
            _ => minimal_body(&route.method),
        };
        let response = app
            .call(
                route.method.as_str(),
                &concrete,
                Some(&stranger.access_token),
                body,
            )
            .await;
        matrix.insert(
            format!("{} {}", route.method, route.path),
            response.status.as_u16(),
        );
    }
    let reached: Vec<_> = matrix
        .iter()
        .filter(|(_, status)| ![403, 404].contains(*status))
        .collect();
    assert!(
        reached.is_empty(),
        "routes that did not refuse: {reached:?}"
    );
    assert!(
        matrix.len() >= 30,
        "every route that names an object: {matrix:?}"
    );
    assert_eq!(
        database_digest(&app).await,
        before,
        "a stranger's calls changed the database"
    );
}
