//! [`RetryBudget`]: a token bucket shared by the calls of a client.

use std::sync::atomic::{AtomicU32, Ordering};

/// Tokens a retry takes.
pub(super) const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout takes: timeouts cost the provider the most.
pub(super) const TIMEOUT_RETRY_COST: u32 = 10;
/// Tokens a call that needed no retry gives back.
pub(super) const SUCCESS_REFUND: u32 = 1;
/// A full bucket: 100 retries in a row, or 50 after timeouts.
const CAPACITY: u32 = 500;

/// A token bucket every retry draws from (smithy-rs's standard retry quota): while
/// calls succeed it stays full; when many fail at once it empties, and retries stop until
/// successes refill it. A provider in trouble then sees each call once instead of three
/// times.
///
/// ```
/// use toss_runtime::retry::RetryBudget;
///
/// let budget = RetryBudget::new(10);
/// assert!(budget.try_acquire(5));
/// assert!(budget.try_acquire(5));
/// assert!(!budget.try_acquire(5)); // spent
/// budget.refund(5);
/// assert_eq!(budget.available(), 5);
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    available: AtomicU32,
    capacity: u32,
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens.
    #[must_use]
    pub fn new(capacity: u32) -> Self {
        Self {
            available: AtomicU32::new(capacity),
            capacity,
        }
    }

    /// Takes `cost` tokens if there are that many; says whether it did.
    pub fn try_acquire(&self, cost: u32) -> bool {
        self.available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |available| {
                available.checked_sub(cost)
            })
            .is_ok()
    }

    /// Gives `tokens` back, up to the capacity.
    pub fn refund(&self, tokens: u32) {
        let _ = self
            .available
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |available| {
                Some(available.saturating_add(tokens).min(self.capacity))
            });
    }

    /// Tokens left.
    #[must_use]
    pub fn available(&self) -> u32 {
        self.available.load(Ordering::Acquire)
    }

    /// The bucket's size.
    #[must_use]
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
}

impl Default for RetryBudget {
    /// 500 tokens: a retry takes 5 (10 after a timeout), a call that needed none gives 1
    /// back.
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}
