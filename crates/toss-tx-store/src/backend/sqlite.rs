//! The embedded store: one SQLite file, shared by the processes of one machine.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// A [`TxStore`](crate::TxStore) in a SQLite file.
///
/// The file is opened in WAL mode with `synchronous = FULL` (a commit is on disk before
/// it returns, even across a power cut) and a busy timeout, so that several processes of
/// one machine can share it: writes are serialised by SQLite (each writing transaction
/// begins `IMMEDIATE`), reads go on beside them. Not for network file systems.
#[derive(Clone)]
pub struct SqliteTxStore {
    pool: sqlx::SqlitePool,
    path: PathBuf,
}

impl fmt::Debug for SqliteTxStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteTxStore")
            .field("path", &self.path)
            .field("connections", &self.pool.size())
            .finish()
    }
}

impl SqliteTxStore {
    /// Opens (creating it if missing) the store in the file at `path`, with the defaults
    /// of [`SqliteTxStoreBuilder`].
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the file cannot be opened or
    /// migrated, [`Error::SchemaTooNew`](crate::Error::SchemaTooNew) for a newer schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder(path).open().await
    }

    /// A builder for a store in the file at `path`.
    pub fn builder(path: impl AsRef<Path>) -> SqliteTxStoreBuilder {
        SqliteTxStoreBuilder {
            path: path.as_ref().to_path_buf(),
            busy_timeout: Duration::from_secs(10),
            max_connections: 4,
        }
    }

    /// Closes the connections (they also close when the last clone is dropped).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Options of a [`SqliteTxStore`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SqliteTxStoreBuilder {
    path: PathBuf,
    busy_timeout: Duration,
    max_connections: u32,
}

impl SqliteTxStoreBuilder {
    /// How long a statement waits for another process's write to finish before failing
    /// with a database error (`SQLITE_BUSY`); 10 s by default.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The most connections kept open (4 by default; at least 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Opens the file, creating it and its schema if missing.
    ///
    /// # Errors
    ///
    /// As [`SqliteTxStore::open`].
    pub async fn open(self) -> Result<SqliteTxStore, Error> {
        let options = SqliteConnectOptions::new()
            .filename(&self.path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(self.busy_timeout);
        let pool_options = SqlitePoolOptions::new()
            .max_connections(self.max_connections)
            // Waiting for a pooled connection is bounded like waiting for the lock.
            .acquire_timeout(self.busy_timeout + Duration::from_secs(5));
        let pool = connect(&pool_options, &options, self.busy_timeout).await?;
        SqliteTxStore::migrate(&pool).await?;
        Ok(SqliteTxStore {
            pool,
            path: self.path,
        })
    }
}

/// Connects, trying again while other processes open the same new file.
///
/// Turning a new file to WAL writes its header; when several connections do it at once,
/// SQLite answers `SQLITE_BUSY` at once to all but one instead of calling the busy
/// handler (waiting could deadlock), so the busy timeout alone does not cover it.
async fn connect(
    pool_options: &SqlitePoolOptions,
    options: &SqliteConnectOptions,
    busy_timeout: Duration,
) -> Result<sqlx::SqlitePool, Error> {
    let deadline = Instant::now() + busy_timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        match pool_options.clone().connect_with(options.clone()).await {
            Ok(pool) => return Ok(pool),
            Err(e) if is_busy(&e) && Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(e) => return Err(db("opening the database")(e)),
        }
    }
}

/// `SQLITE_BUSY` or one of its extended codes.
fn is_busy(e: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    e.as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_BUSY)
}

/// The schema, version 1, with SQLite's types: what a new file starts from before
/// the migrations of `sql` bring it to the current version.
fn schema_v1() -> String {
    crate::backend::sql::schema_v1("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "BLOB")
}

crate::backend::sql::sql_store! {
    store = SqliteTxStore,
    db = sqlx::Sqlite,
    conn = sqlx::SqliteConnection,
    row = sqlx::sqlite::SqliteRow,
    // Takes the write lock at once: a deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY without waiting when another process wrote between.
    begin_write = "BEGIN IMMEDIATE",
    // SQLite locks the whole database for the writing transaction instead.
    lock_row = "",
    skip_locked = "",
    migration_lock = None::<&'static str>,
    schema = schema_v1(),
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::path::PathBuf;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    use super::{SqliteTxStore, schema_v1};

    crate::backend::sql::v1_fixture!(db = sqlx::Sqlite);

    /// A connection to the file, beside the store's.
    async fn raw(path: &PathBuf) -> sqlx::SqlitePool {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap()
    }

    /// A version-1 file, as the first release left it.
    async fn v1_file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tx.sqlite");
        let pool = raw(&path).await;
        make_v1(&pool, &schema_v1()).await;
        pool.close().await;
        (dir, path)
    }

    #[tokio::test]
    async fn a_version_1_file_is_migrated() {
        let (_dir, path) = v1_file().await;
        let store = SqliteTxStore::open(&path).await.unwrap();
        let pool = raw(&path).await;
        check_migrated(&store, &pool).await;
        store.close().await;
        check_reopened(&SqliteTxStore::open(&path).await.unwrap(), &pool).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_opens_of_a_version_1_file() {
        let (_dir, path) = v1_file().await;
        let stores = open_concurrently(|| SqliteTxStore::open(path.clone())).await;
        check_migrated(&stores[0], &raw(&path).await).await;
    }
}
