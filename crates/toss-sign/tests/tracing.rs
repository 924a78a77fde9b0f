//! The client's spans carry the txId and never personal data, tokens or secrets.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::*;
use time::macros::date;
use toss_sign::{Document, PollPolicy, SignatureRequest, Signer, Trigger};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_whole_flow_logs_tx_ids_and_nothing_personal() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let provider = Provider::new();
    provider.respond(REQUEST, sign_success("tx-traced"));
    provider.respond(STATUS, status_is("tx-traced", "IN_PROGRESS"));
    provider.respond(STATUS, status_is("tx-traced", "COMPLETED"));
    provider.on(
        RESULT,
        result_for("tx-traced", "개인정보 동의서 본문", true),
    );
    let client = client(&provider);
    let request = SignatureRequest::builder()
        .signer(Signer::personal("홍길동", "01012345678", date!(1993 - 03 - 24)).unwrap())
        .trigger(Trigger::Push)
        .document(Document::text("개인정보 동의서 본문").unwrap())
        .service_name("토스증권")
        .title("동의서")
        .encrypt_document(true)
        .build()
        .unwrap();
    let policy = PollPolicy::new().initial_interval(Duration::from_millis(10));
    let signed = client
        .sign_and_wait(&request, &policy, |_| {})
        .await
        .unwrap();
    assert_eq!(signed.person.unwrap().name.as_str(), "홍길동");

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for span in [
        "toss_cert.request_signature",
        "toss_cert.wait",
        "toss_cert.result",
    ] {
        assert!(output.contains(span), "{span} missing from:\n{output}");
    }
    assert!(output.contains("tx_id=tx-traced"), "{output}");
    for secret in [
        "홍길동",
        "01012345678",
        "19930324",
        "개인정보 동의서 본문",
        "CI-of-hong-gildong",
        "token-1",
        "test_secret",
        "v1$",
    ] {
        assert!(!output.contains(secret), "{secret} leaked into:\n{output}");
    }
}
