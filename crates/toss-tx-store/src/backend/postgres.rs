//! The fleet store: one PostgreSQL database shared by every process of a service.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A [`TxStore`](crate::TxStore) in PostgreSQL.
///
/// Writes run in transactions begun with `BEGIN ISOLATION LEVEL READ COMMITTED`, whatever
/// the server's `default_transaction_isolation`, so a race with another process waits on
/// a row lock instead of failing with a serialization error (`40001`). They lock the rows
/// they change (`SELECT … FOR UPDATE`); claims use `FOR UPDATE SKIP LOCKED`, so several
/// processes share the unfinished work without waiting on each other.
///
/// Every wait in the database is bounded by settings sent when connecting (see
/// [`PostgresTxStoreBuilder`]): `statement_timeout` (10 s by default), `lock_timeout`
/// (5 s) and `idle_in_transaction_session_timeout` (30 s, so a process that stalls
/// inside a transaction cannot keep its row locks). A statement that hits one fails with
/// [`Error::Database`](crate::Error::Database). A commit returns once
/// PostgreSQL has made it durable (its `synchronous_commit` setting, on by default).
///
/// TLS takes the feature `postgres-tls` (rustls): then the URL's `sslmode=require`,
/// `verify-ca` or `verify-full`, with `sslrootcert=<CA file>`, are honoured. Without the
/// feature a URL asking for TLS fails to connect rather than fall back to plain TCP; use
/// `verify-full` across any network you do not own.
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
            statement_timeout: Duration::from_secs(10),
            lock_timeout: Duration::from_secs(5),
            idle_in_transaction_timeout: Duration::from_secs(30),
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
    statement_timeout: Duration,
    lock_timeout: Duration,
    idle_in_transaction_timeout: Duration,
}

impl fmt::Debug for PostgresTxStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTxStoreBuilder")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("lock_timeout", &self.lock_timeout)
            .field(
                "idle_in_transaction_timeout",
                &self.idle_in_transaction_timeout,
            )
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

    /// How long one statement may run in the database before PostgreSQL cancels it
    /// (`statement_timeout`; 10 s by default, zero for no limit). Kept longer than
    /// [`lock_timeout`](Self::lock_timeout) so that a lock wait reports as one.
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// How long a statement may wait for a row or table lock another process holds
    /// (`lock_timeout`; 5 s by default, zero for no limit).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How long a connection may sit idle inside an open transaction before PostgreSQL
    /// ends the session and releases its locks (`idle_in_transaction_session_timeout`;
    /// 30 s by default, zero for no limit).
    pub fn idle_in_transaction_timeout(mut self, timeout: Duration) -> Self {
        self.idle_in_transaction_timeout = timeout;
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
        // Sent with the startup packet, so every pooled connection has them from the
        // start, including one reconnected by the pool.
        let options = options.options([
            ("statement_timeout", millis(self.statement_timeout)),
            ("lock_timeout", millis(self.lock_timeout)),
            (
                "idle_in_transaction_session_timeout",
                millis(self.idle_in_transaction_timeout),
            ),
        ]);
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

/// A duration as PostgreSQL reads a time setting; a sub-millisecond one rounds up,
/// since `0` would mean no limit.
fn millis(d: Duration) -> String {
    let ms = d.as_millis();
    let ms = if ms == 0 && !d.is_zero() { 1 } else { ms };
    format!("{ms}ms")
}

/// The schema, version 1, with PostgreSQL's types: what a new database starts from
/// before the migrations of `sql` bring it to the current version.
fn schema_v1() -> String {
    crate::backend::sql::schema_v1(
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "BIGINT",
        "BYTEA",
    )
}

crate::backend::sql::sql_store! {
    store = PostgresTxStore,
    db = sqlx::Postgres,
    conn = sqlx::PgConnection,
    row = sqlx::postgres::PgRow,
    // Explicit: a server whose default is REPEATABLE READ or SERIALIZABLE would turn
    // the races the statements are written for into serialization failures.
    begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED",
    lock_row = " FOR UPDATE",
    skip_locked = " FOR UPDATE SKIP LOCKED",
    // Processes migrating a new or an old database at once wait for each other.
    migration_lock = Some("SELECT pg_advisory_xact_lock(7246215001)"),
    schema = schema_v1(),
}

#[cfg(all(test, feature = "test-util"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::{Error, PostgresTxStore, schema_v1};
    use crate::testing::PostgresServer;

    crate::backend::sql::v1_fixture!(db = sqlx::Postgres);

    /// A server whose database is at version 1, as the first release left it.
    async fn v1_database() -> (PostgresServer, sqlx::PgPool) {
        let server = PostgresServer::start().await;
        let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
        make_v1(&pool, &schema_v1()).await;
        (server, pool)
    }

    #[tokio::test]
    async fn a_version_1_database_is_migrated() {
        let (server, pool) = v1_database().await;
        let store = PostgresTxStore::connect(&server.url()).await.unwrap();
        check_migrated(&store, &pool).await;
        store.close().await;
        let again = PostgresTxStore::connect(&server.url()).await.unwrap();
        check_reopened(&again, &pool).await;
        again.close().await;
        // A version this crate does not know yet is still refused.
        sqlx::query("INSERT INTO toss_tx_schema (version) VALUES (99)")
            .execute(&pool)
            .await
            .unwrap();
        let err = PostgresTxStore::connect(&server.url()).await.unwrap_err();
        assert!(
            matches!(err, Error::SchemaTooNew { found: 99, supported } if supported == SCHEMA_VERSION),
            "{err:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_connects_to_a_version_1_database() {
        let (server, pool) = v1_database().await;
        let stores = open_concurrently(|| {
            let url = server.url();
            async move {
                PostgresTxStore::builder(&url)
                    .max_connections(2)
                    .connect()
                    .await
            }
        })
        .await;
        check_migrated(&stores[0], &pool).await;
    }
}
