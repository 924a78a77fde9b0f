//! Write-ahead through a transaction store: what the client does when one is configured.
//!
//! Every step that matters is written down before the client goes on: the intent before
//! the sign request leaves, the txId right after its answer, each result fetch counted
//! before it is sent and the body stored as received before it is decrypted, then the
//! proof. A process killed at any line leaves a record a restart (or the
//! [`Reconciler`](crate::Reconciler)) completes.

mod handle;
mod request;
mod result;
mod seal;

pub(crate) use handle::StoreHandle;
pub(crate) use result::record_state;
pub(crate) use seal::Sealer;

use std::future::Future;
use std::time::Duration;

use toss_model::{SignStatus, TxId};
use toss_runtime::tx::TxState;

use crate::error::Error;

/// The store, the data key and this process's name in leases.
#[derive(Debug)]
pub(crate) struct Durable {
    pub(crate) store: StoreHandle,
    pub(crate) sealer: Sealer,
    pub(crate) holder: String,
    pub(crate) result_lease_ttl: Duration,
}

/// How many times a write the client cannot go on without is tried, and the pause
/// between tries: a store that blinks for a second does not cost a txId or a result.
const WRITE_ATTEMPTS: u32 = 4;
const WRITE_PAUSE: Duration = Duration::from_millis(250);

/// Runs `write` until it succeeds or [`WRITE_ATTEMPTS`] are spent.
pub(crate) async fn write_with_retry<T, F, Fut>(mut write: F) -> Result<T, toss_runtime::tx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, toss_runtime::tx::Error>>,
{
    let mut attempt = 1;
    loop {
        match write().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt < WRITE_ATTEMPTS && is_retryable(&error) => {
                tracing::warn!(%error, attempt, "transaction store write failed; trying again");
                attempt += 1;
                tokio::time::sleep(WRITE_PAUSE).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether a store error may pass by itself (the database, not the request, failed).
fn is_retryable(error: &toss_runtime::tx::Error) -> bool {
    error.is_database()
}

/// The store's state for a status the provider reported; `None` for one it does not know.
pub(crate) fn state_of(status: &SignStatus) -> Option<TxState> {
    match status {
        SignStatus::Requested => Some(TxState::Requested),
        SignStatus::InProgress => Some(TxState::InProgress),
        SignStatus::Completed => Some(TxState::Completed),
        SignStatus::Expired => Some(TxState::Expired),
        _ => None,
    }
}

/// The store's txId of a provider txId; the store refuses ids with characters the provider
/// never uses.
pub(crate) fn store_tx_id(tx_id: &TxId) -> Result<toss_runtime::tx::TxId, Error> {
    toss_runtime::tx::TxId::new(tx_id.as_str()).map_err(|source| Error::Store {
        tx_id: Some(tx_id.clone()),
        source,
    })
}

pub(crate) fn store_error(
    tx_id: Option<&TxId>,
) -> impl FnOnce(toss_runtime::tx::Error) -> Error + '_ {
    move |source| Error::Store {
        tx_id: tx_id.cloned(),
        source,
    }
}

/// When the provider answered the sign request, as the store saw it: the `requested`
/// event, or the intent's time for a record that never saw one.
pub(crate) fn requested_at(record: &toss_runtime::tx::TxRecord) -> time::OffsetDateTime {
    record
        .events
        .iter()
        .find(|event| event.state == TxState::Requested)
        .map_or(record.created_at, |event| event.at)
}
