//! Every way a call can fail maps to a typed error that says what to do, and carries
//! no personal data.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::*;
use time::macros::date;
use toss_sign::{Document, Error, SignatureRequest, Signer, Trigger, TxId};
use toss_transport::TransportError;

fn tx() -> TxId {
    TxId::new("tx-err")
}

fn signature() -> SignatureRequest {
    SignatureRequest::builder()
        .signer(Signer::personal("홍길동", "01012345678", date!(1993 - 03 - 24)).unwrap())
        .trigger(Trigger::Push)
        .document(Document::text("동의합니다").unwrap())
        .service_name("토스증권")
        .title("동의서")
        .build()
        .unwrap()
}

const CODES: [&str; 13] = [
    "CE0001", "CE0002", "CE0003", "CE1001", "CE3000", "CE3001", "CE3002", "CE3003", "CE3006",
    "CE3100", "CE3200", "CE5000", "CE9999",
];

#[tokio::test]
async fn each_provider_code_is_a_provider_error_with_its_code() {
    for code in CODES {
        let provider = Provider::new();
        // A status call is idempotent: the codes marked retryable are sent again up to the
        // policy's 3 attempts, every other code is final.
        let retryable = ["CE0001", "CE0002"].contains(&code);
        let attempts = if retryable { 3 } else { 1 };
        for _ in 0..attempts {
            provider.respond(STATUS, fail(200, code));
        }
        let error = client(&provider).status(&tx()).await.unwrap_err();
        assert!(error.is_api(), "{code}: {error:?}");
        assert_eq!(error.code().map(|c| c.as_str()), Some(code));
        assert_eq!(error.tx_id(), Some(&tx()));
        assert_eq!(error.is_transient(), retryable, "{code}");
        assert_eq!(provider.requests(STATUS).len(), attempts, "{code}");
        let Error::Provider { reason, .. } = &error else {
            panic!("{code}: {error:?}");
        };
        assert_eq!(reason.as_deref(), Some("refused in a test"));
    }
}

#[tokio::test]
async fn sign_request_codes_carry_no_tx_id() {
    let provider = Provider::new();
    provider.respond(REQUEST, fail(400, "CE3001"));
    let error = client(&provider)
        .request_signature(&signature())
        .await
        .unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("CE3001"));
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.tx_id(), None);
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("홍길동") && !shown.contains("01012345678"),
        "{shown}"
    );
}

#[tokio::test]
async fn result_codes_map_to_their_own_errors() {
    type Expect = fn(&Error) -> bool;
    let cases: [(&str, Expect); 3] = [
        ("CE3101", |e| {
            matches!(
                e,
                Error::ResultLimit {
                    refused_locally: false,
                    ..
                }
            )
        }),
        ("CE3102", |e| matches!(e, Error::NotCompleted { .. })),
        ("CE3103", |e| matches!(e, Error::Expired { .. })),
    ];
    for (code, expected) in cases {
        let provider = Provider::new();
        provider.respond(RESULT, fail(200, code));
        let error = client(&provider).result(&tx()).await.unwrap_err();
        assert!(expected(&error), "{code}: {error:?}");
        assert_eq!(error.tx_id(), Some(&tx()));
    }
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    for body in [
        "{not json",
        r#"{"resultType":"SUCCESS","success":{"txId":1}}"#,
        "",
    ] {
        let provider = Provider::new();
        for _ in 0..3 {
            provider.respond(STATUS, raw(200, body));
        }
        let error = client(&provider).status(&tx()).await.unwrap_err();
        assert!(error.is_decode(), "{body}: {error:?}");
        assert_eq!(
            provider.requests(STATUS).len(),
            3,
            "idempotent: sent 3 times"
        );
        assert_eq!(error.status(), Some(200));
    }
}

