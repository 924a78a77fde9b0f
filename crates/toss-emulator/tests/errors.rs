//! The provider's refusals: unknown txId, too early, expired, too many results, too late,
//! broken rules and bad cryptography.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use toss_emulator::UserBehaviour;

use support::{REQUEST, RESULT, STATUS, error_code, start};

#[tokio::test]
async fn unknown_tx_id_is_ce3100() {
    let env = start(UserBehaviour::default()).await;
    let token = env.token().await;
    let unknown = "60940525-9a59-47db-b0eb-4f029b9faf1e";
    let (status, answer) = env.post(STATUS, &token, &json!({"txId": unknown})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&answer), "CE3100");
    assert_eq!(answer["error"]["reason"], "존재하지 않는 요청입니다");
    assert_eq!(answer["error"]["errorType"], 0);

    let (_, answer, _) = env.result(&token, unknown).await;
    assert_eq!(error_code(&answer), "CE3100");
}

#[tokio::test]
async fn result_before_completion_is_ce3102() {
    let env = start(UserBehaviour::completes(
        Duration::from_secs(1),
        Duration::from_secs(2),
    ))
    .await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&answer), "CE3102");
    env.advance(Duration::from_secs(1));
    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&answer), "CE3102");
    env.advance(Duration::from_secs(1));
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn a_user_who_never_answers_expires_with_ce3103() {
    let env = start(UserBehaviour::NeverAnswers).await;
    let token = env.token().await;
    let (mut body, _) = env.personal_request();
    body["expireSeconds"] = json!(120);
    let tx_id = env.sign(&token, &body).await;

    env.advance(Duration::from_secs(119));
    assert_eq!(env.status(&token, &tx_id).await, "REQUESTED");
    env.advance(Duration::from_secs(1));
    assert_eq!(env.status(&token, &tx_id).await, "EXPIRED");
    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&answer), "CE3103");

    // Without expireSeconds, the default (300 s) applies.
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    env.advance(Duration::from_secs(299));
    assert_eq!(env.status(&token, &tx_id).await, "REQUESTED");
    env.advance(Duration::from_secs(1));
    assert_eq!(env.status(&token, &tx_id).await, "EXPIRED");
}

#[tokio::test]
async fn a_third_result_is_ce3101() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    for _ in 0..2 {
        let (status, answer, _) = env.result(&token, &tx_id).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&answer), "CE3101");
    assert_eq!(
        answer["error"]["reason"],
        "최종 결과는 2회만 조회할 수 있습니다."
    );
}

