//! Contract suites of the ports whose adapters had none: key wrapping (KMS on moto, the
//! local key file), the secret holding Agora's keys (Secrets Manager on moto, inline, the
//! local file) and the workflow queue (SQS on moto, in process). Each contract is one
//! function that every adapter of its port runs.

use std::time::Duration;

use agora::{
    adapters::{
        kms::KmsKeyWrapper,
        local::{keys::LocalKeyWrapper, queue::InProcessQueue},
        secrets::{InlineSecret, LocalSecretFile, SecretsManagerSecret},
        sqs::SqsQueue,
    },
    domain::tokens::TokenKeys,
    ports::{KeyWrapper, Queue, QueueConsumer, SecretError, SecretSource, StepMessage},
};
use uuid::Uuid;

async fn sdk() -> aws_config::SdkConfig {
    agora::adapters::aws::load_sdk_config().await
}

// ---- key wrapping --------------------------------------------------------------------------

/// Data keys are fresh 256-bit keys, wrapped so that only the wrapper opens them, and a
/// wrapped key that was tampered with or comes from elsewhere does not open.
async fn key_wrapping_contract(wrapper: &dyn KeyWrapper, stranger: &dyn KeyWrapper) {
    let first = wrapper.generate_data_key().await.unwrap();
    let second = wrapper.generate_data_key().await.unwrap();
    assert_eq!(first.plaintext.len(), 32, "256-bit data keys");
    assert_ne!(first.plaintext, second.plaintext, "every data key is fresh");
    assert_ne!(first.wrapped, first.plaintext, "the stored copy is wrapped");
    assert!(
        !first
            .wrapped
            .windows(first.plaintext.len())
            .any(|window| window == first.plaintext),
        "the plaintext is nowhere in the wrapped key"
    );
    assert_eq!(
        wrapper.unwrap_data_key(&first.wrapped).await.unwrap(),
        first.plaintext
    );
    assert_eq!(
        wrapper.unwrap_data_key(&second.wrapped).await.unwrap(),
        second.plaintext
    );
    let mut tampered = first.wrapped.clone();
    if let Some(last) = tampered.last_mut() {
        *last ^= 0x01;
    }
    assert!(wrapper.unwrap_data_key(&tampered).await.is_err());
    assert!(wrapper.unwrap_data_key(b"").await.is_err());
    assert!(
        stranger.unwrap_data_key(&first.wrapped).await.is_err(),
        "another master key does not open it"
    );
    assert!(!wrapper.key_id().is_empty());
}

#[tokio::test]
async fn the_local_key_file_wraps_data_keys_by_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = LocalKeyWrapper::new(dir.path().join("master.key"));
    let stranger = LocalKeyWrapper::new(dir.path().join("other.key"));
    key_wrapping_contract(&wrapper, &stranger).await;
    // The master key is made once and kept: a new process opens what the last one wrapped.
    let key = wrapper.generate_data_key().await.unwrap();
    let again = LocalKeyWrapper::new(dir.path().join("master.key"));
    assert_eq!(
        again.unwrap_data_key(&key.wrapped).await.unwrap(),
        key.plaintext
    );
}

#[tokio::test]
async fn kms_wraps_data_keys_by_the_contract() {
    let sdk = sdk().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let mut keys = Vec::new();
    for _ in 0..2 {
        let key = kms.create_key().send().await.unwrap();
        keys.push(key.key_metadata().unwrap().key_id().to_owned());
    }
    let wrapper = KmsKeyWrapper::new(&sdk, &keys[0]);
    let stranger = KmsKeyWrapper::new(&sdk, &keys[1]);
    key_wrapping_contract(&wrapper, &stranger).await;
}

// ---- secrets -------------------------------------------------------------------------------

/// The secret reads back as it was stored, every time, and describes where it lives
/// without ever showing its value.
async fn secret_contract(source: &dyn SecretSource, stored: &str) {
    assert_eq!(source.read().await.unwrap(), stored);
    assert_eq!(source.read().await.unwrap(), stored, "reads are stable");
    let described = source.describe();
    assert!(!described.is_empty());
    assert!(
        !described.contains(stored),
        "the description never shows the value"
    );
}

fn signing_secret() -> String {
    let secret = TokenKeys::generate_secret().unwrap();
    agora::testing::remember_secret(&secret);
    secret
}

#[tokio::test]
async fn an_inline_secret_reads_by_the_contract() {
    let secret = signing_secret();
    secret_contract(&InlineSecret(secret.clone()), &secret).await;
}

