//! End to end against `toss-emulator` injecting faults (its `Scenario`): HTTP 500s and
//! connections closed without an answer on the token, status and certificate endpoints.
//! The client's retries carry the flow through, and the emulator's request log shows the
//! faults were really met.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::Duration;

use e2e::*;
use toss_emulator::{FaultEndpoint, FaultRule, Scenario, UserBehaviour};
use toss_runtime::retry::RetryPolicy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_completes_through_errors_and_dropped_connections() {
    let faulty = |endpoint| FaultRule::on(endpoint).error_rate(0.3).drop_rate(0.2);
    let scenario = Scenario::new()
        .seed(2026)
        .fault(faulty(FaultEndpoint::Token))
        .fault(faulty(FaultEndpoint::Status))
        .fault(faulty(FaultEndpoint::Certificate));
    let handle = start(emulator_builder().scenario(scenario).user_behaviour(
        UserBehaviour::completes(Duration::from_millis(100), Duration::from_millis(400)),
    ))
    .await;
    let client = builder_for(&handle)
        .retry_policy(
            RetryPolicy::builder()
                .max_attempts(10)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20))
                .build(),
        )
        .build()
        .unwrap();

    let signed = client
        .sign_and_wait(&text_request("장애 속 서명"), &poll(), |_| {})
        .await
        .unwrap();
    verify(
        &handle,
        &signed,
        toss_signed_doc::Expected::Text("장애 속 서명"),
    );
    let check = client.validate_signer(&signed).await.unwrap();
    assert!(check.valid() && check.enabled());

    let log = handle.requests().requests;
    let faults = |endpoint: &str, fault: &str| {
        log.iter()
            .filter(|entry| entry.endpoint == endpoint && entry.fault.as_deref() == Some(fault))
            .count()
    };
    let status = <toss_model::esign::GetStatus as toss_model::Endpoint>::OPERATION.path();
    let token = <toss_model::IssueToken as toss_model::Endpoint>::OPERATION.path();
    assert!(
        faults(status, "error") + faults(status, "drop") > 0,
        "no status call met a fault: {log:?}"
    );
    assert!(
        faults(token, "error") + faults(token, "drop") + faults(status, "drop") > 0,
        "{log:?}"
    );
    // One sign request and one result: neither is sent twice.
    assert_eq!(handle.stats().sign_requests, 1);
    assert_eq!(handle.stats().results, 1);
}
