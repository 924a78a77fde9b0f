//! What a load run measured, per worker and in all.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(super) use super::audit::Audit;
use crate::cli::LoadArgs;

pub(super) enum FlowOutcome {
    Completed {
        tx_id: String,
        latency: Duration,
    },
    /// The send may have reached the provider: never sent again, left to the reconciler.
    OutcomeUnknown,
    Failed(String),
}

/// One worker's results, as it prints them for the parent process.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WorkerReport {
    tx_ids: Vec<String>,
    latencies_us: Vec<u64>,
    errors: BTreeMap<String, u64>,
    #[serde(default)]
    outcome_unknown: u64,
    wall_seconds: f64,
    cpu_seconds: Option<f64>,
}

impl WorkerReport {
    pub(super) fn new(outcomes: Vec<FlowOutcome>, wall: Duration, cpu: Option<f64>) -> Self {
        let mut report = Self {
            tx_ids: Vec::new(),
            latencies_us: Vec::new(),
            errors: BTreeMap::new(),
            outcome_unknown: 0,
            wall_seconds: wall.as_secs_f64(),
            cpu_seconds: cpu,
        };
        for outcome in outcomes {
            match outcome {
                FlowOutcome::Completed { tx_id, latency } => {
                    report.tx_ids.push(tx_id);
                    report
                        .latencies_us
                        .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
                }
                FlowOutcome::OutcomeUnknown => report.outcome_unknown += 1,
                FlowOutcome::Failed(kind) => *report.errors.entry(kind).or_default() += 1,
            }
        }
        report
    }
}

/// The whole run.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Summary {
    flows: usize,
    concurrency: usize,
    processes: usize,
    token_store: &'static str,
    /// `sqlite` or `postgres` with --store.
    #[serde(skip_serializing_if = "Option::is_none")]
    tx_store: Option<&'static str>,
    completed: usize,
    /// Flows whose send may have reached the provider (a worker was killed mid-send).
    outcome_unknown: u64,
    errors: BTreeMap<String, u64>,
    flows_per_second: f64,
    latency_ms: Latency,
    tokens_issued: Option<u64>,
    unique_tx_ids: usize,
    duplicated_tx_ids: usize,
    lost_flows: usize,
    client_cpu_us_per_flow: Option<f64>,
    /// Whether the CPU figure includes an emulator running in the same process.
    cpu_includes_emulator: bool,
    wall_seconds: f64,
    /// With --store: the store against the emulator, after a reconciler ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    audit: Option<Audit>,
}

#[derive(Debug, Serialize)]
struct Latency {
    p50: f64,
    p99: f64,
    max: f64,
}

impl Summary {
    pub(super) fn new(
        args: &LoadArgs,
        reports: &[WorkerReport],
        wall: Duration,
        tokens_issued: Option<u64>,
        embedded_emulator: bool,
    ) -> Self {
        let mut latencies: Vec<u64> = reports
            .iter()
            .flat_map(|r| r.latencies_us.iter().copied())
            .collect();
        latencies.sort_unstable();
        let mut errors = BTreeMap::new();
        for report in reports {
            for (kind, count) in &report.errors {
                *errors.entry(kind.clone()).or_default() += count;
            }
        }
        let tx_ids: Vec<&String> = reports.iter().flat_map(|r| r.tx_ids.iter()).collect();
        let unique: HashSet<&String> = tx_ids.iter().copied().collect();
        let failed: u64 = errors.values().sum();
        let outcome_unknown: u64 = reports.iter().map(|r| r.outcome_unknown).sum();
        let accounted = tx_ids.len()
            + usize::try_from(failed.saturating_add(outcome_unknown)).unwrap_or(usize::MAX);
        let cpu: Option<f64> = reports.iter().map(|r| r.cpu_seconds).sum();
        let completed = tx_ids.len();
        Self {
            flows: args.flows,
            concurrency: args.concurrency,
            processes: args.processes.max(1),
            token_store: if args.redis.is_some() {
                "redis"
            } else {
                "memory"
            },
            tx_store: args.store.as_deref().map(store_kind),
            completed,
            outcome_unknown,
            errors,
            flows_per_second: completed as f64 / wall.as_secs_f64().max(f64::EPSILON),
            latency_ms: Latency {
                p50: percentile(&latencies, 0.50),
                p99: percentile(&latencies, 0.99),
                max: latencies.last().map_or(0.0, |us| *us as f64 / 1000.0),
            },
            tokens_issued,
            unique_tx_ids: unique.len(),
            duplicated_tx_ids: completed - unique.len(),
            lost_flows: args.flows.saturating_sub(accounted),
            client_cpu_us_per_flow: cpu
                .filter(|_| completed > 0)
                .map(|seconds| seconds * 1e6 / completed as f64),
            cpu_includes_emulator: embedded_emulator && args.processes <= 1,
            wall_seconds: wall.as_secs_f64(),
            audit: None,
        }
    }

