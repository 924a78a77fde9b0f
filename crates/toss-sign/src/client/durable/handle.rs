//! The configured store: given ready, or opened at first use from a location.

use std::fmt;
use std::sync::Arc;

use tokio::sync::OnceCell;
use toss_runtime::tx::TxStore;

use crate::error::Error;

/// A store given to the builder, or a location (`TOSS_CERT_STORE`) opened on first use:
/// opening is async (a database connection) and the builder is not.
pub(crate) enum StoreHandle {
    Ready(Arc<dyn TxStore>),
    Location {
        location: String,
        opened: OnceCell<Arc<dyn TxStore>>,
    },
}

impl StoreHandle {
    pub(crate) fn location(location: String) -> Self {
        Self::Location {
            location,
            opened: OnceCell::new(),
        }
    }

    /// The store, opened now if it was given by location. A failed open is tried again on
    /// the next call.
    pub(crate) async fn get(&self) -> Result<&Arc<dyn TxStore>, Error> {
        match self {
            Self::Ready(store) => Ok(store),
            Self::Location { location, opened } => opened
                .get_or_try_init(|| toss_tx_store::open_location(location))
                .await
                .map_err(|source| Error::Store {
                    tx_id: None,
                    source,
                }),
        }
    }
}

impl fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A PostgreSQL URL may carry a password: never shown.
        match self {
            Self::Ready(store) => f.debug_tuple("Ready").field(store).finish(),
            Self::Location { opened, .. } => f
                .debug_struct("Location")
                .field("opened", &opened.initialized())
                .finish_non_exhaustive(),
        }
    }
}
