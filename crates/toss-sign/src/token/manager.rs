//! The token cache in front of a store: fetch on first need, refresh ahead of expiry, and one
//! fetch at a time however many callers arrive together.

use std::future::Future;
use std::sync::Arc;

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
}

impl TokenManager {
    pub(crate) fn new(store: Arc<dyn TokenStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            fetching: tokio::sync::Mutex::new(()),
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
        let token = fetch().await?;
        self.store
            .put(token.clone())
            .await
            .map_err(Error::TokenStore)?;
        tracing::debug!(expires_at = %token.expires_at(), "access token fetched");
        Ok(token)
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
}
