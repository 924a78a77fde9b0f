//! End to end against `toss-emulator` over real HTTP: the provider's limits on a
//! transaction, as typed errors: not completed yet (CE3102), expired (EXPIRED, CE3103),
//! fetched twice (local refusal, CE3101) and the 60-minute window.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::Duration;

use e2e::*;
use toss_emulator::UserBehaviour;
use toss_sign::{Document, Error, ResultLimit, SignStatus, Trigger};
use toss_signed_doc::Expected;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_before_completion_is_not_completed_and_spends_nothing() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let text = "완료 전 조회";
    let tx = client
        .request_signature(&text_request(text))
        .await
        .unwrap()
        .tx_id;

    let error = client.result(&tx).await.unwrap_err();
    assert!(
        matches!(&error, Error::NotCompleted { tx_id } if *tx_id == tx),
        "{error:?}"
    );
    assert!(error.is_api());
    assert_eq!(error.tx_id(), Some(&tx));
    handle.open(tx.as_str()).unwrap();
    let error = client.result(&tx).await.unwrap_err();
    assert!(matches!(error, Error::NotCompleted { .. }), "{error:?}");
    assert_eq!(handle.stats().results, 0);
    assert_eq!(handle.stats().errors, 2);

    // Refused fetches count neither at the provider nor in the client's ledger: two
    // successful fetches remain.
    handle.complete(tx.as_str()).unwrap();
    let first = client.result(&tx).await.unwrap();
    let second = client.result(&tx).await.unwrap();
    assert_eq!(first.signed_doc, second.signed_doc);
    verify(&handle, &second, Expected::Text(text));
    assert_eq!(handle.stats().results, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_nobody_answers_expires() {
    let (handle, clock) = manual_emulator(UserBehaviour::NeverAnswers).await;
    let client = client(&handle);
    let request = request_builder(
        personal(),
        Trigger::Push,
        Document::text("만료 문서").unwrap(),
    )
    .expires_in(Duration::from_secs(60))
    .build()
    .unwrap();
    let tx = client.request_signature(&request).await.unwrap().tx_id;

    // The client sees REQUESTED; then a minute and a second pass on the emulator's clock.
    let mut seen = Vec::new();
    let error = client
        .wait(&tx, &poll(), |status| {
            seen.push(status.clone());
            if *status == SignStatus::Requested {
                clock.advance(Duration::from_secs(61));
            }
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Expired { tx_id } if *tx_id == tx),
        "{error:?}"
    );
    assert_eq!(seen, [SignStatus::Requested, SignStatus::Expired]);
    assert_eq!(client.status(&tx).await.unwrap(), SignStatus::Expired);

    // The result of an expired request: CE3103, typed.
    let errors_before = handle.stats().errors;
    let error = client.result(&tx).await.unwrap_err();
    assert!(
        matches!(&error, Error::Expired { tx_id } if *tx_id == tx),
        "{error:?}"
    );
    assert!(error.is_api());
    assert_eq!(handle.stats().errors, errors_before + 1);
    assert_eq!(handle.stats().results, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_expired_by_hand_ends_the_wait() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let tx = client
        .request_signature(&text_request("수동 만료"))
        .await
        .unwrap()
        .tx_id;
    handle.open(tx.as_str()).unwrap();
    let mut seen = Vec::new();
    let error = client
        .wait(&tx, &poll(), |status| {
            seen.push(status.clone());
            if *status == SignStatus::InProgress {
                handle.expire(tx.as_str()).unwrap();
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Expired { .. }), "{error:?}");
    assert_eq!(seen, [SignStatus::InProgress, SignStatus::Expired]);
    let error = client.result(&tx).await.unwrap_err();
    assert!(matches!(error, Error::Expired { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_fetch_is_refused_locally_then_by_the_provider() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let client = client(&handle);
    let text = "세 번째 조회";
    let signed = client
        .sign_and_wait(&text_request(text), &poll(), |_| {})
        .await
        .unwrap();
    let tx = signed.tx_id.clone();
    let second = client.result(&tx).await.unwrap();
    assert_eq!(
        second.signed_doc, signed.signed_doc,
        "the same signature twice"
    );
    assert_eq!(second.doc.as_str(), text);
    verify(&handle, &second, Expected::Text(text));

    // The same client knows it fetched twice: it refuses without calling.
    let before = handle.stats();
    assert_eq!(before.results, 2);
    let error = client.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::ResultLimit {
                tx_id,
                limit: ResultLimit::FetchedTwice,
                refused_locally: true,
            } if *tx_id == tx
        ),
        "{error:?}"
    );
    assert!(!error.may_have_been_sent());
    assert_eq!(handle.stats(), before, "nothing reached the emulator");

    // A second client has no ledger: the provider refuses with CE3101.
    let other = e2e::client(&handle);
    let error = other.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::ResultLimit {
                tx_id,
                limit: ResultLimit::FetchedTwice,
                refused_locally: false,
            } if *tx_id == tx
        ),
        "{error:?}"
    );
    assert!(error.may_have_been_sent());
    let after = handle.stats();
    assert_eq!(after.results, 2);
    assert_eq!(after.errors, before.errors + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixty_minute_window() {
    let (handle, clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let text = "60분 규칙";
    let tx = client
        .request_signature(&text_request(text))
        .await
        .unwrap()
        .tx_id;
    handle.complete(tx.as_str()).unwrap();
    let first = client.result(&tx).await.unwrap();

    // Exactly 60 minutes after completion the result is still given (to a second client).
    clock.advance(Duration::from_secs(60 * 60));
    let second = e2e::client(&handle).result(&tx).await.unwrap();
    assert_eq!(second.completed_at, first.completed_at);
    assert_eq!(handle.stats().results, 2);

    // A minute later the first client, which fetched once, refuses by itself…
    clock.advance(Duration::from_secs(60));
    let before = handle.stats();
    let error = client.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::ResultLimit {
                tx_id,
                limit: ResultLimit::WindowClosed,
                refused_locally: true,
            } if *tx_id == tx
        ),
        "{error:?}"
    );
    assert_eq!(handle.stats(), before, "nothing reached the emulator");

    // …and a client that never fetched it gets the provider's refusal (CE3103), typed. The
    // client maps CE3103 to `Expired` whatever the cause; a window refusal would be as good.
    let fresh = e2e::client(&handle);
    let error = fresh.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Expired { tx_id }
                | Error::ResultLimit {
                    tx_id,
                    refused_locally: false,
                    ..
                } if *tx_id == tx
        ),
        "{error:?}"
    );
    assert!(error.is_api());
    assert_eq!(handle.stats().errors, before.errors + 1);
    assert_eq!(handle.stats().results, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_longer_than_the_policy_allows_is_a_timeout() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let tx = client
        .request_signature(&text_request("기다림"))
        .await
        .unwrap()
        .tx_id;
    let policy = toss_sign::PollPolicy::new()
        .initial_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(50))
        .timeout(Duration::from_millis(300));
    let error = client.wait(&tx, &policy, |_| {}).await.unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { tx_id, .. } if *tx_id == tx),
        "{error:?}"
    );
    assert!(error.is_timeout());
    assert!(handle.stats().status_calls >= 1);
    // The transaction is untouched: the user can still sign, and the result is given.
    handle.complete(tx.as_str()).unwrap();
    wait_completed(&client, &tx).await;
    client.result(&tx).await.unwrap();
}
