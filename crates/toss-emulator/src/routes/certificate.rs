//! `POST /api/v1/certificate/validate`: whether a signer certificate is one of the
//! emulator's.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use toss_model::{CertificateValidateRequest, CertificateValidateResponse};

use super::{Fail, answer, authorize, parse_json};
use crate::server::AppState;
use crate::stats::Counter;

/// Answers `valid` and `enabled` true for a certificate the emulator's CA issued and that
/// is within its validity, false for anything else (including text that is not a
/// certificate). Only a body that is not `{"certificate": "..."}` is refused (`CE3000`).
pub(crate) async fn validate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| {
        authorize(&state, &headers)?;
        let body = body.map_err(|_| Fail::unreadable_body())?;
        let request: CertificateValidateRequest = parse_json(&body)?;
        let valid = state.ca.validates(request.certificate(), state.now());
        Ok(CertificateValidateResponse::new(valid, valid))
    })();
    answer(&state, Counter::CertificateValidations, outcome)
}
