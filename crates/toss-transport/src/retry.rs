//! [`Retry`]: resends requests that failed for a transient reason, when that is safe.

mod backoff;
mod classify;

use std::time::Duration;

use async_trait::async_trait;

pub use self::backoff::{RetryPolicy, RetryPolicyBuilder};
use self::classify::{Decision, classify};
use crate::error::TransportError;
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::transport::HttpTransport;

/// Wraps a transport and retries what is transient:
///
/// - a request that never reached the server (DNS or connect failure), whatever its
///   method;
/// - HTTP 429, after the `Retry-After` the server asked for (or the backoff when it
///   gave none), whatever the method: the server refused the request unprocessed;
/// - HTTP 502, 503 and 504, a timeout and a connection reset, only for requests marked
///   [idempotent](crate::HttpRequestBuilder::idempotent), because the server may have
///   acted on the first delivery.
///
/// Between attempts it sleeps for an exponential backoff with full jitter, capped by
/// the policy. When the attempts run out it returns the last response or error as
/// is. Each attempt carries its number in [`HttpRequest::attempt`] and in its span.
///
/// ```no_run
/// # #[cfg(feature = "reqwest")]
/// # fn main() -> Result<(), toss_transport::TransportError> {
/// use toss_transport::{ReqwestTransport, Retry, RetryPolicy, TransportSettings};
///
/// let transport = Retry::new(
///     ReqwestTransport::new(&TransportSettings::default())?,
///     RetryPolicy::builder().max_attempts(4).build(),
/// );
/// # let _ = transport;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "reqwest"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct Retry<T> {
    inner: T,
    policy: RetryPolicy,
}

impl<T: HttpTransport> Retry<T> {
    /// Retries `inner`'s requests according to `policy`.
    pub fn new(inner: T, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

#[async_trait]
impl<T: HttpTransport> HttpTransport for Retry<T> {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut attempt = 1;
        loop {
            request.set_attempt(attempt);
            if attempt >= self.policy.max_attempts() {
                // Nothing will be resent: the request need not be kept.
                return self.inner.send(request).await;
            }
            let outcome = self.inner.send(request.clone()).await;
            let delay = match classify(&request, &outcome) {
                Decision::DontRetry => return outcome,
                Decision::Retry { after: Some(after) } => {
                    if after > self.policy.max_retry_after() {
                        tracing::debug!(
                            retry_after_ms = millis(after),
                            "server asked to wait longer than allowed; not retrying"
                        );
                        return outcome;
                    }
                    after
                }
                Decision::Retry { after: None } => self.policy.backoff(attempt),
            };
            tracing::debug!(attempt, delay_ms = millis(delay), "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
