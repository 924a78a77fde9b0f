//! One `tracing` span per attempt, shared by every backend.
//!
//! The span records the method, host, path, attempt, status and duration: never the
//! query, a header value or a body, which carry tokens and personal data.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;
use tracing::field::Empty;

use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;

/// Runs `exchange` on `request` inside the attempt's span; the request is handed over, not
/// copied, once the span has what it records.
pub(crate) async fn instrument<E, F>(
    backend: &'static str,
    request: HttpRequest,
    exchange: E,
) -> Result<HttpResponse, TransportError>
where
    E: FnOnce(HttpRequest) -> F,
    F: Future<Output = Result<HttpResponse, TransportError>>,
{
    let span = tracing::debug_span!(
        "http.request",
        backend,
        method = %request.method(),
        host = request.uri().host().unwrap_or_default(),
        path = request.uri().path(),
        attempt = request.attempt(),
        status = Empty,
        duration_ms = Empty,
    );
    let started = Instant::now();
    let result = exchange(request).instrument(span.clone()).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.record("duration_ms", duration_ms);
    match &result {
        Ok(response) => {
            span.record("status", response.status().as_u16());
            span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "response"));
        }
        Err(error) => span.in_scope(|| {
            tracing::debug!(
                timeout = error.is_timeout(),
                never_connected = error.never_connected(),
                "no response"
            );
        }),
    }
    result
}
