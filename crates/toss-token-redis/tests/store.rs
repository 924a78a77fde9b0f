//! The store against a real `redis-server`: tokens, expiry, compare-and-set, the
//! refresh lock, and what it does with values it did not write.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Provider, RedisServer, command_calls, namespace};
use time::OffsetDateTime;
use toss_sign::{AccessToken, RefreshLock, TokenStore, TxId};
use toss_token_redis::{Error, RedisTokenStore};

fn token(value: &str, lifetime: Duration) -> AccessToken {
    AccessToken::new(value, OffsetDateTime::now_utc(), lifetime)
}

const HOUR: Duration = Duration::from_secs(3600);

async fn pttl(server: &RedisServer, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut server.raw().await)
        .await
        .unwrap()
}

async fn raw_get(server: &RedisServer, key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut server.raw().await)
        .await
        .unwrap()
}

fn millis(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos() / 1_000_000
}

#[tokio::test]
async fn get_put_round_trip() {
    let server = RedisServer::start();
    let store = server.store(&namespace("round-trip")).await;
    assert!(store.get().await.unwrap().is_none(), "empty at first");

    let put = token("eyJ:with:colons", HOUR);
    store.put(put.clone()).await.unwrap();
    let got = store.get().await.unwrap().unwrap();
    assert_eq!(got.expose_secret(), "eyJ:with:colons");
    // Times are kept to the millisecond.
    assert_eq!(millis(got.issued_at()), millis(put.issued_at()));
    assert_eq!(millis(got.expires_at()), millis(put.expires_at()));

    // A clone shares the connection and sees the same token; put replaces it.
    let clone = store.clone();
    clone.put(token("second", HOUR)).await.unwrap();
    assert_eq!(
        store.get().await.unwrap().unwrap().expose_secret(),
        "second"
    );
}

#[tokio::test]
async fn keys_are_namespaced_and_debug_hides_the_url() {
    let server = RedisServer::start();
    let a = RedisTokenStore::builder(format!(
        "redis://:secret-password@127.0.0.1:{}/",
        server.port()
    ))
    .namespace("svc-a");
    assert!(!format!("{a:?}").contains("secret-password"), "{a:?}");
    let a = server.store("svc-a").await;
    let b = server.store("svc-b").await;
    assert_eq!(a.token_key(), "toss-cert:svc-a:token");
    assert_eq!(a.lock_key(), "toss-cert:svc-a:token-lock");
    a.put(token("for-a", HOUR)).await.unwrap();
    assert!(b.get().await.unwrap().is_none(), "b sees nothing of a");
    assert!(b.try_lock_refresh(HOUR).await.unwrap().is_some());
    assert!(
        a.try_lock_refresh(HOUR).await.unwrap().is_some(),
        "b's lock is not a's"
    );
    let token = a.get().await.unwrap().unwrap();
    assert!(!format!("{a:?}").contains("for-a"));
    assert!(!format!("{token:?}").contains("for-a"));
}

#[tokio::test]
async fn the_redis_key_expires_with_the_token() {
    let server = RedisServer::start();
    let store = server.store(&namespace("expiry")).await;
    store
        .put(token("t", Duration::from_secs(60)))
        .await
        .unwrap();
    let left = pttl(&server, store.token_key()).await;
    assert!(left > 0 && left <= 60_000, "PTTL {left}");
    assert!(left > 55_000, "PTTL {left}: about the token's lifetime");

    // A short-lived token is gone from Redis once it expires.
    store
        .put(token("short", Duration::from_millis(300)))
        .await
        .unwrap();
    let left = pttl(&server, store.token_key()).await;
    assert!(left > 0 && left <= 300, "PTTL {left}");
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(store.get().await.unwrap().is_none());
    assert_eq!(pttl(&server, store.token_key()).await, -2, "key gone");

    // A token already expired is not kept (Redis needs a positive expiry).
    let dead = AccessToken::new(
        "dead",
        OffsetDateTime::now_utc() - time::Duration::hours(2),
        HOUR,
    );
    store.put(dead).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(store.get().await.unwrap().is_none());
}

