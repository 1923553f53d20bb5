//! Email verification: sign-up credits arrive when the address is confirmed, once, and
//! never for an account a script made and never confirmed (issue 14, item 8).

use agora::config::Profile;
use aws_config::BehaviorVersion;
use http::StatusCode;
use serde_json::{Value, json};

use crate::{
    accounts::app_with_clock,
    runs::{balance_and_ledger, published_on},
    support::{TestApp, TestUser},
};

const PASSWORD: &str = "correct horse battery staple";

async fn verify(app: &TestApp, token: &str) -> crate::support::TestResponse {
    app.call(
        "POST",
        "/v1/auth/verify-email",
        None,
        Some(json!({ "token": token })),
    )
    .await
}

/// `POST /v1/me/verification-email` as `user`: a new confirmation link.
async fn send_new_link(app: &TestApp, user: &TestUser) -> crate::support::TestResponse {
    app.call(
        "POST",
        "/v1/me/verification-email",
        Some(&user.access_token),
        None,
    )
    .await
}

async fn me(app: &TestApp, user: &TestUser) -> Value {
    app.call("GET", "/v1/me", Some(&user.access_token), None)
        .await
        .json()
}

async fn signup_grants(app: &TestApp, user: &TestUser) -> i64 {
    app.count(
        "credit_ledger",
        &format!("user_id = '{}' AND kind = 'signup_grant'", user.id),
    )
    .await
}

#[tokio::test]
async fn new_accounts_get_their_credits_only_when_the_email_is_confirmed() {
    let app = TestApp::spawn().await;
    let (_, address) = published_on(&app, "agora", "echo", "0.01").await;
    let user = app
        .register_unconfirmed("new-user@example.com", PASSWORD)
        .await;
    assert_eq!(me(&app, &user).await["email_verified"], false);

    // A script that signs up and runs at once gets nothing to spend.
    let credits = app
        .call("GET", "/v1/me/credits", Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(credits["balance"], "0");
    app.call(
        "POST",
        "/v1/runs",
        Some(&user.access_token),
        Some(json!({ "agent": address, "input": "hello" })),
    )
    .await
    .problem(StatusCode::PAYMENT_REQUIRED, "insufficient-credits");

    // The confirmation mail: to the address, with a link to the web UI carrying the token
    // in its fragment.
    let outbox = app
        .call("GET", "/v1/me/outbox", Some(&user.access_token), None)
        .await
        .json();
    let mail = &outbox["mails"][0];
    assert_eq!(outbox["mails"].as_array().unwrap().len(), 1);
    assert_eq!(mail["to"], "new-user@example.com");
    assert_eq!(mail["subject"], "Confirm your email for Agora");
    let link = mail["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://127.0.0.1:8080/verify-email#token=agora_ev_"),
        "{link}"
    );
    assert!(mail["text"].as_str().unwrap().contains(link));

    let token = app.confirmation_token(&user).await;
    let confirmed = verify(&app, &token).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    assert_eq!(
        confirmed.json(),
        json!({ "email_verified": true, "credits_granted": "5" })
    );
    assert_eq!(me(&app, &user).await["email_verified"], true);
    assert_eq!(
        balance_and_ledger(&app, &user.id).await,
        (5_000_000, 5_000_000)
    );
    assert_eq!(
        app.count(
            "audit_log",
            &format!("action = 'email.verified' AND actor_id = '{}'", user.id),
        )
        .await,
        1
    );

    // The same link again (a double click, a mail scanner) changes nothing.
    let again = verify(&app, &token).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["credits_granted"], "0");
    assert_eq!(signup_grants(&app, &user).await, 1);
    assert_eq!(
        balance_and_ledger(&app, &user.id).await,
        (5_000_000, 5_000_000)
    );

    // Now the run is paid for.
    let run = app
        .call(
            "POST",
            "/v1/runs",
            Some(&user.access_token),
            Some(json!({ "agent": address, "input": "hello" })),
        )
        .await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
}

