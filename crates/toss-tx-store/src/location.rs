//! Opening a store from one string (`TOSS_CERT_STORE`): a SQLite path or a PostgreSQL URL.

use std::sync::Arc;

use crate::{Error, TxStore};

/// Opens the store `location` names, with each backend's defaults:
///
/// - `postgres://…` or `postgresql://…`: a `PostgresTxStore` (feature `postgres`);
/// - `sqlite://<path>` or any other text: a `SqliteTxStore` in the file at that path
///   (feature `sqlite`), created if missing.
///
/// # Errors
///
/// [`Error::BackendNotBuilt`] when the backend's feature is off; otherwise as the
/// backend's `open` or `connect`.
pub async fn open_location(location: &str) -> Result<Arc<dyn TxStore>, Error> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            return Ok(Arc::new(crate::PostgresTxStore::connect(location).await?));
        }
        #[cfg(not(feature = "postgres"))]
        {
            return Err(Error::BackendNotBuilt("postgres"));
        }
    }
    let path = location.strip_prefix("sqlite://").unwrap_or(location);
    #[cfg(feature = "sqlite")]
    {
        Ok(Arc::new(crate::SqliteTxStore::open(path).await?))
    }
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = path;
        Err(Error::BackendNotBuilt("sqlite"))
    }
}
