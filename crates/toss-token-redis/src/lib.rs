//! A [`TokenStore`](toss_sign::TokenStore) on Redis, so that every process of a service
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
//!   expire after its TTL ([`toss_sign::ClientBuilder::token_lock_ttl`]), after which
//!   another process takes over.
//! - Dropping a refused token is a compare-and-set (Lua), so a process never deletes a
//!   newer token another one stored.
//! - Connecting and every command time out after
//!   [`RedisTokenStoreBuilder::timeout`] (2 s by default), so a Redis that stops
//!   answering fails the client's calls with a token store error instead of hanging them.
//! - The Redis expiry is computed from the system clock, as is the client's by default.
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
//! which reconnects by itself; `getrandom` for fencing values.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod store;

pub use error::Error;
pub use store::{RedisTokenStore, RedisTokenStoreBuilder};