#[tokio::test]
async fn links_followed_at_once_grant_the_credits_once() {
    let app = TestApp::spawn().await;
    let user = app
        .register_unconfirmed("racer@example.com", PASSWORD)
        .await;
    let first = app.confirmation_token(&user).await;
    let sent = send_new_link(&app, &user).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{:?}", sent.body);
    assert_eq!(sent.json()["sent_to"], "racer@example.com");
    let second = app.confirmation_token(&user).await;
    assert_ne!(first, second, "every mail carries a link of its own");

    let attempts = (0..8).map(|i| {
        let token = if i % 2 == 0 { &first } else { &second };
        verify(&app, token)
    });
    let answers = futures::future::join_all(attempts).await;
    let mut granted: Vec<String> = answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            answer.json()["credits_granted"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    granted.sort();
    assert_eq!(granted, ["0", "0", "0", "0", "0", "0", "0", "5"]);
    assert_eq!(signup_grants(&app, &user).await, 1);
    assert_eq!(
        balance_and_ledger(&app, &user.id).await,
        (5_000_000, 5_000_000)
    );
}

#[tokio::test]
async fn expired_mistyped_and_foreign_tokens_are_refused_with_what_to_do() {
    let (app, clock) = app_with_clock().await;
    let user = app.register_unconfirmed("late@example.com", PASSWORD).await;
    let token = app.confirmation_token(&user).await;

    let long = format!("agora_ev_{}", "x".repeat(500));
    for (token, says) in [
        ("", "copy the whole link"),
        ("hello", "copy the whole link"),
        (
            "agora_sk_3yZeMq8vRkT2nWx7LpQ4sUa9Bc6Df1Gh5Jk8Mn2Pr4St",
            "copy the whole link",
        ),
        (long.as_str(), "copy the whole link"),
        (
            "agora_ev_3yZeMq8vRkT2nWx7LpQ4sUa9Bc6Df1Gh5Jk8Mn2Pr4St",
            "send a new one",
        ),
        ("agora_ev_'; DROP TABLE users; --", "send a new one"),
    ] {
        let problem = verify(&app, token)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(problem["errors"][0]["field"], "token", "{token}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{token}: {message}");
    }
    let missing = app
        .call("POST", "/v1/auth/verify-email", None, Some(json!({})))
        .await;
    assert!(missing.status.is_client_error(), "{:?}", missing.body);

    // A day later the link has expired; the account stays unconfirmed and empty.
    clock.advance(24 * 3600 + 1);
    let problem = verify(&app, &token)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("has expired; ask for a new link")
    );
    assert_eq!(signup_grants(&app, &user).await, 0);
    assert_eq!(
        app.count(
            "users",
            &format!("id = '{}' AND email_verified_at IS NULL", user.id)
        )
        .await,
        1
    );

    // The maintenance job forgets links a week after they expired.
    let maintenance = app.state.maintenance().unwrap();
    assert_eq!(
        maintenance
            .run()
            .await
            .unwrap()
            .confirmation_links_forgotten,
        0
    );
    clock.advance(7 * 24 * 3600);
    assert_eq!(
        maintenance
            .run()
            .await
            .unwrap()
            .confirmation_links_forgotten,
        1
    );
    assert_eq!(app.count("email_verifications", "true").await, 0);
}

