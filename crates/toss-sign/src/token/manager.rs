//! The token cache in front of a store: a token kept in this process while fresh, the
//! store read only when that copy is missing, due for refresh or refused, one fetch at a
//! time however many callers arrive together, and a process-local fetch when the store
//! fails (see the [module docs](super) for the trade-off), after which the store is left
//! out for a short while.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::{BoxError, Error};
use toss_runtime::clock::Clock;
use toss_runtime::token::{AccessToken, RefreshLock, TokenStore};

#[derive(Debug)]
pub(crate) struct TokenManager {
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    /// This process's copy, and the last token the provider refused.
    local: Mutex<Local>,
    /// Held while acquiring, so concurrent callers share one store read and one fetch:
    /// the first acquires, the others wait here and then find its token in `local`.
    fetching: tokio::sync::Mutex<()>,
    /// How long a fleet-wide refresh lock lives if its holder never releases it.
    lock_ttl: Duration,
    /// The longest one store operation may take before the client stops waiting for it.
    store_timeout: Duration,
}

#[derive(Debug, Default)]
struct Local {
    token: Option<AccessToken>,
    /// Never taken back from the store, even if it is still there: another process may
    /// not have replaced it yet.
    refused: Option<AccessToken>,
    /// Set when a store operation failed or timed out: until then acquisitions leave the
    /// store out, so that callers queued behind a failed one (whose fetch failed too) do
    /// not each wait for the same hung store in turn.
    skip_store_until: Option<tokio::time::Instant>,
    /// Store failures since the last success; the window grows with them.
    store_failures: u32,
}

/// How long the store is left out after its first failure; doubled with each further
/// failure in a row, up to [`MAX_STORE_SKIP`], and back to this after a success.
const STORE_SKIP: Duration = Duration::from_secs(2);
/// The longest the store is left out: a store that is back is used again within this.
const MAX_STORE_SKIP: Duration = Duration::from_secs(30);

/// How often a process waiting for another's token looks in the store.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(25);

/// The default time to live of the fleet-wide refresh lock.
pub(crate) const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(10);

/// The default bound on one store operation. A backstop for stores without their own
/// timeout; `toss-token-redis` gives up sooner (1 s) by default.
pub(crate) const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the store was left out of an acquisition, for the log.
#[derive(Debug, thiserror::Error)]
#[error("the token store did not answer within {0:?}")]
struct StoreTimeout(Duration);

impl TokenManager {
    #[cfg(test)]
    pub(crate) fn new(store: Arc<dyn TokenStore>, clock: Arc<dyn Clock>) -> Self {
        Self::with_settings(store, clock, DEFAULT_LOCK_TTL, DEFAULT_STORE_TIMEOUT)
    }

    pub(crate) fn with_settings(
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
        lock_ttl: Duration,
        store_timeout: Duration,
    ) -> Self {
        Self {
            store,
            clock,
            local: Mutex::new(Local::default()),
            fetching: tokio::sync::Mutex::new(()),
            lock_ttl,
            store_timeout,
        }
    }

    /// A fresh token: this process's copy, else the stored one, else a new one from
    /// `fetch`.
    ///
    /// Only `fetch` can fail it: a store that fails or does not answer in time is left
    /// out, and the token fetched without it is kept in this process.
    pub(crate) async fn token<F, Fut>(&self, fetch: F) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        if let Some(token) = self.fresh_local() {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(token) = self.fresh_local() {
            return Ok(token);
        }
        let token = self.acquire(fetch).await?;
        self.local().token = Some(token.clone());
        Ok(token)
    }

    /// Drops `refused` from this process unless a newer token already replaced it, and
    /// never takes it from the store again. Touches no store: the next acquisition
    /// replaces it there under the refresh lock.
    ///
    /// Infallible; the `Result` keeps the call sites' `?` should that change.
    pub(crate) async fn invalidate(&self, refused: &AccessToken) -> Result<(), Error> {
        let mut local = self.local();
        if local
            .token
            .as_ref()
            .is_some_and(|token| same_value(token, refused))
        {
            local.token = None;
        }
        local.refused = Some(refused.clone());
        Ok(())
    }

