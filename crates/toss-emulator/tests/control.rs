//! The emulator's own endpoints and handle: manual moves, stats, keys, certificate checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use toss_emulator::{Error, Stats, UserBehaviour, VERSION_HEADER};
use toss_model::SignStatus;

use support::{STATUS, VALIDATE, error_code, start};

async fn control(env: &support::Env, tx_id: &str, action: &str) -> (StatusCode, Value) {
    let response = env
        .http
        .post(env.url(&format!("/emulator/v1/tx/{tx_id}/{action}")))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key(VERSION_HEADER));
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn manual_user_is_moved_by_the_control_endpoints() {
    let env = start(UserBehaviour::Manual).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    env.advance(Duration::from_secs(60));
    assert_eq!(env.status(&token, &tx_id).await, "REQUESTED");

    let (status, answer) = control(&env, &tx_id, "open").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["success"]["status"], "IN_PROGRESS");
    assert_eq!(env.status(&token, &tx_id).await, "IN_PROGRESS");

    let (_, answer) = control(&env, &tx_id, "complete").await;
    assert_eq!(answer["success"]["status"], "COMPLETED");
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let (status, answer) = control(&env, &tx_id, "expire").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&answer), "CE3000");

    // Expire another one by hand.
    let (body, _) = env.personal_request();
    let other = env.sign(&token, &body).await;
    let (_, answer) = control(&env, &other, "expire").await;
    assert_eq!(answer["success"]["status"], "EXPIRED");
    let (status, answer) = control(&env, &other, "complete").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&answer), "CE3103");
    let (_, answer, _) = env.result(&token, &other).await;
    assert_eq!(error_code(&answer), "CE3103");

    let (status, answer) = control(&env, "no-such-tx", "open").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&answer), "CE3100");
    let (status, answer) = control(&env, &other, "dance").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&answer), "CE3000");
}

#[tokio::test]
async fn handle_methods_move_transactions_too() {
    let env = start(UserBehaviour::NeverAnswers).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    assert_eq!(env.emulator.open(&tx_id).unwrap(), SignStatus::InProgress);
    assert_eq!(
        env.emulator.complete(&tx_id).unwrap(),
        SignStatus::Completed
    );
    assert!(matches!(
        env.emulator.expire(&tx_id),
        Err(Error::Transition {
            status: SignStatus::Completed
        })
    ));
    assert!(matches!(
        env.emulator.open("nope"),
        Err(Error::UnknownTransaction)
    ));
    assert_eq!(env.status(&token, &tx_id).await, "COMPLETED");

    // The behaviour of new transactions can change while running.
    env.emulator
        .set_user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO));
    let (body, _) = env.personal_request();
    let quick = env.sign(&token, &body).await;
    assert_eq!(env.status(&token, &quick).await, "COMPLETED");
    assert!(env.emulator.clock().is_some());
}

