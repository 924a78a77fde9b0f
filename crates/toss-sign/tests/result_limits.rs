//! The provider's result limits, enforced before spending a call: two fetches, within 60
//! minutes of completion.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::*;
use toss_sign::{Error, ResultLimit, TxId};

#[tokio::test]
async fn a_third_fetch_is_refused_locally() {
    let provider = Provider::new();
    provider.on(RESULT, result_for("tx-r", "동의합니다", false));
    provider.on(RESULT, result_for("tx-r", "동의합니다", false));
    let client = client(&provider);
    let tx = TxId::new("tx-r");
    client.result(&tx).await.unwrap();
    client.result(&tx).await.unwrap();
    let error = client.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResultLimit {
                limit: ResultLimit::FetchedTwice,
                refused_locally: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(provider.requests(RESULT).len(), 2);
}

#[tokio::test]
async fn a_fetch_later_than_sixty_minutes_after_completion_is_refused_locally() {
    let provider = Provider::new();
    provider.on(RESULT, result_for("tx-r", "동의합니다", false));
    provider.on(RESULT, result_for("tx-r", "동의합니다", false));
    let clock = TestClock::new();
    let client = client_with_clock(&provider, clock.clone());
    let tx = TxId::new("tx-r");
    client.result(&tx).await.unwrap();
    // The scripted result completed at 09:01; the clock reads 09:00. 61 minutes after
    // completion is 62 minutes from now.
    clock.advance(Duration::from_secs(62 * 60));
    let error = client.result(&tx).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResultLimit {
                limit: ResultLimit::WindowClosed,
                refused_locally: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(provider.requests(RESULT).len(), 1);
}

#[tokio::test]
async fn within_the_window_a_second_fetch_is_allowed() {
    let provider = Provider::new();
    provider.on(RESULT, result_for("tx-r", "동의합니다", false));
    provider.on(RESULT, result_for("tx-r", "동의합니다", false));
    let clock = TestClock::new();
    let client = client_with_clock(&provider, clock.clone());
    let tx = TxId::new("tx-r");
    client.result(&tx).await.unwrap();
    clock.advance(Duration::from_secs(60 * 60));
    client.result(&tx).await.unwrap();
    assert_eq!(provider.requests(RESULT).len(), 2);
}
