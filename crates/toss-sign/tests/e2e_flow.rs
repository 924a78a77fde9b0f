//! End to end against `toss-emulator` over real HTTP: the signing flows that succeed, for
//! every trigger, signer and document kind, with the decrypted person, the `signedDoc`
//! verified offline against the emulator's CA, and the certificate checked by the provider.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use e2e::*;
use sha2::{Digest, Sha256};
use time::macros::date;
use toss_emulator::{EmulatorHandle, UserBehaviour};
use toss_model::{Nationality, SignatureType};
use toss_sign::{Algorithm, Client, Document, SignStatus, SignedDocument, Signer, Trigger};
use toss_signed_doc::Expected;

/// A tiny but well-formed-looking PDF; only its SHA-256 travels.
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// The fictional person of the provider's test environment, whom `USER_CI` results name.
const CI_PERSON_NAME: &str = "김토스";

fn app_scheme() -> Trigger {
    Trigger::AppScheme {
        success_url: Some("https://example.com/sign/success".into()),
        fail_url: Some("https://example.com/sign/fail".into()),
    }
}

/// Checks the person a `USER_PERSONAL` result names: the requested one, with CI and DI.
fn assert_requested_person(signed: &SignedDocument) {
    let person = signed.person.as_ref().unwrap();
    assert_eq!(person.name.as_str(), NAME);
    assert_eq!(person.birthday, BIRTHDAY);
    assert_eq!(person.nationality, Nationality::Local);
    assert!(person.ci.as_ref().is_some_and(|ci| ci.len() == 88));
    assert!(person.di.as_ref().is_some_and(|di| di.len() == 64));
}

