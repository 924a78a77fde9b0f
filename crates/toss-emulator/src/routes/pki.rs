//! The test CA's public services: its CRL (`GET /crl/emulator-ca.crl`) and its RFC 3161
//! time-stamping authority (`POST /tsa`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::server::AppState;
use crate::stats::Counter;

/// `GET /crl/emulator-ca.crl`: the CA's current CRL, DER, as `application/pkix-crl`
/// (RFC 5280 § 4.2.1.13 asks for DER at an HTTP distribution point).
///
/// Served from the cache; signed anew (off the async runtime) only when none was issued yet
/// or the current one has passed its nextUpdate.
pub(crate) async fn crl(State(state): State<Arc<AppState>>) -> Response {
    let now = state.now();
    let der = match state.ca.current_crl(now) {
        Some(der) => Ok(der),
        None => state
            .blocking(move |state| state.ca.crl(now).map_err(|_| ()))
            .await
            .unwrap_or(Err(())),
    };
    match der {
        Ok(der) => ([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response(),
        Err(()) => failure(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the emulator could not issue its CRL",
        ),
    }
}

/// `POST /tsa`: a DER `TimeStampReq` in, a DER `TimeStampResp` out
/// (`application/timestamp-reply`), with HTTP 200 whether granted or refused, as RFC 3161
/// § 3.4 has it. The request's content type is not checked.
pub(crate) async fn time_stamp(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return failure(&state, StatusCode::BAD_REQUEST, super::UNREADABLE_BODY);
    };
    let now = state.now();
    let answer = state
        .blocking(move |state| state.tsa.respond(&body, now).map_err(|_| ()))
        .await
        .unwrap_or(Err(()));
    match answer {
        Ok(der) => ([(header::CONTENT_TYPE, "application/timestamp-reply")], der).into_response(),
        Err(()) => failure(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the emulator could not answer the time-stamp request",
        ),
    }
}

/// A plain-text failure: these endpoints speak DER, not the provider's JSON envelope.
fn failure(state: &AppState, status: StatusCode, reason: &'static str) -> Response {
    state.stats.bump(Counter::Errors);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        reason,
    )
        .into_response()
}
