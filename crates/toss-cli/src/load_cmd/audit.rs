//! The end of a run with a transaction store: a reconciler finishes what the workers left
//! (killed ones included), then the store's records are compared with the emulator's
//! transactions, which the provider would never show.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use toss_emulator::{TransactionList, TransactionSummary};
use toss_sign::runtime::tx::{ListFilter, TxRecord, TxState, TxStore};
use toss_sign::{Client, Reconciler, Schedule, SignStatus, TxId};

/// What the audit found. `lost`, `third_fetches`, `duplicate_sign_requests` and
/// `completed_without_proof` must be zero.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::load_cmd) struct Audit {
    /// The emulator's transactions of this run that no record has, beyond those an intent
    /// of unknown outcome under the same key accounts for.
    pub(super) lost: u64,
    /// Transactions whose result the emulator served more than twice, plus CE3101 answers
    /// the workers got.
    pub(super) third_fetches: u64,
    /// Keys with more than one transaction at the emulator.
    pub(super) duplicate_sign_requests: u64,
    /// Records whose transaction is COMPLETED with a result served, still without a proof.
    pub(super) completed_without_proof: u64,
    /// The emulator's transactions of this run: the sign requests it received.
    sign_requests: u64,
    /// The store's records of this run.
    records: u64,
    records_with_proof: u64,
    /// Records of a send of unknown outcome.
    outcome_unknown: u64,
    /// Records still unfinished when the audit stopped waiting.
    unfinished: u64,
    /// Of the run's keys, those whose record has a proof or is of unknown outcome.
    keys_settled: u64,
    /// Of the run's keys, those with no record at all.
    keys_without_record: u64,
    /// Workers killed (and restarted) during the run.
    kills: u64,
    reconciler: ReconcilerWork,
}

/// What the audit's reconciler did, over all its passes.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReconcilerWork {
    passes: u32,
    #[serde(flatten)]
    total: toss_sign::Pass,
}

impl ReconcilerWork {
    fn add(&mut self, pass: &toss_sign::Pass) {
        self.passes += 1;
        self.total += pass;
    }
}

/// What the audit needs of the run.
pub(in crate::load_cmd) struct Run<'a> {
    pub(super) key_prefix: &'a str,
    pub(super) flows: usize,
    pub(super) kills: u64,
    /// CE3101 answers the workers counted.
    pub(super) third_fetch_errors: u64,
    /// When the run's --max-seconds are up.
    pub(super) deadline: Instant,
}

/// How long the audit waits between reconciler rounds for what is still unfinished (a
/// killed worker's result lease, a user still signing).
const ROUND_PAUSE: Duration = Duration::from_millis(250);

/// Reconciles `client`'s store until nothing of the run is unfinished (or the deadline),
/// then compares it with `emulator`'s listing, fetched by `transactions`.
pub(in crate::load_cmd) async fn audit<F, Fut>(
    client: Client,
    run: &Run<'_>,
    transactions: F,
) -> Result<Audit, Box<dyn Error>>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<TransactionList, Box<dyn Error>>>,
{
    let store = client
        .tx_store()
        .await?
        .ok_or("the audit needs a client with a transaction store")?;
    // Everything is due at once: the run is over, and every intent left is a killed send.
    let reconciler = Reconciler::builder(client)
        .schedule(
            Schedule::polling()
                .first_poll_delay(Duration::ZERO)
                .min_interval(Duration::from_millis(200))
                .max_interval(Duration::from_secs(1)),
        )
        .status_budget(1000.0)
        .intent_grace(Duration::ZERO)
        .claim_ttl(Duration::from_secs(30))
        .retry_after(Duration::from_millis(500))
        .build()?;
    let mut work = ReconcilerWork::default();
    let records = loop {
        let pass = tokio::time::timeout_at(run.deadline, reconciler.run_until_idle()).await;
        if let Ok(pass) = pass {
            work.add(&pass?);
        }
        let records = run_records(store.as_ref(), run.key_prefix).await?;
        let unfinished: Vec<&TxRecord> = records.iter().filter(|r| unfinished(r)).collect();
        if unfinished.is_empty() || Instant::now() >= run.deadline {
            break records;
        }
        // Deferred records wait for their next look: the run has no time for that.
        for record in unfinished {
            if let Some(tx_id) = &record.tx_id {
                reconciler
                    .notify_returned(&TxId::new(tx_id.as_str()))
                    .await?;
            }
        }
        tokio::time::sleep_until((Instant::now() + ROUND_PAUSE).min(run.deadline)).await;
    };
    let listing = transactions().await?;
    let mut audit = compare(run, &records, &listing);
    audit.reconciler = work;
    Ok(audit)
}

impl Audit {
    pub(in crate::load_cmd) fn passed(&self) -> bool {
        self.lost == 0
            && self.third_fetches == 0
            && self.duplicate_sign_requests == 0
            && self.completed_without_proof == 0
    }

