//! The reconciler: finishes, in the background and across a fleet, every transaction a
//! process left unfinished.

mod budget;
mod schedule;

pub use schedule::Schedule;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use toss_model::{SignStatus, TxId};
use toss_runtime::tx::{ListFilter, TxRecord, TxState, TxStore};

use self::budget::Budget;
use crate::client::Client;
use crate::client::durable::{
    Durable, record_state, requested_at, state_of, store_error, store_tx_id,
};
use crate::error::Error;

/// Finishes what was left unfinished: on every pass it claims, through fleet-wide leases,
/// the transactions that are due in the client's store, asks the provider for their status
/// (within a budget of status calls per second), fetches and stores the result of those the
/// user signed (proof and outbox entry included), marks those that expired, and marks sign
/// requests whose process stopped while sending as of unknown outcome.
///
/// Run one in every process, or in a few: claims never overlap (PostgreSQL
/// `FOR UPDATE SKIP LOCKED`, SQLite's write lock), and a process killed mid-work leaves
/// its claims to lapse after [`claim_ttl`](ReconcilerBuilder::claim_ttl). Call
/// [`notify_returned`](Self::notify_returned) from the successCallbackUrl handler so that a
/// returning user's result is fetched at once, from whichever process is free.
///
/// ```no_run
/// # async fn run(client: toss_sign::Client) -> Result<(), toss_sign::Error> {
/// use toss_sign::{Reconciler, Schedule};
///
/// let reconciler = Reconciler::builder(client)
///     .schedule(Schedule::with_notify())
///     .status_budget(50.0)
///     .build()?;
/// // In the successCallbackUrl handler: reconciler.notify_returned(&tx_id).await?;
/// reconciler.run(std::future::pending::<()>()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Reconciler {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    schedule: Schedule,
    budget: Budget,
    batch: u32,
    concurrency: usize,
    claim_ttl: Duration,
    intent_grace: time::Duration,
    idle: Duration,
    retry_after: Duration,
    woken: Notify,
}

/// Builds a [`Reconciler`].
#[must_use]
#[derive(Debug)]
pub struct ReconcilerBuilder {
    client: Client,
    schedule: Schedule,
    status_budget: f64,
    batch: u32,
    concurrency: usize,
    claim_ttl: Duration,
    intent_grace: Option<Duration>,
    idle: Duration,
    retry_after: Duration,
}

impl ReconcilerBuilder {
    /// When waiting transactions are looked at. Defaults to [`Schedule::polling`].
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The most status calls per second this reconciler makes (spread evenly). A fleet's
    /// budget is the sum of its reconcilers'. Defaults to 50.
    pub fn status_budget(mut self, calls_per_second: f64) -> Self {
        self.status_budget = calls_per_second;
        self
    }

    /// How many transactions one pass claims. Defaults to 64.
    pub fn batch(mut self, batch: u32) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// How many claimed transactions are worked on at once. Defaults to 16.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// How long a claim lasts: a process killed mid-work leaves its transactions to the
    /// others after this long. Keep it above a result fetch's time. Defaults to 60 s.
    pub fn claim_ttl(mut self, ttl: Duration) -> Self {
        self.claim_ttl = ttl;
        self
    }

    /// How old an intent without a txId must be before it is taken for a send whose
    /// process stopped, and marked of unknown outcome. Defaults to the longest a sign
    /// request can be in flight (three request timeouts and 30 s).
    pub fn intent_grace(mut self, grace: Duration) -> Self {
        self.intent_grace = Some(grace);
        self
    }

    /// How long [`run`](Reconciler::run) sleeps when nothing was due, unless
    /// [`notify_returned`](Reconciler::notify_returned) wakes it. Defaults to 1 s.
    pub fn idle_interval(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How long a transaction waits after a failed look (network, provider). Defaults to
    /// 5 s.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = delay;
        self
    }

    /// The reconciler.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the client has no transaction store.
    pub fn build(self) -> Result<Reconciler, Error> {
        if self.client.durable().is_none() {
            return Err(Error::Config(
                "a reconciler needs a client with a transaction store".into(),
            ));
        }
        let intent_grace = match self.intent_grace {
            Some(grace) => time::Duration::try_from(grace).unwrap_or(time::Duration::MAX),
            None => self.client.send_window(),
        };
        Ok(Reconciler {
            inner: Arc::new(Inner {
                budget: Budget::per_second(self.status_budget),
                client: self.client,
                schedule: self.schedule,
                batch: self.batch,
                concurrency: self.concurrency,
                claim_ttl: self.claim_ttl,
                intent_grace,
                idle: self.idle,
                retry_after: self.retry_after,
                woken: Notify::new(),
            }),
        })
    }
}

