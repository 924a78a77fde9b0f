//! Signing transactions kept durably, so that nothing is lost across crashes, restarts and
//! a fleet of processes: the [`TxStore`] trait and the values it keeps.
//!
//! The provider's API document asks that every `txId`, and every `signedDoc` with its
//! txId, be kept; it serves the result of a signature at most twice, within 60 minutes.
//! A store keeps, per signing transaction, what a client needs to never lose one:
//!
//! - the caller's **idempotency key** (unique), so that a retried handler finds its
//!   transaction instead of sending the user a second request;
//! - the **txId**, once the provider gave it, with the provider's **answer** to the sign
//!   request (opaque bytes, so that a retry hands back the same app links), and a **state** with every change and its
//!   time ([`TxState`], [`TxEvent`]); an intent whose send may have reached the provider
//!   without its answer is marked [`TxState::OutcomeUnknown`] and never resent, and one
//!   certainly never sent can be abandoned ([`TxStore::abandon_intent`]) to free its key;
//! - the **result fetch count**, counted before each fetch is sent, under a fleet-wide
//!   [`Lease`] with a fencing token, so no txId is fetched a third time;
//! - the **result body as received** and a **request summary**, both opaque bytes;
//! - the **proof** ([`Proof`]: signedDoc, document hash, completion time, verification
//!   report), readable, and with it an **outbox** entry the application reads at least
//!   once;
//! - a **poll schedule** for the reconciler ([`TxStore::defer`], [`TxStore::wake`]):
//!   [`TxStore::claim_unfinished`] skips a record until its next check is due;
//! - created and updated times, and when personal data was purged.
//!
//! The backends (memory, SQLite, PostgreSQL) are in the `toss-tx-store` crate; the client
//! (`toss-sign`) writes through this trait, so a backend compiles without the client.
//!
//! # No plaintext personal data
//!
//! The store never sees plaintext personal data. The summary, the answer and the result
//! body are bytes the caller has already sealed (encrypted under its own data key); the store
//! keeps and returns them untouched, and [`Debug`] shows only their lengths.
//! [`TxStore::purge_personal_data`] erases them after a retention period while keeping
//! the proof. Keys, txIds and proofs are stored readable: keys must not carry personal
//! data.
//!

mod error;
mod store;
mod types;

pub use error::{ConflictKind, Error, InvalidKind};
pub use store::TxStore;
pub use types::{
    Begin, IdempotencyKey, Lease, ListFilter, MAX_KEY_LEN, MAX_TX_ID_LEN, OutboxEntry, Proof,
    TxEvent, TxId, TxRecord, TxState,
};

use time::OffsetDateTime;

/// `t` as a store keeps it: to the microsecond (every backend alike).
#[must_use]
pub fn to_store_precision(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}