#[tokio::test]
async fn stats_count_every_call() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    env.status(&token, &tx_id).await;
    env.status(&token, &tx_id).await;
    env.result(&token, &tx_id).await;
    env.result(&token, &tx_id).await;
    env.result(&token, &tx_id).await; // CE3101
    env.post(STATUS, "bad", &json!({})).await; // CE1000
    let (_, answer, _) = env.result(&token, &tx_id).await; // CE3101 again
    assert_eq!(error_code(&answer), "CE3101");

    let response = env
        .http
        .get(env.url("/emulator/v1/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let json: Value = response.json().await.unwrap();
    assert_eq!(
        json,
        json!({
            "tokens_issued": 1,
            "sign_requests": 1,
            "status_calls": 2,
            "results": 2,
            "certificate_validations": 0,
            "errors": 3,
            // Both results are out: the transaction is kept for status answers only.
            "liveTransactions": 1,
            "retainedTransactions": 1,
            "liveTokens": 1,
        })
    );
    let stats: Stats = serde_json::from_value(json).unwrap();
    assert_eq!(stats, env.emulator.stats());
}

#[tokio::test]
async fn certificate_validate_knows_its_own_certificates() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    let (_, answer, _) = env.result(&token, &tx_id).await;
    let signed_doc = answer["success"]["signedDoc"].as_str().unwrap();
    let pem = signer_certificate_pem(signed_doc);

    let (status, answer) = env
        .post(VALIDATE, &token, &json!({"certificate": pem}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({"resultType": "SUCCESS", "success": {"valid": true, "enabled": true}})
    );

    // The CA's own PEM, served by the emulator, is its; anything else is not valid.
    let ca_pem = env
        .http
        .get(env.url("/emulator/v1/ca-certificate"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(ca_pem, env.emulator.ca_certificate_pem());
    let other = start(UserBehaviour::default()).await;
    for foreign in [
        other.emulator.ca_certificate_pem().to_owned(),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
        "hello".to_owned(),
    ] {
        let (status, answer) = env
            .post(VALIDATE, &token, &json!({"certificate": foreign}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["success"], json!({"valid": false, "enabled": false}));
    }

    // Years later, the certificate has expired.
    env.advance(Duration::from_secs(4 * 366 * 24 * 3600));
    let token = env.token().await;
    let (_, answer) = env
        .post(VALIDATE, &token, &json!({"certificate": pem}))
        .await;
    assert_eq!(answer["success"]["valid"], false);

    let (status, answer) = env.post(VALIDATE, &token, &json!({"cert": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "CE3000");
    assert_eq!(env.emulator.stats().certificate_validations, 5);
}

#[tokio::test]
async fn public_key_endpoint_and_unknown_paths() {
    let env = start(UserBehaviour::default()).await;
    let key = env
        .http
        .get(env.url("/emulator/v1/public-key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(key, env.emulator.public_key_base64());

    let response = env
        .http
        .post(env.url("/api/v2/sign/user/auth/id/request"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().contains_key(VERSION_HEADER));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), "CE3000");

    let response = env.http.get(env.url(STATUS)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers().contains_key(VERSION_HEADER));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), "CE3000");
    assert_eq!(env.emulator.stats().errors, 2);
}

#[tokio::test]
async fn configuration_is_checked_and_a_given_key_is_used() {
    use toss_emulator::Emulator;

    for bits in [1024, 4095] {
        let error = Emulator::builder()
            .rsa_bits(bits)
            .start()
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Config(_)), "{error}");
    }
    let error = Emulator::builder()
        .rsa_bits(2048)
        .default_expire_seconds(1801)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)));

    let pkcs8 = toss_crypto::backend::aws_lc::PROVIDER
        .rsa_oaep
        .generate_private_key(2048)
        .unwrap();
    let opener = toss_crypto::SessionOpener::from_private_key_der(
        &pkcs8,
        &toss_crypto::backend::aws_lc::PROVIDER,
    )
    .unwrap();
    use base64::Engine as _;
    let emulator = Emulator::builder()
        .provider_private_key(base64::engine::general_purpose::STANDARD.encode(&*pkcs8))
        .start()
        .await
        .unwrap();
    assert_eq!(
        emulator.public_key_base64(),
        opener.public_key_base64().unwrap()
    );
    assert!(emulator.clock().is_none());

    let error = Emulator::builder()
        .rsa_bits(2048)
        .provider_private_key("not a key")
        .start()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_) | Error::ProviderKey(_)));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let env = start(UserBehaviour::default()).await;
    let url = env.url("/emulator/v1/stats");
    let http = env.http.clone();
    assert!(http.get(&url).send().await.is_ok());
    env.emulator.shutdown().await.unwrap();
    assert!(support::http_client().get(&url).send().await.is_err());
}

/// The signer certificate inside a signedDoc, as PEM on one line (as the provider's SDK
/// writes it).
fn signer_certificate_pem(signed_doc: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use der::{Decode, Encode};
    let der = STANDARD.decode(signed_doc).unwrap();
    let signed: cms::signed_data::SignedData = cms::content_info::ContentInfo::from_der(&der)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let cms::cert::CertificateChoices::Certificate(certificate) =
        signed.certificates.unwrap().0.get(0).unwrap().clone()
    else {
        panic!("a certificate");
    };
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        STANDARD.encode(certificate.to_der().unwrap())
    )
}
