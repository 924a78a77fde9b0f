//! Wall-clock time, injectable so that tests can move it.

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;

/// The source of the current wall-clock time.
///
/// Token lifetimes, the provider's 60-minute result window, leases, certificate validity
/// and the emulator's answers are wall-clock facts shared with other processes, so they
/// are read here. Waiting uses tokio's timer, which tests pause and advance with
/// `tokio::time`.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// `at + by`, saturating at the latest date `time` represents instead of panicking.
#[must_use]
pub fn saturating_add(at: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| at.checked_add(by))
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc())
}

#[cfg(any(test, feature = "test-util"))]
pub use manual::ManualClock;

#[cfg(any(test, feature = "test-util"))]
mod manual {
    use std::fmt;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Duration;

    use time::OffsetDateTime;

    use super::Clock;

    /// A clock that stands still until it is moved, shared by all its clones: give one
    /// clone to the code under test and keep another to [`advance`](Self::advance) it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use toss_runtime::clock::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let before = clock.now();
    /// clock.clone().advance(Duration::from_secs(90));
    /// assert_eq!((clock.now() - before).whole_seconds(), 90);
    /// ```
    #[derive(Clone)]
    pub struct ManualClock {
        now: Arc<Mutex<OffsetDateTime>>,
    }

    impl ManualClock {
        /// A clock standing at the current system time, truncated to whole seconds.
        ///
        /// Starting at the real time keeps certificates made under it valid for tools that
        /// check them against the system clock (such as `openssl cms -verify`).
        #[must_use]
        pub fn new() -> Self {
            let now = OffsetDateTime::now_utc();
            Self::starting_at(now.replace_nanosecond(0).unwrap_or(now))
        }

        /// A clock standing at `at`.
        #[must_use]
        pub fn starting_at(at: OffsetDateTime) -> Self {
            Self {
                now: Arc::new(Mutex::new(at)),
            }
        }

        /// Moves the clock forward by `by` (saturating far in the future).
        pub fn advance(&self, by: Duration) {
            let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
            *now = super::saturating_add(*now, by);
        }

        /// Sets the clock to `at`, forward or backward.
        pub fn set(&self, at: OffsetDateTime) {
            *self.now.lock().unwrap_or_else(PoisonError::into_inner) = at;
        }
    }

    impl Default for ManualClock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> OffsetDateTime {
            *self.now.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl fmt::Debug for ManualClock {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ManualClock")
                .field("now", &self.now())
                .finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - start, time::Duration::milliseconds(1500));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn adding_saturates() {
        let now = OffsetDateTime::now_utc();
        let far = saturating_add(now, Duration::MAX);
        assert!(far > now);
        assert_eq!(saturating_add(far, Duration::from_secs(1)), far);
    }
}
