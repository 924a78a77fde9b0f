//! The emulator's own endpoints under `/emulator/v1/`: moving transactions by hand, the
//! transactions listing, stats, and the keys a client needs.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, ExtensionRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use toss_model::{ErrorCode, StatusResponse, TxId};

use serde::Deserialize;
use time::OffsetDateTime;

use super::{Fail, parse_json, refuse, timestamp};
use crate::listing;
use crate::revocation::{self, RevocationReason, RevokeFailure};
use crate::server::{AppState, control_allowed};
use crate::state::{Action, ControlFailure};
use crate::stats::Counter;
use crate::user::Stage;

/// `POST /emulator/v1/tx/{txId}/{open|complete|expire}`: moves a transaction now and
/// answers its new status as the status call would.
///
/// Refusals: control turned off `CE3000` (404), a peer that is not allowed `CE3000` (403),
/// an unknown action `CE3000` (404), an unknown txId `CE3100` (404), a move that is no
/// longer possible `CE3103` (expired) or `CE3000` (completed), both 409.
pub(crate) async fn act(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    let Ok(Path((tx_id, action))) = path else {
        return refuse(
            &state,
            Fail::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::Ce3000,
                "the path is not /emulator/v1/tx/{txId}/{action}",
            ),
        );
    };
    let Some(action) = Action::from_path(&action) else {
        return refuse(
            &state,
            Fail::new(
                StatusCode::NOT_FOUND,
                ErrorCode::Ce3000,
                "the action must be open, complete, decline or expire",
            ),
        );
    };
    let now = state.now();
    let outcome = state.transactions.control(&tx_id, action, now);
    match outcome {
        Ok((progress, requested_at)) => {
            let body =
                StatusResponse::new(TxId::new(tx_id), progress.status(), timestamp(requested_at));
            Json(toss_model::Envelope::ok(body)).into_response()
        }
        Err(ControlFailure::UnknownTx) => refuse(
            &state,
            Fail::new(
                StatusCode::NOT_FOUND,
                ErrorCode::Ce3100,
                "존재하지 않는 요청입니다",
            ),
        ),
        Err(ControlFailure::NotAllowed(Stage::Expired)) => refuse(
            &state,
            Fail::new(StatusCode::CONFLICT, ErrorCode::Ce3103, "만료된 요청입니다"),
        ),
        Err(ControlFailure::NotAllowed(_)) => refuse(
            &state,
            Fail::new(
                StatusCode::CONFLICT,
                ErrorCode::Ce3000,
                "the transaction is already completed",
            ),
        ),
    }
}

/// The optional body of a revocation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevokeRequest {
    #[serde(default)]
    reason: RevocationReason,
    #[serde(default, with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
}

/// `POST /emulator/v1/tx/{txId}/revoke`: revokes the certificate that signed the
/// transaction, as of `revokedAt` (RFC 3339, now by default; past and future dates are
/// taken) for `reason` (an RFC 5280 CRLReason, `unspecified` by default), both optional in
/// an optional JSON body, and issues a new CRL; answers the
/// [`Revocation`](crate::Revocation) as JSON.
///
/// Refusals as for the other control endpoints (403, 404), plus: a body that is not that
/// JSON `CE3000` (400), a `revokedAt` outside 1970 to 9999 `CE3000` (400), an unknown txId
/// `CE3100` (404), a transaction with no signature to revoke `CE3000` (409).
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    let request = match (path, body) {
        (Ok(Path(tx_id)), Ok(body)) if body.iter().all(u8::is_ascii_whitespace) => {
            Ok((tx_id, RevokeRequest::default()))
        }
        (Ok(Path(tx_id)), Ok(body)) => {
            parse_json::<RevokeRequest>(&body).map(|request| (tx_id, request))
        }
        (Err(_), _) => Err(Fail::invalid(
            "the path is not /emulator/v1/tx/{txId}/revoke",
        )),
        (_, Err(_)) => Err(Fail::unreadable_body()),
    };
    let (tx_id, request) = match request {
        Ok(request) => request,
        Err(fail) => return refuse(&state, fail),
    };
    // Signing a document not signed yet and the new CRL are RSA work.
    let outcome = state
        .blocking(move |state| {
            revocation::revoke(state, &tx_id, request.reason, request.revoked_at)
        })
        .await
        .unwrap_or(Err(RevokeFailure::Internal("the revocation task failed")));
    match outcome {
        Ok(revocation) => Json(revocation).into_response(),
        Err(RevokeFailure::UnknownTx) => refuse(
            &state,
            Fail::new(
                StatusCode::NOT_FOUND,
                ErrorCode::Ce3100,
                "존재하지 않는 요청입니다",
            ),
        ),
        Err(RevokeFailure::NotSigned) => refuse(
            &state,
            Fail::new(
                StatusCode::CONFLICT,
                ErrorCode::Ce3000,
                "the transaction has no signature to revoke: the user has not signed it, it \
                 expired, or its result window closed before a signedDoc was made",
            ),
        ),
        Err(RevokeFailure::DateOutOfRange) => refuse(
            &state,
            Fail::invalid("revokedAt must be within 1970 to 9999"),
        ),
        Err(RevokeFailure::Internal(reason)) => refuse(&state, Fail::internal(reason)),
    }
}

