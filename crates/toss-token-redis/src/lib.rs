//! A [`TokenStore`](toss_runtime::token::TokenStore) on Redis, so that every process of a service
//! shares one Toss Cert access token.
//!
//! The provider asks clients not to issue a new token while one is valid. With the
//! default in-memory store each process fetches its own; with [`RedisTokenStore`] the
//! whole fleet keeps one token in Redis, and when it needs refreshing exactly one
//! process fetches it while the others wait and then read it.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use toss_sign::Client;
//! use toss_token_redis::RedisTokenStore;
//!
//! let store = RedisTokenStore::builder("redis://127.0.0.1:6379/")
//!     .namespace("my-service")
//!     .connect()
//!     .await?;
//! let client = Client::builder()
//!     .client_id("test_a8e23336d673ca70922b485fe806eb2d")
//!     .client_secret("test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3")
//!     .token_store(Arc::new(store))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! # How it works
//!
//! - The token lives under `toss-cert:<namespace>:token` as
//!   `<issued ms>:<expires ms>:<token>`, with a Redis expiry at the token's own, so
//!   Redis never serves a dead token.
//! - Refreshing takes the lock `toss-cert:<namespace>:token-lock` with
//!   `SET NX PX <ttl>` and a random fencing value; only the holder releases it (a Lua
//!   script compares the value before deleting). A holder that dies leaves the lock to
//!   expire after its TTL (the client's `token_lock_ttl`), after which
//!   another process takes over.
//! - Dropping a refused token is a compare-and-set (Lua), so a process never deletes a
//!   newer token another one stored.
//! - Connecting and every command time out after [`RedisTokenStoreBuilder::timeout`]
//!   (1 s by default) with [`Error::Timeout`], including while the connection is being
//!   re-established, so a Redis that is down or hung never holds a call longer.
//! - The connection is re-established by the `redis` crate's connection manager: a first
//!   attempt as soon as it is lost, then 1 to 2 seconds (1 s plus a random part) between
//!   attempts, each attempt bounded by the timeout, for as long as the store is used; on
//!   Linux a connection whose data goes unacknowledged (a peer gone without a reset) is
//!   dropped after four timeouts (at least 4 s), and so replaced too.
//! - A stored value this crate cannot read (another format, garbage) counts as no token:
//!   [`get`](toss_runtime::token::TokenStore::get) logs a warning (never the value) and answers
//!   `None`, so that the client fetches a token and overwrites it, and
//!   [`compare_and_set`](toss_runtime::token::TokenStore::compare_and_set) from `None` replaces it.
//! - The Redis expiry is computed from the system clock, as is the client's by default.
//!
//! # When Redis is down
//!
//! The client keeps its token in memory and reads Redis only when it needs a new one
//! (missing, due for refresh, or refused by the provider), so an outage goes unnoticed
//! while the tokens are fresh. A process that needs a new one during an outage waits at
//! most one timeout for Redis, then fetches a token of its own, keeps it, and offers it
//! to Redis in the background (only if Redis holds none). After that failure it leaves
//! Redis out for 2 s (doubling with each further failure, up to 30 s), so that calls
//! queued behind the first do not each wait another timeout. The trade-off: during an
//! outage the fleet may hold one token per process (each fetches at most one, fresh for
//! its whole lifetime) instead of one for all, because failing every call until Redis is
//! back costs more than a few extra tokens. A Redis restarted empty is filled again at
//! the next refresh.
//!
//! Works with Redis 6 and later (no command newer than `SET … NX PX` and `EVALSHA`).
//!
//! # Security
//!
//! The token is stored in Redis as is: protect the Redis instance as you would the
//! token (network access, `requirepass`/ACLs, TLS where the network is shared). It never
//! appears in this crate's errors or `Debug` output.
//!
//! # Dependencies
//!
//! `redis` (the maintained Redis client for Rust) with its tokio connection manager,
//! which reconnects by itself; `tokio`'s timer (already under `redis`) to bound every
//! command, which the manager does not while it reconnects; `tracing` (already under
//! `toss-sign`) for the warning about unreadable values; `getrandom` for fencing values.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod store;

pub use error::Error;
pub use store::{RedisTokenStore, RedisTokenStoreBuilder};
