//! The client's view of `toss-transport`: one call in, status and body out, with the
//! operation's idempotency deciding what the retry layer may resend.

use bytes::Bytes;
use std::time::Duration;

use toss_transport::http::Uri;
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
    pub(crate) danger_allow_insecure_http: bool,
    pub(crate) max_response_body: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        let settings = TransportSettings::default();
        Self {
            connect_timeout: settings.connect_timeout(),
            request_timeout: settings.request_timeout(),
            transport: None,
            retry: RetryPolicy::default(),
            danger_allow_insecure_http: settings.danger_allow_insecure_http(),
            max_response_body: settings.max_response_body(),
        }
    }
}

impl TransportConfig {
    fn settings(&self) -> TransportSettings {
        TransportSettings::builder()
            .connect_timeout(self.connect_timeout)
            .request_timeout(self.request_timeout)
            .danger_allow_insecure_http(self.danger_allow_insecure_http)
            .max_response_body(self.max_response_body)
            .build()
    }

    /// Refuses, at build time, a base URL the transport would refuse at every call:
    /// toss-transport's rule (https, or plain http to loopback only), so a misconfigured
    /// `TOSS_CERT_OAUTH_BASE` fails before the client secret could be sent anywhere.
    pub(crate) fn check_base(&self, which: &str, base: &str) -> Result<(), Error> {
        let url = base
            .parse::<Uri>()
            .map_err(|_| Error::Config(format!("the {which} base URL is not a valid URL")))?;
        match self.settings().check_destination(&url) {
            Ok(()) => Ok(()),
            Err(e) if e.is_cleartext_refused() => Err(Error::Config(format!(
                "the {which} base URL is plain http to a host that is not loopback, which would \
                 send credentials and personal data in clear: use https, or opt in with \
                 `danger_allow_insecure_http(true)`"
            ))),
            Err(_) => Err(Error::Config(format!(
                "the {which} base URL must be http(s)://host…"
            ))),
        }
    }
}

/// The configured transport behind the retry layer.
#[derive(Debug)]
pub(crate) struct Transport {
    http: Retry<SharedHttpTransport>,
    request_timeout: Duration,
    settings: TransportSettings,
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
    /// How long one call may take in all.
    pub(crate) fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    pub(crate) fn new(config: TransportConfig) -> Result<Self, Error> {
        let settings = config.settings();
        let http = match config.transport {
            Some(transport) => transport,
            None => default_transport(&settings)?,
        };
        Ok(Self {
            http: Retry::new(http, config.retry),
            request_timeout: config.request_timeout,
            settings,
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
        // Every call passes here, whatever the transport: a custom one given to the
        // builder gets the same cleartext rule as the built-in backends.
        self.settings
            .check_destination(request.uri())
            .map_err(|e| transport_error(operation, e))?;
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
fn default_transport(settings: &TransportSettings) -> Result<SharedHttpTransport, Error> {
    toss_transport::default_transport(settings)
        .map_err(|e| Error::Config(format!("cannot build the HTTP transport: {e}")))
}

#[cfg(not(any(feature = "reqwest", feature = "hyper")))]
fn default_transport(_: &TransportSettings) -> Result<SharedHttpTransport, Error> {
    Err(Error::Config(
        "no HTTP backend is compiled in: enable `reqwest` or `hyper`, or pass `.transport(...)`"
            .into(),
    ))
}