#[tokio::test]
async fn compare_and_set_replaces_only_the_expected_token() {
    let server = RedisServer::start();
    let store = server.store(&namespace("cas")).await;
    let a = token("a", HOUR);
    let b = token("b", HOUR);
    let c = token("c", HOUR);

    // None → Some when empty.
    assert!(store.compare_and_set(None, Some(a.clone())).await.unwrap());
    assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "a");
    // None → Some refused when something is stored.
    assert!(!store.compare_and_set(None, Some(b.clone())).await.unwrap());
    assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "a");

    // Matching current → replaced, with the new token's expiry.
    assert!(
        store
            .compare_and_set(Some(&a), Some(b.clone()))
            .await
            .unwrap()
    );
    assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "b");
    let left = pttl(&server, store.token_key()).await;
    assert!(left > 3_500_000 && left <= 3_600_000, "PTTL {left}");

    // Stale current → refused, the newer token stays.
    assert!(!store.compare_and_set(Some(&a), None).await.unwrap());
    assert!(
        !store
            .compare_and_set(Some(&a), Some(c.clone()))
            .await
            .unwrap()
    );
    assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "b");

    // Same value, other expiry: not the same token.
    let b_later =
        AccessToken::from_parts("b", b.issued_at(), b.expires_at() + time::Duration::SECOND);
    assert!(!store.compare_and_set(Some(&b_later), None).await.unwrap());

    // Matching current → deleted. The token compared is the one the client holds, with
    // nanosecond times, not the millisecond copy read back.
    assert!(store.compare_and_set(Some(&b), None).await.unwrap());
    assert!(store.get().await.unwrap().is_none());
    assert_eq!(pttl(&server, store.token_key()).await, -2);

    // Some → anything refused when empty.
    assert!(!store.compare_and_set(Some(&b), Some(c)).await.unwrap());
    assert!(store.get().await.unwrap().is_none());
}

#[tokio::test]
async fn the_refresh_lock_is_exclusive_and_only_its_holder_releases_it() {
    let server = RedisServer::start();
    let ns = namespace("lock");
    let store = server.store(&ns).await;
    let other_process = server.store(&ns).await;

    let lock = store.try_lock_refresh(HOUR).await.unwrap().unwrap();
    assert!(!lock.fencing().is_empty());
    assert!(store.try_lock_refresh(HOUR).await.unwrap().is_none());
    assert!(
        other_process
            .try_lock_refresh(HOUR)
            .await
            .unwrap()
            .is_none()
    );
    let left = pttl(&server, store.lock_key()).await;
    assert!(left > 3_590_000 && left <= 3_600_000, "PTTL {left}");

    // A foreign lock leaves it in place.
    other_process
        .unlock_refresh(&RefreshLock::new("not-the-holder"))
        .await
        .unwrap();
    other_process
        .unlock_refresh(&RefreshLock::new(""))
        .await
        .unwrap();
    assert_eq!(
        raw_get(&server, store.lock_key()).await.as_deref(),
        Some(lock.fencing())
    );
    assert!(
        other_process
            .try_lock_refresh(HOUR)
            .await
            .unwrap()
            .is_none()
    );

    // The holder's fencing value releases it, from any connection.
    other_process.unlock_refresh(&lock).await.unwrap();
    assert!(raw_get(&server, store.lock_key()).await.is_none());
    let next = other_process.try_lock_refresh(HOUR).await.unwrap().unwrap();
    assert_ne!(next.fencing(), lock.fencing(), "fencing values are unique");
    // Releasing twice is harmless and does not free the next holder's lock.
    store.unlock_refresh(&lock).await.unwrap();
    assert!(store.try_lock_refresh(HOUR).await.unwrap().is_none());
}

