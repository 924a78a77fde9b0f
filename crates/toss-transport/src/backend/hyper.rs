//! [`HyperTransport`]: hyper 1 with the hyper-util client and rustls.

mod connector;

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{HeaderValue, USER_AGENT};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use self::connector::{ConnectTimedOut, Connector, connector};
use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::settings::TransportSettings;
use crate::transport::HttpTransport;

/// A transport on [hyper](https://docs.rs/hyper) 1 and the hyper-util pooled client,
/// for services that already run hyper and want nothing more: rustls, keep-alive, the
/// proxy environment variables, redirects not followed, plain http to loopback hosts
/// only and response bodies capped (see [`TransportSettings`]).
///
/// Through a proxy every destination, `http` or `https`, is reached with an HTTP
/// `CONNECT` tunnel.
///
/// Cheap to clone; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: Client<Connector, Full<Bytes>>,
    user_agent: HeaderValue,
    settings: TransportSettings,
}

impl HyperTransport {
    /// Builds the client.
    ///
    /// # Errors
    ///
    /// An [`is_user`](TransportError::is_user) error when the proxy URL or the user
    /// agent is invalid or TLS cannot be set up.
    pub fn new(settings: &TransportSettings) -> Result<Self, TransportError> {
        let connector = connector(settings)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(Self {
            client,
            user_agent: HeaderValue::try_from(settings.user_agent())
                .map_err(TransportError::user)?,
            settings: settings.clone(),
        })
    }
}

#[async_trait]
impl HttpTransport for HyperTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let timeout = request.timeout().unwrap_or(self.settings.request_timeout());
        super::send("hyper", &self.settings, request, |request| async move {
            tokio::time::timeout(timeout, self.exchange(request))
                .await
                .map_err(|_| TransportError::timeout())?
        })
        .await
    }
}

impl HyperTransport {
    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (method, uri, headers, body) = request.into_parts();
        let mut outgoing = http::Request::new(Full::new(body));
        *outgoing.method_mut() = method;
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = headers;
        outgoing
            .headers_mut()
            .entry(USER_AGENT)
            .or_insert_with(|| self.user_agent.clone());
        let response = self
            .client
            .request(outgoing)
            .await
            .map_err(map_client_error)?;
        let (parts, body) = response.into_parts();
        let body = super::read_limited(body, self.settings.max_response_body(), TransportError::io)
            .await?;
        Ok(HttpResponse::new(parts.status)
            .with_headers(parts.headers)
            .with_body(body))
    }
}

fn map_client_error(error: hyper_util::client::legacy::Error) -> TransportError {
    if error.is_connect() {
        if connect_timed_out(&error) {
            TransportError::connect_timeout()
        } else {
            TransportError::connect(error)
        }
    } else {
        TransportError::io(error)
    }
}

fn connect_timed_out(error: &(dyn StdError + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.is::<ConnectTimedOut>()
            || e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
        {
            return true;
        }
        source = e.source();
    }
    false
}
