//! `FaultyTransport`: each fault does what it says, is counted, and the same seed gives
//! the same faults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use toss_transport::http::StatusCode;
use toss_transport::test_util::{
    Fault, FaultStats, FaultyTransport, FaultyTransportBuilder, FnTransport, transport_fn,
};
use toss_transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};

const BODY: &str = "0123456789";

/// A server that counts the requests it receives and answers `200 0123456789`.
fn server() -> (FnTransport, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let transport = transport_fn(move |_request| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok(HttpResponse::new(StatusCode::OK).with_body(BODY)) }
    });
    (transport, calls)
}

fn request() -> HttpRequest {
    HttpRequest::post("http://127.0.0.1:9/status")
        .build()
        .unwrap()
}

async fn send_many(
    transport: &impl HttpTransport,
    n: usize,
) -> Vec<Result<HttpResponse, TransportError>> {
    let mut outcomes = Vec::new();
    for _ in 0..n {
        outcomes.push(transport.send(request()).await);
    }
    outcomes
}

fn mixed(seed: u64) -> FaultyTransportBuilder {
    FaultyTransport::builder()
        .seed(seed)
        .drop_rate(0.2)
        .delay(0.3, Duration::from_millis(50))
        .reset_after_send_rate(0.2)
        .server_error_rate(0.2)
        .truncate_rate(0.2)
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_gives_the_same_faults() {
    let (a_server, a_calls) = server();
    let (b_server, b_calls) = server();
    let (c_server, _) = server();
    let a = mixed(42).build(a_server);
    let b = mixed(42).build(b_server);
    let c = mixed(43).build(c_server);
    let a_outcomes = send_many(&a, 300).await;
    let b_outcomes = send_many(&b, 300).await;
    send_many(&c, 300).await;

    assert_eq!(a.history(), b.history());
    assert_eq!(a.stats(), b.stats());
    assert_eq!(
        a_calls.load(Ordering::SeqCst),
        b_calls.load(Ordering::SeqCst)
    );
    let shape = |outcome: &Result<HttpResponse, TransportError>| match outcome {
        Ok(response) => (response.status().as_u16(), response.body().len(), false),
        Err(error) => (0, 0, error.never_connected()),
    };
    assert_eq!(
        a_outcomes.iter().map(shape).collect::<Vec<_>>(),
        b_outcomes.iter().map(shape).collect::<Vec<_>>()
    );
    assert_ne!(a.history(), c.history(), "another seed, other faults");

    // Every kind showed up in 300 requests at these rates.
    let stats = a.stats();
    assert_eq!(stats.requests, 300);
    for (kind, count) in [
        ("dropped", stats.dropped),
        ("delayed", stats.delayed),
        ("reset", stats.reset_after_send),
        ("server errors", stats.server_errors),
        ("truncated", stats.truncated),
    ] {
        assert!(count > 10, "{kind}: {count} in {stats:?}");
    }
    let history = a.history();
    assert_eq!(history.len(), 300);
    assert!(history.iter().all(|r| r.path == "/status"));
    for record in &history {
        if let Some(delay) = record.delay {
            assert!(delay <= Duration::from_millis(50), "{delay:?}");
        }
    }
}

#[tokio::test]
async fn a_seed_replays_across_fresh_transports() {
    // The record of one run is a function of the seed alone.
    let run = |seed| async move {
        let (server, _) = server();
        let faulty = mixed(seed).delay(0.0, Duration::ZERO).build(server);
        send_many(&faulty, 50).await;
        faulty
            .history()
            .into_iter()
            .map(|r| r.fault)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7).await, run(7).await);
}

#[tokio::test]
async fn drop_fails_before_sending() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder().drop_rate(1.0).build(inner);
    for outcome in send_many(&faulty, 5).await {
        let error = outcome.unwrap_err();
        assert!(error.never_connected(), "{error:?}");
        assert!(error.is_connect(), "{error:?}");
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("fault injected"), "{source}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "never reached the server");
    let stats = faulty.stats();
    assert_eq!((stats.requests, stats.dropped, stats.forwarded), (5, 5, 0));
    assert_eq!(stats.faults(), 5);
    assert!(
        faulty
            .history()
            .iter()
            .all(|r| r.fault == Some(Fault::Drop))
    );
}

