//! Transports for tests: scripted answers, recorded requests, silence, and injected
//! faults ([`FaultyTransport`]).
//!
//! **Not for production.** Enabled by the `test-util` feature.

mod faults;

pub use faults::{Fault, FaultRecord, FaultStats, FaultyTransport, FaultyTransportBuilder};

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::transport::HttpTransport;

/// Answers requests with a script of outcomes, in order, and records every request.
///
/// Cheap to clone: clones share the script and the record, so a test can keep one and
/// hand the other to a client.
///
/// ```
/// use toss_transport::http::StatusCode;
/// use toss_transport::test_util::ReplayTransport;
/// use toss_transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let replay = ReplayTransport::new([
///     Err(TransportError::connect_timeout()),
///     Ok(HttpResponse::new(StatusCode::OK)),
/// ]);
/// let request = HttpRequest::get("http://127.0.0.1:9/").build().unwrap();
/// assert!(replay.send(request.clone()).await.is_err());
/// assert!(replay.send(request).await.is_ok());
/// replay.assert_all_used();
/// assert_eq!(replay.requests().len(), 2);
/// # }
/// ```
#[derive(Clone, Default)]
pub struct ReplayTransport {
    shared: Arc<Mutex<Replay>>,
}

#[derive(Default)]
struct Replay {
    script: VecDeque<Result<HttpResponse, TransportError>>,
    requests: Vec<HttpRequest>,
}

impl ReplayTransport {
    /// A transport that answers with `outcomes`, one per request, then fails every
    /// further request with an [`is_other`](TransportError::is_other) error.
    pub fn new(outcomes: impl IntoIterator<Item = Result<HttpResponse, TransportError>>) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Replay {
                script: outcomes.into_iter().collect(),
                requests: Vec::new(),
            })),
        }
    }

    /// Appends an outcome to the script.
    pub fn push(&self, outcome: Result<HttpResponse, TransportError>) {
        self.lock().script.push_back(outcome);
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.lock().requests.clone()
    }

    /// Panics unless every scripted outcome was used.
    #[track_caller]
    pub fn assert_all_used(&self) {
        let left = self.lock().script.len();
        assert!(left == 0, "{left} scripted outcome(s) were never requested");
    }

    fn lock(&self) -> MutexGuard<'_, Replay> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ReplayTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let replay = self.lock();
        f.debug_struct("ReplayTransport")
            .field("scripted", &replay.script.len())
            .field("received", &replay.requests.len())
            .finish()
    }
}

#[async_trait]
impl HttpTransport for ReplayTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut replay = self.lock();
        replay.requests.push(request);
        replay
            .script
            .pop_front()
            .unwrap_or_else(|| Err(TransportError::other(ScriptExhausted)))
    }
}

/// A request arrived after the last scripted outcome.
#[derive(Debug, thiserror::Error)]
#[error("the replay script has no outcome left")]
struct ScriptExhausted;

/// A transport that never answers; each call waits until its caller gives up.
///
/// For testing timeouts and cancellation.
#[derive(Clone, Debug, Default)]
pub struct NeverTransport {
    calls: Arc<AtomicUsize>,
}

impl NeverTransport {
    /// A new silent transport.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many requests were sent to it.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl HttpTransport for NeverTransport {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send>>;

/// A transport made of a closure: the closure sees every request and decides the
/// outcome, for tests that need logic (counting, failing the n-th call, checking
/// bodies).
///
/// ```
/// use toss_transport::http::StatusCode;
/// use toss_transport::test_util::transport_fn;
/// use toss_transport::{HttpResponse, HttpTransport};
///
/// let transport = transport_fn(|request| async move {
///     let status = if request.uri().path() == "/token" { 200 } else { 404 };
///     Ok(HttpResponse::new(StatusCode::from_u16(status).unwrap()))
/// });
/// # let _ = transport;
/// ```
pub fn transport_fn<F, Fut>(handler: F) -> FnTransport
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send + 'static,
{
    FnTransport {
        handler: Arc::new(move |request| Box::pin(handler(request)) as BoxFuture),
    }
}

/// The transport made by [`transport_fn`].
#[derive(Clone)]
pub struct FnTransport {
    handler: Arc<dyn Fn(HttpRequest) -> BoxFuture + Send + Sync>,
}

impl fmt::Debug for FnTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnTransport")
    }
}

#[async_trait]
impl HttpTransport for FnTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (self.handler)(request).await
    }
}
