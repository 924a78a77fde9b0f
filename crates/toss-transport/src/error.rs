//! [`TransportError`]: what went wrong sending a request, and whether it may have arrived.

use std::error::Error as StdError;
use std::fmt;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A request that did not produce an HTTP response.
///
/// The error is classified by phase rather than by backend: [`never_connected`] tells
/// that the request certainly did not reach the server (DNS or connect failure, an
/// invalid request), so even a non-idempotent call may be sent again;
/// [`may_have_been_sent`] is its negation (a timeout, a reset after sending), where only
/// idempotent calls are safe to repeat. No reqwest or hyper type is exposed; the
/// backend's own error stays reachable through [`source`](StdError::source).
///
/// The message never contains the URL's query, headers or bodies.
///
/// [`never_connected`]: TransportError::never_connected
/// [`may_have_been_sent`]: TransportError::may_have_been_sent
pub struct TransportError {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    never_connected: bool,
    source: Option<BoxError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Connect,
    Timeout,
    Io,
    User,
    Other,
    CleartextRefused,
    BodyTooLarge { limit: u64 },
}

impl TransportError {
    /// The connection could not be established (DNS, refused, TLS handshake, proxy).
    /// Nothing was sent.
    pub fn connect(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Connect, true, Some(source.into()))
    }

    /// The request or the response body took longer than allowed after the connection
    /// was made; the server may have received the request.
    pub fn timeout() -> Self {
        Self::new(Kind::Timeout, false, None)
    }

    /// Connecting took longer than allowed; nothing was sent.
    pub fn connect_timeout() -> Self {
        Self::new(Kind::Timeout, true, None)
    }

    /// The connection failed after the request started (reset, closed, truncated body);
    /// the server may have received the request.
    pub fn io(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Io, false, Some(source.into()))
    }

    /// The request could not be built or sent as given (bad URL, bad header). Nothing
    /// was sent.
    pub fn user(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::User, true, Some(source.into()))
    }

    /// The request was refused before anything was sent (no DNS lookup, no connection)
    /// because its URL is plain `http` to a host that is not loopback, and the transport
    /// was not built with
    /// [`danger_allow_insecure_http`](crate::TransportSettingsBuilder::danger_allow_insecure_http).
    pub fn cleartext_refused() -> Self {
        Self::new(Kind::CleartextRefused, true, None)
    }

    /// The response body is longer than `limit` bytes, the transport's
    /// [`max_response_body`](crate::TransportSettingsBuilder::max_response_body); reading
    /// stopped there. The server has received the request.
    pub fn body_too_large(limit: usize) -> Self {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        Self::new(Kind::BodyTooLarge { limit }, false, None)
    }

    /// Any other failure, for custom transports; treated as possibly sent.
    pub fn other(source: impl Into<BoxError>) -> Self {
        Self::new(Kind::Other, false, Some(source.into()))
    }

    /// Marks the error as having happened before anything was sent, for custom
    /// transports that know better than the constructor's default.
    #[must_use]
    pub fn with_never_connected(mut self) -> Self {
        self.inner.never_connected = true;
        self
    }

    /// Whether a timeout expired (connecting, waiting for the response or its body).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// Whether the connection could not be established.
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// Whether the connection failed while the request or response was in flight.
    pub fn is_io(&self) -> bool {
        self.inner.kind == Kind::Io
    }

    /// Whether the request itself was invalid.
    pub fn is_user(&self) -> bool {
        self.inner.kind == Kind::User
    }

    /// Whether the request was refused, unsent, for being plain `http` to a host that is
    /// not loopback.
    pub fn is_cleartext_refused(&self) -> bool {
        self.inner.kind == Kind::CleartextRefused
    }

    /// Whether the response body was longer than the transport allows.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self.inner.kind, Kind::BodyTooLarge { .. })
    }

    /// Whether the failure fits none of the other kinds.
    pub fn is_other(&self) -> bool {
        self.inner.kind == Kind::Other
    }

    /// Whether the request certainly never reached the server.
    pub fn never_connected(&self) -> bool {
        self.inner.never_connected
    }

    /// Whether the server may have received the request: the negation of
    /// [`never_connected`](Self::never_connected).
    pub fn may_have_been_sent(&self) -> bool {
        !self.inner.never_connected
    }

    fn new(kind: Kind, never_connected: bool, source: Option<BoxError>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                never_connected,
                source,
            }),
        }
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.inner.kind)
            .field("never_connected", &self.inner.never_connected)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (self.inner.kind, self.inner.never_connected) {
            (Kind::Connect, _) => "could not connect",
            (Kind::Timeout, true) => "connecting timed out",
            (Kind::Timeout, false) => "request timed out",
            (Kind::Io, _) => "connection failed during the request",
            (Kind::User, _) => "invalid request",
            (Kind::Other, _) => "transport failure",
            (Kind::CleartextRefused, _) => {
                "plain http is allowed to loopback hosts only: use https, or opt in with \
                 danger_allow_insecure_http"
            }
            (Kind::BodyTooLarge { limit }, _) => {
                return write!(
                    f,
                    "response body exceeds {limit} bytes (the server may have received it)"
                );
            }
        };
        let phase = if self.inner.never_connected {
            "nothing was sent"
        } else {
            "the server may have received it"
        };
        write!(f, "{what} ({phase})")
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The reason a request could not be built, the source of an [`is_user`] error.
///
/// [`is_user`]: TransportError::is_user
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// The URL does not parse or lacks a scheme or host.
    #[error("invalid URL")]
    Url,
    /// The scheme is neither http nor https.
    #[error("unsupported URL scheme")]
    Scheme,
    /// A header name or value is not valid HTTP.
    #[error("invalid header")]
    Header,
    /// A request marked public (allowed over plain http) carries credentials.
    #[error("a public request must not carry credentials")]
    CredentialsInPublic,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_pointer_sized_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<TransportError>();
        assert_eq!(size_of::<TransportError>(), size_of::<usize>());
    }

    #[test]
    fn phases() {
        assert!(TransportError::connect(InvalidRequest::Url).never_connected());
        assert!(TransportError::connect_timeout().never_connected());
        assert!(TransportError::connect_timeout().is_timeout());
        assert!(TransportError::timeout().may_have_been_sent());
        assert!(TransportError::io(InvalidRequest::Url).may_have_been_sent());
        assert!(TransportError::user(InvalidRequest::Header).never_connected());
        assert!(TransportError::other(InvalidRequest::Url).may_have_been_sent());
        assert!(
            TransportError::other(InvalidRequest::Url)
                .with_never_connected()
                .never_connected()
        );
    }

    #[test]
    fn refusals_say_which_rule() {
        let cleartext = TransportError::cleartext_refused();
        assert!(cleartext.is_cleartext_refused() && cleartext.never_connected());
        assert!(!cleartext.is_user() && !cleartext.is_connect());
        assert_eq!(
            cleartext.to_string(),
            "plain http is allowed to loopback hosts only: use https, or opt in with \
             danger_allow_insecure_http (nothing was sent)"
        );
        let large = TransportError::body_too_large(1024);
        assert!(large.is_body_too_large() && large.may_have_been_sent());
        assert!(!large.is_io());
        assert_eq!(
            large.to_string(),
            "response body exceeds 1024 bytes (the server may have received it)"
        );
    }

    #[test]
    fn source_chain_survives() {
        let e = TransportError::user(InvalidRequest::Scheme);
        let source = e.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("unsupported URL scheme"));
        assert_eq!(e.to_string(), "invalid request (nothing was sent)");
    }
}
