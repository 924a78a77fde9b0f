//! The conformance suite on SQLite (several pools on one file stand for several
//! processes), durability across a `kill -9`, and the file's settings.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::future::Future;
use std::path::PathBuf;

use sqlx::Connection as _;
use toss_runtime::tx::{Error, TxStore};
use toss_tx_store::SqliteTxStore;

struct Sqlite {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl support::Backend for Sqlite {
    type Store = SqliteTxStore;
    fn open(&self) -> impl Future<Output = SqliteTxStore> + Send {
        let path = self.path.clone();
        async move { SqliteTxStore::open(path).await.unwrap() }
    }
}

async fn backend() -> Sqlite {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.sqlite");
    Sqlite { _dir: dir, path }
}

conformance!(backend);

#[tokio::test]
async fn survives_kill_9_of_the_writer() {
    let b = backend().await;
    support::run_child_and_kill("child_writer", b.path.to_str().unwrap());
    let store = SqliteTxStore::open(&b.path).await.unwrap();
    support::check_child_writes(&store).await;
}

#[tokio::test]
#[ignore = "the child process of survives_kill_9_of_the_writer"]
async fn child_writer() {
    let path = std::env::var(support::CHILD_TARGET)
        .expect("run by survives_kill_9_of_the_writer with the store path set");
    let store = SqliteTxStore::open(path).await.unwrap();
    support::child_write(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_of_a_new_file() {
    // Several new files, since the race of turning a new file to WAL is lost only now
    // and then (a tenth of single rounds before opening tried again).
    for _ in 0..5 {
        let b = backend().await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let path = b.path.clone();
            tasks.push(tokio::spawn(async move { SqliteTxStore::open(path).await }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let store = t.await.unwrap().unwrap();
            support::requested(&store, &format!("s{i}"), support::at(0)).await;
        }
    }
}

#[tokio::test]
async fn reopened_file_keeps_everything_in_wal_mode() {
    let b = backend().await;
    let store = SqliteTxStore::open(&b.path).await.unwrap();
    let t = support::requested(&store, "a", support::at(0)).await;
    store.close().await;
    drop(store);
    let store = SqliteTxStore::builder(&b.path)
        .busy_timeout(std::time::Duration::from_secs(2))
        .max_connections(1)
        .open()
        .await
        .unwrap();
    assert!(store.get_by_tx_id(&t).await.unwrap().is_some());
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", b.path.display()))
        .await
        .unwrap();
    let mode: (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode.0, "wal");
    let debug = format!("{store:?}");
    assert!(debug.contains("SqliteTxStore"));
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let b = backend().await;
    SqliteTxStore::open(&b.path).await.unwrap().close().await;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", b.path.display()))
        .await
        .unwrap();
    sqlx::query("INSERT INTO toss_tx_schema (version) VALUES (99)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let err = SqliteTxStore::open(&b.path).await.unwrap_err();
    assert!(matches!(
        err,
        Error::SchemaTooNew {
            found: 99,
            supported: 2
        }
    ));
    assert_eq!(
        err.to_string(),
        "the database schema is version 99, newer than this crate's 2"
    );
}

#[tokio::test]
async fn unopenable_file_is_a_database_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteTxStore::open(dir.path().join("missing-dir").join("tx.sqlite"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database { .. }));
    assert_eq!(err.to_string(), "database error while opening the database");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn open_location_picks_sqlite_for_a_path() {
    let b = backend().await;
    let store = toss_tx_store::open_location(b.path.to_str().unwrap())
        .await
        .unwrap();
    let t = support::requested(&*store, "a", support::at(0)).await;
    let again = toss_tx_store::open_location(&format!("sqlite://{}", b.path.display()))
        .await
        .unwrap();
    assert!(again.get_by_tx_id(&t).await.unwrap().is_some());
    assert!(format!("{store:?}").contains("SqliteTxStore"));
}
