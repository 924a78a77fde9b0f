//! The values a store keeps and hands back.

use std::fmt;

use time::OffsetDateTime;

use super::error::{Error, InvalidKind};

/// The longest [`TxId`] accepted, in bytes.
pub const MAX_TX_ID_LEN: usize = 128;
/// The longest [`IdempotencyKey`] accepted, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// A provider transaction id (`txId`), validated: 1 to 128 ASCII letters, digits, `-`, `_`
/// or `.`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId(String);

impl TxId {
    /// Validates `value` as a txId.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with [`InvalidKind::TxId`] when it is empty, too long or holds
    /// another character.
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        let ok = !value.is_empty()
            && value.len() <= MAX_TX_ID_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self(value))
        } else {
            Err(Error::Invalid(InvalidKind::TxId))
        }
    }

    /// The txId as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TxId").field(&self.0).finish()
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TxId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The caller's idempotency key: 1 to 255 printable ASCII characters (no spaces).
///
/// The key is stored and shown as it is, so it must not carry personal data: use an order
/// number or a random id, not a name or a phone number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Validates `value` as a key.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with [`InvalidKind::IdempotencyKey`] when it is empty, too long
    /// or holds a character outside `!`..=`~`.
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        let ok = !value.is_empty()
            && value.len() <= MAX_KEY_LEN
            && value.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(value))
        } else {
            Err(Error::Invalid(InvalidKind::IdempotencyKey))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdempotencyKey").field(&self.0).finish()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a transaction stands.
///
/// States move forward only: a status seen late (`Requested` after `Completed`) is
/// ignored. `Expired`, `ResultStored` and `Failed` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TxState {
    /// Stored before the sign request was sent.
    Intent,
    /// The sign request may or may not have reached the provider; it is never resent.
    OutcomeUnknown,
    /// The provider answered with a txId; the user has not opened the request yet.
    Requested,
    /// The user opened the request.
    InProgress,
    /// The user signed; the result is still to be fetched.
    Completed,
    /// The request, or the window for fetching its result, has expired.
    Expired,
    /// The result body is stored (sealed).
    ResultStored,
    /// The transaction failed for good.
    Failed,
}

impl TxState {
    /// Every state, in their order.
    pub const ALL: [Self; 8] = [
        Self::Intent,
        Self::OutcomeUnknown,
        Self::Requested,
        Self::InProgress,
        Self::Completed,
        Self::Expired,
        Self::ResultStored,
        Self::Failed,
    ];

    /// The states the reconciler picks up: a txId is known and nothing final happened.
    /// [`TxStore::claim_unfinished`](super::TxStore::claim_unfinished) also picks up
    /// [`TxState::ResultStored`] records whose proof is not stored yet.
    pub const UNFINISHED: [Self; 3] = [Self::Requested, Self::InProgress, Self::Completed];

    /// The name stored in the database (`intent`, `outcome_unknown`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::Requested => "requested",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::ResultStored => "result_stored",
            Self::Failed => "failed",
        }
    }

    /// The state of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether nothing follows this state.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Expired | Self::ResultStored | Self::Failed)
    }

    fn rank(self) -> u8 {
        match self {
            Self::Intent => 0,
            Self::OutcomeUnknown => 1,
            Self::Requested => 2,
            Self::InProgress => 3,
            Self::Completed => 4,
            Self::Expired | Self::ResultStored | Self::Failed => 5,
        }
    }

    /// Whether a record in `self` moves to `next`: forward only, never out of a final
    /// state, never to the same state.
    pub fn can_move_to(self, next: Self) -> bool {
        !self.is_final() && next.rank() > self.rank()
    }
}

impl fmt::Display for TxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One state change and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
// Every backend fills every field: a field added is a change for each of them, which
// `non_exhaustive` would hide rather than prevent.
#[allow(clippy::exhaustive_structs)]
pub struct TxEvent {
    /// The state entered.
    pub state: TxState,
    /// When (to the microsecond).
    pub at: OffsetDateTime,
}

