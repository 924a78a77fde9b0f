//! Whole signing flows over HTTP: request, status, result, decryption of the answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::Decode;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use toss_crypto::{Algorithm, Session};
use toss_emulator::UserBehaviour;
use toss_model::{
    DocType, Envelope, RequestType, ResultResponse, SignRequest, SignStatus, SignatureType,
    TriggerType,
};

use support::{BIRTHDAY, DOC, NAME, PHONE, start};

fn signed_data(signed_doc_base64: &str) -> SignedData {
    let der = STANDARD.decode(signed_doc_base64).unwrap();
    ContentInfo::from_der(&der)
        .unwrap()
        .content
        .decode_as()
        .unwrap()
}

fn decrypt(session: &Session, field: Option<&str>) -> String {
    session.decrypt(field.unwrap()).unwrap().to_string()
}

#[tokio::test]
async fn user_personal_from_request_to_result() {
    let env = start(UserBehaviour::completes(
        Duration::from_millis(300),
        Duration::from_millis(600),
    ))
    .await;
    let token = env.token().await;
    let (body, request_session) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    assert_eq!(env.status(&token, &tx_id).await, "REQUESTED");
    env.advance(Duration::from_millis(300));
    assert_eq!(env.status(&token, &tx_id).await, "IN_PROGRESS");
    env.advance(Duration::from_millis(300));
    assert_eq!(env.status(&token, &tx_id).await, "COMPLETED");

    let (status, answer, result_session) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let result: ResultResponse = serde_json::from_value::<Envelope<ResultResponse>>(answer)
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(result.tx_id().as_str(), tx_id);
    assert_eq!(*result.status(), SignStatus::Completed);
    assert_eq!(result.doc(), DOC);
    assert_eq!(*result.signature_type(), SignatureType::Pkcs7);
    assert!(!result.doc_encrypted());
    assert_eq!(result.completed_dt().offset().whole_hours(), 9);
    assert!(result.completed_dt() >= result.requested_dt());

    let personal = result.personal_data().unwrap();
    assert_eq!(decrypt(&result_session, personal.name()), NAME);
    assert_eq!(decrypt(&result_session, personal.birthday()), BIRTHDAY);
    assert!(["MALE", "FEMALE"].contains(&decrypt(&result_session, personal.gender()).as_str()));
    assert_eq!(decrypt(&result_session, personal.nationality()), "LOCAL");
    let ci = decrypt(&result_session, personal.ci());
    assert_eq!(ci.len(), 88);
    assert!(STANDARD.decode(&ci).is_ok());
    assert!(!decrypt(&result_session, personal.di()).is_empty());
    assert_eq!(personal.ci2(), None);
    assert_eq!(personal.ci_update(), None);
    // Encrypted for the result call's session only.
    assert!(request_session.decrypt(personal.name().unwrap()).is_err());

    // The signature embeds the document and names the person.
    let signed = signed_data(result.signed_doc());
    assert_eq!(
        signed.encap_content_info.econtent.as_ref().unwrap().value(),
        DOC.as_bytes()
    );
    assert_eq!(signed.signer_infos.0.len(), 1);
    let signer_info = signed.signer_infos.0.get(0).unwrap();
    assert_eq!(signer_info.signed_attrs.as_ref().unwrap().len(), 3);
    let certificates = signed.certificates.as_ref().unwrap();
    assert_eq!(certificates.0.len(), 1);
    let cms::cert::CertificateChoices::Certificate(certificate) = certificates.0.get(0).unwrap()
    else {
        panic!("a certificate");
    };
    assert!(
        certificate
            .tbs_certificate
            .subject
            .to_string()
            .contains(&format!("CN={NAME}"))
    );

    // The second result is the same signature; CI is stable.
    let (status, answer, second_session) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK);
    let second: ResultResponse = serde_json::from_value::<Envelope<ResultResponse>>(answer)
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(second.signed_doc(), result.signed_doc());
    assert_eq!(
        decrypt(&second_session, second.personal_data().unwrap().ci()),
        ci
    );

    // Another request for the same person gets the same CI and the same certificate key.
    let (body, _) = env.personal_request();
    let other_tx = env.sign(&token, &body).await;
    env.advance(Duration::from_secs(1));
    let (_, answer, session) = env.result(&token, &other_tx).await;
    assert_eq!(
        decrypt(
            &session,
            answer["success"]["personalData"]["ci"]
                .as_str()
                .map(|s| s as &str)
        ),
        ci
    );
}

