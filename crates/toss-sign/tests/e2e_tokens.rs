//! End to end against `toss-emulator` over real HTTP: access tokens. One token serves every
//! call; the client refreshes it ahead of expiry on a clock it shares with the emulator; a
//! token the emulator no longer accepts (CE1000, HTTP 401) is replaced and the call sent once
//! more, for every kind of call.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::sync::Arc;
use std::time::Duration;

use e2e::*;
use toss_emulator::UserBehaviour;
use toss_emulator::clock::ManualClock;
use toss_sign::SignStatus;
use toss_signed_doc::Expected;

/// The emulator's token lifetime in these tests: the client refreshes 10 % (60 s) ahead.
const LIFETIME: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_serves_a_whole_flow() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let client = client(&handle);
    let text = "토큰 하나";
    let signed = client
        .sign_and_wait(&text_request(text), &poll(), |_| {})
        .await
        .unwrap();
    let (parsed, _) = verify(&handle, &signed, Expected::Text(text));
    client
        .validate_certificate(&parsed.signer_certificate_pem())
        .await
        .unwrap();
    client.status(&signed.tx_id).await.unwrap();
    let stats = handle.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert!(stats.status_calls >= 2);
    assert_eq!(stats.errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_ahead_of_expiry_on_the_shared_clock() {
    let clock = ManualClock::new();
    let handle = start(
        emulator_builder()
            .manual_clock(clock.clone())
            .user_behaviour(UserBehaviour::Manual)
            .token_lifetime(LIFETIME),
    )
    .await;
    let client = client(&handle);
    let tx = client
        .request_signature(&text_request("토큰 갱신"))
        .await
        .unwrap()
        .tx_id;
    assert_eq!(handle.stats().tokens_issued, 1);

    // 530 s: still before the refresh point (540 s).
    clock.advance(Duration::from_secs(530));
    assert_eq!(client.status(&tx).await.unwrap(), SignStatus::Expired);
    assert_eq!(handle.stats().tokens_issued, 1);

    // 550 s: past the refresh point, before the token expires: a new one, and no refusal.
    clock.advance(Duration::from_secs(20));
    client.status(&tx).await.unwrap();
    assert_eq!(handle.stats().tokens_issued, 2);
    client.status(&tx).await.unwrap();
    assert_eq!(handle.stats().tokens_issued, 2, "the new token is reused");

    // A whole lifetime later, again ahead of expiry.
    clock.advance(LIFETIME);
    let tx2 = client
        .request_signature(&text_request("두 번째 요청"))
        .await
        .unwrap()
        .tx_id;
    assert_eq!(handle.stats().tokens_issued, 3);
    handle.complete(tx2.as_str()).unwrap();
    client.result(&tx2).await.unwrap();
    let stats = handle.stats();
    assert_eq!(stats.tokens_issued, 3);
    assert_eq!(stats.errors, 0, "the client never sent an expired token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_emulator_no_longer_accepts_is_replaced_for_every_call() {
    let emulator_clock = ManualClock::new();
    let handle = start(
        emulator_builder()
            .manual_clock(emulator_clock.clone())
            .user_behaviour(UserBehaviour::Manual)
            .token_lifetime(LIFETIME),
    )
    .await;
    // The client's clock stands still: it believes every token it has is fresh.
    let client = builder_for(&handle)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let expire_tokens = || emulator_clock.advance(LIFETIME + Duration::from_secs(1));
    let text = "거부된 토큰";

    let tx = client
        .request_signature(&text_request(text))
        .await
        .unwrap()
        .tx_id;
    handle.complete(tx.as_str()).unwrap();
    assert_eq!(handle.stats().tokens_issued, 1);

    // Status: refused with CE1000, new token, sent again.
    expire_tokens();
    assert_eq!(client.status(&tx).await.unwrap(), SignStatus::Completed);
    let stats = handle.stats();
    assert_eq!((stats.tokens_issued, stats.errors), (2, 1));

    // Result (not idempotent: the refused call spent nothing, so it is sent again).
    expire_tokens();
    let signed = client.result(&tx).await.unwrap();
    let stats = handle.stats();
    assert_eq!((stats.tokens_issued, stats.errors), (3, 2));
    assert_eq!(stats.results, 1);
    let (parsed, _) = verify(&handle, &signed, Expected::Text(text));

    // Certificate check.
    expire_tokens();
    let check = client
        .validate_certificate(&parsed.signer_certificate_pem())
        .await
        .unwrap();
    assert!(check.valid());
    let stats = handle.stats();
    assert_eq!((stats.tokens_issued, stats.errors), (4, 3));

    // Sign request (not idempotent either): exactly one transaction is created.
    expire_tokens();
    client
        .request_signature(&text_request("두 번째"))
        .await
        .unwrap();
    let stats = handle.stats();
    assert_eq!((stats.tokens_issued, stats.errors), (5, 4));
    assert_eq!(stats.sign_requests, 2);

    // Without expiry, the last token keeps serving.
    client.status(&tx).await.unwrap();
    let stats = handle.stats();
    assert_eq!((stats.tokens_issued, stats.errors), (5, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_with_a_refused_token_fetch_one_new_token() {
    let emulator_clock = ManualClock::new();
    let handle = start(
        emulator_builder()
            .manual_clock(emulator_clock.clone())
            .user_behaviour(UserBehaviour::Manual)
            .token_lifetime(LIFETIME),
    )
    .await;
    let client = builder_for(&handle)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let tx = client
        .request_signature(&text_request("동시 갱신"))
        .await
        .unwrap()
        .tx_id;
    emulator_clock.advance(LIFETIME + Duration::from_secs(1));

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move { client.status(&tx).await }));
    }
    for task in tasks {
        // The request's five minutes passed with the tokens' ten.
        assert_eq!(task.await.unwrap().unwrap(), SignStatus::Expired);
    }
    // Every caller that sent the refused token tries to drop it, but a token another caller
    // already replaced is kept, and the callers share one fetch: one new token in all.
    assert_eq!(handle.stats().tokens_issued, 2);
}