#[tokio::test]
async fn http_500_with_a_fail_body_keeps_the_providers_code() {
    let provider = Provider::new();
    for _ in 0..3 {
        provider.respond(STATUS, fail(500, "CE0001"));
    }
    let error = client(&provider).status(&tx()).await.unwrap_err();
    assert_eq!(error.code().map(|c| c.as_str()), Some("CE0001"));
    assert_eq!(error.status(), Some(500));
    assert_eq!(
        provider.requests(STATUS).len(),
        3,
        "idempotent: sent 3 times"
    );
}

#[tokio::test]
async fn http_500_without_a_body_is_an_http_error() {
    for body in ["", "<html>Internal Server Error</html>"] {
        let provider = Provider::new();
        for _ in 0..3 {
            provider.respond(STATUS, raw(500, body));
        }
        let error = client(&provider).status(&tx()).await.unwrap_err();
        assert_eq!(
            provider.requests(STATUS).len(),
            3,
            "idempotent: sent 3 times"
        );
        assert!(
            matches!(error, Error::Http { status: 500, .. }),
            "{error:?}"
        );
        assert_eq!(error.tx_id(), Some(&tx()));
    }
}

#[tokio::test]
async fn a_sign_request_that_may_have_arrived_is_never_resent() {
    let provider = Provider::new();
    provider.respond(REQUEST, Err(TransportError::timeout()));
    provider.respond(REQUEST, sign_success("tx-dup"));
    let error = client(&provider)
        .request_signature(&signature())
        .await
        .unwrap_err();
    assert!(error.is_transport());
    assert!(error.may_have_been_sent());
    assert_eq!(provider.requests(REQUEST).len(), 1, "one push, never two");
}

#[tokio::test]
async fn a_sign_request_that_never_connected_is_resent() {
    let provider = Provider::new();
    provider.respond(REQUEST, Err(TransportError::connect_timeout()));
    provider.respond(REQUEST, sign_success("tx-ok"));
    let requested = client(&provider)
        .request_signature(&signature())
        .await
        .unwrap();
    assert_eq!(requested.tx_id.as_str(), "tx-ok");
    assert_eq!(provider.requests(REQUEST).len(), 2);
}

#[tokio::test]
async fn a_status_call_that_timed_out_is_retried() {
    let provider = Provider::new();
    provider.respond(STATUS, Err(TransportError::timeout()));
    provider.respond(STATUS, status_is("tx-err", "REQUESTED"));
    client(&provider).status(&tx()).await.unwrap();
    assert_eq!(provider.requests(STATUS).len(), 2);
}

#[tokio::test]
async fn a_result_fetch_that_may_have_arrived_is_not_resent() {
    let provider = Provider::new();
    provider.respond(RESULT, Err(TransportError::timeout()));
    let error = client(&provider).result(&tx()).await.unwrap_err();
    assert!(error.is_transport() && error.may_have_been_sent());
    assert_eq!(provider.requests(RESULT).len(), 1);
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let provider = Provider::new();
    let too_long = SignatureRequest::builder()
        .signer(Signer::ci("CI").unwrap())
        .trigger(Trigger::Push)
        .document(Document::text("동의합니다").unwrap())
        .service_name("가".repeat(51))
        .title("동의서")
        .expires_in(Duration::from_secs(600))
        .build()
        .unwrap_err();
    assert!(matches!(too_long, Error::Validation(_)), "{too_long:?}");
    let too_late = SignatureRequest::builder()
        .signer(Signer::ci("CI").unwrap())
        .trigger(Trigger::Push)
        .document(Document::text("동의합니다").unwrap())
        .service_name("토스")
        .title("동의서")
        .expires_in(Duration::from_secs(1801))
        .build()
        .unwrap_err();
    assert!(matches!(too_late, Error::Validation(_)), "{too_late:?}");
    assert!(
        provider.all_requests().is_empty(),
        "nothing was sent, not even a token request"
    );
}

#[test]
fn errors_are_send_sync_and_static() {
    fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
    assert_traits::<Error>();
}
