#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod crash;
mod credentials;
pub mod env;
mod error;
mod poll;
mod reconciler;
mod request;
mod signed;
mod token;

pub use client::{Client, ClientBuilder, TossCertClient};
pub use credentials::{ClientSecret, Environment};
pub use error::{BoxError, Error, ResultLimit};
pub use poll::PollPolicy;
pub use reconciler::{Pass, Reconciler, ReconcilerBuilder, Schedule};
pub use request::{SignatureRequest, SignatureRequestBuilder, SignatureRequested, SignatureStatus};
pub use signed::{Person, SignedDoc, SignedDocument};
pub use toss_model::plain::{Document, Signer, Trigger};

pub use toss_crypto::{Algorithm, CryptoProvider, DataKey, DataKeyRing, Session, SessionGenerator};
pub use toss_model::{Operation, ResultResponse, SignStatus, TxId};
pub use toss_runtime as runtime;
#[cfg(any(test, feature = "test-util"))]
pub use toss_runtime::clock::ManualClock;
pub use toss_runtime::clock::{Clock, SystemClock};
pub use toss_runtime::retry::{RetryBudget, RetryPolicy};
pub use toss_runtime::token::{AccessToken, InMemoryTokenStore, RefreshLock, TokenStore};
pub use toss_runtime::tx::TxStore;
pub use toss_signed_doc::TrustAnchors;
pub use toss_transport::{HttpBackend, HttpTransport, SharedHttpTransport, TlsProvider};
pub use toss_tx_store as tx_store;
