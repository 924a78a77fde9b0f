//! One retry policy for every call: a chain of classifiers that reads what an attempt
//! came to, a [`RetryPolicy`] of attempts and delays, and a [`RetryBudget`] shared by all
//! the calls of a client (smithy-rs's token bucket), so that a provider in trouble gets
//! fewer retries, not more.
//!
//! The client asks its [`RetryStrategy`] after every attempt, whatever the call:
//!
//! - a request that never reached the server is sent again, whatever the call;
//! - a refused access token (HTTP 401 or `CE1000`) is replaced and the call sent once
//!   more ([`Decision::RefreshToken`]), without counting as a retry;
//! - HTTP 429 is sent again after the `Retry-After` the server asked for, whatever the
//!   call: the server refused it unprocessed;
//! - a timeout or a connection lost after sending, HTTP 500, 502, 503 and 504, a
//!   retryable provider code (`CE0001`, `CE0002`) and a body cut short are sent again only
//!   for idempotent calls, because the provider may have acted on the first one (a second
//!   sign request pushes the user twice; a second result fetch spends one of two);
//! - everything else is final.
//!
//! Between attempts the client sleeps the policy's jittered backoff, or the server's
//! `Retry-After` when it gave one (a longer wait than
//! [`RetryPolicy::max_retry_after`] ends the retries). Every retry takes tokens from the
//! budget (5, or 10 after a timeout); a call that succeeds gives back what it took, or 1
//! when it took none. An empty budget ends the retries until successes refill it.
//!
//! ```
//! use toss_runtime::retry::{Attempt, Decision, Outcome, RetryPolicy, RetryStrategy};
//!
//! let strategy = RetryStrategy::new(RetryPolicy::default());
//! // A status call (idempotent) that timed out: try again, after a backoff.
//! let timed_out = Attempt::new(1, true, Outcome::no_response().timed_out());
//! assert!(matches!(strategy.decide(&timed_out), Decision::RetryAfter(_)));
//! // A sign request (not idempotent) that timed out: never resent.
//! let sign = Attempt::new(1, false, Outcome::no_response().timed_out());
//! assert_eq!(strategy.decide(&sign), Decision::Done);
//! ```

mod budget;
mod classify;
mod policy;
mod retry_after;

pub use budget::RetryBudget;
pub use classify::{
    Attempt, ClassifyRetry, NeverConnected, Outcome, RefusedByRule, RetryAction, RetryClassifiers,
    RetryReason, RetryableProviderCode, ServerUnavailable, Throttled, TokenRefused,
    TransientNoResponse, UnreadableBody,
};
pub use policy::{RetryPolicy, RetryPolicyBuilder};
pub use retry_after::parse_retry_after;

use std::sync::Arc;
use std::time::Duration;

/// What to do after an attempt.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The attempt's outcome is the call's.
    Done,
    /// Replace the access token and send the call once more (not a retry: at most once
    /// per call, and free of the budget).
    RefreshToken,
    /// Send the call again after this delay.
    RetryAfter(Duration),
}

/// Classifiers, policy and budget: what a client asks after every attempt.
///
/// Cheap to clone; clones share the budget.
#[derive(Debug, Clone)]
pub struct RetryStrategy {
    classifiers: RetryClassifiers,
    policy: RetryPolicy,
    budget: Arc<RetryBudget>,
}

