//! Access tokens: cached, refreshed ahead of expiry, fetched once for many callers, and
//! replaced once when the provider refuses one.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::*;
use toss_sign::{Error, TxId};

fn tx() -> TxId {
    TxId::new("tx-1")
}

#[tokio::test]
async fn a_token_is_fetched_once_and_reused() {
    let provider = Provider::new();
    for _ in 0..3 {
        provider.respond(STATUS, status_is("tx-1", "REQUESTED"));
    }
    let client = client(&provider);
    for _ in 0..3 {
        client.status(&tx()).await.unwrap();
    }
    assert_eq!(provider.tokens_issued(), 1);
    let token = &provider.requests(TOKEN)[0];
    let form = String::from_utf8(token.body().to_vec()).unwrap();
    assert!(form.contains("grant_type=client_credentials"), "{form}");
    assert!(form.contains("scope=ca"), "{form}");
    assert!(form.contains("client_id=test_client"), "{form}");
    for status in provider.requests(STATUS) {
        assert_eq!(status.headers()["authorization"], "Bearer token-1");
    }
}

#[tokio::test]
async fn refreshed_five_minutes_before_expiry_for_long_tokens() {
    let provider = Provider::new();
    provider.token_lifetime(3600);
    for _ in 0..3 {
        provider.respond(STATUS, status_is("tx-1", "REQUESTED"));
    }
    let clock = TestClock::new();
    let client = client_with_clock(&provider, clock.clone());
    client.status(&tx()).await.unwrap();
    clock.advance(Duration::from_secs(3600 - 301));
    client.status(&tx()).await.unwrap();
    assert_eq!(
        provider.tokens_issued(),
        1,
        "still fresh 301 s before expiry"
    );
    clock.advance(Duration::from_secs(2));
    client.status(&tx()).await.unwrap();
    assert_eq!(provider.tokens_issued(), 2, "refreshed 299 s before expiry");
}

#[tokio::test]
async fn refreshed_at_ten_percent_for_short_tokens() {
    let provider = Provider::new();
    provider.token_lifetime(600);
    for _ in 0..3 {
        provider.respond(STATUS, status_is("tx-1", "REQUESTED"));
    }
    let clock = TestClock::new();
    let client = client_with_clock(&provider, clock.clone());
    client.status(&tx()).await.unwrap();
    clock.advance(Duration::from_secs(539));
    client.status(&tx()).await.unwrap();
    assert_eq!(provider.tokens_issued(), 1);
    clock.advance(Duration::from_secs(2));
    client.status(&tx()).await.unwrap();
    assert_eq!(provider.tokens_issued(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_cold_callers_share_one_token_fetch() {
    let provider = Provider::new();
    provider.token_delay(Duration::from_millis(50));
    for _ in 0..100 {
        provider.respond(STATUS, status_is("tx-1", "IN_PROGRESS"));
    }
    let client = client(&provider);
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.status(&tx()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(provider.tokens_issued(), 1);
    assert_eq!(provider.requests(TOKEN).len(), 1);
    assert_eq!(provider.requests(STATUS).len(), 100);
}

#[tokio::test]
async fn ce1000_drops_the_token_and_retries_once() {
    let provider = Provider::new();
    provider.respond(STATUS, fail(401, "CE1000"));
    provider.respond(STATUS, status_is("tx-1", "COMPLETED"));
    let client = client(&provider);
    let status = client.status(&tx()).await.unwrap();
    assert_eq!(status, toss_sign::SignStatus::Completed);
    assert_eq!(provider.tokens_issued(), 2);
    let sent = provider.requests(STATUS);
    assert_eq!(sent[0].headers()["authorization"], "Bearer token-1");
    assert_eq!(sent[1].headers()["authorization"], "Bearer token-2");
}

#[tokio::test]
async fn ce1000_in_a_200_answer_is_recovered_too() {
    let provider = Provider::new();
    provider.respond(STATUS, fail(200, "CE1000"));
    provider.respond(STATUS, status_is("tx-1", "COMPLETED"));
    let client = client(&provider);
    client.status(&tx()).await.unwrap();
    assert_eq!(provider.tokens_issued(), 2);
}

#[tokio::test]
async fn a_bare_401_is_recovered() {
    let provider = Provider::new();
    provider.respond(STATUS, raw(401, ""));
    provider.respond(STATUS, status_is("tx-1", "COMPLETED"));
    let client = client(&provider);
    client.status(&tx()).await.unwrap();
    assert_eq!(provider.tokens_issued(), 2);
}

#[tokio::test]
async fn a_second_refusal_is_reported_not_looped() {
    let provider = Provider::new();
    provider.respond(STATUS, fail(401, "CE1000"));
    provider.respond(STATUS, fail(401, "CE1000"));
    let client = client(&provider);
    let error = client.status(&tx()).await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("CE1000"));
    assert_eq!(provider.requests(STATUS).len(), 2);
    assert_eq!(provider.tokens_issued(), 2);
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error() {
    let provider = Provider::new();
    provider.respond(
        TOKEN,
        raw(
            401,
            r#"{"error":"invalid_client","error_description":"Bad client credentials"}"#,
        ),
    );
    let client = client(&provider);
    let error = client.status(&tx()).await.unwrap_err();
    assert!(error.is_auth(), "{error:?}");
    assert!(matches!(error, Error::Auth { status: 401 }));
    assert!(provider.requests(STATUS).is_empty());
    assert!(!error.to_string().contains("test_secret"));
}