#[tokio::test]
async fn the_refresh_lock_expires_after_its_ttl() {
    let server = RedisServer::start();
    let store = server.store(&namespace("lock-ttl")).await;
    let ttl = Duration::from_millis(300);
    let first = store.try_lock_refresh(ttl).await.unwrap().unwrap();
    let left = pttl(&server, store.lock_key()).await;
    assert!(left > 0 && left <= 300, "PTTL {left}");
    assert!(store.try_lock_refresh(ttl).await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(450)).await;
    let second = store
        .try_lock_refresh(HOUR)
        .await
        .unwrap()
        .expect("the expired lock can be taken again");
    // The first holder, late, cannot release the second holder's lock.
    store.unlock_refresh(&first).await.unwrap();
    assert_eq!(
        raw_get(&server, store.lock_key()).await.as_deref(),
        Some(second.fencing())
    );

    // A TTL under a millisecond still expires (rounded up to 1 ms, not refused by Redis).
    store.unlock_refresh(&second).await.unwrap();
    assert!(
        store
            .try_lock_refresh(Duration::from_micros(10))
            .await
            .unwrap()
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(store.try_lock_refresh(HOUR).await.unwrap().is_some());
}

async fn raw_set(server: &RedisServer, key: &str, value: &[u8]) {
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async(&mut server.raw().await)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_value_it_cannot_read_counts_as_no_token() {
    let server = RedisServer::start();
    let store = server.store(&namespace("corrupt")).await;
    let garbage: [&[u8]; 9] = [
        b"",
        b"garbage",
        b"1:2",
        b"1:2:",
        b"x:2:t",
        b"1:y:t",
        b"99999999999999999999999999999999999999:1:t",
        "\u{fffd}".as_bytes(),
        &[0xff, 0xfe, b':', b'1'],
    ];
    for value in garbage {
        raw_set(&server, store.token_key(), value).await;
        assert!(store.get().await.unwrap().is_none(), "{value:?}");
        // A compare-and-set from "no token" replaces it…
        assert!(
            store
                .compare_and_set(None, Some(token("new", HOUR)))
                .await
                .unwrap(),
            "{value:?}"
        );
        assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "new");
        // …but not a token another process stored meanwhile.
        assert!(
            !store
                .compare_and_set(None, Some(token("late", HOUR)))
                .await
                .unwrap()
        );
    }

    // A key of another type is not a value at all: an error, for the client to leave
    // the store out.
    let mut raw = server.raw().await;
    let _: () = redis::cmd("DEL")
        .arg(store.token_key())
        .query_async(&mut raw)
        .await
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg(store.token_key())
        .arg("f")
        .arg("v")
        .query_async(&mut raw)
        .await
        .unwrap();
    let error = store.get().await.unwrap_err();
    assert!(
        matches!(error.downcast_ref::<Error>(), Some(Error::Command(_))),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_corrupt_stored_value_heals_at_the_next_refresh() {
    let server = RedisServer::start();
    let store = server.store(&namespace("heal")).await;
    raw_set(&server, store.token_key(), b"garbage:from:elsewhere").await;
    let provider = Provider::new(Duration::ZERO);
    let client = provider.client(Arc::new(store.clone()), Duration::from_secs(2));
    client.status(&TxId::new("tx-1")).await.unwrap();
    assert_eq!(provider.tokens_issued(), 1);
    assert_eq!(
        raw_get(&server, store.token_key())
            .await
            .unwrap()
            .rsplit(':')
            .next(),
        Some("token-1"),
        "the garbage was overwritten"
    );
    assert_eq!(
        store.get().await.unwrap().unwrap().expose_secret(),
        "token-1"
    );
    // A second process now shares it.
    let second = provider.client(Arc::new(store.clone()), Duration::from_secs(2));
    second.status(&TxId::new("tx-1")).await.unwrap();
    assert_eq!(provider.tokens_issued(), 1);
}

#[tokio::test]
async fn a_status_poll_with_a_fresh_local_token_makes_no_redis_call() {
    let server = RedisServer::start();
    let ns = namespace("no-calls");
    let provider = Provider::new(Duration::ZERO);
    let client = provider.client(Arc::new(server.store(&ns).await), Duration::from_secs(2));
    client.status(&TxId::new("tx-1")).await.unwrap();

    let mut raw = server.raw().await;
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut raw)
        .await
        .unwrap();
    for _ in 0..50 {
        client.status(&TxId::new("tx-1")).await.unwrap();
    }
    let calls = command_calls(&mut raw).await;
    let by_the_client: BTreeMap<_, _> = calls
        .iter()
        .filter(|(name, _)| !name.starts_with("config") && !name.starts_with("info"))
        .collect();
    assert!(by_the_client.is_empty(), "{calls:?}");
    assert_eq!(provider.status_calls(), 51);

    // The count is live: a process without a token reads Redis (and finds it).
    let cold = provider.client(Arc::new(server.store(&ns).await), Duration::from_secs(2));
    cold.status(&TxId::new("tx-1")).await.unwrap();
    let calls = command_calls(&mut raw).await;
    assert_eq!(calls.get("get"), Some(&1), "{calls:?}");
    assert_eq!(provider.tokens_issued(), 1);
}

#[tokio::test]
async fn connecting_to_nothing_is_a_connect_error() {
    let invalid = RedisTokenStore::builder("not a url").connect().await;
    assert!(matches!(invalid, Err(Error::Connect(_))), "{invalid:?}");
    let wrong_scheme = RedisTokenStore::builder("http://127.0.0.1:6379/")
        .connect()
        .await;
    assert!(
        matches!(wrong_scheme, Err(Error::Connect(_))),
        "{wrong_scheme:?}"
    );
}

#[tokio::test]
async fn a_frozen_redis_fails_calls_within_the_timeout_instead_of_hanging() {
    let server = RedisServer::start();
    let store = RedisTokenStore::builder(server.url())
        .namespace(namespace("frozen"))
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    store.put(token("t", HOUR)).await.unwrap();
    server.freeze();
    let started = Instant::now();
    let error = store.get().await.unwrap_err();
    let took = started.elapsed();
    server.thaw();
    // Our bound or the connection's own response timeout, whichever fires first.
    assert!(
        matches!(
            error.downcast_ref::<Error>(),
            Some(Error::Timeout(_)) | Some(Error::Command(_))
        ),
        "{error:?}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Once Redis answers again, so does the store.
    let mut again = store.get().await;
    for _ in 0..50 {
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        again = store.get().await;
    }
    assert_eq!(again.unwrap().unwrap().expose_secret(), "t");
}

#[tokio::test]
async fn a_killed_redis_fails_commands_in_time_and_is_reconnected_once_back() {
    let mut server = RedisServer::start();
    let timeout = Duration::from_millis(300);
    let store = RedisTokenStore::builder(server.url())
        .namespace(namespace("killed"))
        .timeout(timeout)
        .connect()
        .await
        .unwrap();
    store.put(token("before", HOUR)).await.unwrap();
    server.kill();
    // Refused, reset, or waiting for the reconnection: never longer than the timeout.
    let outage = Instant::now();
    while outage.elapsed() < Duration::from_secs(4) {
        let started = Instant::now();
        let result = store.get().await;
        let took = started.elapsed();
        assert!(result.is_err(), "Redis is down");
        assert!(took < timeout + Duration::from_millis(200), "{took:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.restart();
    // Reconnected within the manager's delay between attempts (at most 2 s), plus margin.
    let back = Instant::now();
    let got = loop {
        match store.get().await {
            Ok(got) => break got,
            Err(e) => assert!(
                back.elapsed() < Duration::from_secs(5),
                "not reconnected 5 s after Redis came back: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        got.is_none(),
        "a Redis restarted without persistence is empty"
    );
    store.put(token("after", HOUR)).await.unwrap();
    assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "after");
}