impl RetryStrategy {
    /// The default classifiers with `policy` and a budget of its own.
    #[must_use]
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            classifiers: RetryClassifiers::default(),
            policy,
            budget: Arc::new(RetryBudget::default()),
        }
    }

    /// Replaces the classifier chain.
    #[must_use]
    pub fn with_classifiers(mut self, classifiers: RetryClassifiers) -> Self {
        self.classifiers = classifiers;
        self
    }

    /// Shares `budget` (with other strategies, or to watch it).
    #[must_use]
    pub fn with_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The budget shared by every call made with this strategy and its clones.
    #[must_use]
    pub fn budget(&self) -> &Arc<RetryBudget> {
        &self.budget
    }

    /// What the classifiers say of `attempt`, before the policy and the budget.
    #[must_use]
    pub fn classify(&self, attempt: &Attempt) -> RetryAction {
        self.classifiers.classify(attempt)
    }

    /// What to do after `attempt`: the classifiers' verdict, within the policy's attempts
    /// and delays and the budget. A retry it allows has taken its tokens from the budget.
    /// A call keeps its state in [`CallRetries`], which also allows one token refresh.
    #[must_use]
    pub fn decide(&self, attempt: &Attempt) -> Decision {
        let reason = match self.classify(attempt) {
            RetryAction::RetryIndicated(reason) => reason,
            RetryAction::NoActionIndicated | RetryAction::RetryForbidden => {
                return Decision::Done;
            }
        };
        if reason == RetryReason::TokenRefused {
            return Decision::RefreshToken;
        }
        if attempt.number() >= self.policy.max_attempts() {
            return Decision::Done;
        }
        let delay = match attempt.outcome().retry_after() {
            Some(after) if after > self.policy.max_retry_after() => {
                tracing::debug!(
                    retry_after_ms = millis(after),
                    "server asked to wait longer than allowed; not retrying"
                );
                return Decision::Done;
            }
            Some(after) => after,
            None => self.policy.backoff(attempt.number()),
        };
        if !self.budget.try_acquire(retry_cost(attempt)) {
            tracing::debug!("retry budget spent; not retrying");
            return Decision::Done;
        }
        Decision::RetryAfter(delay)
    }

    /// The retry state of one call.
    #[must_use]
    pub fn call(&self) -> CallRetries<'_> {
        CallRetries {
            strategy: self,
            attempt: 1,
            taken: 0,
            refreshed: false,
        }
    }
}

/// One call's retries: which attempt it is on, the budget tokens its retries took, and
/// whether its one token refresh was used.
///
/// ```
/// use toss_runtime::retry::{Decision, Outcome, RetryStrategy};
///
/// let strategy = RetryStrategy::default();
/// let mut call = strategy.call();
/// // A refused token is replaced once…
/// assert_eq!(call.decide(true, Outcome::response(401)), Decision::RefreshToken);
/// // …and not twice.
/// assert_eq!(call.decide(true, Outcome::response(401)), Decision::Done);
/// ```
#[derive(Debug)]
pub struct CallRetries<'a> {
    strategy: &'a RetryStrategy,
    attempt: u32,
    taken: u32,
    refreshed: bool,
}

impl CallRetries<'_> {
    /// The number of the attempt about to be sent or just sent, from 1; a resend after a
    /// token refresh keeps the number.
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// What to do after the current attempt of a call that is `idempotent` or not came
    /// to `outcome`.
    pub fn decide(&mut self, idempotent: bool, outcome: Outcome) -> Decision {
        let attempt = Attempt::new(self.attempt, idempotent, outcome);
        match self.strategy.decide(&attempt) {
            Decision::RefreshToken if self.refreshed => Decision::Done,
            Decision::RefreshToken => {
                self.refreshed = true;
                Decision::RefreshToken
            }
            Decision::RetryAfter(delay) => {
                self.taken += retry_cost(&attempt);
                self.attempt += 1;
                Decision::RetryAfter(delay)
            }
            Decision::Done => Decision::Done,
        }
    }

    /// The call ended well: its retries' tokens go back to the budget, or one token
    /// when it needed none.
    pub fn succeeded(self) {
        let refund = if self.taken == 0 {
            budget::SUCCESS_REFUND
        } else {
            self.taken
        };
        self.strategy.budget.refund(refund);
    }
}

impl Default for RetryStrategy {
    fn default() -> Self {
        Self::new(RetryPolicy::default())
    }
}

fn retry_cost(attempt: &Attempt) -> u32 {
    if attempt.outcome().is_timeout() {
        budget::TIMEOUT_RETRY_COST
    } else {
        budget::RETRY_COST
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