/// Checks the certificate with the provider's validation endpoint.
async fn assert_certificate_valid(client: &Client, parsed: &toss_signed_doc::SignedDoc) {
    let check = client
        .validate_certificate(&parsed.signer_certificate_pem())
        .await
        .unwrap();
    assert!(check.valid(), "the emulator's certificate is valid");
    assert!(check.enabled(), "the emulator's certificate is enabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_personal_text_moved_by_hand() {
    let (handle, _clock) = manual_emulator(UserBehaviour::Manual).await;
    let client = client(&handle);
    let text = "출금이체에 동의합니다. 매월 25일 10,000원.";

    let requested = client.request_signature(&text_request(text)).await.unwrap();
    let tx = requested.tx_id.clone();
    assert!(!tx.as_str().is_empty());
    assert_eq!(requested.app_scheme, None, "no app links for PUSH");

    assert_eq!(client.status(&tx).await.unwrap(), SignStatus::Requested);
    handle.open(tx.as_str()).unwrap();
    assert_eq!(client.status(&tx).await.unwrap(), SignStatus::InProgress);
    handle.complete(tx.as_str()).unwrap();
    assert_eq!(client.status(&tx).await.unwrap(), SignStatus::Completed);

    let mut seen = Vec::new();
    client
        .wait(&tx, &poll(), |status| seen.push(status.clone()))
        .await
        .unwrap();
    assert_eq!(seen, [SignStatus::Completed]);

    let signed = client.result(&tx).await.unwrap();
    assert_eq!(signed.tx_id, tx);
    assert_eq!(signed.signature_type, SignatureType::Pkcs7);
    assert_eq!(signed.doc.as_str(), text);
    assert!(signed.requested_at <= signed.completed_at);
    assert_eq!(signed.requested_at, requested.requested_at);
    assert_requested_person(&signed);

    let (parsed, report) = verify(&handle, &signed, Expected::Text(text));
    assert!(!parsed.is_detached());
    assert_eq!(
        report.content.as_ref().and_then(|c| c.as_text()),
        Some(text)
    );
    assert_eq!(report.signer.common_name.as_deref(), Some(NAME));
    assert_eq!(report.signing_time, Some(signed.completed_at));
    // The same signature does not pass for another document.
    assert!(
        verifier(&handle)
            .verify(&parsed, Expected::Text("다른 문서"))
            .is_err()
    );
    assert_certificate_valid(&client, &parsed).await;

    let stats = handle.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.sign_requests, 1);
    assert_eq!(stats.results, 1);
    assert_eq!(stats.certificate_validations, 1);
    assert_eq!(stats.errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_scheme_with_callbacks_html() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let client = client(&handle);
    let html = "<html><body><h1>약관</h1><p>개인정보 수집·이용에 동의합니다.</p></body></html>";

    let requested = client
        .request_signature(&request(
            personal(),
            app_scheme(),
            Document::html(html).unwrap(),
        ))
        .await
        .unwrap();
    let tx = requested.tx_id.clone();
    let scheme = requested.app_scheme.as_deref().unwrap();
    assert!(scheme.starts_with("supertoss://"), "{scheme}");
    assert!(scheme.contains(tx.as_str()));
    assert!(
        requested
            .android_app_uri
            .as_deref()
            .is_some_and(|uri| uri.starts_with("intent://") && uri.contains(tx.as_str()))
    );
    assert!(
        requested
            .ios_app_uri
            .as_deref()
            .is_some_and(|uri| uri.starts_with(&format!("{}/ul?scheme=", handle.base_url())))
    );

    wait_completed(&client, &tx).await;
    let signed = client.result(&tx).await.unwrap();
    assert_eq!(signed.signature_type, SignatureType::Pkcs7);
    assert_eq!(signed.doc.as_str(), html);
    assert_requested_person(&signed);
    let (parsed, _report) = verify(&handle, &signed, Expected::Text(html));
    assert_certificate_valid(&client, &parsed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_ci_pdf_is_a_detached_signature_over_the_pdf() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let client = client(&handle);
    let ci = "Ci9mZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm";
    let digest: [u8; 32] = Sha256::digest(PDF).into();

    let request = request_builder(Signer::ci(ci).unwrap(), Trigger::Push, Document::pdf(PDF))
        .expires_in(Duration::from_secs(600))
        .build()
        .unwrap();
    let signed = client
        .sign_and_wait(&request, &poll(), |_| {})
        .await
        .unwrap();
    assert_eq!(signed.signature_type, SignatureType::Pkcs7NoContentWithAttr);
    assert_eq!(signed.doc.as_str(), STANDARD.encode(digest));

    // USER_CI: the provider's fictional test person, without CI or DI.
    let person = signed.person.as_ref().unwrap();
    assert_eq!(person.name.as_str(), CI_PERSON_NAME);
    assert_eq!(person.birthday, date!(1993 - 03 - 24));
    assert!(person.ci.is_none());
    assert!(person.di.is_none());

    let (parsed, report) = verify(&handle, &signed, Expected::Content(PDF));
    assert!(parsed.is_detached());
    assert!(report.content.is_none());
    assert_eq!(report.message_digest, digest);
    assert_eq!(report.signer.common_name.as_deref(), Some(CI_PERSON_NAME));
    verifier(&handle)
        .verify(&parsed, Expected::Sha256(digest))
        .unwrap();
    assert!(
        verifier(&handle)
            .verify(&parsed, Expected::Content(b"%PDF-1.4 another document"))
            .is_err()
    );
    assert_certificate_valid(&client, &parsed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_documents_come_back_decrypted() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let client = client(&handle);

    let text = "암호화된 문서: 대출 약정서 제3조에 동의합니다.";
    let request = request_builder(personal(), Trigger::Push, Document::text(text).unwrap())
        .encrypt_document(true)
        .build()
        .unwrap();
    let signed = client
        .sign_and_wait(&request, &poll(), |_| {})
        .await
        .unwrap();
    assert_eq!(signed.doc.as_str(), text);
    assert_requested_person(&signed);
    verify(&handle, &signed, Expected::Text(text));

    let request = request_builder(personal(), app_scheme(), Document::pdf(PDF))
        .encrypt_document(true)
        .build()
        .unwrap();
    let signed = client
        .sign_and_wait(&request, &poll(), |_| {})
        .await
        .unwrap();
    assert_eq!(
        signed.doc.as_str(),
        STANDARD.encode(Sha256::digest(PDF)),
        "the PDF's hash, decrypted"
    );
    verify(&handle, &signed, Expected::Content(PDF));
}

/// One flow of the matrix: sign, wait, fetch, and check everything that can be checked.
async fn flow(
    handle: &EmulatorHandle,
    client: &Client,
    signer: Signer,
    trigger: Trigger,
    document: Document,
    expected: Expected<'_>,
    encrypt: bool,
) {
    let by_ci = matches!(signer, Signer::Ci(_));
    let request = request_builder(signer, trigger.clone(), document)
        .encrypt_document(encrypt)
        .build()
        .unwrap();
    let requested = client.request_signature(&request).await.unwrap();
    assert_eq!(
        requested.app_scheme.is_some(),
        matches!(trigger, Trigger::AppScheme { .. })
    );
    wait_completed(client, &requested.tx_id).await;
    let signed = client.result(&requested.tx_id).await.unwrap();
    assert_eq!(signed.tx_id, requested.tx_id);
    if by_ci {
        let person = signed.person.as_ref().unwrap();
        assert_eq!(person.name.as_str(), CI_PERSON_NAME);
        assert!(person.ci.is_none() && person.di.is_none());
    } else {
        assert_requested_person(&signed);
    }
    let (parsed, report) = verify(handle, &signed, expected);
    let expected_signer = if by_ci { CI_PERSON_NAME } else { NAME };
    assert_eq!(report.signer.common_name.as_deref(), Some(expected_signer));
    assert_certificate_valid(client, &parsed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_trigger_signer_document_and_encryption() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let client = client(&handle);
    let text = "모든 조합의 전자서명 문서";
    let html = "<p>모든 조합의 <b>HTML</b> 문서</p>";

    let mut flows = 0;
    for trigger in [Trigger::Push, app_scheme()] {
        for by_ci in [false, true] {
            for encrypt in [false, true] {
                let signer = || {
                    if by_ci {
                        Signer::ci("matrix-ci-value").unwrap()
                    } else {
                        personal()
                    }
                };
                let documents = [
                    (Document::text(text).unwrap(), Expected::Text(text)),
                    (Document::html(html).unwrap(), Expected::Text(html)),
                    (Document::pdf(PDF), Expected::Content(PDF)),
                ];
                for (document, expected) in documents {
                    flow(
                        &handle,
                        &client,
                        signer(),
                        trigger.clone(),
                        document,
                        expected,
                        encrypt,
                    )
                    .await;
                    flows += 1;
                }
            }
        }
    }
    assert_eq!(flows, 24);
    let stats = handle.stats();
    assert_eq!(stats.sign_requests, 24);
    assert_eq!(stats.results, 24);
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_and_wait_reports_requested_in_progress_completed_in_order() {
    // The user opens 10 s and signs 20 s after the request, on the emulator's manual clock;
    // each status the client reports moves that clock by 10 s, so every stage is seen once.
    let (handle, clock) = manual_emulator(UserBehaviour::completes(
        Duration::from_secs(10),
        Duration::from_secs(20),
    ))
    .await;
    let client = client(&handle);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let text = "상태 순서 확인 문서";

    let signed = {
        let seen = Arc::clone(&seen);
        let clock = clock.clone();
        client
            .sign_and_wait(&text_request(text), &poll(), move |status| {
                seen.lock().unwrap().push(status.clone());
                clock.advance(Duration::from_secs(10));
            })
            .await
            .unwrap()
    };
    assert_eq!(
        *seen.lock().unwrap(),
        [
            SignStatus::Requested,
            SignStatus::InProgress,
            SignStatus::Completed
        ]
    );
    assert_eq!(
        signed.completed_at - signed.requested_at,
        time::Duration::seconds(20)
    );
    assert_requested_person(&signed);
    verify(&handle, &signed, Expected::Text(text));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_and_wait_on_the_system_clock() {
    // The emulator's own default timing on the real clock: opens after 300 ms, signs after
    // 600 ms. Only the order is asserted; polling may miss a short stage.
    let handle = start(emulator_builder()).await;
    let client = client(&handle);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let text = "실시간 시계 문서";
    let signed = {
        let seen = Arc::clone(&seen);
        client
            .sign_and_wait(&text_request(text), &poll(), move |status| {
                seen.lock().unwrap().push(status.clone());
            })
            .await
            .unwrap()
    };
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.last(), Some(&SignStatus::Completed));
    let rank = |status: &SignStatus| match status {
        SignStatus::Requested => 0,
        SignStatus::InProgress => 1,
        SignStatus::Completed => 2,
        _ => 3,
    };
    assert!(
        seen.windows(2).all(|pair| rank(&pair[0]) < rank(&pair[1])),
        "{seen:?}"
    );
    assert_requested_person(&signed);
    verify(&handle, &signed, Expected::Text(text));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cbc_sessions_work_like_gcm_ones() {
    let (handle, _clock) =
        manual_emulator(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    for algorithm in [Algorithm::AesCbc, Algorithm::AesCbc128, Algorithm::AesGcm] {
        let client = builder_for(&handle)
            .session_algorithm(algorithm)
            .build()
            .unwrap();
        let text = format!("{} 세션으로 암호화된 문서", algorithm.wire_name());
        let request = request_builder(personal(), Trigger::Push, Document::text(&text).unwrap())
            .encrypt_document(true)
            .build()
            .unwrap();
        let signed = client
            .sign_and_wait(&request, &poll(), |_| {})
            .await
            .unwrap();
        assert_eq!(signed.doc.as_str(), text, "{algorithm:?}");
        assert_requested_person(&signed);
        verify(&handle, &signed, Expected::Text(&text));
    }
    assert_eq!(handle.stats().errors, 0);
}
