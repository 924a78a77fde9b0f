//! The client's view of `toss-transport`: one attempt in, status, body and `Retry-After`
//! out, and what the attempt came to in the words of the retry policy.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use toss_runtime::retry::{Outcome, RetryBudget, RetryPolicy, RetryStrategy, parse_retry_after};
use toss_transport::http::Uri;
use toss_transport::http::header::RETRY_AFTER;
use toss_transport::{
    HttpBackend, HttpRequest, HttpTransport, SharedHttpTransport, TlsProvider, TransportError,
    TransportSettings,
};

use toss_model::{BodyFormat, Operation};

use crate::error::Error;

/// What the builder collects for the transport.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) transport: Option<SharedHttpTransport>,
    pub(crate) retry: RetryPolicy,
    pub(crate) retry_budget: Option<Arc<RetryBudget>>,
    pub(crate) danger_allow_insecure_http: bool,
    pub(crate) max_response_body: usize,
    pub(crate) backend: Option<HttpBackend>,
    pub(crate) tls_provider: Option<TlsProvider>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        let settings = TransportSettings::default();
        Self {
            connect_timeout: settings.connect_timeout(),
            request_timeout: settings.request_timeout(),
            transport: None,
            retry: RetryPolicy::default(),
            retry_budget: None,
            danger_allow_insecure_http: settings.danger_allow_insecure_http(),
            max_response_body: settings.max_response_body(),
            backend: None,
            tls_provider: None,
        }
    }
}

impl TransportConfig {
    fn settings(&self) -> TransportSettings {
        let mut settings = TransportSettings::builder()
            .connect_timeout(self.connect_timeout)
            .request_timeout(self.request_timeout)
            .danger_allow_insecure_http(self.danger_allow_insecure_http)
            .max_response_body(self.max_response_body);
        if let Some(backend) = self.backend {
            settings = settings.backend(backend);
        }
        if let Some(provider) = self.tls_provider {
            settings = settings.tls_provider(provider);
        }
        settings.build()
    }

    /// Refuses, at build time, the URL of public requests (the TSA's) that the transport
    /// would refuse at every call: not `http(s)://host…` (plain http is allowed for them).
    pub(crate) fn check_public(&self, which: &str, url: &str) -> Result<(), Error> {
        HttpRequest::get(url)
            .public_over_http(true)
            .build()
            .and_then(|request| self.settings().check_request(&request))
            .map_err(|_| Error::Config(format!("the {which} URL must be http(s)://host…")))
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

/// The configured transport and the retry strategy every call goes through.
#[derive(Debug)]
pub(crate) struct Transport {
    http: SharedHttpTransport,
    retry: RetryStrategy,
    request_timeout: Duration,
    settings: TransportSettings,
}

/// A call's body with its format, shared (not copied) by its attempts.
#[derive(Clone)]
pub(crate) struct Body {
    format: BodyFormat,
    bytes: Bytes,
}

impl Body {
    pub(crate) fn new(format: BodyFormat, bytes: impl Into<Bytes>) -> Self {
        Self {
            format,
            bytes: bytes.into(),
        }
    }
}

/// A response's status, body and `Retry-After`; other headers are not needed above this
/// point.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
    pub(crate) retry_after: Option<Duration>,
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
        let mut retry = RetryStrategy::new(config.retry);
        if let Some(budget) = config.retry_budget {
            retry = retry.with_budget(budget);
        }
        Ok(Self {
            http,
            retry,
            request_timeout: config.request_timeout,
            settings,
        })
    }

    /// When a failed attempt is sent again.
    pub(crate) fn retry(&self) -> &RetryStrategy {
        &self.retry
    }

    /// Sends attempt `attempt` of a call; a failure comes with what it was in the retry
    /// policy's words.
    pub(crate) async fn send(
        &self,
        operation: Operation,
        url: &str,
        bearer: Option<&str>,
        body: Body,
        attempt: u32,
    ) -> Result<RawResponse, (Error, Outcome)> {
        let mut request = HttpRequest::post(url)
            .idempotent(operation.is_idempotent())
            .attempt(attempt)
            .timeout(self.request_timeout)
            .header("accept", "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request = match body.format {
            BodyFormat::Form => request.form(body.bytes),
            _ => request.json(body.bytes),
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
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        Ok(RawResponse {
            status: response.status().as_u16(),
            body: response.into_body(),
            retry_after,
        })
    }
}

impl Transport {
    /// One public request (no credential, a signed answer: a CRL, a timestamp), allowed
    /// over plain http to any host; a POST when `body` (content type and bytes) is given,
    /// else a GET. One attempt, bounded by the request timeout.
    pub(crate) async fn fetch_public(
        &self,
        url: &str,
        body: Option<(&str, Bytes)>,
        accept: &str,
    ) -> Result<RawResponse, TransportError> {
        let mut request = match &body {
            Some(_) => HttpRequest::post(url),
            None => HttpRequest::get(url),
        }
        .public_over_http(true)
        .timeout(self.request_timeout)
        .header("accept", accept);
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let request = request.build()?;
        self.settings.check_request(&request)?;
        let response = self.http.send(request).await?;
        Ok(RawResponse {
            status: response.status().as_u16(),
            body: response.into_body(),
            retry_after: None,
        })
    }
}

/// What a transport error was, in the retry policy's words.
pub(crate) fn transport_outcome(error: &TransportError) -> Outcome {
    if error.is_user() || error.is_cleartext_refused() || error.is_body_too_large() {
        return Outcome::refused_by_rule();
    }
    let mut outcome = Outcome::no_response();
    if error.never_connected() {
        outcome = outcome.never_connected();
    }
    if error.is_timeout() {
        outcome = outcome.timed_out();
    }
    outcome
}

fn transport_error(operation: Operation, error: TransportError) -> (Error, Outcome) {
    let outcome = transport_outcome(&error);
    let error = Error::Transport {
        operation,
        may_have_been_sent: error.may_have_been_sent(),
        source: Box::new(error),
    };
    (error, outcome)
}

/// The backend the builder names, or the only one compiled in; a missing or ambiguous
/// choice is a configuration error that names the fix.
fn default_transport(settings: &TransportSettings) -> Result<SharedHttpTransport, Error> {
    toss_transport::default_transport(settings).map_err(|e| {
        let choice = std::error::Error::source(&e)
            .and_then(|source| source.downcast_ref::<toss_transport::ChoiceError>());
        Error::Config(match choice {
            Some(toss_transport::ChoiceError::AmbiguousBackend) => {
                "both HTTP backends (reqwest, hyper) are compiled in: choose one with \
                 ClientBuilder::http_backend"
                    .into()
            }
            Some(toss_transport::ChoiceError::AmbiguousTlsProvider) => {
                "both TLS providers (aws-lc, ring) are compiled in: choose one with \
                 ClientBuilder::tls_provider"
                    .into()
            }
            Some(toss_transport::ChoiceError::NoBackend) => {
                "no HTTP backend is compiled in: enable `reqwest` or `hyper`, or pass \
                 `.transport(...)`"
                    .into()
            }
            Some(toss_transport::ChoiceError::NoTlsProvider) => {
                "no TLS provider is compiled in: enable `aws-lc` or `rustcrypto` (ring)".into()
            }
            _ => format!("cannot build the HTTP transport: {e}"),
        })
    })
}
