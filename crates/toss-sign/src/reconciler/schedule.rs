//! When the reconciler looks at a waiting transaction again.

use std::time::Duration;

use time::OffsetDateTime;

/// When to ask the provider about a transaction the user has not signed yet.
///
/// The first look waits [`first_poll_delay`](Self::first_poll_delay) after the request;
/// each next one waits a share of the transaction's age, at least
/// [`min_interval`](Self::min_interval) and at most [`max_interval`](Self::max_interval):
/// users sign in seconds or not for minutes, and looking at a young transaction often
/// and an old one seldom keeps both the delay and the provider's load low.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    first_poll_delay: Duration,
    min_interval: Duration,
    max_interval: Duration,
    age_share: f64,
}

impl Default for Schedule {
    /// [`Schedule::polling`].
    fn default() -> Self {
        Self::polling()
    }
}

impl Schedule {
    /// For services that learn of completion only by polling: first look 20 s after the
    /// request, then every half of the transaction's age, between 10 s and 60 s (looks at
    /// 20 s, 30 s, 45 s, 67 s, …). Users who sign 20–60 s after the request cost about 3
    /// status calls each.
    #[must_use]
    pub fn polling() -> Self {
        Self {
            first_poll_delay: Duration::from_secs(20),
            min_interval: Duration::from_secs(10),
            max_interval: Duration::from_secs(60),
            age_share: 0.5,
        }
    }

    /// For services that call [`Reconciler::notify_returned`](crate::Reconciler::notify_returned)
    /// when the user comes back (successCallbackUrl, or the app's "done"): a fallback look
    /// 60 s after the request and every 30 s after, for users who never come back.
    #[must_use]
    pub fn with_notify() -> Self {
        Self {
            first_poll_delay: Duration::from_secs(60),
            min_interval: Duration::from_secs(30),
            max_interval: Duration::from_secs(30),
            age_share: 0.0,
        }
    }

    /// How long after the request the first look waits.
    #[must_use]
    pub fn first_poll_delay(mut self, delay: Duration) -> Self {
        self.first_poll_delay = delay;
        self
    }

    /// The shortest pause between two looks.
    #[must_use]
    pub fn min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self.max_interval = self.max_interval.max(interval);
        self
    }

    /// The longest pause between two looks (the cap).
    #[must_use]
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self.min_interval = self.min_interval.min(interval);
        self
    }

    /// The share of a transaction's age the next pause takes (0 for a fixed
    /// [`min_interval`](Self::min_interval)); negative or non-finite values count as 0.
    #[must_use]
    pub fn age_share(mut self, share: f64) -> Self {
        self.age_share = if share.is_finite() {
            share.max(0.0)
        } else {
            0.0
        };
        self
    }

    /// When to look at a transaction requested at `requested_at`, seen still waiting at
    /// `now`.
    #[must_use]
    pub fn next_check(&self, requested_at: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
        let first = requested_at + self.first_poll_delay;
        if now < first {
            return first;
        }
        let age = (now - requested_at).as_seconds_f64().max(0.0);
        let pause = Duration::try_from_secs_f64(age * self.age_share)
            .unwrap_or(self.max_interval)
            .clamp(self.min_interval, self.max_interval);
        now + pause
    }

    /// The first look at a transaction requested at `requested_at`.
    #[must_use]
    pub fn first_check(&self, requested_at: OffsetDateTime) -> OffsetDateTime {
        requested_at + self.first_poll_delay
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn looks(schedule: &Schedule, signed_after: f64) -> u32 {
        let start = datetime!(2026-12-03 10:00 UTC);
        let signed = start + Duration::from_secs_f64(signed_after);
        let mut at = schedule.first_check(start);
        let mut calls = 1;
        while at < signed {
            at = schedule.next_check(start, at);
            calls += 1;
        }
        calls
    }

    #[test]
    fn polling_looks_at_20_30_45_67_seconds() {
        let s = Schedule::polling();
        let start = datetime!(2026-12-03 10:00 UTC);
        let mut at = s.next_check(start, start);
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push((at - start).whole_milliseconds());
            at = s.next_check(start, at);
        }
        assert_eq!(seen, [20_000, 30_000, 45_000, 67_500, 101_250]);
    }

    #[test]
    fn users_signing_20_to_60_s_cost_at_most_4_looks() {
        let s = Schedule::polling();
        let mean = (20..=60)
            .map(|t| f64::from(looks(&s, f64::from(t))))
            .sum::<f64>()
            / 41.0;
        assert!((20..=60).all(|t| looks(&s, f64::from(t)) <= 4));
        assert!(mean < 3.5, "{mean}");
    }

    #[test]
    fn notify_schedule_waits_a_minute_then_every_30_s() {
        let s = Schedule::with_notify();
        let start = datetime!(2026-12-03 10:00 UTC);
        assert_eq!(s.next_check(start, start), start + Duration::from_secs(60));
        let later = start + Duration::from_secs(600);
        assert_eq!(s.next_check(start, later), later + Duration::from_secs(30));
    }

    #[test]
    fn bounds_stay_ordered() {
        let s = Schedule::polling().max_interval(Duration::from_secs(5));
        let start = datetime!(2026-12-03 10:00 UTC);
        let at = start + Duration::from_secs(600);
        assert_eq!(s.next_check(start, at), at + Duration::from_secs(5));
        let s = Schedule::polling().age_share(f64::NAN);
        assert_eq!(s.next_check(start, at), at + Duration::from_secs(10));
    }
}
