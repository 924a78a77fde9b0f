//! `Retry`: what is resent, what never is, and how long it waits.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;
use toss_transport::http::{HeaderMap, StatusCode};
use toss_transport::test_util::ReplayTransport;
use toss_transport::{
    HttpRequest, HttpResponse, HttpTransport, InvalidRequest, Proxy, ReqwestTransport, Retry,
    RetryPolicy, TransportError, TransportSettings,
};

fn post() -> HttpRequest {
    HttpRequest::post("http://127.0.0.1:9/api").build().unwrap()
}

fn idempotent() -> HttpRequest {
    HttpRequest::post("http://127.0.0.1:9/api")
        .idempotent(true)
        .build()
        .unwrap()
}

fn ok() -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(StatusCode::OK))
}

fn status(code: u16) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(StatusCode::from_u16(code).unwrap()))
}

fn retry_after(seconds: &str) -> Result<HttpResponse, TransportError> {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", seconds.parse().unwrap());
    Ok(HttpResponse::new(StatusCode::TOO_MANY_REQUESTS).with_headers(headers))
}

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(100))
        .max_backoff(Duration::from_secs(1))
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_non_idempotent_request_that_timed_out_is_not_resent() {
    let replay = ReplayTransport::new([Err(TransportError::timeout()), ok()]);
    let retry = Retry::new(replay.clone(), policy(5));
    let error = retry.send(post()).await.unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(replay.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_idempotent_request_that_timed_out_is_resent_up_to_the_cap() {
    let replay = ReplayTransport::new((0..5).map(|_| Err(TransportError::timeout())));
    let retry = Retry::new(replay.clone(), policy(3));
    let error = retry.send(idempotent()).await.unwrap_err();
    assert!(error.is_timeout());
    let attempts: Vec<u32> = replay.requests().iter().map(HttpRequest::attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn an_idempotent_request_recovers() {
    let replay = ReplayTransport::new([Err(TransportError::io(InvalidRequest::Url)), ok()]);
    let retry = Retry::new(replay.clone(), policy(3));
    assert_eq!(retry.send(idempotent()).await.unwrap().status(), 200);
    replay.assert_all_used();
}

#[tokio::test(start_paused = true)]
async fn a_request_that_never_connected_is_resent_whatever_its_method() {
    let replay = ReplayTransport::new([
        Err(TransportError::connect(InvalidRequest::Url)),
        Err(TransportError::connect_timeout()),
        ok(),
    ]);
    let retry = Retry::new(replay.clone(), policy(3));
    assert_eq!(retry.send(post()).await.unwrap().status(), 200);
    replay.assert_all_used();
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let replay = ReplayTransport::new([retry_after("2"), ok()]);
    let retry = Retry::new(replay.clone(), policy(3));
    let started = Instant::now();
    assert_eq!(retry.send(post()).await.unwrap().status(), 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
    assert!(waited < Duration::from_millis(2100), "{waited:?}");
    assert_eq!(replay.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_limit_returns_the_response() {
    let replay = ReplayTransport::new([retry_after("120"), ok()]);
    let retry = Retry::new(replay.clone(), policy(3));
    let started = Instant::now();
    assert_eq!(retry.send(post()).await.unwrap().status(), 429);
    assert!(started.elapsed() < Duration::from_millis(1));
    assert_eq!(replay.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn gateway_errors_are_retried_only_for_idempotent_requests() {
    for code in [502, 503, 504] {
        let replay = ReplayTransport::new([status(code), ok()]);
        let retry = Retry::new(replay.clone(), policy(3));
        assert_eq!(retry.send(post()).await.unwrap().status().as_u16(), code);
        assert_eq!(replay.requests().len(), 1);

        let replay = ReplayTransport::new([status(code), ok()]);
        let retry = Retry::new(replay.clone(), policy(3));
        assert_eq!(retry.send(idempotent()).await.unwrap().status(), 200);
    }
}

#[tokio::test(start_paused = true)]
async fn other_statuses_are_final() {
    for code in [400, 401, 404, 500] {
        let replay = ReplayTransport::new([status(code), ok()]);
        let retry = Retry::new(replay.clone(), policy(3));
        assert_eq!(
            retry.send(idempotent()).await.unwrap().status().as_u16(),
            code
        );
        assert_eq!(replay.requests().len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_is_jittered_and_capped() {
    let replay = ReplayTransport::new((0..4).map(|_| Err(TransportError::connect_timeout())));
    let retry = Retry::new(replay.clone(), policy(4));
    let started = Instant::now();
    retry.send(post()).await.unwrap_err();
    // At most 100 + 200 + 400 ms of backoff for three retries.
    assert!(started.elapsed() <= Duration::from_millis(700));
    assert_eq!(replay.requests().len(), 4);
}

/// The same rule against a real server that reads the request and never answers.
#[tokio::test]
async fn over_http_a_timed_out_post_reaches_the_server_once() {
    let (addr, accepted) = support::raw_server(support::Misbehaviour::Silent).await;
    let settings = TransportSettings::builder()
        .proxy(Proxy::none())
        .request_timeout(Duration::from_millis(150))
        .build();
    let retry = Retry::new(ReqwestTransport::new(&settings).unwrap(), policy(3));

    let request = HttpRequest::post(&format!("http://{addr}/api/v2/sign/user/auth/id/request"))
        .json("{}")
        .build()
        .unwrap();
    assert!(retry.send(request).await.unwrap_err().is_timeout());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    let request = HttpRequest::post(&format!("http://{addr}/api/v2/sign/user/auth/id/status"))
        .json("{}")
        .idempotent(true)
        .build()
        .unwrap();
    assert!(retry.send(request).await.unwrap_err().is_timeout());
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
}