#[tokio::test]
async fn confirmation_emails_are_limited_and_not_sent_to_confirmed_addresses() {
    let app = TestApp::spawn().await;
    let user = app
        .register_unconfirmed("eager@example.com", PASSWORD)
        .await;
    let send = || send_new_link(&app, &user);
    for _ in 0..3 {
        assert_eq!(send().await.status, StatusCode::ACCEPTED);
    }
    let limited = send().await;
    limited.problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    assert!(limited.header("retry-after").parse::<u64>().unwrap() > 0);
    // Four mails: the one at sign-up and three asked for.
    let outbox = app
        .call("GET", "/v1/me/outbox", Some(&user.access_token), None)
        .await
        .json();
    assert_eq!(outbox["mails"].as_array().unwrap().len(), 4);

    app.confirm_email(&user).await;
    let other = app.with_user().await;
    send_new_link(&app, &other)
        .await
        .problem(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn the_dev_outbox_shows_each_user_only_their_own_mail() {
    let app = TestApp::spawn().await;
    let ada = app.register_unconfirmed("ada@example.com", PASSWORD).await;
    let bob = app.register_unconfirmed("bob@example.com", PASSWORD).await;
    for (user, address) in [(&ada, "ada@example.com"), (&bob, "bob@example.com")] {
        let outbox = app
            .call("GET", "/v1/me/outbox", Some(&user.access_token), None)
            .await
            .json();
        let mails = outbox["mails"].as_array().unwrap();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0]["to"], address);
    }
    app.call("GET", "/v1/me/outbox", None, None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn a_prod_deployment_without_a_sender_keeps_no_outbox_and_says_mail_is_off() {
    let app = TestApp::with_config(|config| {
        config.profile = Profile::Prod;
        config.mail_from = None;
    })
    .await;
    let user = app.register_unconfirmed("prod@example.com", PASSWORD).await;
    app.call("GET", "/v1/me/outbox", Some(&user.access_token), None)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");
    let refused = send_new_link(&app, &user).await;
    let problem = refused.problem(StatusCode::SERVICE_UNAVAILABLE, "provider-not-configured");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("sends no email"),
        "{problem}"
    );
    assert_eq!(
        app.count("email_verifications", "true").await,
        0,
        "no link is stored that no mail carries"
    );
}

/// moto's record of the messages SES sent.
async fn ses_messages() -> Vec<Value> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("moto (scripts/test starts it)");
    let data: Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn in_aws_the_confirmation_goes_out_through_ses() {
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    let sender = format!("no-reply-{}@agora.test", uuid::Uuid::new_v4().simple());
    ses.create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .unwrap();
    let app = TestApp::with_config(|config| {
        config.mail_from = Some(format!("Agora <{sender}>"));
        config.auth.verification.public_url = "https://agora.example.com".into();
    })
    .await;
    let email = format!("ses-{}@example.com", uuid::Uuid::new_v4().simple());
    let user = app.register_unconfirmed(&email, PASSWORD).await;

    let message = ses_messages()
        .await
        .into_iter()
        .find(|message| message["destinations"]["ToAddresses"][0] == email.as_str())
        .expect("SES sent the confirmation");
    assert_eq!(message["subject"], "Confirm your email for Agora");
    // moto keeps the HTML part: the link is an anchor to the public web address.
    let body = message["body"].as_str().unwrap();
    let (_, rest) = body
        .split_once("href=\"https://agora.example.com/verify-email#token=")
        .expect("a link to AGORA_PUBLIC_URL");
    let token = rest.split('"').next().unwrap();
    // Mail goes out for real, so there is no outbox to read it from.
    app.call("GET", "/v1/me/outbox", Some(&user.access_token), None)
        .await
        .problem(StatusCode::NOT_FOUND, "not-found");

    let confirmed = verify(&app, token).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    assert_eq!(confirmed.json()["credits_granted"], "5");
    assert_eq!(me(&app, &user).await["email_verified"], true);
}

#[tokio::test]
async fn a_sender_ses_refuses_is_a_clear_error_and_the_account_still_opens() {
    let app = TestApp::with_config(|config| {
        // Never created as an identity: SES (and moto) refuse to send from it.
        config.mail_from = Some("unverified@agora.test".into());
    })
    .await;
    let user = app
        .register_unconfirmed(
            &format!("refused-{}@example.com", uuid::Uuid::new_v4().simple()),
            PASSWORD,
        )
        .await;
    let problem = send_new_link(&app, &user)
        .await
        .problem(StatusCode::CONFLICT, "conflict");
    assert!(
        !problem["detail"].as_str().unwrap().contains("agora.test"),
        "the provider's message, with its addresses, stays in the adapter: {problem}"
    );
    assert_eq!(me(&app, &user).await["email_verified"], false);
}
