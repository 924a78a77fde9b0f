//! How the client waits for the user.

use std::time::Duration;

/// How [`wait`](crate::Client::wait) polls a transaction's status: an interval that grows by
/// `multiplier` from `initial_interval` up to `max_interval`, until the transaction completes
/// or expires, or `timeout` passes.
#[derive(Debug, Clone, PartialEq)]
pub struct PollPolicy {
    initial_interval: Duration,
    max_interval: Duration,
    multiplier: f64,
    timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(5),
            multiplier: 1.5,
            // The provider's longest expiry is 30 minutes; the transaction is EXPIRED by then.
            timeout: Duration::from_secs(31 * 60),
        }
    }
}

impl PollPolicy {
    /// The default: 1 s, growing by 1.5× to at most 5 s, for up to 31 minutes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The first interval. Defaults to 1 s.
    #[must_use]
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// The longest interval. Defaults to 5 s.
    #[must_use]
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How much the interval grows after each poll (at least 1). Defaults to 1.5.
    #[must_use]
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier.is_finite() {
            multiplier.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// How long to wait in all before giving up with a timeout. Defaults to 31 minutes.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The total time allowed.
    #[must_use]
    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    /// The interval after `previous` (the first is `initial_interval`).
    pub(crate) fn next_interval(&self, previous: Option<Duration>) -> Duration {
        match previous {
            None => self.initial_interval.min(self.max_interval),
            Some(previous) => previous.mul_f64(self.multiplier).min(self.max_interval),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_grow_to_the_cap() {
        let policy = PollPolicy::new()
            .initial_interval(Duration::from_millis(100))
            .max_interval(Duration::from_millis(300))
            .multiplier(2.0);
        let first = policy.next_interval(None);
        let second = policy.next_interval(Some(first));
        let third = policy.next_interval(Some(second));
        assert_eq!(
            [first, second, third],
            [
                Duration::from_millis(100),
                Duration::from_millis(200),
                Duration::from_millis(300)
            ]
        );
    }

    #[test]
    fn nonsense_multipliers_do_not_shrink_or_explode() {
        assert_eq!(PollPolicy::new().multiplier(0.1).multiplier, 1.0);
        assert_eq!(PollPolicy::new().multiplier(f64::NAN).multiplier, 1.0);
    }
}
