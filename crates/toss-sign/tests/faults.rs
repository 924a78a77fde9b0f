//! The client through injected faults (dropped connections, delays, resets after
//! sending, 503s, truncated bodies; 10 % of each) against a real emulator: no panics,
//! typed errors only, a sign request never delivered twice, a result never fetched more
//! than twice, and polling that rides out transient faults.
//!
//! Flows run concurrently, so which request meets which fault varies between runs even
//! for one seed; the assertions hold for any draw.

#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use faults_support::{Outcome, REQUEST, RESULT, RESULT_ATTEMPTS, Run, kind, run};
use toss_sign::Error;

const FLOWS: usize = 50;

/// The errors faults can cause: no response, an HTTP error with no envelope (the 503s), an
/// unreadable body (the truncations), or running out of time.
fn is_fault_error(error: &Error) -> bool {
    match error {
        Error::Transport { .. } | Error::Decode { .. } | Error::Timeout { .. } => true,
        Error::Http { status, .. } => *status >= 500,
        _ => false,
    }
}

fn check_safety(run: &Run) {
    let summary = run.summary();
    println!("{summary}");
    assert_eq!(run.outcomes.len(), FLOWS);

    // Every failure is a typed error a fault explains: never a configuration, crypto,
    // validation, token store or provider refusal, never a third-fetch refusal.
    for outcome in &run.outcomes {
        for error in outcome.errors() {
            assert!(
                is_fault_error(error),
                "{}: unexpected {error:?} ({})",
                summary,
                kind(error)
            );
        }
    }

    // A sign request is never delivered twice: every session key reaches the server once.
    let stack = run.stack.inner();
    let sessions = stack.field_counts(REQUEST, "sessionKey");
    let twice: Vec<_> = sessions.values().filter(|&&n| n > 1).collect();
    assert!(twice.is_empty(), "{summary}: sign requests delivered twice");
    assert!(sessions.len() <= FLOWS);
    assert!(
        run.emulator.sign_requests <= sessions.len() as u64,
        "{summary}: the counting layer sees every request the emulator accepted"
    );
    assert_eq!(
        run.emulator.errors, 0,
        "{summary}: the emulator refused nothing (no third fetch, no bad request)"
    );

    // A result is never fetched more than twice, nor more often than the flow asked.
    let fetches = stack.field_counts(RESULT, "txId");
    for (tx_id, n) in &fetches {
        assert!(
            *n <= RESULT_ATTEMPTS,
            "{summary}: {tx_id} fetched {n} times"
        );
        let outcome = run
            .outcomes
            .iter()
            .find(|o| o.tx_id().map(|t| t.as_str()) == Some(tx_id.as_str()))
            .unwrap();
        let asked = match outcome {
            Outcome::Completed { result_calls, .. } => *result_calls,
            Outcome::ResultFailed { errors, .. } => errors.len(),
            _ => 0,
        };
        assert!(
            *n <= asked,
            "{summary}: {tx_id} reached the server {n} times for {asked} calls"
        );
    }
    assert!(
        run.emulator.results <= fetches.values().sum::<usize>() as u64,
        "{summary}"
    );

    // The faults did happen.
    let faults = run.faults;
    assert!(
        faults.dropped > 0
            && faults.delayed > 0
            && faults.reset_after_send > 0
            && faults.server_errors > 0
            && faults.truncated > 0,
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_never_duplicate_a_sign_request_nor_a_third_result() {
    for seed in [1, 2, 3] {
        let run = run(seed, FLOWS).await;
        check_safety(&run);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_survives_transient_faults() {
    let mut completed = 0;
    let mut total = 0;
    let mut summaries = Vec::new();
    let mut wait_errors = Vec::new();
    for seed in [11, 12, 13] {
        let run = run(seed, FLOWS).await;
        check_safety(&run);
        let summary = run.summary();
        // A flow whose sign request was answered has a transaction that completes: the
        // faults on its status polls and result fetches must not lose it.
        let requested = run.requested();
        assert!(
            run.completed() * 10 >= requested * 6,
            "{summary}: fewer than 60 % of the {requested} requested flows completed"
        );
        for error in run.wait_errors() {
            if !(error.is_transport() || error.is_timeout()) {
                wait_errors.push(format!("seed {seed}: {} ({error})", kind(error)));
            }
        }
        completed += run.completed();
        total += run.outcomes.len();
        summaries.push(summary);
    }
    // About 27 % of sign requests meet a fault that may not be retried (503, reset,
    // truncation); of all flows, well over half must still complete.
    assert!(
        completed * 2 >= total,
        "{completed}/{total} completed: {summaries:#?}"
    );
    // Status is idempotent: `wait` must ride out transient faults, and give up only on
    // the network (transport errors) or its deadline, never on a 503 or a truncated body.
    assert!(
        wait_errors.is_empty(),
        "wait gave up on transient faults: {wait_errors:#?}\n{summaries:#?}"
    );
}
