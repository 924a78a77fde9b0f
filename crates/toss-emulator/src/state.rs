//! What the emulator remembers: issued tokens and sign transactions.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;
use toss_model::{DocType, SignatureType};
use zeroize::Zeroizing;

use crate::user::{SimulatedUser, Stage};

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
    pub(crate) requested_at: OffsetDateTime,
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
    /// The `signedDoc`, made on the first result call and returned again on the second.
    pub(crate) signed_doc: Option<String>,
}

impl Transaction {
    /// Where it stands at `now`.
    pub(crate) fn progress(&self, now: OffsetDateTime) -> Stage {
        self.user.progress(now)
    }
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
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
}

impl Action {
    /// The action named in a control path.
    pub(crate) fn from_path(segment: &str) -> Option<Self> {
        match segment {
            "open" => Some(Self::Open),
            "complete" => Some(Self::Complete),
            "expire" => Some(Self::Expire),
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

/// All transactions, by txId.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    map: Mutex<HashMap<String, Transaction>>,
}

impl Transactions {
    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<String, Transaction>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, tx_id: String, transaction: Transaction) {
        self.lock().insert(tx_id, transaction);
    }

    /// Moves a transaction by hand at `now`.
    pub(crate) fn control(
        &self,
        tx_id: &str,
        action: Action,
        now: OffsetDateTime,
    ) -> Result<Stage, ControlFailure> {
        let mut map = self.lock();
        let transaction = map.get_mut(tx_id).ok_or(ControlFailure::UnknownTx)?;
        let user = &mut transaction.user;
        match action {
            Action::Open => user.open(now),
            Action::Complete => user.complete(now),
            Action::Expire => user.expire(now),
        }
        .map_err(ControlFailure::NotAllowed)
    }
}

/// Issued access tokens and when each expires.
#[derive(Default)]
pub(crate) struct Tokens {
    map: Mutex<HashMap<String, OffsetDateTime>>,
}

impl Tokens {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, OffsetDateTime>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers `token` until `expires_at`, forgetting tokens that expired before `now`.
    pub(crate) fn insert(&self, token: String, expires_at: OffsetDateTime, now: OffsetDateTime) {
        let mut map = self.lock();
        map.retain(|_, expiry| *expiry > now);
        map.insert(token, expires_at);
    }

    /// Whether `token` was issued here and is still valid at `now`.
    pub(crate) fn is_valid(&self, token: &str, now: OffsetDateTime) -> bool {
        self.lock().get(token).is_some_and(|expiry| now < *expiry)
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("count", &self.lock().len())
            .finish()
    }
}
