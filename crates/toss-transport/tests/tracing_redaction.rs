//! Spans carry method, host, path, attempt, status and duration, and nothing secret.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use toss_transport::{HttpRequest, HttpTransport, Proxy, ReqwestTransport, TransportSettings};
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

#[tokio::test(flavor = "current_thread")]
async fn no_bearer_token_query_or_body_is_recorded() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let addr = support::http_server().await;
    let settings = TransportSettings::builder()
        .tls_provider(support::tls())
        .proxy(Proxy::none())
        .build();
    let transport = ReqwestTransport::new(&settings).unwrap();
    let request = HttpRequest::post(&format!("http://{addr}/echo?clientSecret=QUERY-SECRET"))
        .bearer_auth("BEARER-SECRET-7f3a")
        .json(r#"{"userName":"PERSONAL-DATA"}"#)
        .build()
        .unwrap();
    let response = transport.send(request).await.unwrap();
    // The server did receive the secrets: the test would notice if they were not sent.
    assert!(String::from_utf8_lossy(response.body()).contains("BEARER-SECRET-7f3a"));

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("http.request"), "{output}");
    assert!(
        output.contains("path=\"/echo\"") || output.contains("path=/echo"),
        "{output}"
    );
    assert!(output.contains("status=200"), "{output}");
    assert!(output.contains("attempt=1"), "{output}");
    assert!(output.contains("duration_ms"), "{output}");
    for secret in [
        "BEARER-SECRET-7f3a",
        "QUERY-SECRET",
        "PERSONAL-DATA",
        "Bearer",
    ] {
        assert!(!output.contains(secret), "{secret} leaked into:\n{output}");
    }
}
