//! The signing flow against a scripted provider: what the client sends (decrypted with
//! the test private key) and what it makes of the answers.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use support::*;
use time::macros::date;
use toss_sign::{Document, PollPolicy, SignStatus, SignatureRequest, Signer, Trigger, TxId};

fn personal() -> Signer {
    Signer::personal("홍길동", "010-1234-5678", date!(1993 - 03 - 24)).unwrap()
}

fn request(signer: Signer, trigger: Trigger, document: Document) -> SignatureRequest {
    SignatureRequest::builder()
        .signer(signer)
        .trigger(trigger)
        .document(document)
        .service_name("토스증권")
        .title("계좌 개설 동의서")
        .build()
        .unwrap()
}

#[tokio::test]
async fn push_personal_text_encrypts_the_person_for_the_provider() {
    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-1"));
    let client = client(&provider);

    let requested = client
        .request_signature(&request(
            personal(),
            Trigger::Push,
            Document::text("동의합니다").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(requested.tx_id.as_str(), "tx-1");
    assert!(requested.app_scheme.is_some());
    assert_eq!(
        requested.android_app_uri, None,
        "the literal \"null\" reads as none"
    );

    let sent = provider.requests(REQUEST);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].headers()["authorization"].to_str().unwrap(),
        "Bearer token-1"
    );
    let body = body(&sent[0]);
    let session = session_of(&sent[0]);
    assert_eq!(body["requestType"], "USER_PERSONAL");
    assert_eq!(body["triggerType"], "PUSH");
    assert_eq!(body["docType"], "TEXT");
    assert_eq!(body["signatureType"], "PKCS7");
    assert_eq!(body["doc"], "동의합니다");
    assert_eq!(body["serviceName"], "토스증권");
    assert_eq!(body["docTitle"], "계좌 개설 동의서");
    let field = |name: &str| {
        session
            .decrypt(body[name].as_str().unwrap())
            .unwrap()
            .to_string()
    };
    assert_eq!(field("userName"), "홍길동");
    assert_eq!(field("userPhone"), "01012345678");
    assert_eq!(field("userBirthday"), "19930324");
    assert!(body.get("userCi").is_none());
    // The personal data is not on the wire in the clear.
    let raw = String::from_utf8_lossy(sent[0].body()).to_string();
    assert!(!raw.contains("홍길동") && !raw.contains("01012345678"));
}

#[tokio::test]
async fn app_scheme_with_ci_and_html() {
    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-2"));
    let client = client(&provider);
    let trigger = Trigger::AppScheme {
        success_url: Some("https://service.test/ok".into()),
        fail_url: Some("https://service.test/fail".into()),
    };
    client
        .request_signature(&request(
            Signer::ci("CI-0123456789").unwrap(),
            trigger,
            Document::html("<p>동의</p>").unwrap(),
        ))
        .await
        .unwrap();
    let sent = &provider.requests(REQUEST)[0];
    let body = body(sent);
    assert_eq!(body["requestType"], "USER_CI");
    assert_eq!(body["triggerType"], "APP_SCHEME");
    assert_eq!(body["docType"], "HTML");
    assert_eq!(body["successCallbackUrl"], "https://service.test/ok");
    assert_eq!(body["failCallbackUrl"], "https://service.test/fail");
    let ci = session_of(sent)
        .decrypt(body["userCi"].as_str().unwrap())
        .unwrap();
    assert_eq!(ci.as_str(), "CI-0123456789");
    assert!(body.get("userName").is_none());
}

#[tokio::test]
async fn pdf_is_sent_as_its_sha256() {
    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-3"));
    provider.respond(REQUEST, sign_success("tx-4"));
    let client = client(&provider);
    let pdf = b"%PDF-1.7 a contract".as_slice();
    let digest: [u8; 32] = Sha256::digest(pdf).into();
    for document in [Document::pdf(pdf), Document::pdf_sha256(digest)] {
        client
            .request_signature(&request(personal(), Trigger::Push, document))
            .await
            .unwrap();
    }
    for sent in provider.requests(REQUEST) {
        let body = body(&sent);
        assert_eq!(body["docType"], "PDF");
        assert_eq!(body["signatureType"], "PKCS7_NO_CONTENT_WITH_ATTR");
        assert_eq!(body["doc"], STANDARD.encode(digest));
    }
}

#[tokio::test]
async fn an_encrypted_document_is_encrypted_both_ways() {
    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-5"));
    provider.on(RESULT, result_for("tx-5", "비밀 문서", true));
    let client = client(&provider);
    let signature = SignatureRequest::builder()
        .signer(personal())
        .trigger(Trigger::Push)
        .document(Document::text("비밀 문서").unwrap())
        .service_name("토스증권")
        .title("대출 약정")
        .encrypt_document(true)
        .build()
        .unwrap();
    client.request_signature(&signature).await.unwrap();
    let sent = &provider.requests(REQUEST)[0];
    let body = body(sent);
    assert_eq!(body["docEncrypted"], true);
    let doc = session_of(sent)
        .decrypt(body["doc"].as_str().unwrap())
        .unwrap();
    assert_eq!(doc.as_str(), "비밀 문서");

    let signed = client.result(&TxId::new("tx-5")).await.unwrap();
    assert_eq!(signed.doc.as_str(), "비밀 문서");
}