/// What one pass did (or, summed with `+=`, several). Serializes to camelCase JSON.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pass {
    /// Transactions claimed.
    pub claimed: u32,
    /// Status calls made.
    pub status_calls: u32,
    /// Results fetched from the provider and stored.
    pub fetched: u32,
    /// Proofs made from a result stored before (a process stopped in between).
    pub proofs_repaired: u32,
    /// Transactions found expired.
    pub expired: u32,
    /// Transactions that failed for good (their result can no longer be fetched).
    pub failed: u32,
    /// Transactions put back to wait (the user has not signed, or a look failed).
    pub deferred: u32,
    /// Intents marked of unknown outcome.
    pub outcome_unknown: u32,
}

impl std::ops::AddAssign<&Self> for Pass {
    fn add_assign(&mut self, other: &Self) {
        self.claimed += other.claimed;
        self.status_calls += other.status_calls;
        self.fetched += other.fetched;
        self.proofs_repaired += other.proofs_repaired;
        self.expired += other.expired;
        self.failed += other.failed;
        self.deferred += other.deferred;
        self.outcome_unknown += other.outcome_unknown;
    }
}

impl Pass {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Fetched { status_call } => {
                self.fetched += 1;
                self.status_calls += u32::from(status_call);
            }
            Outcome::Repaired => self.proofs_repaired += 1,
            Outcome::Expired { status_call } => {
                self.expired += 1;
                self.status_calls += u32::from(status_call);
            }
            Outcome::Failed => self.failed += 1,
            Outcome::Deferred { status_call } => {
                self.deferred += 1;
                self.status_calls += u32::from(status_call);
            }
        }
    }
}

/// Whether a transaction never looked at waits for the first-poll delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstLook {
    AfterDelay,
    Now,
}

enum Outcome {
    Fetched { status_call: bool },
    Repaired,
    Expired { status_call: bool },
    Failed,
    Deferred { status_call: bool },
}

impl Reconciler {
    /// A builder for a reconciler working through `client`'s store.
    pub fn builder(client: Client) -> ReconcilerBuilder {
        ReconcilerBuilder {
            client,
            schedule: Schedule::default(),
            status_budget: 50.0,
            batch: 64,
            concurrency: 16,
            claim_ttl: Duration::from_secs(60),
            intent_grace: None,
            idle: Duration::from_secs(1),
            retry_after: Duration::from_secs(5),
        }
    }

    /// The user came back (successCallbackUrl): look at `tx_id` now, in whichever process
    /// claims it first. Returns whether the store has it waiting.
    ///
    /// # Errors
    ///
    /// [`Error::Store`].
    pub async fn notify_returned(&self, tx_id: &TxId) -> Result<bool, Error> {
        let store = self.store().await?;
        let waiting = store
            .wake(&store_tx_id(tx_id)?, self.now())
            .await
            .map_err(store_error(Some(tx_id)))?;
        self.inner.woken.notify_one();
        Ok(waiting)
    }

    /// One pass: marks stale intents, then claims and works on up to a batch of due
    /// transactions.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store fails; errors of single transactions are logged
    /// and the transaction waits for a later pass.
    pub async fn run_once(&self) -> Result<Pass, Error> {
        self.pass(FirstLook::AfterDelay).await
    }