/// The proof of a signature: readable, never sealed, kept by
/// [`purge_personal_data`](super::TxStore::purge_personal_data), with the evidence
/// collected beside it.
#[derive(Clone, PartialEq, Eq)]
// Every backend fills every field: a field added is a change for each of them, which
// `non_exhaustive` would hide rather than prevent.
#[allow(clippy::exhaustive_structs)]
pub struct Proof {
    /// The provider's `signedDoc`, base64 as received.
    pub signed_doc: String,
    /// The hash of the signed document, as the caller encodes it.
    pub document_hash: String,
    /// When the user completed the signature (to the microsecond).
    pub completed_at: OffsetDateTime,
    /// The verification report, as JSON text.
    pub verification_report: String,
    /// The evidence collected right after the signature result (the certificate-check
    /// answer, the CRL, a timestamp token, …), as JSON text whose format the layer above
    /// defines; the store keeps it as it is, without reading it. Stored atomically with
    /// the proof and kept forever like it: it holds no personal data beyond what the
    /// signedDoc already holds. `None` when none was collected (proofs stored before
    /// stores kept evidence among them).
    pub evidence: Option<String>,
}

impl Proof {
    /// A proof from its parts, without evidence (see [`with_evidence`](Self::with_evidence)).
    pub fn new(
        signed_doc: impl Into<String>,
        document_hash: impl Into<String>,
        completed_at: OffsetDateTime,
        verification_report: impl Into<String>,
    ) -> Self {
        Self {
            signed_doc: signed_doc.into(),
            document_hash: document_hash.into(),
            completed_at: super::to_store_precision(completed_at),
            verification_report: verification_report.into(),
            evidence: None,
        }
    }

    /// The proof with `evidence`, the evidence record as JSON text (see
    /// [`evidence`](Self::evidence)).
    #[must_use]
    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }
}

impl fmt::Debug for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signedDoc carries the signer's certificate: lengths only.
        f.debug_struct("Proof")
            .field("signed_doc_len", &self.signed_doc.len())
            .field("document_hash", &self.document_hash)
            .field("completed_at", &self.completed_at)
            .field("verification_report_len", &self.verification_report.len())
            .field("evidence_len", &self.evidence.as_ref().map(String::len))
            .finish()
    }
}

/// An exclusive right, until it expires or is released, to fetch the result of one txId.
///
/// Its fencing token grows with every lease taken on the txId, so a holder whose lease
/// expired can no longer count a fetch, and one whose txId was taken over since can no
/// longer store a result ([`Error::StaleLease`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    tx_id: TxId,
    holder: String,
    token: u64,
    expires_at: OffsetDateTime,
}

impl Lease {
    /// A lease as a store hands it out: for store implementations.
    #[must_use]
    pub fn new(tx_id: TxId, holder: String, token: u64, expires_at: OffsetDateTime) -> Self {
        Self {
            tx_id,
            holder,
            token,
            expires_at,
        }
    }

    /// The txId leased.
    pub fn tx_id(&self) -> &TxId {
        &self.tx_id
    }

    /// Who holds it (the name given when it was taken).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The fencing token.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// When it lapses (to the microsecond).
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

/// A stored signing transaction.
#[derive(Clone, PartialEq, Eq)]
// Every backend fills every field: a field added is a change for each of them, which
// `non_exhaustive` would hide rather than prevent.
#[allow(clippy::exhaustive_structs)]
pub struct TxRecord {
    /// The caller's key, unique in the store.
    pub idempotency_key: IdempotencyKey,
    /// The txId, once the provider gave one.
    pub tx_id: Option<TxId>,
    /// The provider's answer to the sign request (sealed by the caller), stored with the
    /// txId so that a retried handler can hand back what the first one got; `None` before
    /// the txId is recorded and once purged.
    pub answer: Option<Vec<u8>>,
    /// The caller's summary of the request (sealed by the caller); `None` once purged.
    pub summary: Option<Vec<u8>>,
    /// The current state.
    pub state: TxState,
    /// Every state change, oldest first, starting with [`TxState::Intent`].
    pub events: Vec<TxEvent>,
    /// How many result fetches were counted (at most 2).
    pub fetch_count: u32,
    /// The result body as received (sealed by the caller); `None` before it is stored and
    /// once purged.
    pub result_body: Option<Vec<u8>>,
    /// The proof, once stored.
    pub proof: Option<Proof>,
    /// The last lease taken on the txId, if it was not released (it may have expired).
    pub lease: Option<Lease>,
    /// When the intent was stored.
    pub created_at: OffsetDateTime,
    /// When the record last changed.
    pub updated_at: OffsetDateTime,
    /// When its summary, answer and result body were erased.
    pub purged_at: Option<OffsetDateTime>,
    /// When the reconciler should look at the record next, set by
    /// [`defer`](super::TxStore::defer) and [`wake`](super::TxStore::wake);
    /// [`claim_unfinished`](super::TxStore::claim_unfinished) leaves it alone until then.
    /// `None`: at once.
    pub next_check_at: Option<OffsetDateTime>,
}

impl fmt::Debug for TxRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxRecord")
            .field("idempotency_key", &self.idempotency_key)
            .field("tx_id", &self.tx_id)
            .field("answer_len", &self.answer.as_ref().map(Vec::len))
            .field("summary_len", &self.summary.as_ref().map(Vec::len))
            .field("state", &self.state)
            .field("events", &self.events)
            .field("fetch_count", &self.fetch_count)
            .field("result_body_len", &self.result_body.as_ref().map(Vec::len))
            .field("proof", &self.proof)
            .field("lease", &self.lease)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("purged_at", &self.purged_at)
            .field("next_check_at", &self.next_check_at)
            .finish()
    }
}

