//! One authenticated call: token, send, refresh once on a refused token, decode the envelope.

mod transport;

pub(crate) use transport::{Transport, TransportConfig, transport_outcome};

use serde::de::DeserializeOwned;
use toss_model::{
    ApiError, Endpoint, Envelope, ErrorCode, IssueToken, Operation, TokenRequest, TokenResponse,
    TxId,
};
use toss_runtime::retry::{Decision, Outcome};
use toss_runtime::token::AccessToken;

use self::transport::{Body, RawResponse};
use super::Inner;
use crate::error::{Error, ResultLimit};

impl Inner {
    /// Sends `request` to endpoint `E` with a bearer token and returns the `success`
    /// object, sending it again as the retry strategy decides (a refused token is replaced
    /// once, which is not a retry).
    pub(super) async fn call<E: Endpoint>(
        &self,
        request: &E::Request,
        tx_id: Option<&TxId>,
    ) -> Result<E::Response, Error>
    where
        E::Request: Sync,
    {
        Ok(self.call_raw::<E>(request, tx_id).await?.0)
    }

    /// [`call`](Self::call), also returning the response body exactly as received (what a
    /// transaction store keeps of a sign answer or a result).
    pub(crate) async fn call_raw<E: Endpoint>(
        &self,
        request: &E::Request,
        tx_id: Option<&TxId>,
    ) -> Result<(E::Response, bytes::Bytes), Error>
    where
        E::Request: Sync,
    {
        let operation = E::OPERATION;
        // Shared, not copied, by every attempt.
        let body = Body::new(
            operation.body_format(),
            serde_json::to_vec(request)
                .map_err(|e| Error::Config(format!("cannot encode the {operation}: {e}")))?,
        );
        let url = self.environment.url(operation);
        let mut retries = self.transport.retry().call();
        loop {
            let token = self.tokens.token(|| self.fetch_token()).await?;
            let sent = self
                .transport
                .send(
                    operation,
                    &url,
                    Some(token.expose_secret()),
                    body.clone(),
                    retries.attempt(),
                )
                .await;
            let (result, outcome) = match sent {
                Ok(response) => {
                    let (result, outcome) = decode::<E::Response>(operation, &response, tx_id);
                    (result.map(|success| (success, response.body)), outcome)
                }
                Err((error, outcome)) => (Err(error), outcome),
            };
            match retries.decide(operation.is_idempotent(), outcome) {
                Decision::RefreshToken => {
                    tracing::debug!(%operation, "access token refused; fetching a new one");
                    self.tokens.invalidate(&token).await?;
                }
                Decision::RetryAfter(delay) => {
                    tracing::debug!(%operation, delay_ms = millis(delay), "sending again");
                    tokio::time::sleep(delay).await;
                }
                _ => {
                    if result.is_ok() {
                        retries.succeeded();
                    }
                    return result;
                }
            }
        }
    }

    /// `POST /token` with the client credentials, sent again as the retry strategy
    /// decides (it is idempotent).
    pub(super) async fn fetch_token(&self) -> Result<AccessToken, Error> {
        let form = TokenRequest::new(self.client_id.as_str(), self.client_secret.expose_secret())
            .to_form()
            .map_err(|e| Error::Config(format!("cannot encode the token request: {e}")))?;
        let operation = IssueToken::OPERATION;
        // The form holds the client secret: copied once, into the request that carries it.
        let body = Body::new(
            operation.body_format(),
            bytes::Bytes::copy_from_slice(form.as_bytes()),
        );
        let url = self.environment.url(operation);
        let mut retries = self.transport.retry().call();
        loop {
            let sent = self
                .transport
                .send(operation, &url, None, body.clone(), retries.attempt())
                .await;
            let (result, outcome) = match sent {
                Ok(response) => self.read_token(&response),
                Err((error, outcome)) => (Err(error), outcome),
            };
            match retries.decide(operation.is_idempotent(), outcome) {
                // Refused credentials are final: there is no token to replace.
                Decision::RetryAfter(delay) => {
                    tracing::debug!(delay_ms = millis(delay), "asking for a token again");
                    tokio::time::sleep(delay).await;
                }
                _ => {
                    if result.is_ok() {
                        retries.succeeded();
                    }
                    return result;
                }
            }
        }
    }

    fn read_token(&self, response: &RawResponse) -> (Result<AccessToken, Error>, Outcome) {
        let outcome = Outcome::response(response.status).with_retry_after(response.retry_after);
        let result = match response.status {
            200..=299 => match serde_json::from_slice::<TokenResponse>(&response.body) {
                Ok(token) => Ok(AccessToken::new(
                    token.access_token(),
                    self.clock.now(),
                    token.expires_in(),
                )),
                Err(e) => {
                    return (
                        Err(Error::Decode {
                            operation: IssueToken::OPERATION,
                            status: response.status,
                            source: Box::new(e),
                        }),
                        outcome.with_unreadable_body(),
                    );
                }
            },
            400 | 401 | 403 => Err(Error::Auth {
                status: response.status,
            }),
            status => Err(Error::Http {
                operation: IssueToken::OPERATION,
                status,
                tx_id: None,
            }),
        };
        (result, outcome)
    }
}

/// Reads a service response: the envelope when there is one, the HTTP status otherwise;
/// and what it came to, for the retry strategy.
pub(crate) fn decode<T: DeserializeOwned>(
    operation: Operation,
    response: &RawResponse,
    tx_id: Option<&TxId>,
) -> (Result<T, Error>, Outcome) {
    let status = response.status;
    let outcome = Outcome::response(status).with_retry_after(response.retry_after);
    match serde_json::from_slice::<Envelope<T>>(&response.body) {
        Ok(envelope) => match envelope.into_result() {
            Ok(success) => (Ok(success), outcome),
            Err(toss_model::EnvelopeError::Api(api)) => {
                let code = api.error_code().clone();
                (
                    Err(provider_error(operation, status, api, tx_id)),
                    outcome.with_provider_code(Some(code)),
                )
            }
            Err(other) => (
                Err(Error::Decode {
                    operation,
                    status,
                    source: Box::new(other),
                }),
                outcome.with_unreadable_body(),
            ),
        },
        Err(_) if !(200..300).contains(&status) => (
            Err(Error::Http {
                operation,
                status,
                tx_id: tx_id.cloned(),
            }),
            outcome,
        ),
        Err(e) => (
            Err(Error::Decode {
                operation,
                status,
                source: Box::new(e),
            }),
            outcome.with_unreadable_body(),
        ),
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Maps the codes with a meaning of their own to their variants; keeps every other code
/// verbatim.
fn provider_error(operation: Operation, status: u16, api: ApiError, tx_id: Option<&TxId>) -> Error {
    let code = api.error_code().clone();
    if let Some(tx_id) = tx_id {
        match code {
            ErrorCode::Ce3101 => {
                return Error::ResultLimit {
                    tx_id: tx_id.clone(),
                    limit: ResultLimit::FetchedTwice,
                    refused_locally: false,
                };
            }
            ErrorCode::Ce3102 => {
                return Error::NotCompleted {
                    tx_id: tx_id.clone(),
                };
            }
            ErrorCode::Ce3103 => {
                return Error::Expired {
                    tx_id: tx_id.clone(),
                };
            }
            _ => {}
        }
    }
    Error::Provider {
        operation,
        status,
        code,
        reason: api.reason().map(str::to_owned),
        tx_id: tx_id.cloned(),
    }
}
