//! [`ReqwestTransport`]: reqwest with rustls; the default backend.

use async_trait::async_trait;

use super::tls;
use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::settings::{ProxyKind, TransportSettings};
use crate::transport::HttpTransport;

/// A transport on [reqwest](https://docs.rs/reqwest): pooled keep-alive connections,
/// rustls, the proxy environment variables, redirects not followed, plain http to
/// loopback hosts only and response bodies capped (see [`TransportSettings`]).
///
/// Cheap to clone; clones share the connection pool.
///
/// ```no_run
/// # fn main() -> Result<(), toss_transport::TransportError> {
/// use toss_transport::{ReqwestTransport, TransportSettings};
///
/// let transport = ReqwestTransport::new(&TransportSettings::default())?;
/// # let _ = transport;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    settings: TransportSettings,
}

impl ReqwestTransport {
    /// Builds the client.
    ///
    /// # Errors
    ///
    /// An [`is_user`](TransportError::is_user) error when the proxy URL is invalid or
    /// TLS cannot be set up.
    pub fn new(settings: &TransportSettings) -> Result<Self, TransportError> {
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls::client_config(settings)?)
            .connect_timeout(settings.connect_timeout())
            .timeout(settings.request_timeout())
            .user_agent(settings.user_agent())
            .redirect(reqwest::redirect::Policy::none())
            // Retries are the caller's, which knows what is idempotent; reqwest's own would
            // also copy every request in case it resends it.
            .retry(reqwest::retry::never());
        builder = match settings.proxy().kind() {
            ProxyKind::FromEnv => builder,
            ProxyKind::None => builder.no_proxy(),
            ProxyKind::Url(url) => {
                builder.proxy(reqwest::Proxy::all(url).map_err(TransportError::user)?)
            }
        };
        Ok(Self {
            client: builder.build().map_err(TransportError::user)?,
            settings: settings.clone(),
        })
    }
}

#[async_trait]
impl HttpTransport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        super::send("reqwest", &self.settings, request, |request| {
            self.exchange(request)
        })
        .await
    }
}

impl ReqwestTransport {
    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let timeout = request.timeout();
        let (method, uri, headers, body) = request.into_parts();
        let mut outgoing = self
            .client
            .request(method, uri.to_string())
            .headers(headers)
            .body(body);
        // Without its own, the request keeps the client's timeout.
        if let Some(timeout) = timeout {
            outgoing = outgoing.timeout(timeout);
        }
        let response = outgoing.send().await.map_err(map_error)?;
        // As an `http` response, reqwest's body keeps its timeouts and can be read
        // through `Limited`.
        let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
        let body = super::read_limited(body, self.settings.max_response_body(), |error| {
            match error.downcast::<reqwest::Error>() {
                Ok(error) => map_error(*error),
                Err(error) => TransportError::io(error),
            }
        })
        .await?;
        Ok(HttpResponse::new(parts.status)
            .with_headers(parts.headers)
            .with_body(body))
    }
}

fn map_error(error: reqwest::Error) -> TransportError {
    if error.is_builder() {
        TransportError::user(error.without_url())
    } else if error.is_connect() && error.is_timeout() {
        TransportError::connect_timeout()
    } else if error.is_connect() {
        TransportError::connect(error.without_url())
    } else if error.is_timeout() {
        TransportError::timeout()
    } else {
        TransportError::io(error.without_url())
    }
}
