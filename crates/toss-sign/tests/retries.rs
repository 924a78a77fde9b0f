//! The client's one retry loop: what is sent again, what never is, how long it waits,
//! the token refresh that is not a retry, and the budget the calls share.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::*;
use time::macros::date;
use toss_sign::{Client, Document, RetryBudget, SignStatus, SignatureRequest, Signer, TxId};
use toss_transport::HttpResponse;
use toss_transport::TransportError;
use toss_transport::http::{HeaderMap, HeaderValue, StatusCode};

fn signature() -> SignatureRequest {
    SignatureRequest::builder()
        .signer(Signer::personal("홍길동", "01012345678", date!(1993 - 03 - 24)).unwrap())
        .document(Document::text("동의합니다").unwrap())
        .service_name("토스증권")
        .title("동의서")
        .build()
        .unwrap()
}

fn tx() -> TxId {
    TxId::new("tx-retry")
}

fn with_budget(provider: &Provider, budget: Arc<RetryBudget>) -> Client {
    builder(provider).retry_budget(budget).build().unwrap()
}

#[tokio::test]
async fn a_sign_request_that_never_connected_is_sent_again() {
    let provider = Provider::new();
    provider.respond(REQUEST, Err(TransportError::connect_timeout()));
    provider.respond(REQUEST, sign_success("tx-1"));
    let requested = client(&provider)
        .request_signature(&signature())
        .await
        .unwrap();
    assert_eq!(requested.tx_id.as_str(), "tx-1");
    assert_eq!(provider.requests(REQUEST).len(), 2);
}

#[tokio::test]
async fn a_gateway_error_ends_a_sign_request_but_not_a_status_call() {
    let provider = Provider::new();
    provider.respond(REQUEST, raw(503, ""));
    let error = client(&provider)
        .request_signature(&signature())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(provider.requests(REQUEST).len(), 1, "one push, never two");

    provider.respond(STATUS, raw(502, ""));
    provider.respond(STATUS, raw(504, ""));
    provider.respond(STATUS, status_is("tx-retry", "IN_PROGRESS"));
    let status = client(&provider).status(&tx()).await.unwrap();
    assert_eq!(status, SignStatus::InProgress);
    assert_eq!(provider.requests(STATUS).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn throttling_is_waited_out_as_asked_even_for_a_sign_request() {
    let provider = Provider::new();
    let mut retry_after_7 = HeaderMap::new();
    retry_after_7.insert("retry-after", HeaderValue::from_static("7"));
    provider.respond(
        REQUEST,
        Ok(HttpResponse::new(StatusCode::TOO_MANY_REQUESTS).with_headers(retry_after_7)),
    );
    provider.respond(REQUEST, sign_success("tx-2"));
    let started = tokio::time::Instant::now();
    client(&provider)
        .request_signature(&signature())
        .await
        .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(7));
    assert_eq!(provider.requests(REQUEST).len(), 2);
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_without_spending_the_budget() {
    let provider = Provider::new();
    provider.respond(STATUS, fail(200, "CE1000"));
    provider.respond(STATUS, status_is("tx-retry", "REQUESTED"));
    // A budget with no token for a retry: the refresh does not need one.
    let client = with_budget(&provider, Arc::new(RetryBudget::new(0)));
    client.status(&tx()).await.unwrap();
    assert_eq!(provider.tokens_issued(), 2);
    assert_eq!(provider.requests(STATUS).len(), 2);

    // Refused twice: the second refusal is the answer.
    provider.respond(STATUS, fail(200, "CE1000"));
    provider.respond(STATUS, fail(200, "CE1000"));
    let error = client.status(&tx()).await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("CE1000"));
    assert_eq!(provider.requests(STATUS).len(), 4);
}

#[tokio::test]
async fn clients_sharing_a_spent_budget_stop_retrying_until_calls_succeed() {
    let provider = Provider::new();
    let budget = Arc::new(RetryBudget::new(5));
    let first = with_budget(&provider, budget.clone());
    let second = with_budget(&provider, budget.clone());
    // The first client's retry takes the budget's five tokens…
    provider.respond(STATUS, raw(503, ""));
    provider.respond(STATUS, raw(503, ""));
    assert_eq!(first.status(&tx()).await.unwrap_err().status(), Some(503));
    assert_eq!(provider.requests(STATUS).len(), 2);
    assert_eq!(budget.available(), 0);
    // …so the second client's failure is not retried.
    provider.respond(STATUS, raw(503, ""));
    assert_eq!(second.status(&tx()).await.unwrap_err().status(), Some(503));
    assert_eq!(provider.requests(STATUS).len(), 3);
    // A call that succeeds at once gives one token back (the second client's token
    // request gave one too, which is not enough for a retry).
    let before = budget.available();
    assert!(before < 5, "{before}");
    provider.respond(STATUS, status_is("tx-retry", "REQUESTED"));
    second.status(&tx()).await.unwrap();
    assert_eq!(budget.available(), before + 1);
}
