//! What the emulator remembers: issued tokens and sign transactions, and when it forgets
//! them.
//!
//! Both stores keep a min-heap of deadlines next to their map, so that freeing what is due
//! costs a few heap pops per sweep instead of a scan of every entry; a sweep does a bounded
//! amount of work, so that no request waits behind a long one.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use toss_model::{DocType, SignatureType};
use x509_cert::serial_number::SerialNumber;
use zeroize::Zeroizing;

use crate::clock::saturating_add as add;
use crate::scenario::SignerMatch;
use crate::user::{SimulatedUser, Stage};

/// Which configured client a token or transaction belongs to (its index in the list).
pub(crate) type ClientIndex = usize;

/// How long after completion the result can be fetched.
pub(crate) const RESULT_WINDOW: Duration = Duration::from_secs(60 * 60);

/// How many times a result can be fetched successfully.
pub(crate) const MAX_RESULTS: u32 = 2;

/// Who was asked to sign, as decrypted from the sign request.
#[derive(Clone)]
pub(crate) enum Signer {
    /// `requestType=USER_PERSONAL`.
    Personal {
        name: Zeroizing<String>,
        phone: Zeroizing<String>,
        birthday: Zeroizing<String>,
    },
    /// `requestType=USER_CI`.
    Ci { ci: Zeroizing<String> },
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Personal { .. } => "Signer::Personal(<redacted>)",
            Self::Ci { .. } => "Signer::Ci(<redacted>)",
        })
    }
}

/// One sign request and everything needed to answer for it.
#[derive(Clone)]
pub(crate) struct Transaction {
    /// The client whose token created it; only that client's tokens see it.
    pub(crate) owner: ClientIndex,
    pub(crate) requested_at: OffsetDateTime,
    /// The `docTitle` shown to the user: not personal, listed so tests can tell requests
    /// apart.
    pub(crate) doc_title: String,
    /// The `serviceName` shown to the user.
    pub(crate) service_name: String,
    /// Whether the user is asked by a push (listed in the app's inbox) or by the app links.
    pub(crate) push: bool,
    /// Where the app sends the user after signing, and after declining (`APP_SCHEME`).
    pub(crate) callbacks: Callbacks,
    pub(crate) user: SimulatedUser,
    pub(crate) signer: Signer,
    /// The document as signed: decrypted when it travelled encrypted.
    pub(crate) doc: Zeroizing<String>,
    pub(crate) doc_type: DocType,
    pub(crate) signature_type: SignatureType,
    pub(crate) doc_encrypted: bool,
    /// The id of the sign request's session; the result call must use another.
    pub(crate) request_session_id: String,
    /// Successful (or in-flight) result calls.
    pub(crate) results_served: u32,
    /// The ids of the result calls' sessions, remembered so that they cannot be used again.
    pub(crate) result_session_ids: Vec<String>,
    /// The `signedDoc`, made on the first result call (or a revocation) and returned again
    /// on the second.
    pub(crate) signed_doc: Option<SignedDoc>,
}

/// What a request's `doc` holds given its docType and signatureType: without content,
/// whatever the docType says, `doc` is the document's digest.
pub(crate) fn doc_held(doc_type: &DocType, signature_type: &SignatureType) -> DocType {
    if *signature_type == SignatureType::Pkcs7NoContentWithAttr {
        DocType::Pdf
    } else {
        doc_type.clone()
    }
}

/// The `successCallbackUrl` and `failCallbackUrl` of a sign request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Callbacks {
    pub(crate) success: Option<String>,
    pub(crate) fail: Option<String>,
}

/// A `signedDoc` and the certificate that signed it, kept together so that a revocation
/// names the certificate of the document the client got, whatever was issued since.
#[derive(Debug, Clone)]
pub(crate) struct SignedDoc {
    /// The CMS `ContentInfo`, base64.
    pub(crate) base64: String,
    pub(crate) signer_serial: SerialNumber,
}

impl Transaction {
    /// What `doc` holds: the document of its docType, or its hash (`PDF`) when the
    /// signature is to carry no content.
    pub(crate) fn doc_held(&self) -> DocType {
        doc_held(&self.doc_type, &self.signature_type)
    }

