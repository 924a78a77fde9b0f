//! [`FaultyTransport`]: a wrapper that injects network and server faults, reproducibly.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use http::StatusCode;

use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::transport::HttpTransport;

/// Wraps a transport and makes some of its requests fail the way networks and servers
/// do, at rates chosen per fault, from a seeded generator so that a failing run can be
/// replayed.
///
/// For each request it decides, in this order:
///
/// 1. **delay** (rate `delay`): sleep up to the maximum delay first, then go on with
///    whatever else was decided. Combines with every other fault.
/// 2. **drop** (`drop_rate`): fail with a [`connect`](TransportError::connect) error
///    without calling the inner transport; [`never_connected`] is true, so the request is
///    safe to send again.
/// 3. **server error** (`server_error_rate`): answer `503 Service Unavailable` without
///    calling the inner transport.
/// 4. **reset after send** (`reset_after_send_rate`): call the inner transport (the server
///    processes the request), then drop its response and fail with an
///    [`io`](TransportError::io) error, for which [`may_have_been_sent`] is true.
/// 5. **truncate** (`truncate_rate`): call the inner transport and return its response
///    with the body cut to its first half.
///
/// At most one of 2–5 applies to a request: the first drawn in that order. When the inner
/// transport fails on a request meant to be reset or truncated, its error is returned as
/// is and no fault is counted.
///
/// Every request draws the same amount of randomness whatever is decided, so for one seed
/// the n-th request always meets the same fault. Requests sent concurrently draw in the
/// order they arrive, which may differ between runs; sequential requests are fully
/// reproducible.
///
/// Cheap to clone when the inner transport is: clones share the generator, the counts
/// ([`stats`](Self::stats)) and the record ([`history`](Self::history)), so a test can
/// keep one and hand another to a client.
///
/// **Not for production.**
///
/// ```
/// use std::time::Duration;
/// use toss_transport::http::StatusCode;
/// use toss_transport::test_util::{FaultyTransport, ReplayTransport};
/// use toss_transport::{HttpRequest, HttpResponse, HttpTransport};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = ReplayTransport::new([Ok(HttpResponse::new(StatusCode::OK))]);
/// let faulty = FaultyTransport::builder()
///     .seed(7)
///     .drop_rate(1.0)
///     .delay(0.5, Duration::from_millis(5))
///     .build(server.clone());
/// let request = HttpRequest::get("http://127.0.0.1:9/").build().unwrap();
/// let error = faulty.send(request).await.unwrap_err();
/// assert!(error.never_connected());
/// assert!(server.requests().is_empty(), "a dropped request never arrives");
/// assert_eq!(faulty.stats().dropped, 1);
/// # }
/// ```
///
/// [`never_connected`]: TransportError::never_connected
/// [`may_have_been_sent`]: TransportError::may_have_been_sent
pub struct FaultyTransport<T> {
    inner: T,
    rates: Rates,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Rates {
    drop: f64,
    delay: f64,
    max_delay: Duration,
    reset_after_send: f64,
    server_error: f64,
    truncate: f64,
}

struct Shared {
    rng: fastrand::Rng,
    stats: FaultStats,
    history: Vec<FaultRecord>,
}

impl FaultyTransport<()> {
    /// Starts configuring a faulty transport: seed 0, no faults.
    pub fn builder() -> FaultyTransportBuilder {
        FaultyTransportBuilder::default()
    }
}

impl<T> FaultyTransport<T> {
    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// How many requests arrived and which faults were injected so far.
    pub fn stats(&self) -> FaultStats {
        self.lock().stats
    }

    /// What happened to each request so far, in the order they arrived. A request still
    /// in flight shows the fault planned for it.
    pub fn history(&self) -> Vec<FaultRecord> {
        self.lock().history.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Draws the fate of one request (always six numbers, whatever they decide) and
    /// records it under the returned index.
    fn plan(&self, path: &str) -> (usize, Plan) {
        let rates = self.rates;
        let mut shared = self.lock();
        let rng = &mut shared.rng;
        let delay_drawn = rng.f64() < rates.delay;
        let delay_nanos = rng.u64(..=saturating_nanos(rates.max_delay));
        let drop = rng.f64() < rates.drop;
        let server_error = rng.f64() < rates.server_error;
        let reset = rng.f64() < rates.reset_after_send;
        let truncate = rng.f64() < rates.truncate;
        let delay = delay_drawn.then(|| Duration::from_nanos(delay_nanos));
        let fault = if drop {
            Some(Fault::Drop)
        } else if server_error {
            Some(Fault::ServerError)
        } else if reset {
            Some(Fault::ResetAfterSend)
        } else if truncate {
            Some(Fault::Truncate)
        } else {
            None
        };
        shared.stats.requests += 1;
        if delay.is_some() {
            shared.stats.delayed += 1;
        }
        let index = shared.history.len();
        shared.history.push(FaultRecord {
            path: path.to_owned(),
            delay,
            fault,
        });
        (index, Plan { delay, fault })
    }

    /// Counts what was done to the request recorded at `index`: `fault` is `None` when
    /// the planned fault could not apply (the inner transport failed first).
    fn done(&self, index: usize, fault: Option<Fault>, forwarded: bool) {
        let mut shared = self.lock();
        let stats = &mut shared.stats;
        if forwarded {
            stats.forwarded += 1;
        }
        match fault {
            Some(Fault::Drop) => stats.dropped += 1,
            Some(Fault::ServerError) => stats.server_errors += 1,
            Some(Fault::ResetAfterSend) => stats.reset_after_send += 1,
            Some(Fault::Truncate) => stats.truncated += 1,
            None => {}
        }
        if let Some(record) = shared.history.get_mut(index) {
            record.fault = fault;
        }
    }
}

fn saturating_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

struct Plan {
    delay: Option<Duration>,
    fault: Option<Fault>,
}

impl<T: Clone> Clone for FaultyTransport<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            rates: self.rates,
            shared: self.shared.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for FaultyTransport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyTransport")
            .field("inner", &self.inner)
            .field("rates", &self.rates)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<T: HttpTransport> HttpTransport for FaultyTransport<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (index, Plan { delay, fault }) = self.plan(request.uri().path());
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        match fault {
            Some(Fault::Drop) => {
                self.done(index, fault, false);
                Err(TransportError::connect(InjectedFault(Fault::Drop)))
            }
            Some(Fault::ServerError) => {
                self.done(index, fault, false);
                Ok(HttpResponse::new(StatusCode::SERVICE_UNAVAILABLE)
                    .with_body("fault injected: service unavailable"))
            }
            Some(Fault::ResetAfterSend) => match self.inner.send(request).await {
                Ok(_discarded) => {
                    self.done(index, fault, true);
                    Err(TransportError::io(InjectedFault(Fault::ResetAfterSend)))
                }
                Err(error) => {
                    self.done(index, None, true);
                    Err(error)
                }
            },
            Some(Fault::Truncate) => match self.inner.send(request).await {
                Ok(response) => {
                    self.done(index, fault, true);
                    let body = response.body().clone();
                    Ok(response.with_body(body.slice(..body.len() / 2)))
                }
                Err(error) => {
                    self.done(index, None, true);
                    Err(error)
                }
            },
            None => {
                let outcome = self.inner.send(request).await;
                self.done(index, None, true);
                outcome
            }
        }
    }
}