    /// The stored token, or one fetched under the fleet-wide lock, or (when the store
    /// fails) one fetched alone.
    async fn acquire<F, Fut>(&self, fetch: F) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        if let Some(left) = self.store_skipped_for() {
            tracing::debug!(
                ?left,
                "the token store failed a moment ago; fetching an access token for this process"
            );
            return self.fetch_without_store(fetch).await;
        }
        match self.fresh_stored().await {
            Ok(Some(token)) => return Ok(token),
            Ok(None) => {}
            Err(e) => return self.fetch_alone(fetch, &e).await,
        }
        loop {
            let lock = match self
                .bounded(self.store.try_lock_refresh(self.lock_ttl))
                .await
            {
                Ok(lock) => lock,
                Err(e) => return self.fetch_alone(fetch, &e).await,
            };
            let Some(lock) = lock else {
                match self.wait_for_other_holder().await {
                    Ok(Some(token)) => return Ok(token),
                    // The holder neither stored a token nor released in time: it died,
                    // and its lock has expired. Try to take over.
                    Ok(None) => continue,
                    Err(e) => return self.fetch_alone(fetch, &e).await,
                }
            };
            return self.fetch_locked(fetch, &lock).await;
        }
    }

    /// With the lock held: the token another process stored since our read, or a new one,
    /// stored before the lock is released so that the waiting processes find it.
    async fn fetch_locked<F, Fut>(&self, fetch: F, lock: &RefreshLock) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        let stored = match self.fresh_stored().await {
            Ok(stored) => stored,
            // The lock expires by itself.
            Err(e) => return self.fetch_alone(fetch, &e).await,
        };
        let (result, stored_ok) = match stored {
            Some(token) => (Ok(token), true),
            None => match fetch().await {
                Ok(token) => {
                    tracing::debug!(expires_at = %token.expires_at(), "access token fetched");
                    let put = self.bounded(self.store.put(token.clone())).await;
                    if let Err(e) = &put {
                        tracing::warn!(
                            error = %e,
                            "could not store the new access token; this process keeps it"
                        );
                    }
                    (Ok(token), put.is_ok())
                }
                Err(e) => (Err(e), true),
            },
        };
        // After a failed put the store is failing: leave the lock to expire rather than
        // wait for it again.
        if stored_ok && let Err(e) = self.bounded(self.store.unlock_refresh(lock)).await {
            tracing::warn!(error = %e, "could not release the token refresh lock");
        }
        result
    }

    /// The store failed (`why`): fetch a token for this process alone, and offer it to the
    /// store in the background, without waiting for a store that just failed.
    async fn fetch_alone<F, Fut>(&self, fetch: F, why: &BoxError) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        tracing::warn!(
            error = %why,
            "the token store is unavailable; fetching an access token for this process"
        );
        self.fetch_without_store(fetch).await
    }

    /// A token fetched for this process alone, offered to the store in the background.
    async fn fetch_without_store<F, Fut>(&self, fetch: F) -> Result<AccessToken, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, Error>>,
    {
        let token = fetch().await?;
        tracing::debug!(expires_at = %token.expires_at(), "access token fetched without the store");
        let (store, timeout, offered) = (self.store.clone(), self.store_timeout, token.clone());
        // Only into an empty slot (or one the store cannot read): a plain put could
        // replace the token another process has just stored under the refresh lock. A
        // stale token left there is replaced by the next refresh under the lock.
        tokio::spawn(async move {
            match tokio::time::timeout(timeout, store.compare_and_set(None, Some(offered))).await {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => tracing::debug!("the token store already holds a token"),
                Ok(Err(e)) => tracing::debug!(error = %e, "the token store is still unavailable"),
                Err(_) => tracing::debug!("the token store is still not answering"),
            }
        });
        Ok(token)
    }

    /// Polls the store until the lock holder's token appears, for at most the lock's
    /// time to live.
    async fn wait_for_other_holder(&self) -> Result<Option<AccessToken>, BoxError> {
        let deadline = tokio::time::Instant::now() + self.lock_ttl;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(LOCK_POLL_INTERVAL).await;
            if let Some(token) = self.fresh_stored().await? {
                return Ok(Some(token));
            }
        }
        Ok(None)
    }

    /// The stored token if it is fresh and not the one the provider refused.
    async fn fresh_stored(&self) -> Result<Option<AccessToken>, BoxError> {
        let stored = self.bounded(self.store.get()).await?;
        let now = self.clock.now();
        let local = self.local();
        Ok(stored.filter(|token| {
            token.is_fresh(now)
                && !local
                    .refused
                    .as_ref()
                    .is_some_and(|refused| same_value(token, refused))
        }))
    }

    fn fresh_local(&self) -> Option<AccessToken> {
        let now = self.clock.now();
        self.local()
            .token
            .as_ref()
            .filter(|token| token.is_fresh(now))
            .cloned()
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `operation`, failed if the store takes longer than `store_timeout`; its outcome
    /// opens or closes the window in which the store is left out.
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, BoxError>>,
    ) -> Result<T, BoxError> {
        let result = tokio::time::timeout(self.store_timeout, operation)
            .await
            .unwrap_or_else(|_| Err(Box::new(StoreTimeout(self.store_timeout))));
        let mut local = self.local();
        if result.is_ok() {
            local.store_failures = 0;
            local.skip_store_until = None;
        } else {
            local.store_failures = local.store_failures.saturating_add(1);
            let doublings = local.store_failures.saturating_sub(1).min(8);
            let skip = STORE_SKIP
                .saturating_mul(1 << doublings)
                .min(MAX_STORE_SKIP);
            local.skip_store_until = Some(tokio::time::Instant::now() + skip);
        }
        result
    }

    /// How much longer the store is left out, if it is.
    fn store_skipped_for(&self) -> Option<Duration> {
        let until = self.local().skip_store_until?;
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        (!left.is_zero()).then_some(left)
    }
}

