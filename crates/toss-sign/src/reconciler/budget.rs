//! A budget of status calls per second: calls are spaced, never bunched.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out call slots at most `rate` per second, evenly spaced.
#[derive(Debug)]
pub(crate) struct Budget {
    spacing: Duration,
    next: Mutex<Option<Instant>>,
}

impl Budget {
    /// `rate` calls per second; at least one call per hour, whatever `rate` says.
    pub(crate) fn per_second(rate: f64) -> Self {
        let spacing = if rate.is_finite() && rate > 0.0 {
            Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::from_secs(3600))
        } else {
            Duration::from_secs(3600)
        };
        Self {
            spacing: spacing.min(Duration::from_secs(3600)),
            next: Mutex::new(None),
        }
    }

    /// Reserves the next slot and returns when it comes, unless it comes later than
    /// `within` from now: then nothing is reserved and `None` says so.
    pub(crate) fn reserve(&self, within: Duration) -> Option<Instant> {
        let now = Instant::now();
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = next.map_or(now, |next| next.max(now));
        if at > now + within {
            return None;
        }
        *next = Some(at + self.spacing);
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_and_bounded() {
        let budget = Budget::per_second(10.0);
        let start = Instant::now();
        let slots: Vec<_> = (0..5)
            .filter_map(|_| budget.reserve(Duration::from_secs(1)))
            .collect();
        assert_eq!(slots.len(), 5);
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(
                *slot - start,
                Duration::from_millis(100) * u32::try_from(i).unwrap()
            );
        }
        // The next 10 fit in one second from now only up to the bound.
        let more = (0..10)
            .filter(|_| budget.reserve(Duration::from_millis(900)).is_some())
            .count();
        assert_eq!(more, 5);
        assert!(Budget::per_second(0.0).reserve(Duration::ZERO).is_some());
    }
}