    /// Where it stands at `now`.
    pub(crate) fn progress(&self, now: OffsetDateTime) -> Stage {
        self.user.progress(now)
    }
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("owner", &self.owner)
            .field("requested_at", &self.requested_at)
            .field("user", &self.user)
            .field("signer", &self.signer)
            .field("doc_len", &self.doc.len())
            .field("doc_type", &self.doc_type)
            .field("signature_type", &self.signature_type)
            .field("doc_encrypted", &self.doc_encrypted)
            .field("results_served", &self.results_served)
            .finish_non_exhaustive()
    }
}

/// A manual move of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Open,
    Complete,
    Expire,
    Decline,
}

impl Action {
    /// The action named in a control path.
    pub(crate) fn from_path(segment: &str) -> Option<Self> {
        match segment {
            "open" => Some(Self::Open),
            "complete" => Some(Self::Complete),
            "expire" => Some(Self::Expire),
            "decline" => Some(Self::Decline),
            _ => None,
        }
    }
}

/// Why a manual move was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlFailure {
    /// No transaction has this id.
    UnknownTx,
    /// The transaction is already completed or expired.
    NotAllowed(Stage),
}

/// Why a transaction that is only remembered for status answers has no result any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finished {
    /// It expired.
    Expired,
    /// The 60 minutes after completion are over.
    WindowClosed,
    /// Both results were served.
    ResultsServed,
}

/// A transaction that can no longer change or be fetched: what a status call still needs.
#[derive(Debug, Clone)]
pub(crate) struct Retained {
    pub(crate) owner: ClientIndex,
    pub(crate) requested_at: OffsetDateTime,
    pub(crate) doc_title: String,
    pub(crate) stage: Stage,
    pub(crate) finished: Finished,
    /// The results it served while live.
    pub(crate) results_served: u32,
    /// The certificate that signed its `signedDoc`, when one was made.
    pub(crate) signer_serial: Option<SerialNumber>,
    /// The sessions it used, forgotten with it.
    session_ids: Vec<String>,
    free_at: OffsetDateTime,
}

/// A transaction as remembered.
#[derive(Debug)]
pub(crate) enum Entry {
    /// It may still change or be fetched.
    Live(Box<Transaction>),
    /// Only its status is remembered, until it is freed.
    Retained(Retained),
}

impl Entry {
    pub(crate) fn owner(&self) -> ClientIndex {
        match self {
            Self::Live(transaction) => transaction.owner,
            Self::Retained(retained) => retained.owner,
        }
    }

    pub(crate) fn requested_at(&self) -> OffsetDateTime {
        match self {
            Self::Live(transaction) => transaction.requested_at,
            Self::Retained(retained) => retained.requested_at,
        }
    }

    /// Where it stands at `now`.
    pub(crate) fn stage(&self, now: OffsetDateTime) -> Stage {
        match self {
            Self::Live(transaction) => transaction.progress(now),
            Self::Retained(retained) => retained.stage,
        }
    }

    /// What the transactions listing shows of it at `now`.
    fn summary(&self, tx_id: &str, now: OffsetDateTime) -> Summary {
        let (results_served, finished, doc_title) = match self {
            Self::Live(transaction) => (transaction.results_served, None, &transaction.doc_title),
            Self::Retained(retained) => (
                retained.results_served,
                Some(retained.finished),
                &retained.doc_title,
            ),
        };
        Summary {
            tx_id: tx_id.to_owned(),
            doc_title: doc_title.clone(),
            owner: self.owner(),
            requested_at: self.requested_at(),
            stage: self.stage(now),
            results_served,
            finished,
        }
    }
}

/// One transaction as the listing shows it, taken under the lock.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub(crate) tx_id: String,
    pub(crate) doc_title: String,
    pub(crate) owner: ClientIndex,
    pub(crate) requested_at: OffsetDateTime,
    pub(crate) stage: Stage,
    /// Successful result calls, and one being answered at this moment.
    pub(crate) results_served: u32,
    /// Why it is retained; `None` while live.
    pub(crate) finished: Option<Finished>,
}

/// The session of an accepted request was already used by an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionReused;

/// A deadline in a min-heap: when to look at `key` again.
type Deadlines = BinaryHeap<Reverse<(OffsetDateTime, String)>>;

