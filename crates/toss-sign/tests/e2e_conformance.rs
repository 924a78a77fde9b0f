//! End to end against `toss-emulator` over real HTTP: what the API document asks of a
//! client and what a verification proves. The status call carries `requestedDt`; phone
//! numbers reach the provider as digits only; the client's trust anchors decide whether a
//! result's signer certificate is checked, and the report says which.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::Duration;

use e2e::*;
use toss_emulator::{EmulatorHandle, UserBehaviour};
use toss_sign::{
    Client, Document, Error, SignStatus, SignatureStatus, SignedDocument, Signer, Trigger,
    TrustAnchors,
};
use toss_signed_doc::{CertificateError, TrustAnchorError};

/// The emulator's CA as the client's only anchor.
fn anchors(handle: &EmulatorHandle) -> TrustAnchors {
    TrustAnchors::from_pem(handle.ca_certificate_pem()).unwrap()
}

/// One completed flow of `signer` through `client`, the user moved by hand.
async fn signed_by(handle: &EmulatorHandle, client: &Client, signer: Signer) -> SignedDocument {
    let requested = client
        .request_signature(&request(
            signer,
            Trigger::Push,
            Document::text("동의합니다").unwrap(),
        ))
        .await
        .unwrap();
    handle.complete(requested.tx_id.as_str()).unwrap();
    client.result(&requested.tx_id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_carries_the_requested_dt_of_the_request() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let requested = client
        .request_signature(&text_request("동의합니다"))
        .await
        .unwrap();
    let status: SignatureStatus = client.status(&requested.tx_id).await.unwrap();
    assert_eq!(status.tx_id, requested.tx_id);
    assert_eq!(status.status, SignStatus::Requested);
    assert_eq!(status, SignStatus::Requested);
    assert_ne!(status, SignStatus::Completed);
    assert_eq!(status.requested_at, requested.requested_at);
    assert_eq!(
        status.requested_at.offset(),
        requested.requested_at.offset()
    );

    handle.complete(requested.tx_id.as_str()).unwrap();
    let status = client.status(&requested.tx_id).await.unwrap();
    assert_eq!(status.status, SignStatus::Completed);
    assert_eq!(
        status.requested_at, requested.requested_at,
        "requestedDt stays the time of the request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_written_with_hyphens_or_spaces_reach_the_provider_as_the_same_digits() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    // The emulator derives CI and DI from name, phone and birthday: equal CIs mean the
    // provider received the same phone number.
    let mut cis = Vec::new();
    for phone in ["01012345678", "010-1234-5678", "010 1234 5678"] {
        let signed = signed_by(
            &handle,
            &client,
            Signer::personal(NAME, phone, BIRTHDAY).unwrap(),
        )
        .await;
        let ci = signed.person.unwrap().ci.unwrap();
        cis.push(ci.as_str().to_owned());
    }
    assert!(cis.iter().all(|ci| *ci == cis[0]), "one phone number");
    let other = signed_by(
        &handle,
        &client,
        Signer::personal(NAME, "010-1234-5679", BIRTHDAY).unwrap(),
    )
    .await;
    assert_ne!(other.person.unwrap().ci.unwrap().as_str(), cis[0]);
    assert_eq!(handle.stats().sign_requests, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_trust_anchors_decide_the_chain_check() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let plain = client(&handle);
    let trusting = builder_for(&handle)
        .trust_anchors(anchors(&handle))
        .build()
        .unwrap();
    assert!(plain.trust_anchors().is_none());
    assert_eq!(trusting.trust_anchors().map(TrustAnchors::len), Some(1));

    let signed = signed_by(&handle, &trusting, personal()).await;

    let report = trusting.verify(&signed).unwrap();
    assert!(report.chain_checked);
    assert!(report.chain.is_some());
    let report = trusting.verify_trusted(&signed).unwrap();
    assert!(report.chain_checked);

    let report = plain.verify(&signed).unwrap();
    assert!(!report.chain_checked, "no anchors: the report says so");
    assert!(!signed.verify().unwrap().chain_checked);
    let error = plain.verify_trusted(&signed).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Verification {
                source: toss_signed_doc::Error::TrustAnchor(TrustAnchorError::Missing),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.tx_id(), Some(&signed.tx_id));
    assert!(
        signed
            .verify_trusted(&TrustAnchors::new())
            .unwrap_err()
            .is_verification()
    );
    assert!(
        signed
            .verify_trusted(&anchors(&handle))
            .unwrap()
            .chain_checked
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_providers_ca_does_not_vouch_for_the_signer() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let other = start(
        emulator_builder().user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)),
    )
    .await;
    assert_ne!(handle.ca_certificate_pem(), other.ca_certificate_pem());
    let client = builder_for(&handle)
        .trust_anchors(anchors(&other))
        .build()
        .unwrap();
    let signed = signed_by(&handle, &client, personal()).await;
    for error in [
        client.verify(&signed).unwrap_err(),
        client.verify_trusted(&signed).unwrap_err(),
    ] {
        assert!(
            matches!(
                &error,
                Error::Verification {
                    source: toss_signed_doc::Error::Certificate(CertificateError::Untrusted),
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