/// What [`begin_intent`](super::TxStore::begin_intent) found.
#[derive(Debug, Clone, PartialEq, Eq)]
// Callers match on both cases; a third would change the contract.
#[allow(clippy::exhaustive_enums)]
pub enum Begin {
    /// The intent was stored now: send the sign request.
    New(TxRecord),
    /// The key was stored before: this is that transaction, send nothing.
    Existing(TxRecord),
}

impl Begin {
    /// Whether the intent was stored now.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::New(_))
    }

    /// The record, either way.
    pub fn record(&self) -> &TxRecord {
        match self {
            Self::New(r) | Self::Existing(r) => r,
        }
    }

    /// The record, either way.
    pub fn into_record(self) -> TxRecord {
        match self {
            Self::New(r) | Self::Existing(r) => r,
        }
    }
}

/// A completion to hand to the application: written with the proof, delivered at least
/// once.
#[derive(Debug, Clone, PartialEq, Eq)]
// Every backend fills every field: a field added is a change for each of them, which
// `non_exhaustive` would hide rather than prevent.
#[allow(clippy::exhaustive_structs)]
pub struct OutboxEntry {
    /// The entry's id, for [`outbox_ack`](super::TxStore::outbox_ack).
    pub id: u64,
    /// The transaction's txId.
    pub tx_id: TxId,
    /// The transaction's key.
    pub idempotency_key: IdempotencyKey,
    /// When the proof was stored.
    pub created_at: OffsetDateTime,
    /// How many times the entry was claimed, this claim included.
    pub claims: u32,
}

/// Which records [`list`](super::TxStore::list) returns: newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    pub(crate) states: Vec<TxState>,
    pub(crate) limit: u32,
    pub(crate) created_before: Option<OffsetDateTime>,
}

impl Default for ListFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl ListFilter {
    /// Every state, at most 100 records.
    pub fn new() -> Self {
        Self {
            states: Vec::new(),
            limit: 100,
            created_before: None,
        }
    }

    /// Only records in `state` (call again to add more states).
    #[must_use]
    pub fn state(mut self, state: TxState) -> Self {
        if !self.states.contains(&state) {
            self.states.push(state);
        }
        self
    }

    /// At most `limit` records.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Only records created before `t` (`created_at < t`, to the microsecond): a
    /// reconciler lists the intents older than a grace period this way.
    #[must_use]
    pub fn created_before(mut self, t: OffsetDateTime) -> Self {
        // Truncated like every stored time, so that memory and the databases agree.
        self.created_before = Some(super::to_store_precision(t));
        self
    }

    /// The bound of [`created_before`](Self::created_before), if one was set.
    pub fn created_before_value(&self) -> Option<OffsetDateTime> {
        self.created_before
    }

    /// The states asked for (empty: all).
    pub fn states(&self) -> &[TxState] {
        &self.states
    }

    /// The limit.
    pub fn limit_value(&self) -> u32 {
        self.limit
    }

    /// Whether a record in `state` is one this filter asks for (its states only).
    #[must_use]
    pub fn matches(&self, state: TxState) -> bool {
        self.states.is_empty() || self.states.contains(&state)
    }