/// Everything about transactions, under one lock.
#[derive(Default)]
pub(crate) struct Store {
    entries: HashMap<String, Entry>,
    /// When to look at a transaction again: when it may have expired or left its result
    /// window (live), or when it is to be freed (retained). At most two per transaction.
    deadlines: Deadlines,
    /// The ids of the sessions of every remembered transaction's accepted requests.
    sessions: HashSet<String>,
    retained: usize,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: txIds and session ids are the callers' business.
        f.debug_struct("Store")
            .field("transactions", &self.entries.len())
            .field("retained", &self.retained)
            .field("deadlines", &self.deadlines.len())
            .field("sessions", &self.sessions.len())
            .finish()
    }
}

impl Store {
    /// The transaction `tx_id` as `client` sees it: another client's is not there.
    pub(crate) fn get(&self, tx_id: &str, client: ClientIndex) -> Option<&Entry> {
        self.entries
            .get(tx_id)
            .filter(|entry| entry.owner() == client)
    }

    /// The live transaction `tx_id` of `client`, to change.
    pub(crate) fn get_live_mut(
        &mut self,
        tx_id: &str,
        client: ClientIndex,
    ) -> Option<&mut Transaction> {
        match self.entries.get_mut(tx_id) {
            Some(Entry::Live(transaction)) if transaction.owner == client => Some(transaction),
            _ => None,
        }
    }

    /// Whether a session with this id was used by a remembered transaction.
    pub(crate) fn session_used(&self, session_id: &str) -> bool {
        self.sessions.contains(session_id)
    }

    /// Keeps `made` as the `signedDoc` of live transaction `tx_id` unless one was kept
    /// meanwhile (by a concurrent result call or a revocation); the one kept, which every
    /// answer then gives. `made` itself when the transaction is no longer live.
    pub(crate) fn keep_signed_doc(&mut self, tx_id: &str, made: SignedDoc) -> SignedDoc {
        match self.entries.get_mut(tx_id) {
            Some(Entry::Live(transaction)) => transaction.signed_doc.get_or_insert(made).clone(),
            _ => made,
        }
    }

    /// Remembers that a result call of a live transaction uses `session_id`.
    pub(crate) fn use_result_session(
        &mut self,
        tx_id: &str,
        session_id: &str,
        refuse_reused: bool,
    ) -> Result<(), SessionReused> {
        if refuse_reused && self.sessions.contains(session_id) {
            return Err(SessionReused);
        }
        if let Some(Entry::Live(transaction)) = self.entries.get_mut(tx_id) {
            self.sessions.insert(session_id.to_owned());
            transaction.result_session_ids.push(session_id.to_owned());
        }
        Ok(())
    }

    /// Turns a live transaction into a retained one now, to be freed after `retention`.
    pub(crate) fn retire(
        &mut self,
        tx_id: &str,
        finished: Finished,
        now: OffsetDateTime,
        retention: Duration,
    ) {
        let Some(entry) = self.entries.get_mut(tx_id) else {
            return;
        };
        let Entry::Live(transaction) = entry else {
            return;
        };
        let mut session_ids = std::mem::take(&mut transaction.result_session_ids);
        session_ids.push(std::mem::take(&mut transaction.request_session_id));
        let free_at = add(now, retention);
        *entry = Entry::Retained(Retained {
            owner: transaction.owner,
            requested_at: transaction.requested_at,
            doc_title: std::mem::take(&mut transaction.doc_title),
            stage: transaction.progress(now),
            finished,
            results_served: transaction.results_served,
            signer_serial: transaction
                .signed_doc
                .as_ref()
                .map(|signed| signed.signer_serial.clone()),
            session_ids,
            free_at,
        });
        self.retained += 1;
        self.deadlines.push(Reverse((free_at, tx_id.to_owned())));
    }