#[tokio::test]
async fn failed_result_calls_do_not_count_towards_the_two() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    let (_, answer) = env.post(RESULT, &token, &json!({"txId": tx_id})).await;
    assert_eq!(error_code(&answer), "CE3000", "no sessionKey");
    for _ in 0..2 {
        let (status, _, _) = env.result(&token, &tx_id).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn results_end_sixty_minutes_after_completion() {
    let env = start(UserBehaviour::completes(
        Duration::ZERO,
        Duration::from_secs(10),
    ))
    .await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    env.advance(Duration::from_secs(10)); // completed now

    env.advance(Duration::from_secs(60 * 60));
    let (status, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "exactly 60 minutes is still in time: {answer}"
    );

    env.advance(Duration::from_secs(1));
    let (_, answer, _) = env.result(&token, &tx_id).await;
    assert_eq!(error_code(&answer), "CE3103");
    // Status still says what happened.
    assert_eq!(env.status(&token, &tx_id).await, "COMPLETED");
}

#[tokio::test]
async fn tampered_or_foreign_session_keys_are_refused() {
    let env = start(UserBehaviour::default()).await;
    let token = env.token().await;

    // Flip a character of the RSA ciphertext.
    let (mut body, session) = env.personal_request();
    let key = session.session_key().to_owned();
    let last = key.len() - 5;
    let flipped = if &key[last..=last] == "A" { "B" } else { "A" };
    body["sessionKey"] = json!(format!("{}{}{}", &key[..last], flipped, &key[last + 1..]));
    let (status, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "CE3001");

    // Sealed for the provider's real key, not the emulator's.
    let provider = toss_crypto::SessionGenerator::builder()
        .crypto_provider(&toss_crypto::backend::aws_lc::PROVIDER)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    let (mut body, _) = env.personal_request();
    body["sessionKey"] = json!(provider.session_key());
    let (_, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(error_code(&answer), "CE3001");

    // A field encrypted with another session.
    let (mut body, _) = env.personal_request();
    body["userName"] = json!(env.session().encrypt("홍길동").unwrap());
    let (_, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(error_code(&answer), "CE3001");
    assert!(
        answer["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("userName")
    );
    assert!(!answer.to_string().contains("홍길동"));

    // Garbage that only looks like an envelope.
    let (mut body, _) = env.personal_request();
    body["userPhone"] = json!("v1$x$not-base64!");
    let (_, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(error_code(&answer), "CE3001");
}

#[tokio::test]
async fn the_result_call_needs_its_own_new_session() {
    let env = start(UserBehaviour::completes(Duration::ZERO, Duration::ZERO)).await;
    let token = env.token().await;
    let (body, request_session) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    let (status, answer) = env
        .post(
            RESULT,
            &token,
            &json!({"txId": tx_id, "sessionKey": request_session.session_key()}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "CE3000");

    let (_, answer) = env
        .post(
            RESULT,
            &token,
            &json!({"txId": tx_id, "sessionKey": "v1$abc$def"}),
        )
        .await;
    assert_eq!(error_code(&answer), "CE3001");
}

/// A change that breaks a valid request body.
type Mutation = Box<dyn Fn(&mut serde_json::Value)>;

#[tokio::test]
async fn request_rules_are_the_models() {
    let env = start(UserBehaviour::default()).await;
    let token = env.token().await;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "serviceName",
            Box::new(|b| b["serviceName"] = json!("가".repeat(51))),
        ),
        (
            "expireSeconds",
            Box::new(|b| b["expireSeconds"] = json!(1801)),
        ),
        (
            "userBirthday",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("userBirthday");
            }),
        ),
        ("userName", Box::new(|b| b["userName"] = json!("홍길동"))),
        (
            "successCallbackUrl",
            Box::new(|b| b["successCallbackUrl"] = json!("app://x")),
        ),
        ("PDF", Box::new(|b| b["docType"] = json!("PDF"))),
        (
            "requestType",
            Box::new(|b| b["requestType"] = json!("USER_SOMETHING")),
        ),
        ("docTitle", Box::new(|b| b["docTitle"] = json!("  "))),
        (
            "NO_CONTENT",
            Box::new(|b| b["signatureType"] = json!("PKCS7_NO_CONTENT_WITH_ATTR")),
        ),
    ];
    for (what, mutate) in mutations {
        let (mut body, _) = env.personal_request();
        mutate(&mut body);
        let (status, answer) = env.post(REQUEST, &token, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert_eq!(error_code(&answer), "CE3000", "{what}");
        assert!(!answer.to_string().contains("홍길동"), "{what}");
    }

    // Decrypted values are checked too.
    let (mut body, session) = env.personal_request();
    body["userPhone"] = json!(session.encrypt("010-1234-5678").unwrap());
    let (_, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(error_code(&answer), "CE3000");
    let (mut body, session) = env.personal_request();
    body["userBirthday"] = json!(session.encrypt("19991399").unwrap());
    let (_, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(error_code(&answer), "CE3000");

    // Not JSON at all.
    let response = env
        .http
        .post(env.url(REQUEST))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), "CE3000");

    let (_, answer) = env.post(STATUS, &token, &json!({"tx": 1})).await;
    assert_eq!(error_code(&answer), "CE3000");
    assert_eq!(env.emulator.stats().sign_requests, 0);
}
