//! Health probes of the configured AWS services, against moto's server.

use agora::adapters::aws::AwsSettings;
use aws_config::BehaviorVersion;

use crate::support::TestApp;

async fn sdk() -> aws_config::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run under scripts/test, which starts moto, or point it at moto's server"
    );
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Creates one of each resource in moto and returns their ids.
async fn provision() -> AwsSettings {
    let sdk = sdk().await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let bucket = format!("agora-{unique}");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let queue_url = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name(format!("agora-{unique}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let table = format!("agora-{unique}");
    aws_sdk_dynamodb::Client::new(&sdk)
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let key_id = aws_sdk_kms::Client::new(&sdk)
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(format!("agora/{unique}"))
        .secret_string("{}")
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    AwsSettings {
        s3_bucket: Some(bucket),
        queue_url: Some(queue_url),
        idempotency_table: Some(table),
        kms_key_id: Some(key_id),
        secret_id: Some(secret),
        endpoint_url: Some(std::env::var("AWS_ENDPOINT_URL").unwrap()),
        dead_letter_queue_url: None,
        verification_keys_id: None,
        provider_secret_id: None,
        database_owner_secret_id: None,
    }
}

/// The health report of an app over a fresh database and Redis and these AWS services.
async fn report(aws: AwsSettings) -> serde_json::Value {
    let app = TestApp::with_config(|config| config.aws = aws).await;
    serde_json::to_value(
        app.state
            .health(agora::services::health::PROBE_BUDGET)
            .await,
    )
    .unwrap()
}

#[tokio::test]
async fn every_configured_aws_service_is_probed_and_ok() {
    let report = report(provision().await).await;
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "database",
            "cache",
            "s3",
            "sqs",
            "dynamodb",
            "kms",
            "secretsmanager"
        ]
    );
    assert_eq!(report["status"], "ok", "{report}");
}

#[tokio::test]
async fn a_missing_aws_resource_fails_its_probe_and_only_its_probe() {
    let aws = AwsSettings {
        s3_bucket: Some("agora-no-such-bucket".to_owned()),
        idempotency_table: Some("no-such-table".to_owned()),
        ..provision().await
    };
    let report = report(aws).await;
    assert_eq!(report["status"], "degraded");
    for check in report["checks"].as_array().unwrap() {
        let expected = if ["s3", "dynamodb"].contains(&check["name"].as_str().unwrap()) {
            "failed"
        } else {
            "ok"
        };
        assert_eq!(check["status"], expected, "{check}");
    }
    let dynamodb = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "dynamodb")
        .unwrap();
    assert!(
        dynamodb["error"]
            .as_str()
            .unwrap()
            .contains("ResourceNotFound"),
        "{dynamodb}"
    );
}