    /// Looks at up to `budget` transactions whose deadline is at or before `now`: retires
    /// live ones that can no longer change or be fetched, frees retained ones whose
    /// retention is over, and reschedules the others.
    fn sweep(&mut self, now: OffsetDateTime, retention: Duration, budget: usize) {
        for _ in 0..budget {
            match self.deadlines.peek() {
                Some(Reverse((due, _))) if *due <= now => {}
                _ => return,
            }
            let Some(Reverse((_, tx_id))) = self.deadlines.pop() else {
                return;
            };
            match self.entries.get(&tx_id) {
                None => {}
                Some(Entry::Live(transaction)) => match transaction.progress(now) {
                    Stage::Expired => self.retire(&tx_id, Finished::Expired, now, retention),
                    Stage::Completed { at } => {
                        let window_end = add(at, RESULT_WINDOW);
                        if now > window_end {
                            self.retire(&tx_id, Finished::WindowClosed, now, retention);
                        } else {
                            // Just after the window, since the window's last instant still
                            // serves results.
                            let next = add(window_end, Duration::from_secs(1));
                            self.deadlines.push(Reverse((next, tx_id)));
                        }
                    }
                    Stage::Requested | Stage::InProgress => {
                        let next = transaction.user.expiry().max(now);
                        self.deadlines.push(Reverse((next, tx_id)));
                    }
                },
                // A retained transaction also has its older, live deadline in the heap: only
                // its own deadline frees it.
                Some(Entry::Retained(retained)) if retained.free_at <= now => {
                    if let Some(Entry::Retained(retained)) = self.entries.remove(&tx_id) {
                        for id in &retained.session_ids {
                            self.sessions.remove(id);
                        }
                    }
                    self.retained -= 1;
                }
                Some(Entry::Retained(_)) => {}
            }
        }
    }
}

/// All transactions, by txId.
#[derive(Debug)]
pub(crate) struct Transactions {
    store: Mutex<Store>,
    retention: Duration,
    refuse_reused_sessions: bool,
}

/// How many transactions are remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransactionCounts {
    /// All remembered transactions, live or retained.
    pub(crate) remembered: usize,
    /// Of those, the ones remembered only for status answers.
    pub(crate) retained: usize,
}

