//! The fleet store: one PostgreSQL database shared by every process of a service.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A [`TxStore`](crate::TxStore) in PostgreSQL.
///
/// Writes run in `READ COMMITTED` transactions that lock the rows they change
/// (`SELECT … FOR UPDATE`); claims use `FOR UPDATE SKIP LOCKED`, so several processes
/// share the unfinished work without waiting on each other. A commit returns once
/// PostgreSQL has made it durable (its `synchronous_commit` setting, on by default).
///
/// The connection is plain TCP or a Unix socket; this version has no TLS, so keep the
/// database on a trusted network.
#[derive(Clone)]
pub struct PostgresTxStore {
    pool: sqlx::PgPool,
}

impl fmt::Debug for PostgresTxStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connect options hold the password: never shown.
        f.debug_struct("PostgresTxStore")
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl PostgresTxStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) with the
    /// defaults of [`PostgresTxStoreBuilder`], creating the schema if missing.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the URL is not valid, the
    /// database cannot be reached or migrated;
    /// [`Error::SchemaTooNew`](crate::Error::SchemaTooNew) for a newer schema.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::builder(url).connect().await
    }

    /// A builder for a store at `url`.
    pub fn builder(url: &str) -> PostgresTxStoreBuilder {
        PostgresTxStoreBuilder {
            url: url.to_owned(),
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Options of a [`PostgresTxStore`].
#[derive(Clone)]
#[must_use]
pub struct PostgresTxStoreBuilder {
    url: String,
    max_connections: u32,
    acquire_timeout: Duration,
}

impl fmt::Debug for PostgresTxStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTxStoreBuilder")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish_non_exhaustive()
    }
}

impl PostgresTxStoreBuilder {
    /// The most connections kept open (8 by default; at least 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long connecting, or waiting for a pooled connection, may take (10 s by
    /// default).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Connects and creates or checks the schema.
    ///
    /// # Errors
    ///
    /// As [`PostgresTxStore::connect`].
    pub async fn connect(self) -> Result<PostgresTxStore, Error> {
        let options =
            PgConnectOptions::from_str(&self.url).map_err(db("reading the database URL"))?;
        let pool = PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(db("connecting to the database"))?;
        PostgresTxStore::migrate(&pool).await?;
        Ok(PostgresTxStore { pool })
    }
}

crate::backend::sql::sql_store! {
    store = PostgresTxStore,
    db = sqlx::Postgres,
    conn = sqlx::PgConnection,
    row = sqlx::postgres::PgRow,
    begin_write = "BEGIN",
    lock_row = " FOR UPDATE",
    skip_locked = " FOR UPDATE SKIP LOCKED",
    // Processes migrating a new database at once wait for each other.
    migration_lock = Some("SELECT pg_advisory_xact_lock(7246215001)"),
    schema = crate::backend::sql::schema_v1(
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "BIGINT",
        "BYTEA",
    ),
}
