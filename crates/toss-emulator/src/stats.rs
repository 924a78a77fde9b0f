//! Counts of what the emulator answered, for `GET /emulator/v1/stats` and
//! [`EmulatorHandle::stats`](crate::EmulatorHandle::stats).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// How many calls the emulator answered, by kind, since it started, and how much it
/// remembers now.
///
/// Successful calls count under their endpoint; every refused call (a `FAIL` envelope, an
/// OAuth error or a 401, on any endpoint) counts once under [`errors`](Self::errors) and
/// nowhere else. The JSON form (`GET /emulator/v1/stats`) uses the same snake-case names
/// for the counts, and `liveTransactions`, `retainedTransactions` and `liveTokens` for what
/// is remembered.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Access tokens issued by `POST /token`.
    pub tokens_issued: u64,
    /// Sign requests accepted (transactions created).
    pub sign_requests: u64,
    /// Status calls answered with `SUCCESS`.
    pub status_calls: u64,
    /// Result calls answered with `SUCCESS`.
    pub results: u64,
    /// Certificate checks answered with `SUCCESS`.
    pub certificate_validations: u64,
    /// Calls refused, on any endpoint.
    pub errors: u64,
    /// Transactions remembered now: those that may still change or be fetched, and those
    /// kept only for status answers until their retention is over.
    #[serde(rename = "liveTransactions", default)]
    pub live_transactions: u64,
    /// Of [`live_transactions`](Self::live_transactions), those kept only for status
    /// answers (expired, both results served, or past the result window).
    #[serde(rename = "retainedTransactions", default)]
    pub retained_transactions: u64,
    /// Access tokens remembered now (issued and not yet expired, or expired and not yet
    /// swept).
    #[serde(rename = "liveTokens", default)]
    pub live_tokens: u64,
}

/// What a counter counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    TokensIssued,
    SignRequests,
    StatusCalls,
    Results,
    CertificateValidations,
    Errors,
}

/// The live counters, shared by all handlers.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    tokens_issued: AtomicU64,
    sign_requests: AtomicU64,
    status_calls: AtomicU64,
    results: AtomicU64,
    certificate_validations: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(&self, counter: Counter) {
        let cell = match counter {
            Counter::TokensIssued => &self.tokens_issued,
            Counter::SignRequests => &self.sign_requests,
            Counter::StatusCalls => &self.status_calls,
            Counter::Results => &self.results,
            Counter::CertificateValidations => &self.certificate_validations,
            Counter::Errors => &self.errors,
        };
        cell.fetch_add(1, Ordering::Relaxed);
    }

    /// Every count back to zero (`POST /emulator/v1/reset`).
    pub(crate) fn reset(&self) {
        for cell in [
            &self.tokens_issued,
            &self.sign_requests,
            &self.status_calls,
            &self.results,
            &self.certificate_validations,
            &self.errors,
        ] {
            cell.store(0, Ordering::Relaxed);
        }
    }

    /// The counts, with nothing remembered (the caller fills that in).
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            tokens_issued: self.tokens_issued.load(Ordering::Relaxed),
            sign_requests: self.sign_requests.load(Ordering::Relaxed),
            status_calls: self.status_calls.load(Ordering::Relaxed),
            results: self.results.load(Ordering::Relaxed),
            certificate_validations: self.certificate_validations.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            live_transactions: 0,
            retained_transactions: 0,
            live_tokens: 0,
        }
    }
}

/// Calls counted per client, for the transactions listing: sign requests accepted and
/// results served since the emulator started, including those of transactions already
/// freed.
#[derive(Debug, Default)]
pub(crate) struct ClientCounters {
    pub(crate) sign_requests: AtomicU64,
    pub(crate) results: AtomicU64,
}

impl ClientCounters {
    /// One set per configured client, indexed like them.
    pub(crate) fn for_clients(count: usize) -> Vec<Self> {
        (0..count).map(|_| Self::default()).collect()
    }

    pub(crate) fn bump_sign_requests(&self) {
        self.sign_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bump_results(&self) {
        self.results.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reset(&self) {
        self.sign_requests.store(0, Ordering::Relaxed);
        self.results.store(0, Ordering::Relaxed);
    }
}