#[tokio::test]
async fn user_ci_gets_the_fixed_test_person_without_ci_or_di() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let session = env.session();
    let request = SignRequest::builder()
        .request_type(RequestType::UserCi)
        .trigger_type(TriggerType::AppScheme)
        .user_ci(session.encrypt("a-ci-the-client-keeps").unwrap())
        .session_key(session.session_key())
        .service_name("토스 출금이체")
        .doc_title("출금이체 동의문")
        .doc("<p>동의합니다</p>")
        .doc_type(DocType::Html)
        .success_callback_url("myapp://done")
        .build()
        .unwrap();
    let (status, answer) = env.post(support::REQUEST, &token, &request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let success = &answer["success"];
    let tx_id = success["txId"].as_str().unwrap();
    assert_eq!(
        success["appScheme"],
        format!(
            "supertoss://toss-cert/v2/sign/doc?txId={tx_id}&_minVerAos=5.36.0&_minVerIos=5.10.0"
        )
    );
    assert!(
        success["androidAppUri"]
            .as_str()
            .unwrap()
            .starts_with("intent://toss-cert/v2/sign/doc?txId=")
    );
    assert!(
        success["iosAppUri"]
            .as_str()
            .unwrap()
            .starts_with(&env.url("/ul?scheme=supertoss%3A%2F%2F"))
    );

    assert_eq!(env.status(&token, tx_id).await, "COMPLETED");
    let (status, answer, session) = env.result(&token, tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let personal = &answer["success"]["personalData"];
    let field = |name: &str| session.decrypt(personal[name].as_str().unwrap()).unwrap();
    assert_eq!(*field("name"), "김토스");
    assert_eq!(*field("birthday"), "19930324");
    assert_eq!(*field("gender"), "FEMALE");
    assert_eq!(*field("nationality"), "LOCAL");
    assert_eq!(personal["ci"], Value::Null);
    assert_eq!(personal["di"], Value::Null);
    assert_eq!(answer["success"]["doc"], "<p>동의합니다</p>");
}

#[tokio::test]
async fn pdf_hash_is_signed_detached() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let pdf = b"%PDF-1.7\n% a contract\n%%EOF\n";
    let hash = Sha256::digest(pdf);
    let doc = STANDARD.encode(hash);
    let session = env.session();
    let request = env
        .personal_builder(&session)
        .service_name("계약서 서명")
        .doc_title("대출 계약서")
        .doc(doc.clone())
        .doc_type(DocType::Pdf)
        .signature_type(SignatureType::Pkcs7NoContentWithAttr)
        .build()
        .unwrap();
    let tx_id = env.sign(&token, &request).await;
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let success = &answer["success"];
    assert_eq!(success["signatureType"], "PKCS7_NO_CONTENT_WITH_ATTR");
    assert_eq!(success["doc"], doc.as_str());

    let signed = signed_data(success["signedDoc"].as_str().unwrap());
    assert!(signed.encap_content_info.econtent.is_none());
    let attributes = signed
        .signer_infos
        .0
        .get(0)
        .unwrap()
        .signed_attrs
        .clone()
        .unwrap();
    let digest = attributes
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .unwrap();
    let value = digest.values.get(0).unwrap();
    assert_eq!(value.value(), hash.as_slice());
}

#[tokio::test]
async fn encrypted_doc_is_signed_in_plain_and_returned_encrypted() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    // An AES-CBC session, to cover the other algorithm too.
    let session = env.sessions.generate_with(Algorithm::AesCbc).unwrap();
    let secret_doc = "홍길동님의 계좌 123-456-789 출금이체에 동의합니다.";
    let request = SignRequest::builder()
        .request_type(RequestType::UserPersonal)
        .trigger_type(TriggerType::Push)
        .user_name(session.encrypt(NAME).unwrap())
        .user_phone(session.encrypt(PHONE).unwrap())
        .user_birthday(session.encrypt(BIRTHDAY).unwrap())
        .session_key(session.session_key())
        .service_name("토스 출금이체")
        .doc_title("출금이체 동의문")
        .doc(session.encrypt(secret_doc).unwrap())
        .doc_type(DocType::Text)
        .doc_encrypted(true)
        .build()
        .unwrap();
    let tx_id = env.sign(&token, &request).await;
    let (status, answer, result_session) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let success = &answer["success"];
    assert_eq!(success["docEncrypted"], true);
    let doc = success["doc"].as_str().unwrap();
    assert!(doc.starts_with(&format!("v1${}$", result_session.id())));
    assert_eq!(*result_session.decrypt(doc).unwrap(), secret_doc);

    let signed = signed_data(success["signedDoc"].as_str().unwrap());
    assert_eq!(
        signed.encap_content_info.econtent.unwrap().value(),
        secret_doc.as_bytes()
    );
}

#[tokio::test]
async fn an_answer_over_a_megabyte_reaches_the_client_whole() {
    // The request log reads small answers for their code and txId; a larger one (a big
    // document raised past the default body limit) must pass through it untouched.
    let env = support::start_with(|builder| {
        builder
            .body_limit(4 * 1024 * 1024)
            .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
    })
    .await;
    let token = env.token().await;
    let doc = "본인은 위 계좌의 출금이체에 동의합니다. ".repeat(20_000);
    let session = env.session();
    let request = env
        .personal_builder(&session)
        .doc(doc.clone())
        .build()
        .unwrap();
    let tx_id = env.sign(&token, &request).await;
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK);
    let signed_doc = answer["success"]["signedDoc"].as_str().unwrap();
    assert!(signed_doc.len() > 1024 * 1024, "{}", signed_doc.len());
    let signed = signed_data(signed_doc);
    let content = signed.encap_content_info.econtent.unwrap();
    assert_eq!(content.value(), doc.as_bytes());
    let logged = env.emulator.requests();
    let result = logged.requests.last().unwrap();
    assert_eq!(result.status, Some(200));
    assert_eq!(result.tx_id.as_deref(), Some(tx_id.as_str()));
}
