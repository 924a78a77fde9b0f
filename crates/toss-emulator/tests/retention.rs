//! The emulator forgets: finished transactions are kept for status answers for the
//! retention, then freed; tokens are freed after expiry. Driven over HTTP with a manual
//! clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use toss_emulator::{Stats, UserBehaviour};

use support::{Env, STATUS, error_code, start_with};

const RETENTION: Duration = Duration::from_secs(120);
/// Longer than the default expireSeconds, so that retirements 300 s apart can be told apart.
const LONGER_RETENTION: Duration = Duration::from_secs(600);

async fn stats(env: &Env) -> Stats {
    env.http
        .get(env.url("/emulator/v1/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls the stats (the sweeper runs every 100 ms) until `done` holds; fails after 20 s.
async fn wait_for(env: &Env, what: &str, done: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = stats(env).await;
        if done(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "{what}: still {stats:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_answer(env: &Env, token: &str, tx_id: &str) -> Value {
    env.post(STATUS, token, &json!({ "txId": tx_id })).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_transactions_are_freed_after_retention() {
    const FLOWS: usize = 20_000;
    let env = Arc::new(
        start_with(|builder| {
            builder
                .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
                .retention(RETENTION)
                .token_lifetime(Duration::from_secs(2 * 3600))
        })
        .await,
    );
    let token = Arc::new(env.token().await);

    let started = Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::with_capacity(FLOWS);
    for _ in 0..FLOWS {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let (env, token) = (Arc::clone(&env), Arc::clone(&token));
        tasks.push(tokio::spawn(async move {
            let (body, _) = env.personal_request();
            let tx_id = env.sign(&token, &body).await;
            drop(permit);
            tx_id
        }));
    }
    let mut tx_ids = Vec::with_capacity(FLOWS);
    for task in tasks {
        tx_ids.push(task.await.unwrap());
    }
    println!("{FLOWS} sign requests in {:?}", started.elapsed());
    let first = tx_ids.first().unwrap().clone();
    let last = tx_ids.last().unwrap().clone();

    let now = stats(&env).await;
    assert_eq!(now.sign_requests, FLOWS as u64);
    assert_eq!(now.live_transactions, FLOWS as u64);
    assert_eq!(now.retained_transactions, 0);
    assert_eq!(now.live_tokens, 1);

    // Completed at once and never fetched: past the 60-minute result window they can no
    // longer be fetched, and are kept for status answers only.
    env.advance(Duration::from_secs(3600 + 2));
    wait_for(&env, "retired", |stats| {
        stats.retained_transactions == FLOWS as u64
    })
    .await;
    assert_eq!(env.status(&token, &first).await, "COMPLETED");
    let (_, answer, _) = env.result(&token, &last).await;
    assert_eq!(error_code(&answer), "CE3103");

    // After the retention they are gone, and so is the expired token.
    env.advance(RETENTION + Duration::from_secs(3600));
    let freed = wait_for(&env, "freed", |stats| {
        stats.live_transactions == 0 && stats.live_tokens == 0
    })
    .await;
    assert_eq!(freed.retained_transactions, 0);
    println!("freed after {:?}", started.elapsed());
    let fresh = env.token().await;
    assert_eq!(
        error_code(&status_answer(&env, &fresh, &first).await),
        "CE3100"
    );
    let (_, answer, _) = env.result(&fresh, &last).await;
    assert_eq!(error_code(&answer), "CE3100");
    let (_, answer) = env.post(STATUS, &token, &json!({ "txId": first })).await;
    assert_eq!(error_code(&answer), "CE1000", "the old token expired");
}

#[tokio::test]
async fn expired_and_fetched_transactions_answer_status_until_freed() {
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::Manual)
            .retention(LONGER_RETENTION)
    })
    .await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let expiring = env.sign(&token, &body).await;
    let (body, _) = env.personal_request();
    let fetched = env.sign(&token, &body).await;
    let (body, _) = env.personal_request();
    let expired_by_hand = env.sign(&token, &body).await;
    env.emulator.complete(&fetched).unwrap();
    env.emulator.expire(&expired_by_hand).unwrap();
    for _ in 0..2 {
        let (_, answer, _) = env.result(&token, &fetched).await;
        assert_eq!(answer["resultType"], "SUCCESS", "{answer}");
    }
    // Both results served and expired by hand: retired at once.
    let now = wait_for(&env, "retired at once", |stats| {
        stats.retained_transactions == 2
    })
    .await;
    assert_eq!(now.live_transactions, 3);
    let (_, answer, _) = env.result(&token, &fetched).await;
    assert_eq!(error_code(&answer), "CE3101");
    assert_eq!(env.status(&token, &fetched).await, "COMPLETED");
    assert_eq!(env.status(&token, &expired_by_hand).await, "EXPIRED");
    assert!(env.emulator.open(&expired_by_hand).is_err());

    // The default expireSeconds (300) passes: the third one expires and is retired.
    env.advance(Duration::from_secs(301));
    wait_for(&env, "expired", |stats| stats.retained_transactions == 3).await;
    assert_eq!(env.status(&token, &expiring).await, "EXPIRED");
    let (_, answer, _) = env.result(&token, &expiring).await;
    assert_eq!(error_code(&answer), "CE3103");

    // The first two were retired 301 s before the third: they go first.
    env.advance(LONGER_RETENTION - Duration::from_secs(300));
    let now = wait_for(&env, "first two freed", |stats| {
        stats.live_transactions == 1
    })
    .await;
    assert_eq!(now.retained_transactions, 1);
    assert_eq!(
        error_code(&status_answer(&env, &token, &fetched).await),
        "CE3100"
    );
    assert_eq!(env.status(&token, &expiring).await, "EXPIRED");
    env.advance(Duration::from_secs(301));
    wait_for(&env, "all freed", |stats| stats.live_transactions == 0).await;
    assert_eq!(
        error_code(&status_answer(&env, &token, &expiring).await),
        "CE3100"
    );
}
