//! The trait every backend implements.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    Begin, Error, IdempotencyKey, Lease, ListFilter, OutboxEntry, Proof, TxId, TxRecord, TxState,
};

/// A durable store of signing transactions.
///
/// Every operation that writes has committed before it returns `Ok`: a process killed
/// right after finds the write on restart. Times are passed in (`now`) so that callers
/// and tests control the clock; they are kept to the microsecond.
///
/// The store never sees plaintext personal data: the summary and the result body are
/// opaque bytes the caller has already sealed (encrypted under its data key), and keys,
/// txIds and proofs are not personal data.
#[async_trait]
pub trait TxStore: Send + Sync + Debug {
    /// Stores an intent for `key` in [`TxState::Intent`], or finds the one stored before.
    ///
    /// Atomic across processes: of any number of callers racing on one key, exactly one
    /// gets [`Begin::New`]; the others get [`Begin::Existing`] with the stored record
    /// (whose summary is the first caller's).
    async fn begin_intent(
        &self,
        key: &IdempotencyKey,
        summary: &[u8],
        now: OffsetDateTime,
    ) -> Result<Begin, Error>;

    /// Records the txId the provider gave for `key`, with the provider's `answer` to the
    /// sign request (opaque bytes the caller has sealed, so that a retried handler can
    /// return what the first one got), moving the record to [`TxState::Requested`] (also
    /// from [`TxState::OutcomeUnknown`]).
    ///
    /// The same txId again changes nothing, and keeps the first answer. [`Error::Conflict`]
    /// when the record has another txId or another record has this one,
    /// [`Error::NotFound`] without a record. [`TxRecord::next_check_at`] is left as it is.
    async fn record_tx_id(
        &self,
        key: &IdempotencyKey,
        tx_id: &TxId,
        answer: &[u8],
        now: OffsetDateTime,
    ) -> Result<TxRecord, Error>;

    /// Deletes the record of `key`, with its events, while it is still in
    /// [`TxState::Intent`]: the sign request was certainly never delivered, so the key
    /// may be used again. Returns whether it was deleted; `Ok(false)`, with nothing
    /// changed, in any other state or when there is no record.
    ///
    /// Atomic against a concurrent [`record_tx_id`](Self::record_tx_id) or
    /// [`mark_outcome_unknown`](Self::mark_outcome_unknown): either the record is deleted
    /// and those find no record, or they moved it first and it stays.
    async fn abandon_intent(
        &self,
        key: &IdempotencyKey,
        now: OffsetDateTime,
    ) -> Result<bool, Error>;

    /// Marks that the sign request for `key` may have reached the provider without its
    /// answer arriving ([`TxState::OutcomeUnknown`]). Only an intent moves; a record
    /// with a txId is returned unchanged.
    async fn mark_outcome_unknown(
        &self,
        key: &IdempotencyKey,
        now: OffsetDateTime,
    ) -> Result<TxRecord, Error>;

    /// Records a state seen for `tx_id`, with an event; `Ok(false)` when it would move
    /// the record backwards or out of a final state (nothing is written then).
    /// [`TxRecord::next_check_at`] is left as it is.
    async fn record_status(
        &self,
        tx_id: &TxId,
        state: TxState,
        now: OffsetDateTime,
    ) -> Result<bool, Error>;

