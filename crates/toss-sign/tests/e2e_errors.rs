//! End to end against `toss-emulator` over real HTTP: failures as typed errors. Wrong client
//! credentials, a session key sealed for another key than the provider's, an unknown txId.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::Duration;
use toss_model::esign::{GetResult, GetStatus, RequestSign};
use toss_model::{Endpoint as _, IssueToken};

use e2e::*;
use toss_crypto::SessionOpener;
use toss_emulator::UserBehaviour;
use toss_model::ErrorCode;
use toss_sign::{Document, Error, Operation, Trigger, TxId};
use toss_signed_doc::Expected;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_an_auth_error_that_hides_the_secret() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let secret = "test_wrong_secret_e2e_5f0c1d9b7a";
    let client = builder_for(&handle).client_secret(secret).build().unwrap();
    assert!(!format!("{client:?}").contains(secret));

    let error = client
        .request_signature(&text_request("잘못된 자격 증명"))
        .await
        .unwrap_err();
    assert!(error.is_auth(), "{error:?}");
    assert!(matches!(error, Error::Auth { status: 401 }), "{error:?}");
    assert_eq!(error.status(), Some(401));
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#}"),
    ] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(handle.client_secret()), "{shown}");
    }
    let stats = handle.stats();
    assert_eq!(stats.tokens_issued, 0);
    assert_eq!(stats.sign_requests, 0);
    assert_eq!(stats.errors, 1, "a refused token request is not retried");

    // Every call needs a token: each one fails the same way.
    let error = client.status(&TxId::new("any")).await.unwrap_err();
    assert!(error.is_auth(), "{error:?}");

    // So does a wrong client id with the right secret.
    let client = builder_for(&handle)
        .client_id("test_not_the_emulators_client")
        .build()
        .unwrap();
    let error = client
        .validate_certificate(handle.ca_certificate_pem())
        .await
        .unwrap_err();
    assert!(error.is_auth(), "{error:?}");
    assert_eq!(handle.stats().tokens_issued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_key_sealed_for_another_key_is_a_typed_provider_error() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let other_key = SessionOpener::generate_with_provider(2048, crypto())
        .unwrap()
        .public_key_base64()
        .unwrap();
    assert_ne!(other_key, handle.public_key_base64());
    let wrong = builder_for(&handle).public_key(other_key).build().unwrap();

    let error = wrong
        .request_signature(&text_request("다른 키"))
        .await
        .unwrap_err();
    match &error {
        Error::Provider {
            operation,
            status,
            code,
            reason,
            tx_id,
        } => {
            assert_eq!(*operation, RequestSign::OPERATION);
            assert_eq!(*status, 400);
            assert_eq!(*code, ErrorCode::Ce3001);
            assert!(reason.as_deref().is_some_and(|r| !r.is_empty()));
            assert_eq!(*tx_id, None);
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert!(error.is_api());
    assert_eq!(error.code(), Some(&ErrorCode::Ce3001));
    assert_eq!(handle.stats().sign_requests, 0);

    // A result fetched with such a session is refused the same way and spends no fetch.
    let right = client(&handle);
    let text = "올바른 키";
    let tx = right
        .request_signature(&text_request(text))
        .await
        .unwrap()
        .tx_id;
    wait_completed(&right, &tx).await;
    let error = wrong.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Provider { operation: GetResult::OPERATION, code: ErrorCode::Ce3001, tx_id: Some(id), .. }
                if *id == tx
        ),
        "{error:?}"
    );
    let first = right.result(&tx).await.unwrap();
    let second = right.result(&tx).await.unwrap();
    assert_eq!(first.signed_doc, second.signed_doc);
    verify(&handle, &second, Expected::Text(text));

    // Calls without a session are unaffected by the key.
    wrong.status(&tx).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_tx_id_is_ce3100() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let unknown = TxId::new("00000000-0000-4000-8000-000000000000");

    let check = |error: Error, expected: Operation| match &error {
        Error::Provider {
            operation,
            status,
            code,
            tx_id,
            ..
        } => {
            assert_eq!(*operation, expected);
            assert_eq!(*status, 200);
            assert_eq!(*code, ErrorCode::Ce3100);
            assert_eq!(tx_id.as_ref(), Some(&unknown));
            assert!(error.to_string().contains("CE3100"), "{error}");
        }
        other => panic!("expected CE3100, got {other:?}"),
    };
    check(
        client.status(&unknown).await.unwrap_err(),
        GetStatus::OPERATION,
    );
    check(
        client.result(&unknown).await.unwrap_err(),
        GetResult::OPERATION,
    );
    check(
        client.wait(&unknown, &poll(), |_| {}).await.unwrap_err(),
        GetStatus::OPERATION,
    );
    assert_eq!(handle.stats().errors, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_rules_are_refused_before_anything_is_sent() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    // The rules run when the request is built: a request that breaks one never exists,
    // so it cannot be sent.
    let too_long = request_builder(personal(), Trigger::Push, Document::text("문서").unwrap())
        .expires_in(Duration::from_secs(31 * 60))
        .build();
    let untitled = request_builder(personal(), Trigger::Push, Document::text("문서").unwrap())
        .title(" ")
        .build();
    for built in [too_long, untitled] {
        let error = built.unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
        assert!(!error.may_have_been_sent());
    }

    assert_eq!(
        handle.stats(),
        toss_emulator::Stats::default(),
        "no call at all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulator_that_is_gone_is_a_transport_error() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = builder_for(&handle)
        .timeout_connect(Duration::from_secs(5))
        .timeout_request(Duration::from_secs(10))
        .build()
        .unwrap();
    handle.shutdown().await.unwrap();

    // Nothing listens: the token request never leaves.
    let error = client
        .request_signature(&text_request("아무도 없음"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: IssueToken::OPERATION,
                may_have_been_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transport());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_emulator_did_not_issue_is_not_valid() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let pem =
        "-----BEGIN CERTIFICATE-----\nTUlJQm5vdCBhIGNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n";
    for text in [pem, "not a certificate"] {
        let check = client.validate_certificate(text).await.unwrap();
        assert!(!check.valid());
        assert!(!check.enabled());
    }
    assert_eq!(handle.stats().certificate_validations, 2);
}
