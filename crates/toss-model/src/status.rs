//! The status call (`POST /api/v2/sign/doc/status`): progress only, never completion.

use serde::{Deserialize, Serialize};

use crate::enums::SignStatus;
use crate::timestamp::Timestamp;
use crate::tx_id::TxId;

/// The body of `POST /api/v2/sign/doc/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRequest {
    tx_id: TxId,
}

impl StatusRequest {
    /// Asks for the status of `tx_id`.
    pub fn new(tx_id: impl Into<TxId>) -> Self {
        Self {
            tx_id: tx_id.into(),
        }
    }

    /// `txId`.
    #[must_use]
    pub fn tx_id(&self) -> &TxId {
        &self.tx_id
    }
}

/// The `success` object of the status call.
///
/// Use it to show progress only: whether the signer completed is decided by the result call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    tx_id: TxId,
    status: SignStatus,
    requested_dt: Timestamp,
}

impl StatusResponse {
    /// `txId`.
    #[must_use]
    pub fn tx_id(&self) -> &TxId {
        &self.tx_id
    }

    /// `status`.
    #[must_use]
    pub fn status(&self) -> &SignStatus {
        &self.status
    }

    /// `requestedDt`: when the request was first made.
    #[must_use]
    pub fn requested_dt(&self) -> Timestamp {
        self.requested_dt
    }
}

#[cfg(feature = "test-util")]
impl StatusResponse {
    /// A status response.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn new(tx_id: impl Into<TxId>, status: SignStatus, requested_dt: Timestamp) -> Self {
        Self {
            tx_id: tx_id.into(),
            status,
            requested_dt,
        }
    }
}
