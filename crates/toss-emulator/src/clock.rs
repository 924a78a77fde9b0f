//! Injectable time: the system clock, or a manual clock that tests advance by hand.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// Where the emulator reads the time from.
///
/// Every time-dependent answer (token expiry, a transaction's status, the 60-minute result
/// window, certificate validity, `signingTime`) is computed from [`now`](Self::now) when a
/// request arrives, and the sweeper that frees finished transactions reads it too. A test
/// that swaps in a [`ManualClock`] therefore never needs to sleep (beyond the sweeper's
/// 100 ms tick, when it waits for memory to be freed).
pub trait Clock: Send + Sync + fmt::Debug + 'static {
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

/// A clock that stands still until it is moved, shared by all its clones.
///
/// Give one clone to the emulator (see
/// [`EmulatorBuilder::manual_clock`](crate::EmulatorBuilder::manual_clock)) and keep another
/// to [`advance`](Self::advance) it.
///
/// ```
/// use std::time::Duration;
/// use toss_emulator::{Clock, ManualClock};
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
    /// Starting at the real time keeps the certificates the emulator issues valid for tools
    /// that check them against the system clock (such as `openssl cms -verify`).
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
        *now = add(*now, by);
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

/// `at + by`, saturating at the largest date `time` represents instead of panicking.
pub(crate) fn add(at: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| at.checked_add(by))
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
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
        let far = add(now, Duration::MAX);
        assert!(far > now);
        assert_eq!(add(far, Duration::from_secs(1)), far);
    }
}
