//! The crate's one error type: why an emulator could not start or stop cleanly.
//!
//! Requests never produce an [`Error`]: a bad request gets a `FAIL` envelope (or an OAuth
//! error body) over HTTP, and the emulator keeps running.

use std::net::SocketAddr;

/// Why an emulator could not start, or did not stop cleanly.
///
/// Messages name what failed, never key material or personal data.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The emulator's RSA key (the one clients seal session keys with) could not be
    /// generated or loaded.
    #[error("cannot set up the emulator's RSA key")]
    ProviderKey(#[source] toss_crypto::Error),

    /// The test CA could not be generated or loaded.
    #[error("cannot set up the test CA: {0}")]
    Ca(&'static str),

    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(&'static str),

    /// The scenario has a rule out of range.
    #[error("invalid scenario")]
    Scenario(#[from] crate::scenario::ScenarioError),

    /// The server stopped with an I/O error.
    #[error("the server failed")]
    Serve(#[source] std::io::Error),

    /// No transaction has the txId given to a control method.
    #[error("no such transaction")]
    UnknownTransaction,

    /// A control method cannot move the transaction: it is already completed or expired
    /// (or, to sign it, declined).
    #[error("the transaction is already {status}")]
    Transition {
        /// Where the transaction stands.
        status: toss_model::SignStatus,
    },

    /// A revocation names a transaction the user has not signed (or one that expired, or
    /// whose result window closed before a `signedDoc` was made).
    #[error("the transaction has no signature to revoke")]
    NotSigned,

    /// A revocation could not be made: its date is out of range, or the emulator could not
    /// sign the document or the CRL.
    #[error("cannot revoke: {0}")]
    Revocation(&'static str),

    /// A background task of the emulator failed (it panicked or was cancelled).
    #[error("an emulator task failed")]
    Task(#[source] tokio::task::JoinError),
}
