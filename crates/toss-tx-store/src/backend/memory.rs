//! A store in process memory, for tests and examples: nothing survives the process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::{ConflictKind, check_holder};
use crate::time_util::{add, sub, truncate};
use crate::{
    Begin, Error, IdempotencyKey, Lease, ListFilter, OutboxEntry, Proof, TxEvent, TxId, TxRecord,
    TxState, TxStore,
};

/// A [`TxStore`] in memory. Clones share one store, like several processes sharing one
/// database.
///
/// It keeps the same contract as the database backends (one conformance suite runs
/// against all three), except durability: everything is lost with the process.
#[derive(Debug, Clone, Default)]
pub struct MemoryTxStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    // Keyed by a row id that only grows, like the databases' ids: an abandoned intent
    // is removed without moving the others, and ties in a claim go by this order.
    records: BTreeMap<usize, Row>,
    next_row: usize,
    by_key: HashMap<IdempotencyKey, usize>,
    by_tx_id: HashMap<TxId, usize>,
    outbox: Vec<OutboxRow>,
    next_outbox_id: u64,
}

#[derive(Debug)]
struct Row {
    record: TxRecord,
    lease_token: u64,
}

#[derive(Debug)]
struct OutboxRow {
    id: u64,
    record: usize,
    created_at: OffsetDateTime,
    lease_expires_at: Option<OffsetDateTime>,
    claims: u32,
}

impl MemoryTxStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere never leaves a half-made change: each operation checks
        // before it writes.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn by_key_mut(&mut self, key: &IdempotencyKey) -> Result<&mut Row, Error> {
        let i = *self.by_key.get(key).ok_or(Error::NotFound)?;
        self.records.get_mut(&i).ok_or(Error::NotFound)
    }

    fn by_tx_mut(&mut self, tx_id: &TxId) -> Result<&mut Row, Error> {
        let i = *self.by_tx_id.get(tx_id).ok_or(Error::NotFound)?;
        self.records.get_mut(&i).ok_or(Error::NotFound)
    }

    fn leased_mut(&mut self, lease: &Lease, now: OffsetDateTime) -> Result<&mut Row, Error> {
        let row = self.by_tx_mut(lease.tx_id())?;
        let held = row
            .record
            .lease
            .as_ref()
            .is_some_and(|l| l.token() == lease.token() && l.expires_at() > now);
        if held {
            Ok(row)
        } else {
            Err(Error::StaleLease)
        }
    }

    /// Fencing only: the record while `lease` is still its latest lease, even lapsed or
    /// released, as long as nobody took the txId since.
    fn fenced_mut(&mut self, lease: &Lease) -> Result<&mut Row, Error> {
        let row = self.by_tx_mut(lease.tx_id())?;
        if row.lease_token == lease.token() {
            Ok(row)
        } else {
            Err(Error::StaleLease)
        }
    }
}

/// Whether [`TxStore::claim_unfinished`] picks the record up, leases and schedule aside.
fn claimable(record: &TxRecord) -> bool {
    record.tx_id.is_some()
        && (TxState::UNFINISHED.contains(&record.state)
            || (record.state == TxState::ResultStored && record.proof.is_none()))
}

fn move_to(record: &mut TxRecord, state: TxState, now: OffsetDateTime) {
    record.state = state;
    record.events.push(TxEvent { state, at: now });
    record.updated_at = now;
}