/// `GET /emulator/v1/transactions`: every remembered transaction, as
/// [`TransactionList`](crate::TransactionList) JSON. It names every client's txIds, so it
/// is guarded as the control endpoints are.
pub(crate) async fn transactions(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    Json(listing::list(&state)).into_response()
}

/// The refusal of a peer that may not use a control or listing endpoint under the
/// configured [`ControlAccess`](crate::ControlAccess), if it may not: 404 as for an unknown
/// path when they are off, 403 for a peer that is not allowed.
pub(crate) fn refusal(
    state: &AppState,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
) -> Option<Response> {
    // Without a known peer (the router served some other way) nobody is loopback.
    let peer = peer.map_or(
        std::net::Ipv4Addr::UNSPECIFIED.into(),
        |ConnectInfo(peer)| peer.ip(),
    );
    match control_allowed(state.control, peer) {
        Ok(()) => None,
        Err(StatusCode::NOT_FOUND) => Some(no_such_endpoint(state)),
        Err(status) => Some(refuse(
            state,
            Fail::new(
                status,
                ErrorCode::Ce3000,
                "the control endpoints answer loopback peers only",
            ),
        )),
    }
}

/// `GET /emulator/v1/health`: `{"status": "ok", "version": …}` while the emulator serves,
/// to anyone (it tells nothing else).
pub(crate) async fn health() -> Response {
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

/// `POST /emulator/v1/reset`: forgets every transaction, token, count and logged call
/// (under the control endpoints' rule); answers `{"reset": true}`.
pub(crate) async fn reset(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    state.reset();
    Json(serde_json::json!({ "reset": true })).into_response()
}

/// `GET /emulator/v1/requests`: the log of the provider API's calls as
/// [`RequestLog`](crate::RequestLog) JSON (under the control endpoints' rule: it names
/// txIds).
pub(crate) async fn requests(
    State(state): State<Arc<AppState>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
) -> Response {
    if let Some(refused) = refusal(&state, peer) {
        return refused;
    }
    Json(state.requests.snapshot()).into_response()
}

/// `GET /emulator/v1/stats`: the counts of [`Stats`](crate::Stats) as JSON.
pub(crate) async fn stats(State(state): State<Arc<AppState>>) -> Response {
    Json(state.stats()).into_response()
}

/// `GET /emulator/v1/public-key`: the base64 DER public key clients seal session keys
/// with, as text.
pub(crate) async fn public_key(State(state): State<Arc<AppState>>) -> Response {
    match state.opener.public_key_base64() {
        Ok(key) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], key).into_response(),
        Err(_) => refuse(
            &state,
            Fail::internal("the public key could not be encoded"),
        ),
    }
}

/// `GET /emulator/v1/ca-certificate`: the test CA's certificate as PEM.
pub(crate) async fn ca_certificate(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        state.ca.certificate_pem().to_owned(),
    )
        .into_response()
}

/// A known path with the wrong method: a `FAIL` envelope with HTTP 405, counted as an error.
pub(crate) async fn method_not_allowed(State(state): State<Arc<AppState>>) -> Response {
    state.stats.bump(Counter::Errors);
    Fail::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Ce3000,
        "this endpoint does not accept this method",
    )
    .into_response()
}

/// Any other path: a `FAIL` envelope with HTTP 404, counted as an error.
pub(crate) async fn not_found(State(state): State<Arc<AppState>>) -> Response {
    no_such_endpoint(&state)
}

fn no_such_endpoint(state: &AppState) -> Response {
    state.stats.bump(Counter::Errors);
    Fail::new(
        StatusCode::NOT_FOUND,
        ErrorCode::Ce3000,
        "no such endpoint in the Toss Cert emulator",
    )
    .into_response()
}
