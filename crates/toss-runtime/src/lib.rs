//! The runtime policy every layer of the Toss Cert (토스인증) SDK shares, in one small
//! crate that knows no client: what time it is, where access tokens and signing
//! transactions are kept, and when a call is sent again.
//!
//! | module | what it holds | who implements or uses it |
//! |---|---|---|
//! | [`clock`] | [`Clock`](clock::Clock), the system clock, a manual clock for tests | the client, the emulator |
//! | [`token`] | [`AccessToken`](token::AccessToken), the [`TokenStore`](token::TokenStore) trait, an in-memory store | the client; `toss-token-redis` implements the store on Redis |
//! | [`tx`] | the [`TxStore`](tx::TxStore) trait of durable signing transactions and its values | the client; `toss-tx-store` implements it on SQLite, PostgreSQL and memory |
//! | [`retry`] | the retry classifier chain, [`RetryPolicy`](retry::RetryPolicy), a shared [`RetryBudget`](retry::RetryBudget) | every call of the client |
//!
//! A store backend depends on this crate and on nothing of the client's (`toss-sign`,
//! its HTTP stacks, its cryptography): `toss-token-redis` and `toss-tx-store` build
//! without them.
//!
//! # Crate features
//!
//! - `test-util` (off by default): [`ManualClock`](clock::ManualClock).
//!
//! # Why these dependencies
//!
//! `toss-model` for the provider's error codes the retry classifiers read; `async-trait`
//! because the stores are used as `Arc<dyn …>`, which native `async fn` in traits does not
//! allow yet; `time` (the workspace's one date-time crate); `httpdate` reads the HTTP
//! dates of `Retry-After`; `fastrand` draws the backoff's jitter; `zeroize` wipes tokens;
//! `thiserror` writes the errors; `tracing` says why a retry was not made.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clock;
pub mod retry;
pub mod token;
pub mod tx;

/// A boxed error from a store or another lower layer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