#[tokio::test]
async fn result_uses_a_new_session_and_decrypts_the_person() {
    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-6"));
    provider.on(RESULT, result_for("tx-6", "동의합니다", false));
    let client = client(&provider);
    client
        .request_signature(&request(
            personal(),
            Trigger::Push,
            Document::text("동의합니다").unwrap(),
        ))
        .await
        .unwrap();
    let signed = client.result(&TxId::new("tx-6")).await.unwrap();

    let request_session = session_of(&provider.requests(REQUEST)[0]);
    let result_session = session_of(&provider.requests(RESULT)[0]);
    assert_ne!(request_session.id(), result_session.id());
    assert_eq!(body(&provider.requests(RESULT)[0])["txId"], "tx-6");

    assert_eq!(signed.tx_id.as_str(), "tx-6");
    assert_eq!(signed.doc.as_str(), "동의합니다");
    assert_eq!(signed.signed_doc.base64, SIGNED_DOC.trim());
    assert_eq!(
        signed.signed_doc.der,
        STANDARD.decode(SIGNED_DOC.trim()).unwrap()
    );
    let person = signed.person.as_ref().unwrap();
    assert_eq!(person.name.as_str(), "홍길동");
    assert_eq!(person.birthday, date!(1993 - 03 - 24));
    assert_eq!(
        person.ci.as_deref().map(String::as_str),
        Some("CI-of-hong-gildong")
    );
    assert_eq!(
        person.di.as_deref().map(String::as_str),
        Some("DI-of-hong-gildong")
    );
    assert_eq!(person.gender.as_str(), "MALE");
    assert_eq!(person.nationality.as_str(), "LOCAL");
    assert!(signed.completed_at > signed.requested_at);
    // Debug never shows the person or the document.
    let debug = format!("{signed:?}");
    assert!(
        !debug.contains("홍길동") && !debug.contains("동의합니다"),
        "{debug}"
    );
}

#[tokio::test(start_paused = true)]
async fn sign_and_wait_reports_each_status_once() {
    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-7"));
    for status in [
        "REQUESTED",
        "REQUESTED",
        "IN_PROGRESS",
        "IN_PROGRESS",
        "COMPLETED",
    ] {
        provider.respond(STATUS, status_is("tx-7", status));
    }
    provider.on(RESULT, result_for("tx-7", "동의합니다", false));
    let client = client(&provider);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let policy = PollPolicy::new().initial_interval(Duration::from_millis(500));
    let signed = client
        .sign_and_wait(
            &request(
                personal(),
                Trigger::Push,
                Document::text("동의합니다").unwrap(),
            ),
            &policy,
            move |status: &SignStatus| record.lock().unwrap().push(status.clone()),
        )
        .await
        .unwrap();
    assert_eq!(signed.tx_id.as_str(), "tx-7");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            SignStatus::Requested,
            SignStatus::InProgress,
            SignStatus::Completed
        ]
    );
    assert_eq!(provider.requests(STATUS).len(), 5);
    assert_eq!(provider.tokens_issued(), 1);
}

#[tokio::test]
async fn certificate_validation() {
    let provider = Provider::new();
    provider.on(VALIDATE, |request| {
        assert!(
            body(request)["certificate"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN")
        );
        ok(serde_json::json!({"valid": true, "enabled": false}))
    });
    let client = client(&provider);
    let answer = client
        .validate_certificate("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        .await
        .unwrap();
    assert!(answer.valid());
    assert!(!answer.enabled());
}

#[tokio::test]
async fn the_signed_doc_verifies_against_the_result_document() {
    let seed_doc = include_str!("data/seed_sign_result.doc.txt");
    let provider = Provider::new();
    provider.on(RESULT, result_for("tx-v", seed_doc, false));
    provider.on(RESULT, result_for("tx-w", "not what was signed", false));
    let client = client(&provider);

    let signed = client.result(&TxId::new("tx-v")).await.unwrap();
    let report = signed.verify().unwrap();
    assert!(report.signing_time.is_some());
    assert!(
        signed
            .signer_certificate_pem()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    let forged = client.result(&TxId::new("tx-w")).await.unwrap();
    let error = forged.verify().unwrap_err();
    assert!(error.is_verification(), "{error:?}");
    assert_eq!(error.tx_id().map(TxId::as_str), Some("tx-w"));
}

#[test]
fn a_request_seals_to_the_json_the_client_sends() {
    let generator = toss_sign::SessionGenerator::builder()
        .public_key(public_key())
        .crypto_provider(crypto())
        .build()
        .unwrap();
    let session = generator.generate().unwrap();
    let body = request(
        personal(),
        Trigger::Push,
        Document::text("동의합니다").unwrap(),
    )
    .seal(&session)
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let opened = opener().open(json["sessionKey"].as_str().unwrap()).unwrap();
    let name = opened.decrypt(json["userName"].as_str().unwrap()).unwrap();
    assert_eq!(name.as_str(), "홍길동");
    assert_eq!(json["doc"], "동의합니다");
}
