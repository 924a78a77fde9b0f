//! The error every transaction store returns.

use crate::BoxError;

/// What went wrong in a store.
///
/// Messages never quote a key, a txId or stored data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database failed or refused a statement (the driver's error is the source).
    #[error("database error while {during}")]
    Database {
        /// What the store was doing.
        during: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The result of this txId was already fetched twice (the provider allows two).
    #[error("the result was already fetched twice")]
    FetchLimit,
    /// The lease expired, was released, or another holder took the txId since.
    #[error("the lease is no longer held")]
    StaleLease,
    /// No record has this key or txId.
    #[error("no such transaction")]
    NotFound,
    /// The operation contradicts what is stored.
    #[error("conflict: {0}")]
    Conflict(ConflictKind),
    /// An argument was refused before anything was stored.
    #[error("invalid {0}")]
    Invalid(InvalidKind),
    /// A stored value could not be read back (written by something else, or damaged).
    #[error("unreadable stored value: {0}")]
    Stored(&'static str),
    /// The backend a location names was not compiled in: enable the crate feature named.
    #[error("the {0} backend is not built in: enable the feature of that name")]
    BackendNotBuilt(&'static str),
    /// A store location names a URL scheme no backend serves (neither `postgres://`,
    /// `postgresql://` nor `sqlite://`), such as a misspelt one.
    #[error("the store location has an unknown URL scheme")]
    UnknownScheme,
    /// The database holds a newer schema than this version of the crate knows.
    #[error("the database schema is version {found}, newer than this crate's {supported}")]
    SchemaTooNew {
        /// The version found.
        found: i64,
        /// The newest version this crate knows.
        supported: i64,
    },
}

/// Why an operation conflicts with the stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConflictKind {
    /// The record already has another txId.
    #[error("the transaction already has another txId")]
    OtherTxId,
    /// Another record already has this txId.
    #[error("another transaction has this txId")]
    TxIdTaken,
    /// A result body is already stored.
    #[error("a result is already stored")]
    ResultStored,
    /// A proof is already stored.
    #[error("a proof is already stored")]
    ProofStored,
}

/// Which argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidKind {
    /// A txId that is empty, too long or holds another character.
    #[error("txId")]
    TxId,
    /// An idempotency key that is empty, too long or holds another character.
    #[error("idempotency key")]
    IdempotencyKey,
    /// A lease holder name that is empty or longer than 255 bytes.
    #[error("lease holder")]
    Holder,
    /// A time outside what the store keeps.
    #[error("time")]
    Time,
    /// A duration too long to add to a time.
    #[error("duration")]
    Duration,
}

impl Error {
    /// Whether the database itself failed (unreachable, timed out, busy), so that the same
    /// operation may succeed when tried again; every other error would repeat.
    #[must_use]
    pub fn is_database(&self) -> bool {
        matches!(self, Self::Database { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_a_period() {
        let errors = [
            Error::FetchLimit,
            Error::StaleLease,
            Error::NotFound,
            Error::Conflict(ConflictKind::OtherTxId),
            Error::Conflict(ConflictKind::TxIdTaken),
            Error::Conflict(ConflictKind::ResultStored),
            Error::Conflict(ConflictKind::ProofStored),
            Error::Invalid(InvalidKind::TxId),
            Error::Invalid(InvalidKind::IdempotencyKey),
            Error::Invalid(InvalidKind::Holder),
            Error::Invalid(InvalidKind::Time),
            Error::Invalid(InvalidKind::Duration),
            Error::Stored("state"),
            Error::BackendNotBuilt("postgres"),
            Error::UnknownScheme,
            Error::SchemaTooNew {
                found: 2,
                supported: 1,
            },
        ];
        for e in errors {
            let m = e.to_string();
            assert!(m.chars().next().is_some_and(|c| c.is_lowercase()), "{m}");
            assert!(!m.ends_with('.'), "{m}");
        }
        assert_eq!(
            Error::Conflict(ConflictKind::TxIdTaken).to_string(),
            "conflict: another transaction has this txId"
        );
        assert_eq!(
            Error::Invalid(InvalidKind::TxId).to_string(),
            "invalid txId"
        );
    }
}