    /// CE3101 answers the workers got: third fetches the provider refused.
    pub(super) fn third_fetch_errors(&self) -> u64 {
        self.errors.get(CE3101).copied().unwrap_or(0)
    }

    pub(super) fn set_audit(&mut self, audit: Audit) {
        self.audit = Some(audit);
    }

    pub(super) fn succeeded(&self) -> bool {
        let unknown = usize::try_from(self.outcome_unknown).unwrap_or(usize::MAX);
        self.errors.is_empty()
            && self.duplicated_tx_ids == 0
            && self.lost_flows == 0
            && self.completed.saturating_add(unknown) == self.flows
            && self.audit.as_ref().is_none_or(Audit::passed)
    }

    pub(super) fn failure_reason(&self) -> String {
        let mut reason = format!(
            "{} of {} flows completed ({} errors, {} lost, {} duplicated txIds, {} of unknown outcome)",
            self.completed,
            self.flows,
            self.errors.values().sum::<u64>(),
            self.lost_flows,
            self.duplicated_tx_ids,
            self.outcome_unknown
        );
        if let Some(audit) = self.audit.as_ref().filter(|audit| !audit.passed()) {
            let _ = write!(
                reason,
                "; audit: {} lost, {} third fetches, {} duplicate sign requests, {} completed without proof",
                audit.lost,
                audit.third_fetches,
                audit.duplicate_sign_requests,
                audit.completed_without_proof
            );
        }
        reason
    }

    pub(super) fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "load: {} flows, concurrency {}, {} process(es), {} token store",
            self.flows, self.concurrency, self.processes, self.token_store
        );
        let errors = if self.errors.is_empty() {
            "no errors".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(kind, n)| format!("{kind}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(text, "  completed    {} ({errors})", self.completed);
        if let Some(store) = self.tx_store {
            let _ = writeln!(
                text,
                "  tx store     {store}, {} flow(s) of unknown outcome",
                self.outcome_unknown
            );
        }
        let _ = writeln!(text, "  throughput   {:.1} flows/s", self.flows_per_second);
        let _ = writeln!(
            text,
            "  latency      p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.latency_ms.p50, self.latency_ms.p99, self.latency_ms.max
        );
        let tokens = self
            .tokens_issued
            .map_or_else(|| "unknown".to_owned(), |n| n.to_string());
        let _ = writeln!(text, "  tokens       {tokens} issued");
        let _ = writeln!(
            text,
            "  txIds        {} unique, {} lost, {} duplicated",
            self.unique_tx_ids, self.lost_flows, self.duplicated_tx_ids
        );
        if let Some(cpu) = self.client_cpu_us_per_flow {
            let scope = if self.cpu_includes_emulator {
                "this process, embedded emulator included; use --base-url or --processes for the client alone"
            } else {
                "the client process(es) alone"
            };
            let _ = writeln!(
                text,
                "  client CPU   {cpu:.0} µs per flow (user + system of {scope})"
            );
        }
        let _ = write!(text, "  wall         {:.2} s", self.wall_seconds);
        if let Some(audit) = &self.audit {
            let _ = write!(text, "\n{}", audit.to_text());
        }
        text
    }
}

fn percentile(sorted_us: &[u64], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((sorted_us.len() as f64 - 1.0) * q).round() as usize;
    sorted_us[rank.min(sorted_us.len() - 1)] as f64 / 1000.0
}

/// The error kind of a third fetch the provider refused.
const CE3101: &str = "provider CE3101";

/// The store's kind by its location, as `open_location` tells them apart.
fn store_kind(location: &str) -> &'static str {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A short, stable name for an error, for counting.
pub(super) fn error_kind(error: &toss_sign::Error) -> String {
    match error {
        toss_sign::Error::ResultLimit {
            limit: toss_sign::ResultLimit::FetchedTwice,
            refused_locally,
            ..
        } => {
            return if *refused_locally {
                "fetched twice (refused locally)".to_owned()
            } else {
                CE3101.to_owned()
            };
        }
        toss_sign::Error::ResultBusy { .. } => return "result busy".to_owned(),
        toss_sign::Error::Store { .. } => return "store".to_owned(),
        toss_sign::Error::IdempotencyKeyReused { .. } => {
            return "idempotency key reused".to_owned();
        }
        _ => {}
    }
    if let Some(code) = error.code() {
        return format!("provider {code}");
    }
    let kind = if error.is_transport() {
        "transport"
    } else if error.is_timeout() {
        "timeout"
    } else if error.is_auth() {
        "auth"
    } else if error.is_decode() {
        "decode"
    } else if error.is_crypto() {
        "crypto"
    } else if error.is_api() {
        "api"
    } else {
        "other"
    };
    kind.to_owned()
}
