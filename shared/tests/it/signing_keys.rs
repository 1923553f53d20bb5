//! The access-token signing keys in AWS: read from Secrets Manager (moto), rotated by kid,
//! and readable only by the functions that sign people in; every other function verifies
//! with the public half those functions publish (issue 15).

use agora::{
    adapters::secrets::SecretLocation,
    domain::tokens::{TokenKeys, TokenPolicy},
};
use http::StatusCode;

use crate::support::{TestApp, TestUser};

const PASSWORD: &str = "correct horse battery staple";

async fn secrets() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&agora::adapters::aws::load_sdk_config().await)
}

async fn create_secret(client: &aws_sdk_secretsmanager::Client, value: &str) -> String {
    client
        .create_secret()
        .name(format!("agora/test/{}", uuid::Uuid::new_v4()))
        .secret_string(value)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap()
}

async fn read_secret(client: &aws_sdk_secretsmanager::Client, id: &str) -> String {
    client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap()
}

/// Signing keys read from Secrets Manager (moto), and rotated by kid.
#[tokio::test]
async fn signing_keys_come_from_secrets_manager_and_rotate_by_kid() {
    let sdk = agora::adapters::aws::load_sdk_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let old = r#"{"jwt_active_kid":"1","jwt_key_1":"first key value, at least 32 characters"}"#;
    let rotated = r#"{"jwt_active_kid":"2","jwt_key_1":"first key value, at least 32 characters","jwt_key_2":"second key value, at least 32 characters"}"#;
    let id = client
        .create_secret()
        .name(format!("agora/test/{}", uuid::Uuid::new_v4()))
        .secret_string(old)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let before = TestApp::with_config(|config| {
        config.secret = SecretLocation::SecretsManager(id.clone());
        config.aws.secret_id = Some(id.clone());
    })
    .await;
    let user = before.with_user().await;
    let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    assert_eq!(kid(&user.access_token), "1");

    client
        .put_secret_value()
        .secret_id(&id)
        .secret_string(rotated)
        .send()
        .await
        .unwrap();
    let after = TestApp::from_config(before.config.clone(), Default::default()).await;
    assert_eq!(
        after
            .call("GET", "/v1/me", Some(&user.access_token), None)
            .await
            .status,
        StatusCode::OK,
        "tokens of the old key still verify"
    );
    let session = after.login(&user.email, PASSWORD).await.json();
    let fresh = TestUser::from_session(&user.email, PASSWORD, &session);
    assert_eq!(kid(&fresh.access_token), "2", "the new key signs");
    // An instance that read the keys before the rotation reads them again for a token
    // naming a key it has not seen, so a one-step rotation signs nobody out.
    assert_eq!(
        before
            .call("GET", "/v1/me", Some(&fresh.access_token), None)
            .await
            .status,
        StatusCode::OK,
        "an instance that knew only key 1 accepts key 2"
    );
    // A forged key id costs no more readings: refused, with the keys as they are.
    let (header, rest) = fresh.access_token.split_once('.').unwrap();
    let mut forged_header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    forged_header["kid"] = "9".into();
    let forged = format!(
        "{}.{rest}",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            forged_header.to_string()
        )
    );
    let refused = before.call("GET", "/v1/me", Some(&forged), None).await;
    refused.problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("signing key is not known")
    );
    // The policy the service signs with is what TokenKeys verifies.
    let keys = TokenKeys::parse(rotated, false).unwrap();
    let policy = TokenPolicy {
        issuer: "agora".into(),
        audience: "agora-api".into(),
        access_ttl: std::time::Duration::from_secs(900),
        leeway: std::time::Duration::from_secs(30),
    };
    assert!(
        keys.verify_access_token(&policy, &fresh.access_token, chrono::Utc::now())
            .is_ok()
    );
}

