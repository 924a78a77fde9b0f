//! Opening a store from one string (`TOSS_CERT_STORE`): a SQLite path or a PostgreSQL URL.

use std::sync::Arc;

use crate::{Error, TxStore};

/// Opens the store `location` names, with each backend's defaults:
///
/// - `postgres://…` or `postgresql://…`: a `PostgresTxStore` (feature `postgres`);
/// - `sqlite://<path>`, or any other text without `://`: a `SqliteTxStore` in the file
///   at that path (feature `sqlite`), created if missing.
///
/// # Errors
///
/// [`Error::UnknownScheme`] for any other `scheme://…` (a misspelt `postgress://` must
/// not silently become a SQLite file of that name); [`Error::BackendNotBuilt`] when the
/// backend's feature is off; otherwise as the backend's `open` or `connect`.
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
    let path = match location.strip_prefix("sqlite://") {
        Some(path) => path,
        None if location.contains("://") => return Err(Error::UnknownScheme),
        None => location,
    };
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn other_schemes_are_refused_without_creating_a_file() {
        let dir = tempfile::tempdir().unwrap();
        for scheme in ["postgress", "mysql", "sqlite3", "file", "redis"] {
            let location = format!("{scheme}://{}/tx.db", dir.path().display());
            let got = open_location(&location).await;
            assert!(matches!(got, Err(Error::UnknownScheme)), "{scheme}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_url_and_plain_path_open_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let by_url = dir.path().join("by-url.db");
        let plain = dir.path().join("plain.db");
        open_location(&format!("sqlite://{}", by_url.display()))
            .await
            .unwrap();
        open_location(plain.to_str().unwrap()).await.unwrap();
        assert!(by_url.is_file());
        assert!(plain.is_file());
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn postgres_url_without_the_feature() {
        assert!(matches!(
            open_location("postgres://u@127.0.0.1:1/db").await,
            Err(Error::BackendNotBuilt("postgres"))
        ));
    }
}
