//! The conformance suite on a real PostgreSQL server each test starts (several pools
//! stand for several processes), and durability across a `kill -9`.

#![cfg(all(feature = "postgres", feature = "test-util"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::future::Future;

use toss_runtime::tx::Error;
use toss_tx_store::PostgresTxStore;
use toss_tx_store::testing::PostgresServer;

struct Postgres {
    server: PostgresServer,
}

impl support::Backend for Postgres {
    type Store = PostgresTxStore;
    fn open(&self) -> impl Future<Output = PostgresTxStore> + Send {
        let url = self.server.url();
        async move { PostgresTxStore::connect(&url).await.unwrap() }
    }
}

async fn backend() -> Postgres {
    Postgres {
        server: PostgresServer::start().await,
    }
}

conformance!(backend);

#[tokio::test]
async fn survives_kill_9_of_the_writer() {
    let server = PostgresServer::start().await;
    support::run_child_and_kill("child_writer", &server.url());
    let store = PostgresTxStore::connect(&server.url()).await.unwrap();
    support::check_child_writes(&store).await;
}

#[tokio::test]
#[ignore = "the child process of survives_kill_9_of_the_writer"]
async fn child_writer() {
    let url = std::env::var(support::CHILD_TARGET)
        .expect("run by survives_kill_9_of_the_writer with the database URL set");
    let store = PostgresTxStore::connect(&url).await.unwrap();
    support::child_write(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connects_to_a_new_database() {
    let server = PostgresServer::start().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = server.url();
        tasks.push(tokio::spawn(async move {
            PostgresTxStore::builder(&url)
                .max_connections(2)
                .connect()
                .await
        }));
    }
    for t in tasks {
        let store = t.await.unwrap().unwrap();
        let debug = format!("{store:?}");
        assert!(!debug.contains("postgres://"), "no URL in Debug");
    }
}

#[tokio::test]
async fn unreachable_database_is_a_database_error() {
    // A port nobody listens on: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://user:secret-password@127.0.0.1:{port}/db");
    let err = PostgresTxStore::builder(&url)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database { .. }));
    assert!(!err.to_string().contains("secret-password"));
    let builder = format!("{:?}", PostgresTxStore::builder(&url));
    assert!(!builder.contains("secret-password"));
}

#[tokio::test]
async fn open_location_picks_postgres_for_a_url() {
    let server = PostgresServer::start().await;
    let store = toss_tx_store::open_location(&server.url()).await.unwrap();
    let t = support::requested(&*store, "a", support::at(0)).await;
    let direct = PostgresTxStore::connect(&server.url()).await.unwrap();
    use toss_runtime::tx::TxStore as _;
    assert!(direct.get_by_tx_id(&t).await.unwrap().is_some());
    assert!(format!("{store:?}").contains("PostgresTxStore"));
}

/// Opens its stores with a server default of SERIALIZABLE (sent in the URL, as a
/// database's own setting would apply): the store's own `READ COMMITTED` must win.
struct SerializableDefault {
    server: PostgresServer,
}

impl support::Backend for SerializableDefault {
    type Store = PostgresTxStore;
    fn open(&self) -> impl Future<Output = PostgresTxStore> + Send {
        let url = format!(
            "{}?options=-c%20default_transaction_isolation%3Dserializable",
            self.server.url()
        );
        async move { PostgresTxStore::connect(&url).await.unwrap() }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn races_stay_clean_under_a_serializable_default() {
    use sqlx::Connection as _;
    let backend = SerializableDefault {
        server: PostgresServer::start().await,
    };
    // The setting really reaches the session: what the store's own BEGIN overrides.
    let url = format!(
        "{}?options=-c%20default_transaction_isolation%3Dserializable",
        backend.server.url()
    );
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let level: String = sqlx::query_scalar("SHOW default_transaction_isolation")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(level, "serializable");
    conn.close().await.unwrap();
    // Each case on a fresh database: they count every record there.
    let fresh = || async {
        SerializableDefault {
            server: PostgresServer::start().await,
        }
    };
    let run = async {
        support::begin_intent_concurrent_one_new(&backend).await;
        support::lease_concurrent_one_holder(&fresh().await).await;
        support::fetch_count_concurrent_never_above_two(&fresh().await).await;
        support::claim_unfinished_disjoint(&fresh().await).await;
        support::outbox_at_least_once(&fresh().await).await;
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("finished within 120 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_locked_elsewhere_fails_after_the_lock_timeout() {
    use sqlx::Connection as _;
    use toss_runtime::tx::{TxState, TxStore as _};
    let server = PostgresServer::start().await;
    let store = PostgresTxStore::builder(&server.url())
        .lock_timeout(std::time::Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    let t = support::requested(&store, "a", support::at(0)).await;
    // Another session holds the row lock and sits in its transaction.
    let mut other = sqlx::PgConnection::connect(&server.url()).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("SELECT id FROM toss_tx WHERE tx_id = $1 FOR UPDATE")
        .bind(t.as_str())
        .execute(&mut other)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let got = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        store.record_status(&t, TxState::InProgress, support::at(1)),
    )
    .await
    .expect("the lock wait is bounded by lock_timeout, not by this test");
    let err = got.unwrap_err();
    assert!(matches!(err, Error::Database { .. }), "{err}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    // The store's other connections still work, and the lock holder can finish.
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    assert!(
        store
            .record_status(&t, TxState::InProgress, support::at(2))
            .await
            .unwrap()
    );
}

/// With `postgres-tls`, `sslmode=verify-full` and the server's CA: the connection is TLS,
/// and a server the CA did not certify is refused.
#[cfg(feature = "postgres-tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_connections_are_encrypted_and_verified() {
    use sqlx::Row as _;
    use toss_runtime::tx::TxStore as _;

    let server = PostgresServer::start_with_tls().await;
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        server.url(),
        server.ca_certificate().display()
    );
    let store = PostgresTxStore::connect(&url).await.unwrap();
    let key = toss_runtime::tx::IdempotencyKey::new("tls-1").unwrap();
    let begin = store
        .begin_intent(&key, b"sealed", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(begin.is_new());
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let row = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(row.get::<bool, _>("ssl"), "the connection is TLS");

    // Another server's CA: refused, nothing sent in the clear instead.
    let other = PostgresServer::start_with_tls().await;
    let wrong = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        server.url(),
        other.ca_certificate().display()
    );
    assert!(PostgresTxStore::connect(&wrong).await.is_err());
}