    /// Whether `record` is one this filter asks for (states and creation time), for stores
    /// that filter in memory.
    #[must_use]
    pub fn matches_record(&self, record: &TxRecord) -> bool {
        self.matches(record.state)
            && self
                .created_before
                .is_none_or(|before| record.created_at < before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_id_validation() {
        assert!(TxId::new("01HZX9-abc_def.1").is_ok());
        assert!(TxId::new("a".repeat(MAX_TX_ID_LEN)).is_ok());
        for bad in ["", "has space", "slash/", "é", "a;b"] {
            assert!(
                matches!(TxId::new(bad), Err(Error::Invalid(InvalidKind::TxId))),
                "{bad:?}"
            );
        }
        assert!(TxId::new("a".repeat(MAX_TX_ID_LEN + 1)).is_err());
        let t = TxId::new("tx-1").unwrap_or_else(|_| unreachable!());
        assert_eq!(t.as_str(), "tx-1");
        assert_eq!(t.to_string(), "tx-1");
    }

    #[test]
    fn key_validation() {
        assert!(IdempotencyKey::new("order:1042/retry#2").is_ok());
        assert!(IdempotencyKey::new("k".repeat(MAX_KEY_LEN)).is_ok());
        for bad in ["", "a b", "tab\t", "한글"] {
            assert!(
                matches!(
                    IdempotencyKey::new(bad),
                    Err(Error::Invalid(InvalidKind::IdempotencyKey))
                ),
                "{bad:?}"
            );
        }
        assert!(IdempotencyKey::new("k".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn states_move_forward_only() {
        use TxState::*;
        assert!(Intent.can_move_to(OutcomeUnknown));
        assert!(Intent.can_move_to(Requested));
        assert!(OutcomeUnknown.can_move_to(Requested));
        assert!(Requested.can_move_to(InProgress));
        assert!(InProgress.can_move_to(Completed));
        assert!(Completed.can_move_to(ResultStored));
        assert!(Completed.can_move_to(Expired));
        assert!(Requested.can_move_to(Failed));
        assert!(!Completed.can_move_to(Requested));
        assert!(!InProgress.can_move_to(InProgress));
        for last in [Expired, ResultStored, Failed] {
            assert!(last.is_final());
            for next in TxState::ALL {
                assert!(!last.can_move_to(next));
            }
        }
        for s in TxState::ALL {
            assert_eq!(TxState::from_name(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(TxState::from_name("COMPLETED"), None);
    }

    #[test]
    fn debug_shows_lengths_of_sealed_data() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let record = TxRecord {
            idempotency_key: IdempotencyKey::new("k").unwrap_or_else(|_| unreachable!()),
            tx_id: None,
            answer: Some(b"SEALED-ANSWER-URLS".to_vec()),
            summary: Some(b"SEALED-SUMMARY".to_vec()),
            state: TxState::Intent,
            events: Vec::new(),
            fetch_count: 0,
            result_body: Some(b"SEALED-RESULT".to_vec()),
            proof: Some(Proof::new("SIGNEDDOC", "h", now, "REPORT").with_evidence("EVIDENCE-CRL")),
            lease: None,
            created_at: now,
            updated_at: now,
            purged_at: None,
            next_check_at: None,
        };
        let debug = format!("{record:?}");
        for secret in ["SEALED", "83", "69", "SIGNEDDOC", "REPORT", "EVIDENCE"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("evidence_len: Some(12)"), "{debug}");
        assert!(debug.contains("summary_len: Some(14)"));
        assert!(debug.contains("answer_len: Some(18)"));
    }

    #[test]
    fn list_filter() {
        let f = ListFilter::new()
            .state(TxState::Completed)
            .state(TxState::Completed)
            .limit(5);
        assert_eq!(f.states(), [TxState::Completed]);
        assert_eq!(f.limit_value(), 5);
        assert!(f.matches(TxState::Completed));
        assert!(!f.matches(TxState::Intent));
        assert!(ListFilter::default().matches(TxState::Intent));
        assert_eq!(ListFilter::new().created_before_value(), None);
        let t = OffsetDateTime::UNIX_EPOCH + time::Duration::nanoseconds(1_234_567);
        assert_eq!(
            ListFilter::new().created_before(t).created_before_value(),
            Some(OffsetDateTime::UNIX_EPOCH + time::Duration::microseconds(1_234))
        );
    }
}
