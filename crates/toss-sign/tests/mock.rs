//! The client on toss-transport's mockall mock, as a user's unit test would use it.

#![allow(clippy::unwrap_used)]

use toss_model::esign::GetStatus;
use toss_model::{Endpoint as _, IssueToken};
use toss_sign::{Client, Environment, SignStatus, TxId};
use toss_transport::HttpResponse;
use toss_transport::http::StatusCode;
use toss_transport::mock::MockHttpTransport;

#[tokio::test]
async fn status_through_the_mock() {
    let mut transport = MockHttpTransport::new();
    transport
        .expect_send()
        .withf(|request| request.uri().path() == IssueToken::OPERATION.path())
        .times(1)
        .returning(|_| {
            Ok(HttpResponse::new(StatusCode::OK).with_body(
                r#"{"access_token":"t","scope":"ca","token_type":"Bearer","expires_in":3600}"#,
            ))
        });
    transport
        .expect_send()
        .withf(|request| {
            request.uri().path() == GetStatus::OPERATION.path()
                && request.is_idempotent()
                && request.body().as_ref() == br#"{"txId":"tx-m"}"#
        })
        .times(1)
        .returning(|_| {
            Ok(HttpResponse::new(StatusCode::OK).with_body(
                r#"{"resultType":"SUCCESS","success":{"txId":"tx-m","status":"IN_PROGRESS","requestedDt":"2026-11-25T09:00:00+09:00"}}"#,
            ))
        });
    let client = Client::builder()
        .client_id("id")
        .client_secret("secret")
        .environment(Environment::single_host("https://provider.test"))
        .transport(transport)
        .crypto_provider(&toss_crypto::backend::aws_lc::PROVIDER)
        .build()
        .unwrap();
    let status = client.status(&TxId::new("tx-m")).await;
    let status = status.unwrap();
    assert_eq!(status, SignStatus::InProgress);
}