#[async_trait]
impl TxStore for MemoryTxStore {
    async fn begin_intent(
        &self,
        key: &IdempotencyKey,
        summary: &[u8],
        now: OffsetDateTime,
    ) -> Result<Begin, Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        if let Some(&i) = inner.by_key.get(key) {
            let record = inner.records.get(&i).ok_or(Error::NotFound)?.record.clone();
            return Ok(Begin::Existing(record));
        }
        let record = TxRecord {
            idempotency_key: key.clone(),
            tx_id: None,
            answer: None,
            summary: Some(summary.to_vec()),
            state: TxState::Intent,
            events: vec![TxEvent {
                state: TxState::Intent,
                at: now,
            }],
            fetch_count: 0,
            result_body: None,
            proof: None,
            lease: None,
            created_at: now,
            updated_at: now,
            purged_at: None,
            next_check_at: None,
        };
        let i = inner.next_row;
        inner.next_row += 1;
        inner.records.insert(
            i,
            Row {
                record: record.clone(),
                lease_token: 0,
            },
        );
        inner.by_key.insert(key.clone(), i);
        Ok(Begin::New(record))
    }

    async fn record_tx_id(
        &self,
        key: &IdempotencyKey,
        tx_id: &TxId,
        answer: &[u8],
        now: OffsetDateTime,
    ) -> Result<TxRecord, Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let i = *inner.by_key.get(key).ok_or(Error::NotFound)?;
        if inner.by_tx_id.get(tx_id).is_some_and(|&other| other != i) {
            return Err(Error::Conflict(ConflictKind::TxIdTaken));
        }
        let row = inner.by_key_mut(key)?;
        match &row.record.tx_id {
            Some(existing) if existing == tx_id => return Ok(row.record.clone()),
            Some(_) => return Err(Error::Conflict(ConflictKind::OtherTxId)),
            None => {}
        }
        row.record.tx_id = Some(tx_id.clone());
        row.record.answer = Some(answer.to_vec());
        if row.record.state.can_move_to(TxState::Requested) {
            move_to(&mut row.record, TxState::Requested, now);
        } else {
            row.record.updated_at = now;
        }
        let record = row.record.clone();
        inner.by_tx_id.insert(tx_id.clone(), i);
        Ok(record)
    }

    async fn abandon_intent(
        &self,
        key: &IdempotencyKey,
        _now: OffsetDateTime,
    ) -> Result<bool, Error> {
        let mut inner = self.lock();
        let Some(&i) = inner.by_key.get(key) else {
            return Ok(false);
        };
        if inner
            .records
            .get(&i)
            .is_none_or(|r| r.record.state != TxState::Intent)
        {
            return Ok(false);
        }
        // An intent has no txId and no proof, so no other index or outbox entry names it.
        inner.records.remove(&i);
        inner.by_key.remove(key);
        Ok(true)
    }

    async fn mark_outcome_unknown(
        &self,
        key: &IdempotencyKey,
        now: OffsetDateTime,
    ) -> Result<TxRecord, Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let row = inner.by_key_mut(key)?;
        if row.record.state == TxState::Intent {
            move_to(&mut row.record, TxState::OutcomeUnknown, now);
        }
        Ok(row.record.clone())
    }

    async fn record_status(
        &self,
        tx_id: &TxId,
        state: TxState,
        now: OffsetDateTime,
    ) -> Result<bool, Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let row = inner.by_tx_mut(tx_id)?;
        if !row.record.state.can_move_to(state) {
            return Ok(false);
        }
        move_to(&mut row.record, state, now);
        Ok(true)
    }

    async fn acquire_lease(
        &self,
        tx_id: &TxId,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<Option<Lease>, Error> {
        check_holder(holder)?;
        let now = truncate(now);
        let expires_at = add(now, ttl)?;
        let mut inner = self.lock();
        let row = inner.by_tx_mut(tx_id)?;
        if row
            .record
            .lease
            .as_ref()
            .is_some_and(|l| l.expires_at() > now)
        {
            return Ok(None);
        }
        row.lease_token += 1;
        let lease = Lease::new(
            tx_id.clone(),
            holder.to_owned(),
            row.lease_token,
            expires_at,
        );
        row.record.lease = Some(lease.clone());
        Ok(Some(lease))
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), Error> {
        let mut inner = self.lock();
        let row = match inner.by_tx_mut(lease.tx_id()) {
            Ok(row) => row,
            Err(Error::NotFound) => return Ok(()),
            Err(e) => return Err(e),
        };
        if row
            .record
            .lease
            .as_ref()
            .is_some_and(|l| l.token() == lease.token())
        {
            row.record.lease = None;
        }
        Ok(())
    }

    async fn defer(
        &self,
        lease: &Lease,
        until: OffsetDateTime,
        _now: OffsetDateTime,
    ) -> Result<(), Error> {
        let until = truncate(until);
        let mut inner = self.lock();
        let row = inner.by_tx_mut(lease.tx_id())?;
        let current = row
            .record
            .lease
            .as_ref()
            .is_some_and(|l| l.token() == lease.token() && l.holder() == lease.holder());
        if !current {
            return Err(Error::StaleLease);
        }
        row.record.lease = None;
        row.record.next_check_at = Some(until);
        Ok(())
    }

    async fn wake(&self, tx_id: &TxId, now: OffsetDateTime) -> Result<bool, Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let row = match inner.by_tx_mut(tx_id) {
            Ok(row) => row,
            Err(Error::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        if !claimable(&row.record) {
            return Ok(false);
        }
        if row.record.next_check_at.is_none_or(|t| t > now) {
            row.record.next_check_at = Some(now);
        }
        Ok(true)
    }

    async fn count_fetch(&self, lease: &Lease, now: OffsetDateTime) -> Result<u32, Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let row = inner.leased_mut(lease, now)?;
        if row.record.result_body.is_some() {
            return Err(Error::Conflict(ConflictKind::ResultStored));
        }
        if row.record.fetch_count >= 2 {
            return Err(Error::FetchLimit);
        }
        row.record.fetch_count += 1;
        row.record.updated_at = now;
        Ok(row.record.fetch_count)
    }

    async fn store_result(
        &self,
        lease: &Lease,
        sealed_body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let row = inner.fenced_mut(lease)?;
        if row.record.result_body.is_some() || row.record.state == TxState::ResultStored {
            return Err(Error::Conflict(ConflictKind::ResultStored));
        }
        row.record.result_body = Some(sealed_body.to_vec());
        move_to(&mut row.record, TxState::ResultStored, now);
        Ok(())
    }

    async fn store_proof(
        &self,
        tx_id: &TxId,
        proof: &Proof,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let now = truncate(now);
        let mut inner = self.lock();
        let i = *inner.by_tx_id.get(tx_id).ok_or(Error::NotFound)?;
        let row = inner.by_tx_mut(tx_id)?;
        if row.record.proof.is_some() {
            return Err(Error::Conflict(ConflictKind::ProofStored));
        }
        // Its evidence with it, as the databases store it in the same transaction.
        let mut proof = proof.clone();
        proof.completed_at = truncate(proof.completed_at);
        row.record.proof = Some(proof);
        row.record.updated_at = now;
        inner.next_outbox_id += 1;
        let id = inner.next_outbox_id;
        inner.outbox.push(OutboxRow {
            id,
            record: i,
            created_at: now,
            lease_expires_at: None,
            claims: 0,
        });
        Ok(())
    }

    async fn get_by_key(&self, key: &IdempotencyKey) -> Result<Option<TxRecord>, Error> {
        let inner = self.lock();
        Ok(inner
            .by_key
            .get(key)
            .and_then(|&i| inner.records.get(&i))
            .map(|r| r.record.clone()))
    }

    async fn get_by_tx_id(&self, tx_id: &TxId) -> Result<Option<TxRecord>, Error> {
        let inner = self.lock();
        Ok(inner
            .by_tx_id
            .get(tx_id)
            .and_then(|&i| inner.records.get(&i))
            .map(|r| r.record.clone()))
    }

    async fn list(&self, filter: &ListFilter) -> Result<Vec<TxRecord>, Error> {
        let inner = self.lock();
        Ok(inner
            .records
            .values()
            .rev()
            .filter(|r| filter.matches_record(&r.record))
            .take(usize::try_from(filter.limit_value()).unwrap_or(usize::MAX))
            .map(|r| r.record.clone())
            .collect())
    }

    async fn claim_unfinished(
        &self,
        holder: &str,
        ttl: Duration,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Vec<TxRecord>, Error> {
        check_holder(holder)?;
        let now = truncate(now);
        let expires_at = add(now, ttl)?;
        let mut inner = self.lock();
        let mut candidates: Vec<(OffsetDateTime, usize)> = inner
            .records
            .iter()
            .filter(|(_, r)| {
                claimable(&r.record)
                    && r.record.next_check_at.is_none_or(|t| t <= now)
                    && r.record
                        .lease
                        .as_ref()
                        .is_none_or(|l| l.expires_at() <= now)
            })
            .map(|(&i, r)| (r.record.next_check_at.unwrap_or(r.record.updated_at), i))
            .collect();
        candidates.sort_unstable();
        let mut claimed = Vec::new();
        for (_, i) in candidates
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
        {
            let Some(row) = inner.records.get_mut(&i) else {
                continue;
            };
            let Some(tx_id) = row.record.tx_id.clone() else {
                continue;
            };
            row.lease_token += 1;
            row.record.lease = Some(Lease::new(
                tx_id,
                holder.to_owned(),
                row.lease_token,
                expires_at,
            ));
            claimed.push(row.record.clone());
        }
        Ok(claimed)
    }

    async fn outbox_claim(
        &self,
        holder: &str,
        ttl: Duration,
        limit: u32,
        now: OffsetDateTime,
    ) -> Result<Vec<OutboxEntry>, Error> {
        check_holder(holder)?;
        let now = truncate(now);
        let expires_at = add(now, ttl)?;
        let mut inner = self.lock();
        let Inner {
            records, outbox, ..
        } = &mut *inner;
        let mut claimed = Vec::new();
        for entry in outbox.iter_mut() {
            if claimed.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
            if entry.lease_expires_at.is_some_and(|t| t > now) {
                continue;
            }
            let Some(record) = records.get(&entry.record).map(|r| &r.record) else {
                continue;
            };
            let Some(tx_id) = record.tx_id.clone() else {
                continue;
            };
            entry.lease_expires_at = Some(expires_at);
            entry.claims += 1;
            claimed.push(OutboxEntry {
                id: entry.id,
                tx_id,
                idempotency_key: record.idempotency_key.clone(),
                created_at: entry.created_at,
                claims: entry.claims,
            });
        }
        Ok(claimed)
    }

    async fn outbox_ack(&self, ids: &[u64]) -> Result<u64, Error> {
        let mut inner = self.lock();
        let before = inner.outbox.len();
        inner.outbox.retain(|e| !ids.contains(&e.id));
        Ok(u64::try_from(before - inner.outbox.len()).unwrap_or(u64::MAX))
    }

    async fn purge_personal_data(
        &self,
        older_than: Duration,
        now: OffsetDateTime,
    ) -> Result<u64, Error> {
        let now = truncate(now);
        let cutoff = sub(now, older_than)?;
        let mut inner = self.lock();
        let mut n = 0;
        for row in inner.records.values_mut() {
            let r = &mut row.record;
            let settled = r.proof.is_some()
                || (matches!(r.state, TxState::Expired | TxState::Failed)
                    && r.result_body.is_none());
            if r.created_at < cutoff
                && r.purged_at.is_none()
                && settled
                && (r.summary.is_some() || r.answer.is_some() || r.result_body.is_some())
            {
                r.summary = None;
                r.answer = None;
                r.result_body = None;
                r.purged_at = Some(now);
                r.updated_at = now;
                n += 1;
            }
        }
        Ok(n)
    }
}
