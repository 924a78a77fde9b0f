//! Where tokens are kept: in memory by default, or a store shared by a fleet.

use std::fmt::Debug;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::AccessToken;
use crate::BoxError;

/// Keeps the access token, so that one token can serve every client (and every process) that
/// shares the store. The provider asks clients not to issue new tokens while one is valid.
///
/// The default, [`InMemoryTokenStore`], serves one process; a shared implementation (Redis,
/// a database) lets a fleet share one token.
///
/// # How the client uses it
///
/// Each client keeps the token it last used in memory and uses it without asking the
/// store while it is fresh. The store is read only when that copy is missing, due for
/// refresh, or was refused by the provider; then the first process to take the refresh
/// lock fetches a new token and stores it, and the others wait for it to appear.
///
/// Store errors do not fail the client's calls, and no operation is waited for longer
/// than the client's token store timeout (`toss_sign::ClientBuilder::token_store_timeout`).
/// While the store fails, a client goes on with its own token while it is fresh; when it
/// needs a new one, it fetches one for its process alone, keeps it, and offers it to the
/// store in the background with [`compare_and_set`](Self::compare_and_set) from `None`, so
/// that it never replaces a token another process stored meanwhile. After a failure the
/// client leaves the store out for a while (2 s, doubling with each further failure in a
/// row up to 30 s, reset by a success), so that callers queued behind a hung store do not
/// each wait for it. The trade-off: during an outage of a shared store a fleet may hold
/// one token per process (each fetches at most one, fresh for its whole lifetime) instead
/// of one for all; failing every call until the store is back would cost more. From the
/// next refresh after the store is back and that while has passed, the fleet shares one
/// again.
///
/// An implementation should bound its own operations too, and answer `Ok(None)` from
/// [`get`](Self::get) for a value it cannot read, and let `compare_and_set(None, ..)`
/// replace such a value, so that the client replaces it.
#[async_trait]
pub trait TokenStore: Send + Sync + Debug {
    /// The stored token, if any, fresh or not.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    async fn get(&self) -> Result<Option<AccessToken>, BoxError>;

    /// Stores `token`, replacing what was there.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    async fn put(&self, token: AccessToken) -> Result<(), BoxError>;

    /// Replaces the stored token with `new` only if it still equals `current`, and says
    /// whether it did. The client uses it, from `None`, to offer a token it fetched
    /// without the store, so that it never replaces one another process stored.
    ///
    /// # Errors
    ///
    /// When the store cannot be read or written.
    async fn compare_and_set(
        &self,
        current: Option<&AccessToken>,
        new: Option<AccessToken>,
    ) -> Result<bool, BoxError>;

    /// Tries to become, for at most `ttl`, the one holder allowed to fetch a new token;
    /// `Ok(None)` when another holder has it, in which case the client waits for that
    /// holder's token to appear in the store (or for `ttl` to pass, if it died).
    ///
    /// The default grants every request: within one process the client already lets only
    /// one caller fetch. Stores shared between processes override it with a real lock.
    ///
    /// # Errors
    ///
    /// When the store cannot be reached.
    async fn try_lock_refresh(&self, ttl: Duration) -> Result<Option<RefreshLock>, BoxError> {
        let _ = ttl;
        Ok(Some(RefreshLock::new("local")))
    }

    /// Releases `lock` if this holder still has it; a lock that expired and was taken by
    /// another holder is left alone.
    ///
    /// # Errors
    ///
    /// When the store cannot be reached.
    async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), BoxError> {
        let _ = lock;
        Ok(())
    }
}

/// The right to fetch a new token, held until released or until its time to live ends.
///
/// The fencing value is unique to the holder, so that only the holder releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshLock {
    fencing: String,
}

impl RefreshLock {
    /// A lock identified by `fencing`.
    pub fn new(fencing: impl Into<String>) -> Self {
        Self {
            fencing: fencing.into(),
        }
    }

    /// The holder's fencing value.
    #[must_use]
    pub fn fencing(&self) -> &str {
        &self.fencing
    }
}

/// A [`TokenStore`] for one process.
#[derive(Debug, Default)]
pub struct InMemoryTokenStore(Mutex<Option<AccessToken>>);

impl InMemoryTokenStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn get(&self) -> Result<Option<AccessToken>, BoxError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    async fn put(&self, token: AccessToken) -> Result<(), BoxError> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(token);
        Ok(())
    }

    async fn compare_and_set(
        &self,
        current: Option<&AccessToken>,
        new: Option<AccessToken>,
    ) -> Result<bool, BoxError> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref() == current {
            *slot = new;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
