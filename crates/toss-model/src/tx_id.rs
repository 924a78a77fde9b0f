//! The transaction id the provider gives every signature request.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A signature request's transaction id (`txId`), such as
/// `60940525-9a59-47db-b0eb-4f029b9faf1e`.
///
/// Issued by the provider and kept as received: the crate does not assume it is a UUID.
/// Store it with the signed document; it identifies the transaction for good.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TxId(String);

impl TxId {
    /// Wraps a transaction id.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned `String`.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<String> for TxId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for TxId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl AsRef<str> for TxId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for TxId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
