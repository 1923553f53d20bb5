//! The `Cache` contract, run by every adapter: in-process (moka) and Redis.

use std::{sync::Arc, time::Duration};

use agora::{
    adapters::{
        local::cache::InProcessCache,
        redis::{RedisCache, RedisSettings},
    },
    ports::{Cache, CacheError},
    testing,
};

fn redis_config(url: String, prefix: String) -> RedisSettings {
    RedisSettings {
        url,
        key_prefix: prefix,
        pool_size: 4,
        timeout: Duration::from_millis(500),
    }
}

fn redis() -> Arc<dyn Cache> {
    Arc::new(
        RedisCache::new(&redis_config(
            testing::redis_url(),
            testing::unique_prefix(),
        ))
        .unwrap(),
    )
}

fn in_process() -> Arc<dyn Cache> {
    Arc::new(InProcessCache::new())
}

/// Runs one contract case against both adapters.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod in_process_cache { $( #[tokio::test] async fn $case() { super::$case(super::in_process()).await } )* }
        mod redis_cache { $( #[tokio::test] async fn $case() { super::$case(super::redis()).await } )* }
    };
}

contract!(
    values_round_trip,
    missing_keys_are_none,
    set_overwrites,
    delete_removes,
    entries_expire_after_their_ttl,
    counters_count_within_a_fixed_window,
    a_non_counter_cannot_be_incremented,
    ping_answers,
);

async fn values_round_trip(cache: Arc<dyn Cache>) {
    cache
        .set("k", b"\x00binary\xff", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get("k").await.unwrap().as_deref(),
        Some(&b"\x00binary\xff"[..])
    );
}

async fn missing_keys_are_none(cache: Arc<dyn Cache>) {
    assert_eq!(cache.get("never-set").await.unwrap(), None);
}

async fn set_overwrites(cache: Arc<dyn Cache>) {
    cache
        .set("k", b"one", Duration::from_secs(60))
        .await
        .unwrap();
    cache
        .set("k", b"two", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"two"[..]));
}

async fn delete_removes(cache: Arc<dyn Cache>) {
    cache.set("k", b"v", Duration::from_secs(60)).await.unwrap();
    cache.delete("k").await.unwrap();
    cache.delete("k").await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None);
}

async fn entries_expire_after_their_ttl(cache: Arc<dyn Cache>) {
    cache
        .set("short", b"v", Duration::from_millis(100))
        .await
        .unwrap();
    cache
        .set("long", b"v", Duration::from_secs(60))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(cache.get("short").await.unwrap(), None);
    assert!(cache.get("long").await.unwrap().is_some());
}

async fn counters_count_within_a_fixed_window(cache: Arc<dyn Cache>) {
    let window = Duration::from_millis(300);
    assert_eq!(cache.increment("hits", window).await.unwrap(), 1);
    assert_eq!(cache.increment("hits", window).await.unwrap(), 2);
    assert_eq!(cache.increment("other", window).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        cache.increment("hits", window).await.unwrap(),
        1,
        "a new window starts after expiry"
    );
}

async fn a_non_counter_cannot_be_incremented(cache: Arc<dyn Cache>) {
    cache
        .set("text", b"hello", Duration::from_secs(60))
        .await
        .unwrap();
    assert!(matches!(
        cache.increment("text", Duration::from_secs(1)).await,
        Err(CacheError::NotACounter { .. })
    ));
}

async fn ping_answers(cache: Arc<dyn Cache>) {
    cache.ping().await.unwrap();
}

#[tokio::test]
async fn redis_keys_live_under_the_configured_prefix() {
    let url = testing::redis_url();
    let first = RedisCache::new(&redis_config(url.clone(), testing::unique_prefix())).unwrap();
    let second = RedisCache::new(&redis_config(url, testing::unique_prefix())).unwrap();
    first
        .set("shared-name", b"first", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(second.get("shared-name").await.unwrap(), None);
}

#[tokio::test]
async fn an_unreachable_redis_is_unavailable_within_the_timeout() {
    let cache = RedisCache::new(&redis_config(
        format!("redis://127.0.0.1:{}", crate::support::closed_port()),
        "x:".into(),
    ))
    .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), cache.get("k"))
        .await
        .expect("bounded by the Redis timeout");
    assert!(matches!(outcome, Err(CacheError::Unavailable(_))));
    let error: agora::Error = outcome.unwrap_err().into();
    assert_eq!(error.status(), http::StatusCode::SERVICE_UNAVAILABLE);
}
