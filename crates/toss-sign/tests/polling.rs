//! `wait`: until COMPLETED, EXPIRED or the deadline; cancel-safe.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::*;
use toss_sign::{Error, PollPolicy, TxId};

fn tx() -> TxId {
    TxId::new("tx-poll")
}

#[tokio::test(start_paused = true)]
async fn polling_to_expired() {
    let provider = Provider::new();
    for status in ["REQUESTED", "IN_PROGRESS", "EXPIRED"] {
        provider.respond(STATUS, status_is("tx-poll", status));
    }
    let client = client(&provider);
    let error = client
        .wait(&tx(), &PollPolicy::new(), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Expired { .. }), "{error:?}");
    assert_eq!(provider.requests(STATUS).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn polling_past_the_deadline() {
    let provider = Provider::new();
    for _ in 0..100 {
        provider.respond(STATUS, status_is("tx-poll", "IN_PROGRESS"));
    }
    let client = client(&provider);
    let policy = PollPolicy::new()
        .initial_interval(Duration::from_secs(1))
        .max_interval(Duration::from_secs(2))
        .timeout(Duration::from_secs(10));
    let started = tokio::time::Instant::now();
    let error = client.wait(&tx(), &policy, |_| {}).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() <= Duration::from_secs(10));
    let polls = provider.requests(STATUS).len();
    assert!((5..=11).contains(&polls), "{polls} polls");
}

#[tokio::test(start_paused = true)]
async fn intervals_grow_to_the_cap() {
    let provider = Provider::new();
    for _ in 0..7 {
        provider.respond(STATUS, status_is("tx-poll", "IN_PROGRESS"));
    }
    provider.respond(STATUS, status_is("tx-poll", "COMPLETED"));
    let client = client(&provider);
    let policy = PollPolicy::new()
        .initial_interval(Duration::from_secs(1))
        .multiplier(2.0)
        .max_interval(Duration::from_secs(4));
    let started = tokio::time::Instant::now();
    client.wait(&tx(), &policy, |_| {}).await.unwrap();
    // 1 + 2 + 4 + 4 + 4 + 4 + 4 seconds between eight polls.
    assert_eq!(started.elapsed().as_secs(), 23);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_wait_stops_polling() {
    let provider = Provider::new();
    for _ in 0..100 {
        provider.respond(STATUS, status_is("tx-poll", "IN_PROGRESS"));
    }
    let client = client(&provider);
    let (tx, policy) = (tx(), PollPolicy::new());
    let waiting = client.wait(&tx, &policy, |_| {});
    let cancelled = tokio::time::timeout(Duration::from_millis(2500), waiting).await;
    assert!(cancelled.is_err());
    let polls = provider.requests(STATUS).len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        provider.requests(STATUS).len(),
        polls,
        "no polling after the drop"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_failures_do_not_end_the_wait() {
    let provider = Provider::new();
    provider.respond(STATUS, status_is("tx-poll", "IN_PROGRESS"));
    provider.respond(STATUS, raw(503, ""));
    provider.respond(STATUS, fail(500, "CE0001"));
    provider.respond(STATUS, raw(200, "{truncated"));
    provider.respond(STATUS, status_is("tx-poll", "COMPLETED"));
    let client = client(&provider);
    client
        .wait(&tx(), &PollPolicy::new(), |_| {})
        .await
        .unwrap();
    assert!(provider.requests(STATUS).len() >= 5);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_ends_the_wait() {
    let provider = Provider::new();
    provider.respond(STATUS, status_is("tx-poll", "IN_PROGRESS"));
    provider.respond(STATUS, fail(200, "CE3100"));
    let client = client(&provider);
    let error = client
        .wait(&tx(), &PollPolicy::new(), |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("CE3100"));
}