#[tokio::test]
async fn a_local_secret_file_reads_by_the_contract_and_is_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.json");
    let source = LocalSecretFile { path: path.clone() };
    let made = source.read().await.unwrap();
    agora::testing::remember_secret(&made);
    assert!(TokenKeys::parse(&made, false).is_ok(), "fresh signing keys");
    secret_contract(&source, &made).await;
    secret_contract(&LocalSecretFile { path }, &made).await;
}

#[tokio::test]
async fn secrets_manager_reads_by_the_contract_and_says_what_is_missing() {
    let sdk = sdk().await;
    let name = format!("agora/contract/{}", Uuid::new_v4().simple());
    let secret = signing_secret();
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&name)
        .secret_string(&secret)
        .send()
        .await
        .unwrap();
    secret_contract(&SecretsManagerSecret::new(&sdk, name.clone()), &secret).await;
    let missing = SecretsManagerSecret::new(&sdk, format!("{name}-missing"));
    match missing.read().await {
        Err(SecretError::Unavailable(why)) => assert!(why.contains("missing"), "{why}"),
        other => panic!("a missing secret is unavailable, not {other:?}"),
    }
}

// ---- the workflow queue ----------------------------------------------------------------------

fn message(step: &str) -> StepMessage {
    StepMessage {
        run_id: Uuid::now_v7(),
        step: step.to_owned(),
        redriven: false,
    }
}

/// Receives until `count` deliveries came, or nothing more comes.
async fn receive(queue: &dyn QueueConsumer, count: usize) -> Vec<agora::ports::Delivery> {
    let mut received = Vec::new();
    for _ in 0..20 {
        if received.len() >= count {
            break;
        }
        let batch = queue
            .receive(count - received.len(), Duration::from_secs(1))
            .await
            .unwrap();
        received.extend(batch);
    }
    received
}

/// What is sent is received with a receive count, an acknowledged message does not come
/// back, a retried one comes back (after its delay) counted again, and a delayed send is
/// not visible before its delay.
async fn queue_contract(queue: &(impl Queue + QueueConsumer)) {
    let sent = [message("first"), message("second")];
    queue.send(&sent).await.unwrap();
    let received = receive(queue, 2).await;
    assert_eq!(received.len(), 2);
    let mut bodies: Vec<StepMessage> = received
        .iter()
        .map(|delivery| serde_json::from_str(&delivery.body).unwrap())
        .collect();
    bodies.sort_by(|a, b| a.step.cmp(&b.step));
    assert_eq!(bodies, sent.to_vec());
    assert!(received.iter().all(|delivery| delivery.receive_count == 1));
    assert_ne!(received[0].message_id, received[1].message_id);

    queue.acknowledge(&received[0]).await.unwrap();
    queue
        .retry_later(&received[1], Duration::from_secs(1))
        .await
        .unwrap();
    let again = receive(queue, 1).await;
    assert_eq!(again.len(), 1, "the retried message comes back");
    assert_eq!(again[0].message_id, received[1].message_id);
    assert_eq!(again[0].receive_count, 2, "counted again");
    queue.acknowledge(&again[0]).await.unwrap();
    assert!(
        queue
            .receive(10, Duration::from_millis(1500))
            .await
            .unwrap()
            .is_empty(),
        "acknowledged messages do not come back"
    );

    queue
        .send_after(&[message("later")], Duration::from_secs(2))
        .await
        .unwrap();
    assert!(
        queue
            .receive(10, Duration::from_millis(200))
            .await
            .unwrap()
            .is_empty(),
        "not before its delay"
    );
    let later = receive(queue, 1).await;
    assert_eq!(later.len(), 1, "after its delay");
    queue.acknowledge(&later[0]).await.unwrap();
}

#[tokio::test]
async fn the_in_process_queue_delivers_by_the_contract() {
    let queue = InProcessQueue::new(5);
    queue_contract(&queue).await;
}

#[tokio::test]
async fn sqs_delivers_by_the_contract() {
    let sdk = sdk().await;
    let created = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name(format!("contract-{}", Uuid::new_v4().simple()))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "30",
        )
        .send()
        .await
        .unwrap();
    let queue = SqsQueue::new(&sdk, created.queue_url().unwrap());
    queue_contract(&queue).await;
}

#[tokio::test]
async fn the_in_process_queue_dead_letters_after_its_receive_count() {
    let queue = InProcessQueue::new(2);
    queue.send(&[message("poison")]).await.unwrap();
    for receives in 1..=2 {
        let delivery = receive(&queue, 1).await.remove(0);
        assert_eq!(delivery.receive_count, receives);
        queue
            .retry_later(&delivery, Duration::from_millis(10))
            .await
            .unwrap();
    }
    assert!(
        queue
            .receive(1, Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(queue.dead_letters().len(), 1);
}