    pub(in crate::load_cmd) fn to_text(&self) -> String {
        let mut text = String::new();
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        let _ = writeln!(text, "audit ({verdict}):");
        let _ = writeln!(
            text,
            "  lost {}, third fetches {}, duplicate sign requests {}, completed without proof {}",
            self.lost,
            self.third_fetches,
            self.duplicate_sign_requests,
            self.completed_without_proof
        );
        let _ = writeln!(
            text,
            "  sign requests {}, records {} ({} with proof, {} of unknown outcome, {} unfinished)",
            self.sign_requests,
            self.records,
            self.records_with_proof,
            self.outcome_unknown,
            self.unfinished
        );
        let _ = writeln!(
            text,
            "  keys settled {}, keys without a record {}, workers killed {}",
            self.keys_settled, self.keys_without_record, self.kills
        );
        let (passes, r) = (self.reconciler.passes, &self.reconciler.total);
        let _ = write!(
            text,
            "  reconciler: {} passes, {} claimed, {} status calls, {} fetched, {} proofs repaired, {} marked of unknown outcome, {} expired, {} failed",
            passes,
            r.claimed,
            r.status_calls,
            r.fetched,
            r.proofs_repaired,
            r.outcome_unknown,
            r.expired,
            r.failed
        );
        text
    }
}

/// Whether a record still waits for the provider, its result or its proof.
fn unfinished(record: &TxRecord) -> bool {
    match record.state {
        TxState::Intent | TxState::Requested | TxState::InProgress | TxState::Completed => true,
        TxState::ResultStored => record.proof.is_none(),
        _ => false,
    }
}

/// The index of `key` if it is one of the run's (`<prefix>-<index>`).
fn run_index(key: &str, prefix: &str) -> Option<usize> {
    key.strip_prefix(prefix)?.strip_prefix('-')?.parse().ok()
}

/// How many records one listing asks for: the store lists newest first, so a page this big
/// holds a run of this size even in a store that kept older runs.
const LIST_PAGE: u32 = 1_000_000;

/// The store's records under the run's keys.
async fn run_records(store: &dyn TxStore, prefix: &str) -> Result<Vec<TxRecord>, Box<dyn Error>> {
    let records = store.list(&ListFilter::new().limit(LIST_PAGE)).await?;
    Ok(records
        .into_iter()
        .filter(|r| run_index(r.idempotency_key.as_str(), prefix).is_some())
        .collect())
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn compare(run: &Run<'_>, records: &[TxRecord], listing: &TransactionList) -> Audit {
    // The emulator's transactions of this run, by key (the title is `load <key>`).
    let mut by_key: HashMap<&str, Vec<&TransactionSummary>> = HashMap::new();
    for tx in &listing.transactions {
        if let Some(key) = tx.doc_title.strip_prefix("load ")
            && run_index(key, run.key_prefix).is_some()
        {
            by_key.entry(key).or_default().push(tx);
        }
    }
    let by_tx_id: HashMap<&str, &TransactionSummary> = by_key
        .values()
        .flatten()
        .map(|tx| (tx.tx_id.as_str(), *tx))
        .collect();
    let records_by_key: HashMap<&str, &TxRecord> = records
        .iter()
        .map(|r| (r.idempotency_key.as_str(), r))
        .collect();
    let stored_tx_ids: HashSet<&str> = records
        .iter()
        .filter_map(|r| r.tx_id.as_ref().map(|t| t.as_str()))
        .collect();

    let mut lost = 0;
    for (key, txs) in &by_key {
        let missing = txs
            .iter()
            .filter(|tx| !stored_tx_ids.contains(tx.tx_id.as_str()))
            .count();
        // A send of unknown outcome may have made one transaction, never more.
        let covered = records_by_key
            .get(key)
            .is_some_and(|r| r.tx_id.is_none() && matches!(r.state, TxState::OutcomeUnknown));
        lost += missing.saturating_sub(usize::from(covered));
    }
    let served_thrice = by_tx_id.values().filter(|tx| tx.results_served > 2).count();
    let completed_without_proof = records
        .iter()
        .filter(|r| r.proof.is_none())
        .filter_map(|r| by_tx_id.get(r.tx_id.as_ref()?.as_str()))
        .filter(|tx| matches!(tx.status, SignStatus::Completed) && tx.results_served >= 1)
        .count();
    let settled = |r: &TxRecord| r.proof.is_some() || matches!(r.state, TxState::OutcomeUnknown);
    let mut keys_settled = 0;
    let mut keys_without_record = 0;
    for index in 0..run.flows {
        match records_by_key.get(format!("{}-{index}", run.key_prefix).as_str()) {
            Some(record) if settled(record) => keys_settled += 1,
            Some(_) => {}
            None => keys_without_record += 1,
        }
    }
    Audit {
        lost: count(lost),
        third_fetches: count(served_thrice).saturating_add(run.third_fetch_errors),
        duplicate_sign_requests: count(by_key.values().filter(|txs| txs.len() > 1).count()),
        completed_without_proof: count(completed_without_proof),
        sign_requests: count(by_key.values().map(Vec::len).sum()),
        records: count(records.len()),
        records_with_proof: count(records.iter().filter(|r| r.proof.is_some()).count()),
        outcome_unknown: count(
            records
                .iter()
                .filter(|r| matches!(r.state, TxState::OutcomeUnknown))
                .count(),
        ),
        unfinished: count(records.iter().filter(|r| unfinished(r)).count()),
        keys_settled,
        keys_without_record,
        kills: run.kills,
        reconciler: ReconcilerWork::default(),
    }
}