impl Transactions {
    pub(crate) fn new(retention: Duration, refuse_reused_sessions: bool) -> Self {
        Self {
            store: Mutex::new(Store::default()),
            retention,
            refuse_reused_sessions,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn retention(&self) -> Duration {
        self.retention
    }

    pub(crate) fn refuses_reused_sessions(&self) -> bool {
        self.refuse_reused_sessions
    }

    /// Remembers a new transaction, unless its session was used before (and reuse is
    /// refused).
    pub(crate) fn insert(
        &self,
        tx_id: String,
        transaction: Transaction,
        now: OffsetDateTime,
    ) -> Result<(), SessionReused> {
        let mut store = self.lock();
        store.sweep(now, self.retention, SWEEP_ON_INSERT);
        if self.refuse_reused_sessions && store.sessions.contains(&transaction.request_session_id) {
            return Err(SessionReused);
        }
        store
            .sessions
            .insert(transaction.request_session_id.clone());
        store
            .deadlines
            .push(Reverse((transaction.user.expiry(), tx_id.clone())));
        store
            .entries
            .insert(tx_id, Entry::Live(Box::new(transaction)));
        Ok(())
    }

    /// Frees and retires what is due at `now`, looking at up to `budget` deadlines.
    pub(crate) fn sweep(&self, now: OffsetDateTime, budget: usize) {
        self.lock().sweep(now, self.retention, budget);
    }

    /// Every remembered transaction at `now`, of every client, oldest first (ties by txId).
    ///
    /// Copies the entries under one lock hold; the listing is for tests and operators, not
    /// for the request path.
    pub(crate) fn summaries(&self, now: OffsetDateTime) -> Vec<Summary> {
        let mut summaries: Vec<Summary> = {
            let store = self.lock();
            store
                .entries
                .iter()
                .map(|(tx_id, entry)| entry.summary(tx_id, now))
                .collect()
        };
        summaries
            .sort_unstable_by(|a, b| (a.requested_at, &a.tx_id).cmp(&(b.requested_at, &b.tx_id)));
        summaries
    }

    /// The transaction `tx_id` as the listing shows it, whatever its client.
    pub(crate) fn summary(&self, tx_id: &str, now: OffsetDateTime) -> Option<Summary> {
        let store = self.lock();
        store
            .entries
            .get(tx_id)
            .map(|entry| entry.summary(tx_id, now))
    }

    pub(crate) fn counts(&self) -> TransactionCounts {
        let store = self.lock();
        TransactionCounts {
            remembered: store.entries.len(),
            retained: store.retained,
        }
    }

    /// Moves a transaction by hand at `now` (control endpoints and handle methods see every
    /// client's transactions).
    pub(crate) fn control(
        &self,
        tx_id: &str,
        action: Action,
        now: OffsetDateTime,
    ) -> Result<(Stage, OffsetDateTime), ControlFailure> {
        let mut store = self.lock();
        let entry = store
            .entries
            .get_mut(tx_id)
            .ok_or(ControlFailure::UnknownTx)?;
        let transaction = match entry {
            Entry::Live(transaction) => transaction,
            Entry::Retained(retained) => return Err(ControlFailure::NotAllowed(retained.stage)),
        };
        let requested_at = transaction.requested_at;
        let user = &mut transaction.user;
        let stage = match action {
            Action::Open => user.open(now),
            Action::Complete => user.complete(now),
            Action::Expire => user.expire(now),
            Action::Decline => user.decline(now),
        }
        .map_err(ControlFailure::NotAllowed)?;
        if stage == Stage::Expired {
            // Expired by hand: it can no longer change, so it need not wait for its planned
            // expiry to be retired.
            store.retire(tx_id, Finished::Expired, now, self.retention);
        }
        Ok((stage, requested_at))
    }
}

/// What the app screen shows of a transaction that can still be signed or declined.
pub(crate) struct ScreenView {
    pub(crate) service_name: String,
    pub(crate) doc_title: String,
    pub(crate) signer: Signer,
    pub(crate) doc: Zeroizing<String>,
    /// What `doc` holds: `PDF` (its hash) whenever only the hash was sent
    /// (`PKCS7_NO_CONTENT_WITH_ATTR`), whatever the request's docType said.
    pub(crate) doc_type: DocType,
    pub(crate) stage: Stage,
    pub(crate) declined: bool,
    pub(crate) expires_at: OffsetDateTime,
}

/// A transaction as the app screen finds it.
pub(crate) enum Screen {
    /// Live: everything it shows.
    Live(Box<ScreenView>),
    /// Kept only for status answers: where it ended.
    Finished(Stage),
}

/// One pending push request in a signer's inbox.
#[derive(Debug, Clone)]
pub(crate) struct InboxItem {
    pub(crate) tx_id: String,
    pub(crate) service_name: String,
    pub(crate) doc_title: String,
    pub(crate) requested_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
}

impl Transactions {
    /// Transaction `tx_id` as the app screen shows it at `now`, whatever its client.
    pub(crate) fn screen(&self, tx_id: &str, now: OffsetDateTime) -> Option<Screen> {
        let store = self.lock();
        Some(match store.entries.get(tx_id)? {
            Entry::Retained(retained) => Screen::Finished(retained.stage),
            Entry::Live(transaction) => Screen::Live(Box::new(ScreenView {
                service_name: transaction.service_name.clone(),
                doc_title: transaction.doc_title.clone(),
                signer: transaction.signer.clone(),
                doc: transaction.doc.clone(),
                doc_type: transaction.doc_held(),
                stage: transaction.progress(now),
                declined: transaction.user.declined_by(now).is_some(),
                expires_at: transaction.user.expiry(),
            })),
        })
    }

    /// The callbacks of transaction `tx_id`, while it is live.
    pub(crate) fn callbacks(&self, tx_id: &str) -> Option<Callbacks> {
        match self.lock().entries.get(tx_id)? {
            Entry::Live(transaction) => Some(transaction.callbacks.clone()),
            Entry::Retained(_) => None,
        }
    }

    /// The push requests `signer` can still sign or decline at `now`, oldest first.
    pub(crate) fn inbox(&self, signer: &SignerMatch, now: OffsetDateTime) -> Vec<InboxItem> {
        let store = self.lock();
        let mut items: Vec<InboxItem> = store
            .entries
            .iter()
            .filter_map(|(tx_id, entry)| match entry {
                Entry::Live(transaction)
                    if transaction.push
                        && signer.matches(&transaction.signer)
                        && matches!(
                            transaction.progress(now),
                            Stage::Requested | Stage::InProgress
                        )
                        && transaction.user.declined_by(now).is_none() =>
                {
                    Some(InboxItem {
                        tx_id: tx_id.clone(),
                        service_name: transaction.service_name.clone(),
                        doc_title: transaction.doc_title.clone(),
                        requested_at: transaction.requested_at,
                        expires_at: transaction.user.expiry(),
                    })
                }
                _ => None,
            })
            .collect();
        items.sort_unstable_by(|a, b| (a.requested_at, &a.tx_id).cmp(&(b.requested_at, &b.tx_id)));
        items
    }

    /// Forgets every transaction and session (`POST /emulator/v1/reset`).
    pub(crate) fn clear(&self) {
        *self.lock() = Store::default();
    }
}

/// The certificate to revoke for a transaction, as far as the store knows it.
#[derive(Debug)]
pub(crate) enum RevocationTarget {
    /// The certificate that signed its `signedDoc`.
    Signed(SerialNumber),
    /// It is completed but its `signedDoc` was not made yet: make it (as of the completion)
    /// and revoke its certificate.
    Unsigned {
        transaction: Box<Transaction>,
        completed_at: OffsetDateTime,
    },
}

/// Why a transaction's certificate cannot be revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevocationFailure {
    /// No transaction has this id.
    UnknownTx,
    /// The user has not signed it (or it expired, or its result window closed before a
    /// `signedDoc` was made).
    NotSigned,
}

impl Transactions {
    /// What to revoke for transaction `tx_id` at `now`, of any client.
    pub(crate) fn revocation_target(
        &self,
        tx_id: &str,
        now: OffsetDateTime,
    ) -> Result<RevocationTarget, RevocationFailure> {
        let store = self.lock();
        match store.entries.get(tx_id) {
            None => Err(RevocationFailure::UnknownTx),
            Some(Entry::Retained(retained)) => retained
                .signer_serial
                .clone()
                .map(RevocationTarget::Signed)
                .ok_or(RevocationFailure::NotSigned),
            Some(Entry::Live(transaction)) => {
                match (&transaction.signed_doc, transaction.progress(now)) {
                    (Some(signed), _) => Ok(RevocationTarget::Signed(signed.signer_serial.clone())),
                    (None, Stage::Completed { at }) => Ok(RevocationTarget::Unsigned {
                        transaction: transaction.clone(),
                        completed_at: at,
                    }),
                    (None, _) => Err(RevocationFailure::NotSigned),
                }
            }
        }
    }
}

/// How many deadlines a sign request looks at before it is remembered: enough to keep up
/// with one new transaction, few enough to cost nothing.
const SWEEP_ON_INSERT: usize = 4;

/// An issued access token.
#[derive(Debug, Clone, Copy)]
struct TokenEntry {
    client: ClientIndex,
    expires_at: OffsetDateTime,
}

/// Issued access tokens, whose client they belong to and when each expires.
#[derive(Default)]
struct TokenStore {
    map: HashMap<String, TokenEntry>,
    deadlines: Deadlines,
}

/// Issued access tokens.
#[derive(Default)]
pub(crate) struct Tokens {
    store: Mutex<TokenStore>,
}

impl Tokens {
    fn lock(&self) -> MutexGuard<'_, TokenStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets every token (`POST /emulator/v1/reset`).
    pub(crate) fn clear(&self) {
        *self.lock() = TokenStore::default();
    }

