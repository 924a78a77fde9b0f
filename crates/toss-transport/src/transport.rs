//! The [`HttpTransport`] trait: the boundary between the SDK and any HTTP stack.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;

/// Sends one HTTP request and returns the complete response.
///
/// The transport owns DNS, TLS, connection pooling and the timeouts it was built with;
/// everything above it (tokens, envelopes, retries of provider errors) knows nothing of
/// them. An HTTP error status is a response, not an error: `Err` means no response was
/// received, and [`TransportError::never_connected`] says whether the request may have
/// reached the server.
///
/// The trait is object safe; [`SharedHttpTransport`] holds any implementation.
///
/// # Example
///
/// A transport that answers every request itself, as a test double might:
///
/// ```
/// use toss_transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
/// use toss_transport::http::StatusCode;
///
/// #[derive(Debug)]
/// struct Teapot;
///
/// #[async_trait::async_trait]
/// impl HttpTransport for Teapot {
///     async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
///         Ok(HttpResponse::new(StatusCode::IM_A_TEAPOT))
///     }
/// }
/// ```
#[async_trait]
pub trait HttpTransport: Send + Sync + fmt::Debug {
    /// Sends `request` and reads the whole response body.
    ///
    /// # Errors
    ///
    /// A [`TransportError`] when no complete response was received: connect failure,
    /// timeout, reset, invalid request.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Any [`HttpTransport`] behind an `Arc`: cheap to clone and share between clients.
#[derive(Clone)]
pub struct SharedHttpTransport(Arc<dyn HttpTransport>);

impl SharedHttpTransport {
    /// Shares `transport`.
    pub fn new(transport: impl HttpTransport + 'static) -> Self {
        Self(Arc::new(transport))
    }
}

impl From<Arc<dyn HttpTransport>> for SharedHttpTransport {
    fn from(transport: Arc<dyn HttpTransport>) -> Self {
        Self(transport)
    }
}

impl fmt::Debug for SharedHttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedHttpTransport").field(&self.0).finish()
    }
}

#[async_trait]
impl HttpTransport for SharedHttpTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.0.send(request).await
    }
}

#[async_trait]
impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}
