//! The token cache in front of a store: fetch on first need, refresh ahead of expiry, and one
//! fetch at a time however many callers arrive together.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{AccessToken, TokenStore};
use crate::Error;
use crate::clock::Clock;

#[derive(Debug)]
pub(crate) struct TokenManager {
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    /// Held while fetching, so concurrent callers share one fetch: the first fetches, the
    /// others wait here and then find its token in the store.
    fetching: tokio::sync::Mutex<()>,
    /// How long a fleet-wide refresh lock lives if its holder never releases it.
    lock_ttl: Duration,
}

/// How often a process waiting for another's token looks in the store.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(25);

/// The default time to live of the fleet-wide refresh lock.
pub(crate) const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(10);

impl TokenManager {
    #[cfg(test)]
    pub(crate) fn new(store: Arc<dyn TokenStore>, clock: Arc<dyn Clock>) -> Self {
        Self::with_lock_ttl(store, clock, DEFAULT_LOCK_TTL)
    }

    pub(crate) fn with_lock_ttl(
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
        lock_ttl: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            fetching: tokio::sync::Mutex::new(()),
            lock_ttl,
        }
    }

    /// A fresh token: the stored one, or a new one from `fetch`.
    pub(crate) async fn token<F, Fut>(&self, fetch: F) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        if let Some(token) = self.fresh_stored().await? {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(token) = self.fresh_stored().await? {
            return Ok(token);
        }
        loop {
            let lock = self
                .store
                .try_lock_refresh(self.lock_ttl)
                .await
                .map_err(Error::TokenStore)?;
            let Some(lock) = lock else {
                if let Some(token) = self.wait_for_other_holder().await? {
                    return Ok(token);
                }
                // The holder neither stored a token nor released in time: it died, and
                // its lock has expired. Try to take over.
                continue;
            };
            // Another process may have stored a token between our read and our lock.
            let result = match self.fresh_stored().await {
                Ok(Some(token)) => Ok(token),
                Ok(None) => self.fetch_and_store(fetch).await,
                Err(e) => Err(e),
            };
            if let Err(e) = self.store.unlock_refresh(&lock).await {
                // The lock expires by itself; the token, if any, is already stored.
                tracing::warn!(error = %e, "could not release the token refresh lock");
            }
            return result;
        }
    }

    async fn fetch_and_store<F, Fut>(&self, fetch: F) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        let token = fetch().await?;
        self.store
            .put(token.clone())
            .await
            .map_err(Error::TokenStore)?;
        tracing::debug!(expires_at = %token.expires_at(), "access token fetched");
        Ok(token)
    }

    /// Polls the store until the lock holder's token appears, for at most the lock's
    /// time to live.
    async fn wait_for_other_holder(&self) -> Result<Option<AccessToken>, Error> {
        let deadline = tokio::time::Instant::now() + self.lock_ttl;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(LOCK_POLL_INTERVAL).await;
            if let Some(token) = self.fresh_stored().await? {
                return Ok(Some(token));
            }
        }
        Ok(None)
    }

    /// Drops `refused` from the store unless another caller already replaced it.
    pub(crate) async fn invalidate(&self, refused: &AccessToken) -> Result<(), Error> {
        self.store
            .compare_and_set(Some(refused), None)
            .await
            .map_err(Error::TokenStore)?;
        Ok(())
    }

    async fn fresh_stored(&self) -> Result<Option<AccessToken>, Error> {
        let stored = self.store.get().await.map_err(Error::TokenStore)?;
        let now = self.clock.now();
        Ok(stored.filter(|token| token.is_fresh(now)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;
    use crate::clock::ManualClock;
    use crate::token::InMemoryTokenStore;

    fn manager(clock: Arc<ManualClock>) -> Arc<TokenManager> {
        Arc::new(TokenManager::new(
            Arc::new(InMemoryTokenStore::new()),
            clock,
        ))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_hundred_cold_callers_share_one_fetch() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 00:00 UTC)));
        let manager = manager(clock.clone());
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let manager = manager.clone();
            let fetches = fetches.clone();
            let clock = clock.clone();
            tasks.push(tokio::spawn(async move {
                manager
                    .token(|| async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(AccessToken::new(
                            "t",
                            clock.now(),
                            Duration::from_secs(3600),
                        ))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose_secret(), "t");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refreshes_ahead_of_expiry_and_after_invalidation() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 00:00 UTC)));
        let manager = manager(clock.clone());
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken::new(
                format!("t{n}"),
                clock.now(),
                Duration::from_secs(600),
            ))
        };
        assert_eq!(manager.token(fetch).await.unwrap().expose_secret(), "t0");
        clock.advance(Duration::from_secs(530)); // within 10 % (60 s) of expiry? not yet
        assert_eq!(manager.token(fetch).await.unwrap().expose_secret(), "t0");
        clock.advance(Duration::from_secs(10)); // 540 s: the refresh point
        let t1 = manager.token(fetch).await.unwrap();
        assert_eq!(t1.expose_secret(), "t1");
        manager.invalidate(&t1).await.unwrap();
        assert_eq!(manager.token(fetch).await.unwrap().expose_secret(), "t2");
    }

    #[tokio::test]
    async fn invalidating_an_old_token_keeps_a_newer_one() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 00:00 UTC)));
        let manager = manager(clock.clone());
        let old = AccessToken::new("old", clock.now(), Duration::from_secs(600));
        let new = manager
            .token(|| async {
                Ok(AccessToken::new(
                    "new",
                    clock.now(),
                    Duration::from_secs(600),
                ))
            })
            .await
            .unwrap();
        manager.invalidate(&old).await.unwrap();
        let again = manager
            .token(|| async { panic!("must not fetch: the newer token is still stored") })
            .await
            .unwrap();
        assert_eq!(again, new);
    }

    /// A shared store where another process holds the refresh lock for the first
    /// `refusals` attempts.
    #[derive(Debug)]
    struct LockedElsewhere {
        inner: InMemoryTokenStore,
        refusals: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl TokenStore for LockedElsewhere {
        async fn get(&self) -> Result<Option<AccessToken>, crate::BoxError> {
            self.inner.get().await
        }
        async fn put(&self, token: AccessToken) -> Result<(), crate::BoxError> {
            self.inner.put(token).await
        }
        async fn compare_and_set(
            &self,
            current: Option<&AccessToken>,
            new: Option<AccessToken>,
        ) -> Result<bool, crate::BoxError> {
            self.inner.compare_and_set(current, new).await
        }
        async fn try_lock_refresh(
            &self,
            _ttl: Duration,
        ) -> Result<Option<super::super::RefreshLock>, crate::BoxError> {
            let refused = self
                .refusals
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            Ok((!refused).then(|| super::super::RefreshLock::new("me")))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_lock_holders_token_instead_of_fetching() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(LockedElsewhere {
            inner: InMemoryTokenStore::new(),
            refusals: AtomicUsize::new(1),
        });
        let manager =
            TokenManager::with_lock_ttl(store.clone(), clock.clone(), Duration::from_secs(5));
        let holder = {
            let (store, clock) = (store.clone(), clock.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let token = AccessToken::new("theirs", clock.now(), Duration::from_secs(3600));
                store.put(token).await.unwrap();
            })
        };
        let fetched = AtomicUsize::new(0);
        let token = manager
            .token(|| async {
                fetched.fetch_add(1, Ordering::SeqCst);
                Ok(AccessToken::new(
                    "mine",
                    clock.now(),
                    Duration::from_secs(3600),
                ))
            })
            .await
            .unwrap();
        holder.await.unwrap();
        assert_eq!(token.expose_secret(), "theirs");
        assert_eq!(fetched.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn takes_over_when_the_holder_dies() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(LockedElsewhere {
            inner: InMemoryTokenStore::new(),
            refusals: AtomicUsize::new(1),
        });
        let ttl = Duration::from_secs(5);
        let manager = TokenManager::with_lock_ttl(store, clock.clone(), ttl);
        let started = tokio::time::Instant::now();
        let token = manager
            .token(|| async {
                Ok(AccessToken::new(
                    "mine",
                    clock.now(),
                    Duration::from_secs(3600),
                ))
            })
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "mine");
        let waited = started.elapsed();
        assert!(
            waited >= ttl && waited < ttl + Duration::from_millis(100),
            "{waited:?}"
        );
    }
}
