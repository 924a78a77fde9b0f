//! Connections for [`HyperTransport`](super::HyperTransport): direct or through a
//! `CONNECT` tunnel, then TLS for `https`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::backend::tls;
use crate::error::TransportError;
use crate::settings::{ProxyKind, TransportSettings};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// TLS on top of [`TcpOrTunnel`].
pub(super) type Connector = HttpsConnector<TcpOrTunnel>;

impl TcpOrTunnel {
    fn matcher(settings: &TransportSettings) -> Option<Arc<Matcher>> {
        match settings.proxy().kind() {
            ProxyKind::FromEnv => Some(Arc::new(Matcher::from_env())),
            ProxyKind::None => None,
            ProxyKind::Url(url) => Some(Arc::new(Matcher::builder().all(url.clone()).build())),
        }
    }
}

/// The connector for `settings`: their connect timeout and proxy, our TLS.
pub(super) fn connector(settings: &TransportSettings) -> Result<Connector, TransportError> {
    {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(settings.connect_timeout()));
        let tcp = TcpOrTunnel {
            http,
            matcher: TcpOrTunnel::matcher(settings),
            connect_timeout: settings.connect_timeout(),
        };
        Ok(HttpsConnectorBuilder::new()
            .with_tls_config(tls::client_config(settings)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp))
    }
}

/// A TCP connection to the destination, or to the proxy with a tunnel to the
/// destination when the proxy settings intercept it.
#[derive(Clone)]
pub(crate) struct TcpOrTunnel {
    http: HttpConnector,
    matcher: Option<Arc<Matcher>>,
    connect_timeout: std::time::Duration,
}

impl fmt::Debug for TcpOrTunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpOrTunnel")
            .field("proxied", &self.matcher.is_some())
            .finish_non_exhaustive()
    }
}

impl Service<Uri> for TcpOrTunnel {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let intercept = self
            .matcher
            .as_ref()
            .and_then(|matcher| matcher.intercept(&destination));
        let mut http = self.http.clone();
        let timeout = self.connect_timeout;
        Box::pin(async move {
            let connecting = async move {
                match intercept {
                    None => http.call(destination).await.map_err(BoxError::from),
                    Some(intercept) => {
                        let mut tunnel = Tunnel::new(intercept.uri().clone(), http);
                        if let Some(auth) = intercept.basic_auth() {
                            tunnel = tunnel.with_auth(auth.clone());
                        }
                        tunnel.call(destination).await.map_err(BoxError::from)
                    }
                }
            };
            tokio::time::timeout(timeout, connecting)
                .await
                .map_err(|_| BoxError::from(ConnectTimedOut))?
        })
    }
}

/// Connecting (TCP and any tunnel) took longer than the connect timeout.
#[derive(Debug, thiserror::Error)]
#[error("connect timed out")]
pub(super) struct ConnectTimedOut;