/// The same token, whatever precision its times were kept to (a store may round them).
fn same_value(a: &AccessToken, b: &AccessToken) -> bool {
    a.expose_secret() == b.expose_secret()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use time::macros::datetime;

    use super::*;
    use toss_runtime::clock::ManualClock;
    use toss_runtime::token::InMemoryTokenStore;

    fn manager(clock: Arc<ManualClock>) -> Arc<TokenManager> {
        Arc::new(TokenManager::new(
            Arc::new(InMemoryTokenStore::new()),
            clock,
        ))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_hundred_cold_callers_share_one_fetch() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
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
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
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
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
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
        /// Reads fail from now on.
        down: std::sync::atomic::AtomicBool,
    }

    impl LockedElsewhere {
        /// Another process holds the lock at the first attempt only; reads work.
        fn refusing_once() -> Self {
            Self {
                inner: InMemoryTokenStore::new(),
                refusals: AtomicUsize::new(1),
                down: std::sync::atomic::AtomicBool::new(false),
            }
        }
    }

    #[async_trait::async_trait]
    impl TokenStore for LockedElsewhere {
        async fn get(&self) -> Result<Option<AccessToken>, BoxError> {
            if self.down.load(Ordering::SeqCst) {
                return Err("down".into());
            }
            self.inner.get().await
        }
        async fn put(&self, token: AccessToken) -> Result<(), BoxError> {
            self.inner.put(token).await
        }
        async fn compare_and_set(
            &self,
            current: Option<&AccessToken>,
            new: Option<AccessToken>,
        ) -> Result<bool, BoxError> {
            self.inner.compare_and_set(current, new).await
        }
        async fn try_lock_refresh(&self, _ttl: Duration) -> Result<Option<RefreshLock>, BoxError> {
            let refused = self
                .refusals
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            Ok((!refused).then(|| RefreshLock::new("me")))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_lock_holders_token_instead_of_fetching() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(LockedElsewhere::refusing_once());
        let manager = TokenManager::with_settings(
            store.clone(),
            clock.clone(),
            Duration::from_secs(5),
            DEFAULT_STORE_TIMEOUT,
        );
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
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(LockedElsewhere::refusing_once());
        let ttl = Duration::from_secs(5);
        let manager = TokenManager::with_settings(store, clock.clone(), ttl, DEFAULT_STORE_TIMEOUT);
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

    /// Counts the operations on an in-memory store; fails or hangs them when told to.
    #[derive(Debug, Default)]
    struct Probe {
        inner: InMemoryTokenStore,
        operations: AtomicUsize,
        failing: std::sync::atomic::AtomicBool,
        hanging: std::sync::atomic::AtomicBool,
    }

    impl Probe {
        async fn enter(&self) -> Result<(), BoxError> {
            self.operations.fetch_add(1, Ordering::SeqCst);
            if self.hanging.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            if self.failing.load(Ordering::SeqCst) {
                return Err("connection refused".into());
            }
            Ok(())
        }

        fn operations(&self) -> usize {
            self.operations.load(Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl TokenStore for Probe {
        async fn get(&self) -> Result<Option<AccessToken>, BoxError> {
            self.enter().await?;
            self.inner.get().await
        }
        async fn put(&self, token: AccessToken) -> Result<(), BoxError> {
            self.enter().await?;
            self.inner.put(token).await
        }
        async fn compare_and_set(
            &self,
            current: Option<&AccessToken>,
            new: Option<AccessToken>,
        ) -> Result<bool, BoxError> {
            self.enter().await?;
            self.inner.compare_and_set(current, new).await
        }
        async fn try_lock_refresh(&self, ttl: Duration) -> Result<Option<RefreshLock>, BoxError> {
            self.enter().await?;
            self.inner.try_lock_refresh(ttl).await
        }
        async fn unlock_refresh(&self, lock: &RefreshLock) -> Result<(), BoxError> {
            self.enter().await?;
            self.inner.unlock_refresh(lock).await
        }
    }

    fn counting_fetch<'a>(
        clock: &'a ManualClock,
        fetches: &'a AtomicUsize,
    ) -> impl Fn() -> std::future::Ready<Result<AccessToken, Error>> + 'a {
        move || {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(AccessToken::new(
                format!("t{n}"),
                clock.now(),
                Duration::from_secs(600),
            )))
        }
    }

    #[tokio::test]
    async fn a_fresh_local_token_is_used_without_the_store() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(Probe::default());
        let manager = TokenManager::new(store.clone(), clock.clone());
        let fetches = AtomicUsize::new(0);
        let fetch = counting_fetch(&clock, &fetches);
        assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t0");
        // Read, lock, read again under the lock, store, unlock.
        assert_eq!(store.operations(), 5);
        for _ in 0..100 {
            assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t0");
        }
        assert_eq!(store.operations(), 5, "no store operation while fresh");

        // Due for refresh: the store is read, and another process's newer token taken.
        clock.advance(Duration::from_secs(540));
        let theirs = AccessToken::new("theirs", clock.now(), Duration::from_secs(600));
        store.inner.put(theirs).await.unwrap();
        assert_eq!(
            manager.token(&fetch).await.unwrap().expose_secret(),
            "theirs"
        );
        assert_eq!(store.operations(), 6, "one read");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        // Refused: the store is read again, and a new token fetched and stored.
        let refused = manager.token(&fetch).await.unwrap();
        manager.invalidate(&refused).await.unwrap();
        assert_eq!(store.operations(), 6, "invalidating touches no store");
        assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t1");
        assert_eq!(
            store.inner.get().await.unwrap().unwrap().expose_secret(),
            "t1"
        );
    }

    #[tokio::test]
    async fn a_refused_token_is_not_taken_back_from_the_store() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(InMemoryTokenStore::new());
        let manager = TokenManager::new(store.clone(), clock.clone());
        // The store keeps times to the millisecond: the refused copy and the stored one
        // differ there, and are the same token all the same.
        let now = clock.now() + time::Duration::nanoseconds(1_234_567);
        let ours = AccessToken::new("old", now, Duration::from_secs(600));
        let stored = AccessToken::from_parts(
            "old",
            ours.issued_at().replace_nanosecond(1_000_000).unwrap(),
            ours.expires_at().replace_nanosecond(1_000_000).unwrap(),
        );
        store.put(stored).await.unwrap();
        manager.invalidate(&ours).await.unwrap();
        let fetches = AtomicUsize::new(0);
        let token = manager
            .token(counting_fetch(&clock, &fetches))
            .await
            .unwrap();
        assert_eq!(token.expose_secret(), "t0");
        assert_eq!(store.get().await.unwrap().unwrap().expose_secret(), "t0");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_store_fails_no_call() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(Probe::default());
        store.failing.store(true, Ordering::SeqCst);
        let manager = TokenManager::new(store.clone(), clock.clone());
        let fetches = AtomicUsize::new(0);
        let fetch = counting_fetch(&clock, &fetches);
        assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t0");
        for _ in 0..10 {
            assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t0");
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "one token for the outage"
        );
        // The read, then (in the background) the offer to store the token.
        tokio::task::yield_now().await;
        assert_eq!(store.operations(), 2);

        // Refused during the outage: one more token, still without the store, which is
        // not even read so soon after it failed (only offered the token).
        let refused = manager.token(&fetch).await.unwrap();
        manager.invalidate(&refused).await.unwrap();
        assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t1");
        tokio::task::yield_now().await;
        assert_eq!(store.operations(), 3);

        // The store is back: once the window has passed, the next refresh goes through
        // it again.
        store.failing.store(false, Ordering::SeqCst);
        tokio::time::sleep(STORE_SKIP).await;
        clock.advance(Duration::from_secs(540));
        assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t2");
        assert_eq!(
            store.inner.get().await.unwrap().unwrap().expose_secret(),
            "t2"
        );
    }

    /// A manager whose store hangs on every call, giving up on it after `timeout`.
    fn behind_a_hung_store(timeout: Duration) -> (Arc<ManualClock>, Arc<Probe>, Arc<TokenManager>) {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(Probe::default());
        store.hanging.store(true, Ordering::SeqCst);
        let manager = Arc::new(TokenManager::with_settings(
            store.clone(),
            clock.clone(),
            DEFAULT_LOCK_TTL,
            timeout,
        ));
        (clock, store, manager)
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_store_delays_a_refresh_by_one_store_timeout_at_most() {
        let timeout = Duration::from_millis(700);
        let (clock, _, manager) = behind_a_hung_store(timeout);
        let fetches = Arc::new(AtomicUsize::new(0));
        let started = tokio::time::Instant::now();
        let mut callers = Vec::new();
        for _ in 0..20 {
            let (manager, clock, fetches) = (manager.clone(), clock.clone(), fetches.clone());
            callers.push(tokio::spawn(async move {
                let token = manager
                    .token(|| async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        Ok(AccessToken::new(
                            "mine",
                            clock.now(),
                            Duration::from_secs(600),
                        ))
                    })
                    .await
                    .unwrap();
                (token, started.elapsed())
            }));
        }
        for caller in callers {
            let (token, waited) = caller.await.unwrap();
            assert_eq!(token.expose_secret(), "mine");
            assert!(waited >= timeout && waited < timeout * 2, "{waited:?}");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_store_failing_during_the_lock_wait_is_left_out() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        let store = Arc::new(LockedElsewhere::refusing_once());
        let ttl = Duration::from_secs(5);
        let manager =
            TokenManager::with_settings(store.clone(), clock.clone(), ttl, DEFAULT_STORE_TIMEOUT);
        let outage = {
            let store = store.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                store.down.store(true, Ordering::SeqCst);
            })
        };
        let started = tokio::time::Instant::now();
        let fetches = AtomicUsize::new(0);
        let token = manager
            .token(counting_fetch(&clock, &fetches))
            .await
            .unwrap();
        outage.await.unwrap();
        assert_eq!(token.expose_secret(), "t0");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_millis(400),
            "fetched once the store failed, not after the lock's TTL: {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn callers_queued_behind_a_hung_store_do_not_each_wait_for_it() {
        let timeout = Duration::from_millis(700);
        let (clock, store, manager) = behind_a_hung_store(timeout);
        let fetches = Arc::new(AtomicUsize::new(0));
        let started = tokio::time::Instant::now();
        let mut callers = Vec::new();
        for _ in 0..10 {
            let (manager, fetches) = (manager.clone(), fetches.clone());
            callers.push(tokio::spawn(async move {
                // The provider is down too: every caller fetches, and fails.
                let outcome = manager
                    .token(|| async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        Err(Error::Config("the provider is down".into()))
                    })
                    .await;
                (outcome, started.elapsed())
            }));
        }
        for caller in callers {
            let (outcome, waited) = caller.await.unwrap();
            assert!(outcome.is_err());
            assert!(
                waited <= timeout + Duration::from_millis(50),
                "one store timeout for all, not one each: {waited:?}"
            );
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 10);
        assert_eq!(store.operations(), 1, "the store was read once");

        // Once the window has passed the store is tried again (and still hangs); the
        // window after a second failure is twice as long.
        tokio::time::sleep(STORE_SKIP).await;
        let fail = || async { Err(Error::Config("the provider is down".into())) };
        let started = tokio::time::Instant::now();
        assert!(manager.token(fail).await.is_err());
        assert_eq!(started.elapsed(), timeout);
        assert_eq!(store.operations(), 2);
        tokio::time::sleep(STORE_SKIP).await;
        assert!(manager.token(fail).await.is_err());
        assert_eq!(store.operations(), 2, "still left out 2 s later");
        tokio::time::sleep(STORE_SKIP).await;

        // The store answers again: the first success closes the window for good.
        store.hanging.store(false, Ordering::SeqCst);
        let fetch = counting_fetch(&clock, &fetches);
        assert_eq!(manager.token(&fetch).await.unwrap().expose_secret(), "t10");
        assert_eq!(manager.local().store_failures, 0);
        assert!(manager.store_skipped_for().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_fetched_alone_never_replaces_a_stored_one() {
        let clock = Arc::new(ManualClock::starting_at(datetime!(2026-11-24 00:00 UTC)));
        for theirs in [None, Some("theirs")] {
            let store = Arc::new(LockedElsewhere {
                inner: InMemoryTokenStore::new(),
                refusals: AtomicUsize::new(0),
                // Reads fail; writes still work.
                down: std::sync::atomic::AtomicBool::new(true),
            });
            if let Some(theirs) = theirs {
                let token = AccessToken::new(theirs, clock.now(), Duration::from_secs(600));
                store.inner.put(token).await.unwrap();
            }
            let manager = TokenManager::new(store.clone(), clock.clone());
            let fetches = AtomicUsize::new(0);
            let token = manager
                .token(counting_fetch(&clock, &fetches))
                .await
                .unwrap();
            assert_eq!(token.expose_secret(), "t0");
            // The offer, in the background.
            tokio::time::sleep(Duration::from_millis(10)).await;
            let stored = store.inner.get().await.unwrap().unwrap();
            assert_eq!(stored.expose_secret(), theirs.unwrap_or("t0"));
        }
    }
}
