//! Around every provider API call: the scenario's injected faults, then the request log.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Body as _;
use serde::Deserialize;
use toss_model::esign::{GetResult, GetStatus, RequestSign};
use toss_model::{Endpoint, ErrorCode, IssueToken, ValidateCertificate};

use super::Fail;
use crate::request_log::LoggedRequest;
use crate::scenario::FaultEndpoint;
use crate::server::AppState;

/// Marks an answer that must not be sent: the server loop closes the connection instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// The error the server loop gives hyper for a [`DropConnection`] answer, which makes it
/// close the connection without writing anything.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub(crate) struct DroppedByFault;

/// The largest answer read back for the log: any answer but a result of a document larger
/// than the default body limit allows.
const LOGGED_ANSWER_LIMIT: usize = 1024 * 1024;

pub(crate) async fn observe(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let at = state.now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let mut entry = LoggedRequest {
        at,
        method,
        endpoint: path.clone(),
        status: None,
        error_code: None,
        tx_id: None,
        fault: None,
    };

    let endpoint = endpoint_of(&path);
    // The txId of a status or result call is in its body; read it (within the body limit
    // the outer layers already hold it to) and hand the same bytes on, or a body that
    // fails as this one did, so that the handler answers as it always has.
    let request = if matches!(
        endpoint,
        Some(FaultEndpoint::Status | FaultEndpoint::Result)
    ) {
        let (parts, body) = request.into_parts();
        let body = match axum::body::to_bytes(body, state.body_limit).await {
            Ok(bytes) => {
                entry.tx_id = tx_id_of(&bytes);
                Body::from(bytes)
            }
            Err(_) => Body::new(Unreadable),
        };
        Request::from_parts(parts, body)
    } else {
        request
    };

    let draw = endpoint
        .filter(|_| !state.faults.is_empty())
        .map(|endpoint| state.faults.draw(endpoint));
    if let Some(draw) = draw {
        if !draw.latency.is_zero() {
            tokio::time::sleep(draw.latency).await;
        }
        if draw.drop {
            entry.fault = Some("drop".to_owned());
            state.requests.push(entry);
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        if draw.error {
            entry.fault = Some("error".to_owned());
            entry.status = Some(StatusCode::INTERNAL_SERVER_ERROR.as_u16());
            entry.error_code = Some(ErrorCode::Ce0001.to_string());
            state.requests.push(entry);
            return Fail::internal("injected fault").into_response();
        }
    }

    let response = next.run(request).await;
    entry.status = Some(response.status().as_u16());
    let (parts, body) = response.into_parts();
    // Only an answer known to be small is read back for its code and txId; a larger one (a
    // big document under a raised body limit) goes out as it is, logged without them.
    let small = body
        .size_hint()
        .upper()
        .is_some_and(|bytes| bytes <= LOGGED_ANSWER_LIMIT as u64);
    let body = if small {
        match axum::body::to_bytes(body, LOGGED_ANSWER_LIMIT).await {
            Ok(bytes) => {
                let (error_code, tx_id) = answer_of(&bytes);
                entry.error_code = error_code;
                entry.tx_id = entry.tx_id.or(tx_id);
                Body::from(bytes)
            }
            Err(_) => Body::new(Unreadable),
        }
    } else {
        body
    };
    state.requests.push(entry);
    Response::from_parts(parts, body)
}

/// A body whose reading fails: what the handler gets in place of a request body the log
/// could not read, so that it refuses it as it refuses any unreadable body, and what the
/// client gets in place of an answer body that failed while the log read it.
struct Unreadable;

impl hyper::body::Body for Unreadable {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        std::task::Poll::Ready(Some(Err(axum::Error::new(super::UNREADABLE_BODY))))
    }
}

fn endpoint_of(path: &str) -> Option<FaultEndpoint> {
    [
        (IssueToken::OPERATION.path(), FaultEndpoint::Token),
        (RequestSign::OPERATION.path(), FaultEndpoint::Request),
        (GetStatus::OPERATION.path(), FaultEndpoint::Status),
        (GetResult::OPERATION.path(), FaultEndpoint::Result),
        (
            ValidateCertificate::OPERATION.path(),
            FaultEndpoint::Certificate,
        ),
    ]
    .into_iter()
    .find_map(|(known, endpoint)| (known == path).then_some(endpoint))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WithTxId {
    tx_id: Option<String>,
}

fn tx_id_of(body: &Bytes) -> Option<String> {
    serde_json::from_slice::<WithTxId>(body).ok()?.tx_id
}

/// The error code and txId of an answer: the provider's envelope, or the token endpoint's
/// OAuth error.
fn answer_of(body: &Bytes) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ErrorField {
        Api {
            #[serde(rename = "errorCode")]
            error_code: String,
        },
        OAuth(String),
    }
    #[derive(Deserialize)]
    struct Answer {
        error: Option<ErrorField>,
        success: Option<WithTxId>,
    }
    let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
        return (None, None);
    };
    let error_code = answer.error.map(|error| match error {
        ErrorField::Api { error_code } => error_code,
        ErrorField::OAuth(error) => error,
    });
    (error_code, answer.success.and_then(|success| success.tx_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_for_their_code_and_tx_id() {
        let read = |text: &'static str| answer_of(&Bytes::from_static(text.as_bytes()));
        assert_eq!(
            read(
                r#"{"resultType":"FAIL","error":{"errorCode":"CE3100","reason":"x"},"success":null}"#
            ),
            (Some("CE3100".to_owned()), None)
        );
        assert_eq!(
            read(r#"{"resultType":"SUCCESS","success":{"txId":"t-1","status":"REQUESTED"}}"#),
            (None, Some("t-1".to_owned()))
        );
        assert_eq!(
            read(r#"{"error":"invalid_client","error_description":"no"}"#),
            (Some("invalid_client".to_owned()), None)
        );
        assert_eq!(
            read(r#"{"access_token":"secret","token_type":"Bearer"}"#),
            (None, None)
        );
        assert_eq!(read("not json"), (None, None));
        assert_eq!(
            tx_id_of(&Bytes::from_static(
                br#"{"txId":"t-2","sessionKey":"v1$..."}"#
            )),
            Some("t-2".to_owned())
        );
    }
}
