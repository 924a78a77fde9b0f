//! What the client remembers of result fetches, to refuse the ones the provider would.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use time::OffsetDateTime;
use toss_model::TxId;

use crate::error::{Error, ResultLimit};

/// The provider gives a result at most this many times…
const MAX_FETCHES: u8 = 2;
/// …and only this long after the user completed.
const WINDOW: time::Duration = time::Duration::minutes(60);
/// How long a transaction is remembered after completion, so that a late fetch is still
/// refused locally, while the ledger stays as small as a day of traffic.
const RETENTION: time::Duration = time::Duration::hours(24);

#[derive(Debug, Default)]
pub(crate) struct ResultLedger(Mutex<Entries>);

#[derive(Debug, Default)]
struct Entries {
    by_tx: HashMap<TxId, Entry>,
    /// Pruning scans every entry, so it runs only when the map has doubled since the
    /// last prune: constant amortised cost per fetch.
    prune_at: usize,
}

/// The smallest map worth pruning.
const MIN_PRUNE: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Entry {
    fetches: u8,
    completed_at: OffsetDateTime,
}

impl ResultLedger {
    /// Refuses a fetch the provider would refuse, for transactions fetched before.
    pub(crate) fn check(&self, tx_id: &TxId, now: OffsetDateTime) -> Result<(), Error> {
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.by_tx.get(tx_id) else {
            return Ok(());
        };
        let limit = if entry.fetches >= MAX_FETCHES {
            ResultLimit::FetchedTwice
        } else if now > entry.completed_at + WINDOW {
            ResultLimit::WindowClosed
        } else {
            return Ok(());
        };
        Err(Error::refused_locally(tx_id, limit))
    }

    /// Counts a successful fetch; now and then forgets transactions completed more than a
    /// day ago.
    pub(crate) fn record(&self, tx_id: &TxId, completed_at: OffsetDateTime, now: OffsetDateTime) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.by_tx.len() >= entries.prune_at {
            entries
                .by_tx
                .retain(|_, entry| now <= entry.completed_at + RETENTION);
            entries.prune_at = (entries.by_tx.len() * 2).max(MIN_PRUNE);
        }
        let entry = entries.by_tx.entry(tx_id.clone()).or_insert(Entry {
            fetches: 0,
            completed_at,
        });
        entry.fetches = entry.fetches.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn third_fetch_and_late_fetch_are_refused() {
        let ledger = ResultLedger::default();
        let tx = TxId::new("tx");
        let done = datetime!(2026-11-24 10:00 UTC);
        assert!(ledger.check(&tx, done).is_ok());
        ledger.record(&tx, done, done);
        assert!(ledger.check(&tx, done).is_ok());
        ledger.record(&tx, done, done);
        let error = ledger.check(&tx, done).unwrap_err();
        assert!(matches!(
            error,
            Error::ResultLimit {
                limit: ResultLimit::FetchedTwice,
                refused_locally: true,
                ..
            }
        ));

        let other = TxId::new("other");
        ledger.record(&other, done, done);
        assert!(
            ledger
                .check(&other, done + time::Duration::minutes(60))
                .is_ok()
        );
        let late = ledger
            .check(&other, done + time::Duration::minutes(61))
            .unwrap_err();
        assert!(matches!(
            late,
            Error::ResultLimit {
                limit: ResultLimit::WindowClosed,
                ..
            }
        ));
    }

    #[test]
    fn transactions_are_forgotten_after_a_day() {
        let ledger = ResultLedger::default();
        let done = datetime!(2026-11-24 10:00 UTC);
        let old = TxId::new("old");
        ledger.record(&old, done, done);
        let later = done + time::Duration::hours(2);
        ledger.record(&TxId::new("new"), later, later);
        assert_eq!(ledger.0.lock().unwrap().by_tx.len(), 2);
        assert!(ledger.check(&old, later).is_err());
        // Pretend the map has grown enough to be pruned on the next record.
        ledger.0.lock().unwrap().prune_at = 2;
        let next_day = done + time::Duration::hours(25);
        ledger.record(&TxId::new("newer"), next_day, next_day);
        let entries = ledger.0.lock().unwrap();
        assert_eq!(entries.by_tx.len(), 2);
        assert!(!entries.by_tx.contains_key(&old));
        assert_eq!(entries.prune_at, MIN_PRUNE);
    }
}
