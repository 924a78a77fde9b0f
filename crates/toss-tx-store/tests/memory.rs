//! The conformance suite on the in-memory store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::future::Future;

use toss_tx_store::MemoryTxStore;

/// Clones share one store, as instances of one database do.
struct Memory(MemoryTxStore);

impl support::Backend for Memory {
    type Store = MemoryTxStore;
    fn open(&self) -> impl Future<Output = MemoryTxStore> + Send {
        let store = self.0.clone();
        async move { store }
    }
}

async fn backend() -> Memory {
    Memory(MemoryTxStore::new())
}

conformance!(backend);