/// An app whose process signs people in: it reads the signing keys and publishes their
/// public half to `verification`.
async fn signing_app(config: &agora::Config, signing: &str, verification: &str) -> TestApp {
    let mut config = config.clone();
    config.secret = SecretLocation::SecretsManager(signing.to_owned());
    config.aws.secret_id = Some(signing.to_owned());
    config.aws.verification_keys_id = Some(verification.to_owned());
    TestApp::from_config(config, Default::default()).await
}

#[tokio::test]
async fn functions_that_only_verify_read_the_public_half_and_follow_a_rotation() {
    let client = secrets().await;
    let signing = create_secret(
        &client,
        r#"{"jwt_active_kid":"1","jwt_key_1":"first key value, at least 32 characters"}"#,
    )
    .await;
    let verification = create_secret(&client, "{}").await;
    let minting = TestApp::with_config(|config| {
        config.secret = SecretLocation::SecretsManager(signing.clone());
        config.aws.secret_id = Some(signing.clone());
        config.aws.verification_keys_id = Some(verification.clone());
    })
    .await;
    let user = minting.with_user().await;
    // Signing in published the public half, and only it.
    let published = read_secret(&client, &verification).await;
    assert!(published.contains("jwt_public_1"), "{published}");
    assert!(!published.contains("first key value"), "{published}");

    let mut verifying_config = minting.config.clone();
    verifying_config.secret = SecretLocation::SecretsManager(verification.clone());
    verifying_config.aws.secret_id = Some(verification.clone());
    verifying_config.aws.verification_keys_id = None;
    let verifying = TestApp::from_config(verifying_config, Default::default()).await;
    assert_eq!(
        verifying
            .call("GET", "/v1/me", Some(&user.access_token), None)
            .await
            .status,
        StatusCode::OK
    );

    // A one-step rotation: key 2 signs at once. A process that signs with it publishes it
    // first, and the verifier that knew only key 1 reads the public half again.
    client
        .put_secret_value()
        .secret_id(&signing)
        .secret_string(
            r#"{"jwt_active_kid":"2","jwt_key_1":"first key value, at least 32 characters","jwt_key_2":"second key value, at least 32 characters"}"#,
        )
        .send()
        .await
        .unwrap();
    let rotated = signing_app(&minting.config, &signing, &verification).await;
    let session = rotated.login(&user.email, &user.password).await.json();
    let fresh = TestUser::from_session(&user.email, &user.password, &session);
    assert_eq!(
        jsonwebtoken::decode_header(&fresh.access_token)
            .unwrap()
            .kid
            .unwrap(),
        "2"
    );
    assert_eq!(
        verifying
            .call("GET", "/v1/me", Some(&fresh.access_token), None)
            .await
            .status,
        StatusCode::OK,
        "a verifier started before the rotation accepts the new key"
    );
    assert_eq!(
        verifying
            .call("GET", "/v1/me", Some(&user.access_token), None)
            .await
            .status,
        StatusCode::OK,
        "and the old one until it is removed"
    );
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.call("GET", "/v1/me", Some(token), None).await.status
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Issue 15: the rotation schedule (the `rotate-signing-key` function's service, over
/// Secrets Manager) adds key 2, switches to it once it has been published for the
/// propagation time, and retires key 1 after that; nobody is signed out at any step,
/// whether a process read the keys since or not.
#[tokio::test]
async fn the_rotation_schedule_adds_switches_and_retires_without_signing_anyone_out() {
    use std::{sync::Arc, time::Duration};

    use agora::{
        adapters::secrets::SecretsManagerSecret,
        domain::key_rotation::{RotationPolicy, RotationStep},
        services::key_rotation::KeyRotationService,
    };

    let sdk = agora::adapters::aws::load_sdk_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let signing = create_secret(
        &client,
        r#"{"jwt_active_kid":"1","jwt_key_1":"first key value, at least 32 characters"}"#,
    )
    .await;
    let verification = create_secret(&client, "{}").await;
    let clock = crate::accounts::TestClock::new();
    let keys = Arc::new(SecretsManagerSecret::new(&sdk, signing.clone()));
    let schedule = KeyRotationService {
        keys: keys.clone(),
        writer: keys,
        directory: Some(Arc::new(SecretsManagerSecret::new(
            &sdk,
            verification.clone(),
        ))),
        clock: Arc::new(clock.clone()),
        policy: RotationPolicy {
            rotate_after: chrono::Duration::days(30),
            propagation: chrono::Duration::hours(1),
            retire_after: chrono::Duration::hours(1),
        },
    };
    let hour = 3600;

    // Two signing processes: one reads the keys on every request, the other keeps what it
    // read for the default 5 minutes (it has not read the switch yet). And a verifier.
    let base = TestApp::spawn().await;
    let mut eager_config = base.config.clone();
    eager_config.auth.key_refresh = Duration::ZERO;
    let eager = signing_app(&eager_config, &signing, &verification).await;
    let lagging = signing_app(&base.config, &signing, &verification).await;
    let mut verifying_config = eager_config.clone();
    verifying_config.secret = SecretLocation::SecretsManager(verification.clone());
    verifying_config.aws.secret_id = Some(verification.clone());
    verifying_config.aws.verification_keys_id = None;
    let verifying = TestApp::from_config(verifying_config, Default::default()).await;
    assert_eq!(schedule.run(false).await.unwrap(), RotationStep::Dated);
    let user = eager.with_user().await;
    let lagging_session = lagging.login(&user.email, &user.password).await.json();
    let lagging_user = TestUser::from_session(&user.email, &user.password, &lagging_session);
    assert_eq!(kid(&lagging_user.access_token), "1");

    clock.advance(30 * 24 * hour);
    assert_eq!(
        schedule.run(false).await.unwrap(),
        RotationStep::Added { kid: "2".into() }
    );
    let published = read_secret(&client, &verification).await;
    assert!(
        published.contains("jwt_public_1") && published.contains("jwt_public_2"),
        "published before it signs: {published}"
    );
    let session = eager.login(&user.email, &user.password).await.json();
    let before_switch = TestUser::from_session(&user.email, &user.password, &session);
    assert_eq!(kid(&before_switch.access_token), "1", "key 1 still signs");

    // Not yet known for an hour: no switch.
    assert!(matches!(
        schedule.run(false).await.unwrap(),
        RotationStep::Waiting { .. }
    ));
    clock.advance(hour);
    assert_eq!(
        schedule.run(false).await.unwrap(),
        RotationStep::Switched {
            from: "1".into(),
            to: "2".into()
        }
    );
    let session = eager.login(&user.email, &user.password).await.json();
    let after_switch = TestUser::from_session(&user.email, &user.password, &session);
    assert_eq!(kid(&after_switch.access_token), "2", "key 2 signs");
    let session = lagging.login(&user.email, &user.password).await.json();
    let from_lagging = TestUser::from_session(&user.email, &user.password, &session);
    assert_eq!(
        kid(&from_lagging.access_token),
        "1",
        "a process that has not read the switch signs with key 1"
    );
    for token in [
        &before_switch.access_token,
        &after_switch.access_token,
        &from_lagging.access_token,
    ] {
        assert_eq!(me(&verifying, token).await, StatusCode::OK);
        assert_eq!(me(&lagging, token).await, StatusCode::OK);
    }

    clock.advance(hour);
    assert_eq!(
        schedule.run(false).await.unwrap(),
        RotationStep::Retired {
            kids: vec!["1".into()]
        }
    );
    let published = read_secret(&client, &verification).await;
    assert!(
        !published.contains("jwt_public_1") && published.contains("jwt_public_2"),
        "{published}"
    );
    let signing_keys = read_secret(&client, &signing).await;
    assert!(!signing_keys.contains("first key value"), "retired");
    assert_eq!(me(&eager, &after_switch.access_token).await, StatusCode::OK);
    assert_eq!(
        me(&eager, &before_switch.access_token).await,
        StatusCode::UNAUTHORIZED,
        "a retired key verifies nothing (its tokens have expired by now in real time)"
    );
}