/// The source of the errors [`FaultyTransport`] injects.
#[derive(Debug, thiserror::Error)]
#[error("fault injected: {}", describe(*.0))]
struct InjectedFault(Fault);

fn describe(fault: Fault) -> &'static str {
    match fault {
        Fault::Drop => "connection refused before sending",
        Fault::ServerError => "service unavailable",
        Fault::ResetAfterSend => "connection reset after the request was sent",
        Fault::Truncate => "response body truncated",
    }
}

/// Configures a [`FaultyTransport`]. Rates are probabilities per request, clamped to
/// `0.0..=1.0` (a rate that is not a number counts as `0.0`); every rate defaults to 0.
#[must_use]
#[derive(Debug, Clone, Default)]
pub struct FaultyTransportBuilder {
    seed: u64,
    rates: Rates,
}

impl FaultyTransportBuilder {
    /// The generator's seed: the same seed gives the same faults to the same sequence of
    /// requests. Defaults to 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How often a request fails before it is sent ([`TransportError::connect`]).
    pub fn drop_rate(mut self, rate: f64) -> Self {
        self.rates.drop = clamp(rate);
        self
    }

    /// How often a request waits first, and for at most how long (uniformly between zero
    /// and `max`).
    pub fn delay(mut self, rate: f64, max: Duration) -> Self {
        self.rates.delay = clamp(rate);
        self.rates.max_delay = max;
        self
    }

    /// How often a request is delivered and its response lost
    /// ([`TransportError::io`]).
    pub fn reset_after_send_rate(mut self, rate: f64) -> Self {
        self.rates.reset_after_send = clamp(rate);
        self
    }

    /// How often a request is answered `503 Service Unavailable` without being
    /// delivered.
    pub fn server_error_rate(mut self, rate: f64) -> Self {
        self.rates.server_error = clamp(rate);
        self
    }

    /// How often a response comes back with only the first half of its body.
    pub fn truncate_rate(mut self, rate: f64) -> Self {
        self.rates.truncate = clamp(rate);
        self
    }

    /// Wraps `inner`.
    pub fn build<T: HttpTransport>(self, inner: T) -> FaultyTransport<T> {
        FaultyTransport {
            inner,
            rates: self.rates,
            shared: Arc::new(Mutex::new(Shared {
                rng: fastrand::Rng::with_seed(self.seed),
                stats: FaultStats::default(),
                history: Vec::new(),
            })),
        }
    }
}

fn clamp(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

/// A fault [`FaultyTransport`] injects.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Failed before sending; the inner transport was not called.
    Drop,
    /// Answered 503; the inner transport was not called.
    ServerError,
    /// Delivered, then the response was lost.
    ResetAfterSend,
    /// Delivered, and the response body cut in half.
    Truncate,
}

/// What [`FaultyTransport`] did to one request.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRecord {
    /// The request's path.
    pub path: String,
    /// How long it was held back, when it was.
    pub delay: Option<Duration>,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
}

/// Counts of what a [`FaultyTransport`] did.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Requests received.
    pub requests: u64,
    /// Requests passed to the inner transport (including those reset or truncated).
    pub forwarded: u64,
    /// Requests dropped before sending.
    pub dropped: u64,
    /// Requests delayed.
    pub delayed: u64,
    /// Requests delivered whose response was replaced by a reset.
    pub reset_after_send: u64,
    /// Requests answered 503 without being delivered.
    pub server_errors: u64,
    /// Responses whose body was cut.
    pub truncated: u64,
}

impl FaultStats {
    /// Requests that met a fault other than a delay.
    pub fn faults(&self) -> u64 {
        self.dropped + self.reset_after_send + self.server_errors + self.truncated
    }
}
