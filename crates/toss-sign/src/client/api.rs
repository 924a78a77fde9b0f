//! One authenticated call: token, send, refresh once on a refused token, decode the envelope.

mod transport;

pub(crate) use transport::{Transport, TransportConfig};

use serde::Serialize;
use serde::de::DeserializeOwned;
use toss_model::{ApiError, Envelope, ErrorCode, TokenRequest, TokenResponse, TxId};

use self::transport::{Body, RawResponse};
use super::Inner;
use crate::error::{Error, Operation, ResultLimit};
use crate::token::AccessToken;

impl Inner {
    /// Sends `request` to `operation`'s endpoint with a bearer token and returns the
    /// `success` object. A refused token (HTTP 401 or CE1000) is dropped, replaced and the
    /// call sent once more; that refresh is not a retry of the transport's.
    pub(super) async fn call<Req, Resp>(
        &self,
        operation: Operation,
        request: &Req,
        tx_id: Option<&TxId>,
    ) -> Result<Resp, Error>
    where
        Req: Serialize + Sync,
        Resp: DeserializeOwned,
    {
        Ok(self.call_raw(operation, request, tx_id).await?.0)
    }

    /// [`call`](Self::call), also returning the response body exactly as received (what a
    /// transaction store keeps of a sign answer or a result).
    pub(crate) async fn call_raw<Req, Resp>(
        &self,
        operation: Operation,
        request: &Req,
        tx_id: Option<&TxId>,
    ) -> Result<(Resp, bytes::Bytes), Error>
    where
        Req: Serialize + Sync,
        Resp: DeserializeOwned,
    {
        // Shared, not copied, if the call is sent again with a new token.
        let body = bytes::Bytes::from(
            serde_json::to_vec(request)
                .map_err(|e| Error::Config(format!("cannot encode the {operation}: {e}")))?,
        );
        let url = join(self.environment.api_base(), operation.path());
        let mut refreshed = false;
        loop {
            let token = self.tokens.token(|| self.fetch_token()).await?;
            let response = self
                .transport
                .send(
                    operation,
                    &url,
                    Some(token.expose_secret()),
                    Body::Json(body.clone()),
                )
                .await?;
            match decode::<Resp>(operation, &response, tx_id) {
                Decoded::TokenRefused(error) => {
                    if refreshed {
                        return Err(error);
                    }
                    tracing::debug!(%operation, "access token refused; fetching a new one");
                    self.tokens.invalidate(&token).await?;
                    refreshed = true;
                }
                Decoded::Done(result) => return result.map(|success| (success, response.body)),
            }
        }
    }

    /// `POST /token` with the client credentials.
    pub(super) async fn fetch_token(&self) -> Result<AccessToken, Error> {
        let form = TokenRequest::new(self.client_id.as_str(), self.client_secret.expose_secret())
            .to_form()
            .map_err(|e| Error::Config(format!("cannot encode the token request: {e}")))?;
        let url = join(self.environment.oauth_base(), Operation::Token.path());
        let response = self
            .transport
            .send(
                Operation::Token,
                &url,
                None,
                Body::Form(bytes::Bytes::copy_from_slice(form.as_bytes())),
            )
            .await?;
        match response.status {
            200..=299 => {
                let token: TokenResponse =
                    serde_json::from_slice(&response.body).map_err(|e| Error::Decode {
                        operation: Operation::Token,
                        status: response.status,
                        source: Box::new(e),
                    })?;
                Ok(AccessToken::new(
                    token.access_token(),
                    self.clock.now(),
                    token.expires_in(),
                ))
            }
            400 | 401 | 403 => Err(Error::Auth {
                status: response.status,
            }),
            status => Err(Error::Http {
                operation: Operation::Token,
                status,
                tx_id: None,
            }),
        }
    }
}

pub(crate) enum Decoded<T> {
    Done(Result<T, Error>),
    TokenRefused(Error),
}

/// Reads a service response: the envelope when there is one, the HTTP status otherwise.
pub(crate) fn decode<T: DeserializeOwned>(
    operation: Operation,
    response: &RawResponse,
    tx_id: Option<&TxId>,
) -> Decoded<T> {
    let status = response.status;
    match serde_json::from_slice::<Envelope<T>>(&response.body) {
        Ok(envelope) => match envelope.into_result() {
            Ok(success) => Decoded::Done(Ok(success)),
            Err(toss_model::EnvelopeError::Api(api)) => {
                let error = provider_error(operation, status, api, tx_id);
                if status == 401 || matches!(error.code(), Some(code) if code.needs_new_token()) {
                    Decoded::TokenRefused(error)
                } else {
                    Decoded::Done(Err(error))
                }
            }
            Err(other) => Decoded::Done(Err(Error::Decode {
                operation,
                status,
                source: Box::new(other),
            })),
        },
        Err(_) if status == 401 => Decoded::TokenRefused(Error::Http {
            operation,
            status,
            tx_id: tx_id.cloned(),
        }),
        Err(_) if !(200..300).contains(&status) => Decoded::Done(Err(Error::Http {
            operation,
            status,
            tx_id: tx_id.cloned(),
        })),
        Err(e) => Decoded::Done(Err(Error::Decode {
            operation,
            status,
            source: Box::new(e),
        })),
    }
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

fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}
