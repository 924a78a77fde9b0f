//! The client's view of `toss-transport`: one call in, status and body out, with the
//! operation's idempotency deciding what the retry layer may resend.

use bytes::Bytes;
use std::time::Duration;

use toss_transport::{
    HttpRequest, HttpTransport, Retry, RetryPolicy, SharedHttpTransport, TransportError,
    TransportSettings,
};

use crate::error::{Error, Operation};

/// What the builder collects for the transport.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) transport: Option<SharedHttpTransport>,
    pub(crate) retry: RetryPolicy,
}

impl Default for TransportConfig {
    fn default() -> Self {
        let settings = TransportSettings::default();
        Self {
            connect_timeout: settings.connect_timeout(),
            request_timeout: settings.request_timeout(),
            transport: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// The configured transport behind the retry layer.
#[derive(Debug)]
pub(crate) struct Transport {
    http: Retry<SharedHttpTransport>,
    request_timeout: Duration,
}

pub(crate) enum Body {
    Json(Bytes),
    Form(Bytes),
}

/// A response's status and body; headers are not needed above this point.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

impl Transport {
    pub(crate) fn new(config: TransportConfig) -> Result<Self, Error> {
        let http = match config.transport {
            Some(transport) => transport,
            None => default_transport(&config)?,
        };
        Ok(Self {
            http: Retry::new(http, config.retry),
            request_timeout: config.request_timeout,
        })
    }

    pub(crate) async fn send(
        &self,
        operation: Operation,
        url: &str,
        bearer: Option<&str>,
        body: Body,
    ) -> Result<RawResponse, Error> {
        let mut request = HttpRequest::post(url)
            .idempotent(operation.is_idempotent())
            .timeout(self.request_timeout)
            .header("accept", "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::Json(bytes) => request.json(bytes),
            Body::Form(bytes) => request.form(bytes),
        };
        let request = request.build().map_err(|e| transport_error(operation, e))?;
        let response = self
            .http
            .send(request)
            .await
            .map_err(|e| transport_error(operation, e))?;
        Ok(RawResponse {
            status: response.status().as_u16(),
            body: response.into_body(),
        })
    }
}

fn transport_error(operation: Operation, error: TransportError) -> Error {
    Error::Transport {
        operation,
        may_have_been_sent: error.may_have_been_sent(),
        source: Box::new(error),
    }
}

#[cfg(any(feature = "reqwest", feature = "hyper"))]
fn default_transport(config: &TransportConfig) -> Result<SharedHttpTransport, Error> {
    let settings = TransportSettings::builder()
        .connect_timeout(config.connect_timeout)
        .request_timeout(config.request_timeout)
        .build();
    toss_transport::default_transport(&settings)
        .map_err(|e| Error::Config(format!("cannot build the HTTP transport: {e}")))
}

#[cfg(not(any(feature = "reqwest", feature = "hyper")))]
fn default_transport(_: &TransportConfig) -> Result<SharedHttpTransport, Error> {
    Err(Error::Config(
        "no HTTP backend is compiled in: enable `reqwest` or `hyper`, or pass `.transport(...)`"
            .into(),
    ))
}