    /// Takes the lease on `tx_id` for `holder` until `now + ttl`, if nobody holds it
    /// (or the last lease expired). `None` while another lease is in force, even one of
    /// the same holder. [`Error::NotFound`] for an unknown txId.
    async fn acquire_lease(
        &self,
        tx_id: &TxId,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<Option<Lease>, Error>;

    /// Gives the lease back; a lease no longer held is ignored.
    async fn release_lease(&self, lease: &Lease) -> Result<(), Error>;

    /// Gives the lease back and schedules the next look at the record for `until`
    /// ([`TxRecord::next_check_at`]): [`claim_unfinished`](Self::claim_unfinished) leaves
    /// the record alone before then.
    ///
    /// `lease` must be the record's current lease (the same holder and token), in force
    /// or expired; [`Error::StaleLease`] when it was released or another lease was taken
    /// since, and nothing changes then. [`Error::NotFound`] for an unknown txId. `now` is
    /// not part of the check: an expired lease nobody replaced may still defer.
    async fn defer(
        &self,
        lease: &Lease,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), Error>;

    /// Asks for an early look at `tx_id` (a callback or a user said something changed):
    /// for a record [`claim_unfinished`](Self::claim_unfinished) would pick up
    /// ([`TxState::UNFINISHED`], or [`TxState::ResultStored`] without a proof), sets
    /// [`TxRecord::next_check_at`] to `now` when it is unset or later. Returns whether
    /// such a record exists; `Ok(false)` for an unknown txId or a finished record.
    ///
    /// A lease in force is not touched: the record is claimed once it lapses.
    async fn wake(&self, tx_id: &TxId, now: OffsetDateTime) -> Result<bool, Error>;

    /// Counts a result fetch, before it is sent, and returns the count (1 or 2).
    ///
    /// [`Error::StaleLease`] when `lease` is not in force at `now`,
    /// [`Error::Conflict`] ([`ConflictKind::ResultStored`](super::ConflictKind::ResultStored))
    /// when a result body is stored already (a second fetch would be wasted),
    /// [`Error::FetchLimit`] when two were counted already; checked in that order, and
    /// nothing is counted then.
    async fn count_fetch(&self, lease: &Lease, now: OffsetDateTime) -> Result<u32, Error>;

    /// Stores the result body as received (sealed by the caller) and moves the record to
    /// [`TxState::ResultStored`].
    ///
    /// The lease is checked as a fencing token only: a body fetched while the lease was in
    /// force is stored even when the fetch outlasted the ttl, as long as no other holder
    /// has taken the txId since (then [`Error::StaleLease`]). [`Error::Conflict`] when a
    /// result is already stored.
    async fn store_result(
        &self,
        lease: &Lease,
        sealed_body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), Error>;

    /// Stores the proof (its [`evidence`](Proof::evidence) with it) and, in the same
    /// database transaction, an outbox entry for the completion. [`Error::Conflict`] when
    /// a proof is already stored.
    async fn store_proof(
        &self,
        tx_id: &TxId,
        proof: &Proof,
        now: OffsetDateTime,
    ) -> Result<(), Error>;

    /// The record of `key`.
    async fn get_by_key(&self, key: &IdempotencyKey) -> Result<Option<TxRecord>, Error>;

    /// The record of `tx_id`.
    async fn get_by_tx_id(&self, tx_id: &TxId) -> Result<Option<TxRecord>, Error>;

    /// Records matching `filter`, newest first.
    async fn list(&self, filter: &ListFilter) -> Result<Vec<TxRecord>, Error>;

    /// For the reconciler: up to `limit` records in [`TxState::UNFINISHED`], or in
    /// [`TxState::ResultStored`] without a proof yet (a process stopped between
    /// [`store_result`](Self::store_result) and [`store_proof`](Self::store_proof)), whose
    /// lease is absent or expired, each now leased to `holder` until `now + ttl` (see
    /// [`TxRecord::lease`]). Concurrent claimers get disjoint records.
    ///
    /// A record whose [`TxRecord::next_check_at`] is later than `now` is left alone (see
    /// [`defer`](Self::defer)); the others come due first by `next_check_at`, or
    /// `updated_at` where it is unset, oldest first. Claiming leaves `next_check_at` as
    /// it is.
    async fn claim_unfinished(
        &self,
        holder: &str,
        ttl: Duration,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Vec<TxRecord>, Error>;

    /// Up to `limit` outbox entries not acknowledged and not claimed by someone else
    /// within their ttl, now claimed by `holder` until `now + ttl`. An entry claimed but
    /// never acknowledged comes back after its ttl (at-least-once delivery).
    async fn outbox_claim(
        &self,
        holder: &str,
        ttl: Duration,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Vec<OutboxEntry>, Error>;

    /// Acknowledges (removes) outbox entries; returns how many existed. Unknown ids are
    /// ignored.
    async fn outbox_ack(&self, ids: &[u64]) -> Result<u64, Error>;

    /// Erases the summaries, answers and result bodies of records created before
    /// `now - older_than`, keeping everything else (the proof and its evidence among it);
    /// returns how many records changed.
    ///
    /// Only settled records are purged: those whose proof is stored, and those that ended
    /// [`TxState::Expired`] or [`TxState::Failed`] without a result. A result body whose
    /// proof is still to be made is kept, as is everything of an unfinished record;
    /// records purged before are left alone.
    async fn purge_personal_data(
        &self,
        older_than: Duration,
        now: OffsetDateTime,
    ) -> Result<u64, Error>;
}
