//! The HTTP handlers, and what they share: bearer checks, body parsing, FAIL envelopes.

pub(crate) mod app;
pub(crate) mod certificate;
pub(crate) mod control;
pub(crate) mod observed;
pub(crate) mod pki;
pub(crate) mod sign;
pub(crate) mod token;

use std::borrow::Cow;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::handler::Handler;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{OffsetDateTime, UtcOffset};
use toss_model::esign::{GetResult, GetStatus, RequestSign};
use toss_model::{
    ApiError, Endpoint, Envelope, ErrorCode, IssueToken, Timestamp, ValidateCertificate,
};

use crate::server::AppState;
use crate::state::ClientIndex;
use crate::stats::Counter;

/// The provider's API, each endpoint at the path and method its operation gives.
pub(crate) fn provider_api() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            IssueToken::OPERATION.path(),
            endpoint::<IssueToken, _, _>(token::issue),
        )
        .route(
            RequestSign::OPERATION.path(),
            endpoint::<RequestSign, _, _>(sign::request),
        )
        .route(
            GetStatus::OPERATION.path(),
            endpoint::<GetStatus, _, _>(sign::status),
        )
        .route(
            GetResult::OPERATION.path(),
            endpoint::<GetResult, _, _>(sign::result),
        )
        .route(
            ValidateCertificate::OPERATION.path(),
            endpoint::<ValidateCertificate, _, _>(certificate::validate),
        )
}

/// `handler` on endpoint `E`'s method.
fn endpoint<E, H, T>(handler: H) -> axum::routing::MethodRouter<Arc<AppState>>
where
    E: Endpoint,
    H: Handler<T, Arc<AppState>>,
    T: 'static,
{
    let method = axum::http::Method::from_bytes(E::OPERATION.method().as_str().as_bytes())
        .ok()
        .and_then(|method| MethodFilter::try_from(method).ok())
        .unwrap_or(MethodFilter::POST);
    on(method, handler)
}

/// The provider writes its date-times in Korea Standard Time.
const KST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Why a request whose body could not be read is refused, in a `FAIL` envelope or an OAuth
/// error alike.
pub(crate) const UNREADABLE_BODY: &str = "the request body could not be read";

/// A refused call: an HTTP status and the provider's `FAIL` envelope.
///
/// Reasons are fixed texts or validation messages that name fields, never values.
#[derive(Debug, Clone)]
pub(crate) struct Fail {
    status: StatusCode,
    code: ErrorCode,
    reason: Cow<'static, str>,
}

impl Fail {
    pub(crate) fn new(
        status: StatusCode,
        code: ErrorCode,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            reason: reason.into(),
        }
    }

    /// `CE3000`, HTTP 400: the request breaks one of the provider's rules.
    pub(crate) fn invalid(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::Ce3000, reason)
    }

    /// `CE3001`, HTTP 400: a session key or encrypted field does not decrypt.
    pub(crate) fn undecryptable(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::Ce3001, reason)
    }

    /// `CE0001`, HTTP 500: the emulator itself failed.
    pub(crate) fn internal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Ce0001, reason)
    }

    /// `CE3000`, HTTP 400: the request body could not be read (broken off, too large).
    pub(crate) fn unreadable_body() -> Self {
        Self::invalid(UNREADABLE_BODY)
    }

    /// `CE3000`, HTTP 400: the request's session was used by an earlier request.
    pub(crate) fn session_reused() -> Self {
        Self::invalid(
            "sessionKey was already used by an earlier request: make a new session key for \
             every request",
        )
    }

    /// `CE3100`, HTTP 200: no such txId.
    pub(crate) fn unknown_tx() -> Self {
        Self::new(
            StatusCode::OK,
            ErrorCode::Ce3100,
            "존재하지 않는 요청입니다",
        )
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let body: Envelope<()> = Envelope::fail(ApiError::new(self.code, self.reason));
        (self.status, Json(body)).into_response()
    }
}

/// Answers a handler's outcome: `SUCCESS` (counted under `counter`) or the failure
/// (counted as an error).
pub(crate) fn answer<T: Serialize>(
    state: &AppState,
    counter: Counter,
    outcome: Result<T, Fail>,
) -> Response {
    match outcome {
        Ok(success) => {
            state.stats.bump(counter);
            Json(Envelope::ok(success)).into_response()
        }
        Err(fail) => refuse(state, fail),
    }
}

/// Answers a failure, counting it.
pub(crate) fn refuse(state: &AppState, fail: Fail) -> Response {
    state.stats.bump(Counter::Errors);
    fail.into_response()
}

/// Checks `Authorization: Bearer <token>`: the token's client, or `CE1000` with HTTP 401
/// when it is absent, unknown or expired.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<ClientIndex, Fail> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match token.and_then(|token| state.tokens.client_of(token, state.now())) {
        Some(client) => Ok(client),
        None => Err(Fail::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Ce1000,
            "유효하지 않거나 만료된 토큰입니다 (invalid or expired access token)",
        )),
    }
}

/// Parses a JSON body; the reason names the position of the problem, never the content.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|error| {
        Fail::invalid(format!(
            "the body is not a valid request ({:?} error at line {}, column {})",
            error.classify(),
            error.line(),
            error.column()
        ))
    })
}

/// A date-time as the provider writes it: whole seconds, in KST.
pub(crate) fn timestamp(at: OffsetDateTime) -> Timestamp {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    Timestamp::from(at.checked_to_offset(KST).unwrap_or(at))
}
