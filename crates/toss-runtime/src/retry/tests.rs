use std::sync::Arc;
use std::time::Duration;

use toss_model::ErrorCode;

use super::*;

fn strategy() -> RetryStrategy {
    RetryStrategy::new(RetryPolicy::builder().max_attempts(3).build())
}

fn decide(idempotent: bool, outcome: Outcome) -> Decision {
    strategy().decide(&Attempt::new(1, idempotent, outcome))
}

fn retries(decision: Decision) -> bool {
    matches!(decision, Decision::RetryAfter(_))
}

#[test]
fn a_request_that_never_connected_is_retried_whatever_the_call() {
    for idempotent in [false, true] {
        assert!(retries(decide(
            idempotent,
            Outcome::no_response().never_connected()
        )));
        let connect_timeout = Outcome::no_response().never_connected().timed_out();
        assert!(retries(decide(idempotent, connect_timeout)));
    }
}

#[test]
fn a_request_that_may_have_arrived_is_retried_only_when_idempotent() {
    for outcome in [Outcome::no_response(), Outcome::no_response().timed_out()] {
        assert_eq!(decide(false, outcome.clone()), Decision::Done);
        assert!(retries(decide(true, outcome)));
    }
}

#[test]
fn refusals_by_rule_are_final() {
    for idempotent in [false, true] {
        assert_eq!(
            decide(idempotent, Outcome::refused_by_rule()),
            Decision::Done
        );
    }
}

#[test]
fn server_errors_are_retried_only_when_idempotent() {
    for status in [500, 502, 503, 504] {
        assert_eq!(decide(false, Outcome::response(status)), Decision::Done);
        assert!(retries(decide(true, Outcome::response(status))), "{status}");
    }
    for status in [200, 400, 403, 404, 501] {
        assert_eq!(
            decide(true, Outcome::response(status)),
            Decision::Done,
            "{status}"
        );
    }
}

#[test]
fn retryable_provider_codes_and_unreadable_bodies_are_retried_only_when_idempotent() {
    for code in [ErrorCode::Ce0001, ErrorCode::Ce0002] {
        let outcome = Outcome::response(200).with_provider_code(Some(code));
        assert_eq!(decide(false, outcome.clone()), Decision::Done);
        assert!(retries(decide(true, outcome)));
    }
    let other = Outcome::response(200).with_provider_code(Some(ErrorCode::Ce3100));
    assert_eq!(decide(true, other), Decision::Done);
    let cut = Outcome::response(200).with_unreadable_body();
    assert_eq!(decide(false, cut.clone()), Decision::Done);
    assert!(retries(decide(true, cut)));
}

#[test]
fn throttling_is_retried_whatever_the_call_after_the_delay_asked() {
    let asked = Outcome::response(429).with_retry_after(Some(Duration::from_secs(7)));
    assert_eq!(
        decide(false, asked),
        Decision::RetryAfter(Duration::from_secs(7))
    );
    assert!(retries(decide(false, Outcome::response(429))));
    let too_long = Outcome::response(429).with_retry_after(Some(Duration::from_secs(31)));
    assert_eq!(decide(false, too_long), Decision::Done);
}

#[test]
fn a_refused_token_is_refreshed_once_and_free_of_the_budget() {
    let strategy =
        RetryStrategy::new(RetryPolicy::default()).with_budget(Arc::new(RetryBudget::new(0)));
    let mut call = strategy.call();
    let ce1000 = Outcome::response(200).with_provider_code(Some(ErrorCode::Ce1000));
    assert_eq!(call.decide(false, ce1000.clone()), Decision::RefreshToken);
    assert_eq!(call.attempt(), 1);
    assert_eq!(call.decide(false, ce1000), Decision::Done);
    let mut call = strategy.call();
    assert_eq!(
        call.decide(true, Outcome::response(401)),
        Decision::RefreshToken
    );
}

#[test]
fn attempts_stop_at_the_policy_cap() {
    let strategy = strategy();
    let mut call = strategy.call();
    let timeout = || Outcome::no_response().timed_out();
    assert!(retries(call.decide(true, timeout())));
    assert!(retries(call.decide(true, timeout())));
    assert_eq!(call.attempt(), 3);
    assert_eq!(call.decide(true, timeout()), Decision::Done);
}

#[test]
fn the_budget_is_shared_spent_and_refilled() {
    let budget = Arc::new(RetryBudget::new(15));
    let strategy = RetryStrategy::default().with_budget(budget.clone());
    let clone = strategy.clone();
    // A timeout retry takes 10, another retry 5: the bucket is empty.
    assert!(retries(
        strategy
            .call()
            .decide(true, Outcome::no_response().timed_out())
    ));
    assert!(retries(clone.call().decide(true, Outcome::response(503))));
    assert_eq!(budget.available(), 0);
    assert_eq!(
        strategy.call().decide(true, Outcome::response(503)),
        Decision::Done
    );
    // A call that retried and then succeeded gives its tokens back; one that needed no
    // retry gives one.
    budget.refund(5);
    let mut call = strategy.call();
    assert!(retries(call.decide(true, Outcome::response(503))));
    assert_eq!(budget.available(), 0);
    call.succeeded();
    assert_eq!(budget.available(), 5);
    strategy.call().succeeded();
    assert_eq!(budget.available(), 6);
}

#[test]
fn a_custom_classifier_can_decide_first() {
    #[derive(Debug)]
    struct NeverRetry;
    impl ClassifyRetry for NeverRetry {
        fn name(&self) -> &'static str {
            "never"
        }
        fn classify(&self, _: &Attempt) -> RetryAction {
            RetryAction::RetryForbidden
        }
    }
    let strategy = RetryStrategy::default()
        .with_classifiers(RetryClassifiers::default().with_first(NeverRetry));
    let never_connected = Attempt::new(1, true, Outcome::no_response().never_connected());
    assert_eq!(strategy.decide(&never_connected), Decision::Done);
    assert_eq!(
        RetryClassifiers::default().names().collect::<Vec<_>>(),
        [
            "refused by rule",
            "token refused",
            "never connected",
            "throttled",
            "no response",
            "server unavailable",
            "retryable provider code",
            "unreadable body",
        ]
    );
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    use std::time::SystemTime;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
    assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
        Some(Duration::from_secs(7))
    );
    let later = now + Duration::from_secs(3600);
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
        Some(Duration::ZERO)
    );
    for bad in [
        "soon",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "-1",
    ] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad}");
    }
}