    async fn pass(&self, first_look: FirstLook) -> Result<Pass, Error> {
        let mut pass = Pass {
            outcome_unknown: self.mark_stale_intents().await?,
            ..Pass::default()
        };
        let store = self.store().await?;
        let holder = self.holder();
        let claimed = store
            .claim_unfinished(holder, self.inner.claim_ttl, self.inner.batch, self.now())
            .await
            .map_err(store_error(None))?;
        pass.claimed = u32::try_from(claimed.len()).unwrap_or(u32::MAX);
        let permits = Arc::new(Semaphore::new(self.inner.concurrency));
        let mut tasks = JoinSet::new();
        for record in claimed {
            let this = self.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                this.work(record, first_look).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Some(outcome)) => pass.add(outcome),
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "a reconciler task failed"),
            }
        }
        Ok(pass)
    }

    /// Passes until none finds anything due: what `tosscert tx resume` does on start.
    /// Unlike [`run_once`](Self::run_once) it looks at every due transaction now, even one
    /// younger than the schedule's first-poll delay (after a restart, what stands is
    /// wanted at once). Transactions the user has not signed yet are left deferred to their
    /// next look.
    ///
    /// # Errors
    ///
    /// As [`run_once`](Self::run_once).
    pub async fn run_until_idle(&self) -> Result<Pass, Error> {
        let mut total = Pass::default();
        loop {
            let pass = self.pass(FirstLook::Now).await?;
            total += &pass;
            if pass.claimed == 0 {
                return Ok(total);
            }
        }
    }

    /// Passes until `shutdown` completes: between passes that found nothing it sleeps the
    /// idle interval, or until [`notify_returned`](Self::notify_returned) wakes it. A store
    /// that fails is logged and tried again after the idle interval. `shutdown` is looked at
    /// between passes: a pass under way is finished first, so that its claims are released
    /// and its work reported.
    ///
    /// # Errors
    ///
    /// None yet: the signature leaves room for a fatal configuration error.
    pub async fn run<F: Future + Send>(&self, shutdown: F) -> Result<(), Error> {
        self.run_with(shutdown, |_| {}).await
    }

    /// [`run`](Self::run), handing each pass that claimed something, or marked an
    /// intent, to `on_pass` (to show or count them).
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub async fn run_with<F: Future + Send>(
        &self,
        shutdown: F,
        mut on_pass: impl FnMut(&Pass) + Send,
    ) -> Result<(), Error> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut stopping = false;
        loop {
            // A pass under way is finished, not dropped, when `shutdown` completes: dropping
            // it would leave its claims to lapse and its work unreported. A pass is bounded by
            // the request timeouts and the status budget.
            let pass = self.run_once();
            let mut pass = std::pin::pin!(pass);
            let outcome = loop {
                tokio::select! {
                    biased;
                    outcome = &mut pass => break outcome,
                    _ = &mut shutdown, if !stopping => stopping = true,
                }
            };
            let busy = match outcome {
                Ok(pass) => {
                    if pass.claimed > 0 || pass.outcome_unknown > 0 {
                        on_pass(&pass);
                    }
                    pass.claimed > 0
                }
                Err(error) => {
                    tracing::warn!(%error, "reconciler pass failed");
                    false
                }
            };
            if stopping {
                return Ok(());
            }
            if busy {
                continue;
            }
            tokio::select! {
                biased;
                _ = &mut shutdown => return Ok(()),
                () = self.inner.woken.notified() => {}
                () = tokio::time::sleep(self.inner.idle) => {}
            }
        }
    }

    /// Works on one claimed transaction; `None` when it was not for this pass after all.
    async fn work(&self, record: TxRecord, first_look: FirstLook) -> Option<Outcome> {
        let (Some(stored_id), Some(lease)) = (record.tx_id.clone(), record.lease.clone()) else {
            return None;
        };
        let tx_id = TxId::new(stored_id.as_str());
        let client = &self.inner.client;
        let durable = self.durable()?;
        let store = durable.store.get().await.ok()?.clone();
        let store = store.as_ref();
        if record.result_body.is_some() {
            return Some(
                match client.serve_stored(durable, store, &tx_id, &record).await {
                    Ok(_) => {
                        self.release(store, &lease).await;
                        Outcome::Repaired
                    }
                    Err(error) => {
                        tracing::warn!(%error, %tx_id, "stored result could not be opened");
                        self.defer(store, &lease, self.now() + self.inner.retry_after)
                            .await;
                        Outcome::Deferred { status_call: false }
                    }
                },
            );
        }
        // Never looked at yet: the first look waits for the schedule's first-poll delay
        // (a user needs that long to sign), without a call.
        if first_look == FirstLook::AfterDelay
            && record.next_check_at.is_none()
            && record.state != TxState::Completed
        {
            let first = self.inner.schedule.first_check(requested_at(&record));
            if self.now() < first {
                self.defer(store, &lease, first).await;
                return Some(Outcome::Deferred { status_call: false });
            }
        }
        let mut status_call = false;
        if record.state != TxState::Completed {
            let Some(slot) = self.inner.budget.reserve(self.inner.claim_ttl / 2) else {
                // Over budget for now: look again when the budget allows.
                self.defer(store, &lease, self.now() + self.inner.claim_ttl / 2)
                    .await;
                return Some(Outcome::Deferred { status_call: false });
            };
            tokio::time::sleep_until(slot).await;
            status_call = true;
            match client.status(&tx_id).await {
                Ok(status) => {
                    // Unchanged, it is not written again: one write per look, the deferral.
                    if let Some(state) = state_of(&status.status).filter(|s| *s != record.state) {
                        record_state(store, &stored_id, state, self.now()).await;
                    }
                    match status.status {
                        SignStatus::Completed => {}
                        SignStatus::Expired => {
                            self.release(store, &lease).await;
                            return Some(Outcome::Expired { status_call });
                        }
                        _ => {
                            let next = self
                                .inner
                                .schedule
                                .next_check(requested_at(&record), self.now());
                            self.defer(store, &lease, next).await;
                            return Some(Outcome::Deferred { status_call });
                        }
                    }
                }
                Err(error) => {
                    return Some(
                        self.after_error(store, &lease, &tx_id, &stored_id, error, status_call)
                            .await,
                    );
                }
            }
        }
        match client
            .fetch_under_lease(durable, store, &lease, &tx_id, &record)
            .await
        {
            Ok(_) => {
                self.release(store, &lease).await;
                Some(Outcome::Fetched { status_call })
            }
            Err(error) => Some(
                self.after_error(store, &lease, &tx_id, &stored_id, error, status_call)
                    .await,
            ),
        }
    }

    async fn after_error(
        &self,
        store: &dyn TxStore,
        lease: &toss_runtime::tx::Lease,
        tx_id: &TxId,
        stored_id: &toss_runtime::tx::TxId,
        error: Error,
        status_call: bool,
    ) -> Outcome {
        match error {
            Error::Expired { .. } => {
                record_state(store, stored_id, TxState::Expired, self.now()).await;
                self.release(store, lease).await;
                Outcome::Expired { status_call }
            }
            Error::ResultLimit { .. } => {
                tracing::error!(%tx_id, "the result can no longer be fetched");
                record_state(store, stored_id, TxState::Failed, self.now()).await;
                self.release(store, lease).await;
                Outcome::Failed
            }
            Error::ResultBusy { .. } => Outcome::Deferred { status_call },
            error => {
                tracing::warn!(%error, %tx_id, "reconciler could not finish a transaction; trying later");
                self.defer(store, lease, self.now() + self.inner.retry_after)
                    .await;
                Outcome::Deferred { status_call }
            }
        }
    }

    /// Marks intents older than the grace of unknown outcome: their process stopped while
    /// sending, perhaps after the request left.
    async fn mark_stale_intents(&self) -> Result<u32, Error> {
        let store = self.store().await?;
        let now = self.now();
        let stale = store
            .list(
                &ListFilter::new()
                    .state(TxState::Intent)
                    .created_before(now - self.inner.intent_grace)
                    .limit(self.inner.batch),
            )
            .await
            .map_err(store_error(None))?;
        let mut marked = 0;
        for record in stale {
            match store
                .mark_outcome_unknown(&record.idempotency_key, now)
                .await
            {
                Ok(after) if after.state == TxState::OutcomeUnknown => {
                    tracing::warn!(idempotency_key = %record.idempotency_key, "sign request of unknown outcome: its process stopped while sending");
                    marked += 1;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not mark a stale intent"),
            }
        }
        Ok(marked)
    }

    async fn defer(
        &self,
        store: &dyn TxStore,
        lease: &toss_runtime::tx::Lease,
        until: OffsetDateTime,
    ) {
        if let Err(error) = store.defer(lease, until, self.now()).await {
            tracing::debug!(%error, "could not defer a claim; it lapses by itself");
        }
    }

    async fn release(&self, store: &dyn TxStore, lease: &toss_runtime::tx::Lease) {
        if let Err(error) = store.release_lease(lease).await {
            tracing::debug!(%error, "could not release a claim; it lapses by itself");
        }
    }

    fn durable(&self) -> Option<&Durable> {
        self.inner.client.durable()
    }

    fn holder(&self) -> &str {
        self.durable().map_or("", |d| d.holder.as_str())
    }

    async fn store(&self) -> Result<Arc<dyn TxStore>, Error> {
        match self.durable() {
            Some(durable) => Ok(durable.store.get().await?.clone()),
            None => Err(Error::Config("the client has no transaction store".into())),
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.inner.client.now()
    }
}
