//! `POST /token` and bearer checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{REQUEST, RESULT, STATUS, VALIDATE, error_code, start, start_with};
use toss_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, UserBehaviour, VERSION_HEADER};

#[tokio::test]
async fn issues_tokens_for_the_published_test_credentials() {
    let env = start(UserBehaviour::default()).await;
    assert_eq!(env.emulator.client_id(), DEFAULT_CLIENT_ID);
    assert_eq!(env.emulator.client_secret(), DEFAULT_CLIENT_SECRET);

    let response = env
        .token_response(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("scope", "ca"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[VERSION_HEADER],
        env!("CARGO_PKG_VERSION")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "ca");
    assert_eq!(body["expires_in"], 31_536_000);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "JWT-shaped");

    // The token opens the service endpoints (an unknown txId proves the call got through).
    let (status, answer) = env.post(STATUS, token, &json!({"txId": "nope"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&answer), "CE3100");
    assert_eq!(env.emulator.stats().tokens_issued, 1);
}

/// A token form, the status it gets and the OAuth error.
type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str);

#[tokio::test]
async fn refuses_bad_credentials_grant_type_and_scope() {
    let env = start(UserBehaviour::default()).await;
    let cases: [Case<'_>; 5] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", "test_wrong"),
                ("scope", "ca"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "test_someone_else"),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("scope", "ca"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("scope", "ca"),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
                ("scope", "admin"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", DEFAULT_CLIENT_ID),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (form, status, error) in cases {
        let response = env.token_response(form).await;
        assert_eq!(response.status(), status, "{error}");
        assert!(response.headers().contains_key(VERSION_HEADER));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error);
        // The secret is never echoed.
        assert!(!body.to_string().contains(DEFAULT_CLIENT_SECRET));
    }
    let stats = env.emulator.stats();
    assert_eq!(stats.tokens_issued, 0);
    assert_eq!(stats.errors, 5);
}

#[tokio::test]
async fn configured_credentials_replace_the_defaults() {
    let env = start_with(|b| b.client_credentials("my_id", "my_secret")).await;
    let response = env
        .token_response(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("scope", "ca"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(env.emulator.client_id(), "my_id");
    assert!(!env.token().await.is_empty());
}

#[tokio::test]
async fn unknown_missing_and_expired_tokens_get_ce1000_and_401() {
    let env = start_with(|b| b.token_lifetime(Duration::from_secs(60))).await;
    let token = env.token().await;
    let body = json!({"txId": "00000000-0000-4000-8000-000000000000"});

    let (status, answer) = env.post(STATUS, "forged", &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&answer), "CE1000");

    let response = env
        .http
        .post(env.url(STATUS))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), "CE1000");

    env.advance(Duration::from_secs(59));
    let (status, _) = env.post(STATUS, &token, &body).await;
    assert_eq!(status, StatusCode::OK);

    env.advance(Duration::from_secs(1));
    for path in [REQUEST, STATUS, RESULT, VALIDATE] {
        let (status, answer) = env.post(path, &token, &body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(error_code(&answer), "CE1000", "{path}");
    }
    // A new token works again.
    let fresh = env.token().await;
    let (status, _) = env.post(STATUS, &fresh, &body).await;
    assert_eq!(status, StatusCode::OK);
}