    /// Remembers `token` of `client` until `expires_at`.
    pub(crate) fn insert(
        &self,
        token: String,
        client: ClientIndex,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) {
        let mut store = self.lock();
        store.sweep(now, SWEEP_ON_INSERT);
        store.deadlines.push(Reverse((expires_at, token.clone())));
        store.map.insert(token, TokenEntry { client, expires_at });
    }

    /// The client of `token` when it was issued here and is still valid at `now`.
    pub(crate) fn client_of(&self, token: &str, now: OffsetDateTime) -> Option<ClientIndex> {
        self.lock()
            .map
            .get(token)
            .filter(|entry| now < entry.expires_at)
            .map(|entry| entry.client)
    }

    /// Forgets up to `budget` tokens that expired by `now`.
    pub(crate) fn sweep(&self, now: OffsetDateTime, budget: usize) {
        self.lock().sweep(now, budget);
    }

    pub(crate) fn count(&self) -> usize {
        self.lock().map.len()
    }
}

impl TokenStore {
    fn sweep(&mut self, now: OffsetDateTime, budget: usize) {
        for _ in 0..budget {
            match self.deadlines.peek() {
                Some(Reverse((due, _))) if *due <= now => {}
                _ => return,
            }
            if let Some(Reverse((_, token))) = self.deadlines.pop() {
                self.map.remove(&token);
            }
        }
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("count", &self.count())
            .finish()
    }
}