#[tokio::test]
async fn server_error_answers_503_without_sending() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder()
        .server_error_rate(1.0)
        .build(inner);
    for outcome in send_many(&faulty, 5).await {
        assert_eq!(outcome.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let stats = faulty.stats();
    assert_eq!(
        (stats.requests, stats.server_errors, stats.forwarded),
        (5, 5, 0)
    );
}

#[tokio::test]
async fn reset_after_send_delivers_then_fails() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder()
        .reset_after_send_rate(1.0)
        .build(inner);
    for outcome in send_many(&faulty, 5).await {
        let error = outcome.unwrap_err();
        assert!(error.may_have_been_sent(), "{error:?}");
        assert!(error.is_io(), "{error:?}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 5, "the server processed each");
    let stats = faulty.stats();
    assert_eq!(
        (stats.requests, stats.reset_after_send, stats.forwarded),
        (5, 5, 5)
    );
}

#[tokio::test]
async fn truncate_cuts_the_body_in_half() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder().truncate_rate(1.0).build(inner);
    for outcome in send_many(&faulty, 3).await {
        let response = outcome.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(&response.body()[..], b"01234");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(faulty.stats().truncated, 3);

    // Odd and empty bodies.
    for (body, cut) in [("abc", "a"), ("", "")] {
        let faulty = FaultyTransport::builder()
            .truncate_rate(1.0)
            .build(transport_fn(move |_| async move {
                Ok(HttpResponse::new(StatusCode::OK).with_body(body))
            }));
        let response = faulty.send(request()).await.unwrap();
        assert_eq!(&response.body()[..], cut.as_bytes());
    }
}

#[tokio::test(start_paused = true)]
async fn delay_holds_requests_back_then_delivers_them() {
    let (inner, calls) = server();
    let max = Duration::from_millis(100);
    let faulty = FaultyTransport::builder()
        .seed(3)
        .delay(1.0, max)
        .build(inner);
    let started = Instant::now();
    let outcomes = send_many(&faulty, 20).await;
    let elapsed = started.elapsed();
    assert!(outcomes.iter().all(|o| o.as_ref().unwrap().body() == BODY));
    assert_eq!(calls.load(Ordering::SeqCst), 20);
    let stats = faulty.stats();
    assert_eq!(
        (stats.delayed, stats.forwarded, stats.faults()),
        (20, 20, 0)
    );
    let delays: Duration = faulty.history().iter().map(|r| r.delay.unwrap()).sum();
    assert!(delays > Duration::ZERO);
    assert!(elapsed >= delays && elapsed <= max * 20, "{elapsed:?}");
}

#[tokio::test]
async fn no_rates_no_faults() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder().seed(9).build(inner);
    for outcome in send_many(&faulty, 50).await {
        assert_eq!(outcome.unwrap().body(), BODY);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 50);
    let stats = faulty.stats();
    assert_eq!(
        (
            stats.requests,
            stats.forwarded,
            stats.faults(),
            stats.delayed
        ),
        (50, 50, 0, 0)
    );
    assert_eq!(stats, {
        let mut expected = FaultStats::default();
        expected.requests = 50;
        expected.forwarded = 50;
        expected
    });
}

#[tokio::test]
async fn rates_are_clamped_and_a_nan_rate_is_zero() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder()
        .drop_rate(f64::NAN)
        .server_error_rate(7.0)
        .truncate_rate(-1.0)
        .build(inner);
    for outcome in send_many(&faulty, 10).await {
        assert_eq!(outcome.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(faulty.stats().server_errors, 10);
}

#[tokio::test]
async fn rates_are_honoured_roughly_and_faults_are_exclusive() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder()
        .seed(1234)
        .drop_rate(0.1)
        .server_error_rate(0.1)
        .reset_after_send_rate(0.1)
        .truncate_rate(0.1)
        .build(inner);
    let n = 4000;
    send_many(&faulty, n).await;
    let stats = faulty.stats();
    let share = |count: u64| count as f64 / n as f64;
    // Drawn in order, at most one per request: 10 %, then 9 %, 8.1 %, 7.29 %.
    for (count, expected) in [
        (stats.dropped, 0.1),
        (stats.server_errors, 0.09),
        (stats.reset_after_send, 0.081),
        (stats.truncated, 0.0729),
    ] {
        assert!(
            (share(count) - expected).abs() < 0.02,
            "{count} of {n}, expected {expected}: {stats:?}"
        );
    }
    assert_eq!(
        stats.forwarded,
        stats.requests - stats.dropped - stats.server_errors
    );
    assert_eq!(calls.load(Ordering::SeqCst) as u64, stats.forwarded);
    let faults = faulty
        .history()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert_eq!(faults as u64, stats.faults());
}

#[tokio::test]
async fn an_inner_failure_passes_through_uncounted() {
    let faulty = FaultyTransport::builder()
        .reset_after_send_rate(1.0)
        .build(transport_fn(|_| async {
            Err(TransportError::connect_timeout())
        }));
    let error = faulty.send(request()).await.unwrap_err();
    assert!(error.is_timeout() && error.never_connected(), "{error:?}");
    let stats = faulty.stats();
    assert_eq!((stats.forwarded, stats.reset_after_send), (1, 0));
    assert_eq!(faulty.history()[0].fault, None);
}

#[tokio::test]
async fn clones_share_the_generator_and_the_counts() {
    let (inner, calls) = server();
    let faulty = FaultyTransport::builder()
        .drop_rate(0.5)
        .seed(5)
        .build(inner);
    let clone = faulty.clone();
    send_many(&clone, 20).await;
    send_many(&faulty, 20).await;
    assert_eq!(faulty.stats(), clone.stats());
    assert_eq!(faulty.stats().requests, 40);
    assert_eq!(faulty.history().len(), 40);
    assert_eq!(
        calls.load(Ordering::SeqCst) as u64,
        faulty.stats().forwarded
    );
    // The same sequence as one transport seeded alike.
    let (inner, _) = server();
    let single = FaultyTransport::builder()
        .drop_rate(0.5)
        .seed(5)
        .build(inner);
    send_many(&single, 40).await;
    assert_eq!(single.history(), faulty.history());
    assert!(format!("{faulty:?}").contains("FaultyTransport"));
    let _ = faulty.inner();
}
