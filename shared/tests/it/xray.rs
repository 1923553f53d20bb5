//! X-Ray subsegments (issue 15): with a sampled trace, each call to the database, the cache,
//! an AWS API and a model provider reaches the X-Ray daemon (a UDP socket here, as
//! Lambda's is) as a subsegment document of the invocation's trace, in the documented
//! format; an unsampled invocation sends nothing.

use std::time::Duration;

use agora::{
    Config,
    adapters::{postgres::Db, redis::RedisCache},
    ports::Cache,
    telemetry::xray::XRayLayer,
};
use serde_json::Value;
use tracing_subscriber::{Layer, filter::filter_fn, prelude::*};

use crate::{
    llm_stub::{LlmStub, Scenario},
    providers::{Adapter, collect, request},
};

const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
const PARENT: &str = "53995c3f42cd8ad8";

fn sampled() -> Option<String> {
    Some(format!("Root={ROOT};Parent={PARENT};Sampled=1"))
}

fn unsampled() -> Option<String> {
    Some(format!("Root={ROOT};Parent={PARENT};Sampled=0"))
}

/// Makes one call of each kind, with the X-Ray layer reporting to a local daemon socket.
async fn make_calls(trace_header: fn() -> Option<String>) -> tokio::net::UdpSocket {
    let daemon = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let layer = XRayLayer::new(daemon.local_addr().unwrap(), trace_header).unwrap();
    let subscriber =
        tracing_subscriber::registry().with(layer.with_filter(filter_fn(XRayLayer::wants)));
    let _guard = tracing::subscriber::set_default(subscriber);

    let config = Config::from_vars([
        (
            "DATABASE_URL".to_owned(),
            agora::testing::admin_database_url(),
        ),
        ("REDIS_URL".to_owned(), agora::testing::redis_url()),
    ])
    .unwrap();
    let db = Db::new(config.database.as_ref().unwrap(), None).unwrap();
    db.connection()
        .await
        .unwrap()
        .query_one("SELECT 1", &[])
        .await
        .unwrap();
    let cache = RedisCache::new(config.redis.as_ref().unwrap()).unwrap();
    cache.get("xray-test").await.unwrap();
    let sdk = agora::adapters::aws::load_sdk_config().await;
    aws_sdk_s3::Client::new(&sdk)
        .list_buckets()
        .send()
        .await
        .unwrap();
    let stub = LlmStub::start().await;
    stub.always(Scenario::Recorded);
    let provider = Adapter::OpenAi.build(&stub).await;
    collect(&provider, &request(Adapter::OpenAi, false))
        .await
        .unwrap();
    daemon
}

/// The documents that arrive within a short wait.
async fn received(daemon: &tokio::net::UdpSocket) -> Vec<Value> {
    let mut documents = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    while let Ok(Ok(length)) =
        tokio::time::timeout(Duration::from_millis(500), daemon.recv(&mut buffer)).await
    {
        let packet = std::str::from_utf8(&buffer[..length]).unwrap();
        let (header, document) = packet.split_once('\n').expect("header, newline, document");
        assert_eq!(
            serde_json::from_str::<Value>(header).unwrap(),
            serde_json::json!({ "format": "json", "version": 1 })
        );
        documents.push(serde_json::from_str(document).unwrap());
    }
    documents
}

#[tokio::test]
async fn database_cache_aws_and_provider_calls_become_subsegments_of_the_invocation() {
    let daemon = make_calls(sampled).await;
    let documents = received(&daemon).await;
    let find = |name: &str| {
        documents
            .iter()
            .find(|document| document["name"].as_str().is_some_and(|n| n.contains(name)))
            .unwrap_or_else(|| panic!("no subsegment named {name}: {documents:#?}"))
    };
    for document in &documents {
        assert_eq!(document["type"], "subsegment");
        assert_eq!(document["trace_id"], ROOT);
        assert_eq!(document["parent_id"], PARENT);
        let id = document["id"].as_str().unwrap();
        assert!(id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(document["end_time"].as_f64().unwrap() >= document["start_time"].as_f64().unwrap());
    }
    let database = find("postgres@127.0.0.1");
    assert_eq!(database["namespace"], "remote");
    assert_eq!(database["sql"]["database_type"], "PostgreSQL");
    assert_eq!(database["sql"]["url"], "postgresql://127.0.0.1/postgres");
    assert!(
        !database.to_string().contains("password"),
        "no credential in a subsegment"
    );
    let cache = find("Redis");
    assert_eq!(cache["metadata"]["operation"], "get");
    assert!(cache.get("fault").is_none());
    let s3 = find("S3");
    assert_eq!(s3["namespace"], "aws");
    assert_eq!(s3["aws"]["operation"], "ListBuckets");
    let provider = documents
        .iter()
        .find(|document| document.get("http").is_some())
        .expect("a provider subsegment");
    assert_eq!(provider["name"], "127.0.0.1", "the provider's host");
    assert_eq!(provider["namespace"], "remote");
    assert_eq!(provider["http"]["request"]["method"], "POST");
    assert!(
        provider["http"]["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/v1/chat/completions")
    );
    assert_eq!(provider["http"]["response"]["status"], 200);
}

#[tokio::test]
async fn an_unsampled_invocation_sends_no_subsegment() {
    let daemon = make_calls(unsampled).await;
    assert_eq!(received(&daemon).await, Vec::<Value>::new());
}
