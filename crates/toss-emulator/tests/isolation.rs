//! Several clients see only their own transactions; a session key is good for one request;
//! the control endpoints can be turned off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use toss_emulator::{ControlAccess, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, UserBehaviour};

use support::{REQUEST, RESULT, STATUS, error_code, start_with};

#[tokio::test]
async fn a_client_sees_only_its_own_transactions() {
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
            .client_credentials("client-a", "secret-a")
            .client_credentials("client-b", "secret-b")
    })
    .await;
    assert_eq!(env.emulator.client_ids(), ["client-a", "client-b"]);
    assert_eq!(env.emulator.client_id(), "client-a");

    // The published test credentials are no longer accepted once others are configured.
    let response = env
        .token_response_for(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Nor one client's id with the other's secret.
    let response = env.token_response_for("client-a", "secret-b").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let a = env.token_for("client-a", "secret-a").await;
    let b = env.token_for("client-b", "secret-b").await;
    let (body, _) = env.personal_request();
    let tx_a = env.sign(&a, &body).await;

    // Client B gets what it would for a txId that does not exist.
    let (status, answer) = env.post(STATUS, &b, &json!({ "txId": tx_a })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&answer), "CE3100");
    let (_, unknown) = env
        .post(
            STATUS,
            &b,
            &json!({ "txId": "00000000-0000-4000-8000-000000000000" }),
        )
        .await;
    assert_eq!(answer["error"], unknown["error"]);
    let (status, answer, _) = env.result(&b, &tx_a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&answer), "CE3100");

    // Client A still has both of its results: B's attempts took none.
    assert_eq!(env.status(&a, &tx_a).await, "COMPLETED");
    for _ in 0..2 {
        let (_, answer, _) = env.result(&a, &tx_a).await;
        assert_eq!(answer["resultType"], "SUCCESS", "{answer}");
    }

    // And B's own transactions are B's.
    let (body, _) = env.personal_request();
    let tx_b = env.sign(&b, &body).await;
    assert_eq!(env.status(&b, &tx_b).await, "COMPLETED");
    let (_, answer) = env.post(STATUS, &a, &json!({ "txId": tx_b })).await;
    assert_eq!(error_code(&answer), "CE3100");
}

#[tokio::test]
async fn a_reused_session_key_is_refused() {
    let env = start_with(|builder| {
        builder.user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
    })
    .await;
    let token = env.token().await;
    let (body, session) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;

    // The same body again: same sessionKey.
    let (status, answer) = env.post(REQUEST, &token, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "CE3000");
    assert!(
        answer["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{answer}"
    );

    // A result call with a session an earlier result call used.
    let (_, first, result_session) = env.result(&token, &tx_id).await;
    assert_eq!(first["resultType"], "SUCCESS", "{first}");
    let (status, answer) = env
        .post(
            RESULT,
            &token,
            &json!({ "txId": tx_id, "sessionKey": result_session.session_key() }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&answer), "CE3000");

    // A new sign request whose sessionKey seals the earlier request's session again (a new
    // RSA-OAEP ciphertext of the same key): the same session, refused all the same.
    let (mut other, _) = env.personal_request();
    other["sessionKey"] = json!(session.session_key());
    let (status, answer) = env.post(REQUEST, &token, &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(error_code(&answer), "CE3000");

    // A refused result call took none of the two results.
    let (_, second, _) = env.result(&token, &tx_id).await;
    assert_eq!(second["resultType"], "SUCCESS", "{second}");
    assert_eq!(env.emulator.stats().sign_requests, 1);
}

#[tokio::test]
async fn session_reuse_can_be_allowed() {
    let env = start_with(|builder| builder.refuse_reused_session_keys(false)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let first = env.sign(&token, &body).await;
    let second = env.sign(&token, &body).await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn control_endpoints_can_be_turned_off() {
    let env = start_with(|builder| {
        builder
            .user_behaviour(UserBehaviour::Manual)
            .control_endpoints(ControlAccess::Off)
    })
    .await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    for action in ["open", "complete", "expire"] {
        let response = env
            .http
            .post(env.url(&format!("/emulator/v1/tx/{tx_id}/{action}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(env.status(&token, &tx_id).await, "REQUESTED");
    // The read-only endpoints stay.
    let response = env
        .http
        .get(env.url("/emulator/v1/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The handle, which only the process that started the emulator holds, still moves it.
    env.emulator.complete(&tx_id).unwrap();
    assert_eq!(env.status(&token, &tx_id).await, "COMPLETED");
}

#[tokio::test]
async fn control_endpoints_answer_loopback_peers_by_default() {
    let env = start_with(|builder| builder.user_behaviour(UserBehaviour::Manual)).await;
    let token = env.token().await;
    let (body, _) = env.personal_request();
    let tx_id = env.sign(&token, &body).await;
    let response = env
        .http
        .post(env.url(&format!("/emulator/v1/tx/{tx_id}/open")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(env.status(&token, &tx_id).await, "IN_PROGRESS");
}
