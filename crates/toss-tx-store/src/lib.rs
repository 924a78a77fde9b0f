//! Durable stores of Toss Cert signing transactions — in memory, SQLite and PostgreSQL —
//! so that nothing is lost across crashes, restarts and a fleet of processes.
//!
//! The trait they implement, [`TxStore`], and the values it
//! keeps ([`TxRecord`], [`TxState`],
//! [`Lease`], …) live in `toss-runtime`'s
//! [`tx`](toss_runtime::tx) module, beside the client's other runtime policy: this crate
//! holds only the backends, and the client (`toss-sign`) writes through the trait. A
//! backend compiles without the client.
//!
//! # Backends
//!
//! | type | feature | for |
//! |---|---|---|
//! | [`MemoryTxStore`] | always | tests and examples; lost with the process |
//! | `SqliteTxStore` | `sqlite` (default) | one machine: a WAL-mode file its processes share |
//! | `PostgresTxStore` | `postgres` | a fleet: one database, claims `FOR UPDATE SKIP LOCKED`; over TLS with `postgres-tls` |
//!
//! [`open_location`] opens one from a single string (the client's `TOSS_CERT_STORE`): a
//! `postgres://` URL or a SQLite path.
//!
//! Both databases go through [sqlx](https://docs.rs/sqlx): one well-kept async driver
//! for both, on tokio, with the pool, transactions and SQLite bundled (no system
//! library). Statements are
//! plain `sqlx::query` with binds, not the compile-time macros, so building needs no
//! database; the schema is embedded SQL the store applies when it opens (under a lock:
//! `BEGIN IMMEDIATE` in SQLite, an advisory lock in PostgreSQL), recorded in
//! `toss_tx_schema`. An older schema is brought up to date in that same transaction, so
//! processes opening an old database at once do not race; a newer one is refused
//! ([`Error::SchemaTooNew`]).
//!
//! # Durability
//!
//! Every writing operation runs in one database transaction and returns after its
//! commit. SQLite runs with `synchronous = FULL`, so a commit survives a process kill
//! and a power cut; PostgreSQL commits with its default `synchronous_commit = on`.
//! Checks and changes that must not be split (one `New` per key, the fetch count never
//! above 2, one lease holder at a time) are single conditional statements or run under
//! the row lock (PostgreSQL) or the database write lock (SQLite, `BEGIN IMMEDIATE`), so
//! they hold across processes and machines, not only across tasks.
//!
//! # Schema (version 2)
//!
//! - `toss_tx`: one row per transaction: `idempotency_key` (unique), `tx_id` (unique),
//!   `answer`, `summary`, `state`, `fetch_count`, `result_body`, `proof_signed_doc`,
//!   `proof_document_hash`, `proof_completed_at`, `proof_report`, `proof_evidence`
//!   ([`Proof::evidence`], JSON text the store does not read; `NULL` for none, and for
//!   proofs stored under version 1), `lease_holder`,
//!   `lease_token`, `lease_expires_at`, `created_at`, `updated_at`, `purged_at`,
//!   `next_check_at` (when the reconciler may claim it again; `NULL`: at once);
//! - `toss_tx_event`: `(tx_row, state, at)`, one row per state change;
//! - `toss_tx_outbox`: `(tx_row, created_at, lease_holder, lease_expires_at, claims)`,
//!   one row per stored proof until acknowledged;
//! - `toss_tx_schema`: the applied versions. Version 2 added `proof_evidence`
//!   (`ALTER TABLE toss_tx ADD COLUMN proof_evidence TEXT`).
//!
//! Times are integers, microseconds since the Unix epoch (the same in both databases);
//! the store keeps times to the microsecond.
//!
//! # Dependencies
//!
//! - `sqlx` (optional, with `default-features = false`): see above; only its tokio
//!   runtime and the chosen databases are compiled. With `postgres-tls`, its rustls TLS on
//!   aws-lc-rs: the TLS stack and the crypto library the rest of the workspace already uses
//!   (reqwest, toss-crypto), so a fleet's database link is encrypted and verified without a
//!   second TLS implementation.
//! - `toss-runtime`: the trait and its values.
//! - `async-trait`: the backends implement the trait as it is declared (`Arc<dyn TxStore>`
//!   needs it).
//! - `time` for [`time::OffsetDateTime`], as in the rest of the workspace.
//! - `tokio` (with `sqlite`; only its timer): the pause between attempts to open a new
//!   SQLite file that other processes are opening too. sqlx already runs on it.
//! - `tempfile` (optional, feature `test-util`): the directory of a
//!   `testing::PostgresServer`, removed on drop.
//! - Tests only: `tokio`, `tempfile` (a directory per SQLite file).
//!
//! # Testing
//!
//! The feature `test-util` adds `testing::PostgresServer`, a private PostgreSQL
//! server per test (`initdb` and `pg_ctl` of an installed PostgreSQL), for this crate's
//! tests and those of the crates built on it.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), toss_runtime::tx::Error> {
//! use std::time::Duration;
//! use time::OffsetDateTime;
//! use toss_runtime::tx::{Begin, IdempotencyKey, TxId, TxState, TxStore};
//! use toss_tx_store::MemoryTxStore;
//!
//! let store = MemoryTxStore::new();
//! let now = OffsetDateTime::now_utc();
//! let key = IdempotencyKey::new("order-1042")?;
//!
//! // Before sending: the summary is sealed by the caller.
//! let begin = store.begin_intent(&key, b"sealed summary", now).await?;
//! assert!(begin.is_new());
//! // Right after the provider's answer.
//! let tx_id = TxId::new("8a1f0c3e-7f0b-4a8e-9c1e-2b6f3d5a7c90")?;
//! store.record_tx_id(&key, &tx_id, b"sealed answer", now).await?;
//! store.record_status(&tx_id, TxState::Completed, now).await?;
//!
//! // Fetching the result: lease, count, fetch, store.
//! let lease = store
//!     .acquire_lease(&tx_id, "worker-1", Duration::from_secs(30), now)
//!     .await?
//!     .expect("nobody else holds it");
//! assert_eq!(store.count_fetch(&lease, now).await?, 1);
//! store.store_result(&lease, b"sealed result body", now).await?;
//! store.release_lease(&lease).await?;
//!
//! // A retried handler finds the transaction and sends nothing.
//! match store.begin_intent(&key, b"sealed summary", now).await? {
//!     Begin::Existing(record) => assert_eq!(record.state, TxState::ResultStored),
//!     Begin::New(_) => unreachable!(),
//! }
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod backend;
mod error;
mod location;
#[cfg(feature = "test-util")]
pub mod testing;
mod time_util;

// The trait and its values, in scope for the backends as `crate::…`.
use toss_runtime::tx::{
    Begin, Error, IdempotencyKey, Lease, ListFilter, OutboxEntry, Proof, TxEvent, TxId, TxRecord,
    TxState, TxStore,
};

pub use backend::memory::MemoryTxStore;
#[cfg(feature = "postgres")]
pub use backend::postgres::{PostgresTxStore, PostgresTxStoreBuilder};
#[cfg(feature = "sqlite")]
pub use backend::sqlite::{SqliteTxStore, SqliteTxStoreBuilder};
pub use location::open_location;
