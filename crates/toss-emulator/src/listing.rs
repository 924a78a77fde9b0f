//! Every remembered transaction with its status and the results it served, for
//! `GET /emulator/v1/transactions` and
//! [`EmulatorHandle::transactions`](crate::EmulatorHandle::transactions): so that a test can
//! count what each transaction gave out.

use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use toss_model::{SignStatus, Timestamp};

use crate::routes::timestamp;
use crate::server::AppState;
use crate::state::{Finished, Summary};
use crate::user::Stage;

/// The answer of `GET /emulator/v1/transactions`: every transaction the emulator remembers,
/// and per client what it asked for since the emulator started.
///
/// The JSON form uses camelCase names:
///
/// ```json
/// {
///   "transactions": [
///     {
///       "txId": "5a0b…", "clientId": "test_a8e2…", "docTitle": "출금이체 동의문",
///       "status": "COMPLETED",
///       "requestedAt": "2026-12-02T15:00:00+09:00", "completedAt": "2026-12-02T15:00:20+09:00",
///       "resultsServed": 2, "retained": true, "retainedBecause": "RESULTS_SERVED"
///     }
///   ],
///   "clients": [{ "clientId": "test_a8e2…", "signRequests": 1, "results": 2, "transactions": 1 }]
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionList {
    /// The transactions remembered now, live or retained, oldest first. A transaction
    /// leaves the list when it is freed, after its retention.
    pub transactions: Vec<TransactionSummary>,
    /// One entry per configured client, in the order they were configured.
    pub clients: Vec<ClientActivity>,
}

/// One transaction in a [`TransactionList`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionSummary {
    /// The transaction's id.
    pub tx_id: String,
    /// The `client_id` whose token created it.
    pub client_id: String,
    /// The request's `docTitle` (what the user was shown as the document's title): lets a
    /// test that gives each request its own title count the requests made per title.
    #[serde(default)]
    pub doc_title: String,
    /// Its status now, as the status call would answer it.
    pub status: SignStatus,
    /// When the sign request was accepted, as the provider writes it (KST).
    pub requested_at: Timestamp,
    /// When the user signed, once they did.
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
    /// Result calls answered with `SUCCESS`, at most 2 (one being answered at this very
    /// moment included). Refused calls (`CE3101`, `CE3102`, another client's) take none.
    pub results_served: u32,
    /// Whether only its status is remembered, until its retention is over: it can no
    /// longer change or be fetched.
    pub retained: bool,
    /// Why it is retained; `None` while it is live.
    #[serde(default)]
    pub retained_because: Option<RetainedBecause>,
}

/// Why a transaction can no longer change or be fetched.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetainedBecause {
    /// `EXPIRED`: the user did not sign in time, or it was expired by hand.
    Expired,
    /// `RESULT_WINDOW_CLOSED`: the 60 minutes after completion are over.
    ResultWindowClosed,
    /// `RESULTS_SERVED`: both results were served.
    ResultsServed,
}

/// What one client did since the emulator started, in a [`TransactionList`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientActivity {
    /// The client's `client_id`.
    pub client_id: String,
    /// Sign requests accepted (transactions created), freed ones included.
    pub sign_requests: u64,
    /// Result calls answered with `SUCCESS`, those of freed transactions included.
    pub results: u64,
    /// Of [`TransactionList::transactions`], how many are this client's.
    pub transactions: u64,
}

impl From<Finished> for RetainedBecause {
    fn from(finished: Finished) -> Self {
        match finished {
            Finished::Expired => Self::Expired,
            Finished::WindowClosed => Self::ResultWindowClosed,
            Finished::ResultsServed => Self::ResultsServed,
        }
    }
}

/// The listing of everything `state` remembers now.
pub(crate) fn list(state: &AppState) -> TransactionList {
    let summaries = state.transactions.summaries(state.now());
    let mut remembered = vec![0u64; state.clients.len()];
    for summary in &summaries {
        if let Some(count) = remembered.get_mut(summary.owner) {
            *count += 1;
        }
    }
    let clients = state
        .clients
        .iter()
        .zip(remembered)
        .enumerate()
        .map(|(index, (client, transactions))| {
            let counters = state.client_counters.get(index);
            ClientActivity {
                client_id: client.id.clone(),
                sign_requests: counters.map_or(0, |c| c.sign_requests.load(Ordering::Relaxed)),
                results: counters.map_or(0, |c| c.results.load(Ordering::Relaxed)),
                transactions,
            }
        })
        .collect();
    TransactionList {
        transactions: summaries
            .into_iter()
            .map(|summary| summarize(state, summary))
            .collect(),
        clients,
    }
}

/// One transaction of `state`, whatever its client.
pub(crate) fn one(state: &AppState, tx_id: &str) -> Option<TransactionSummary> {
    state
        .transactions
        .summary(tx_id, state.now())
        .map(|summary| summarize(state, summary))
}

fn summarize(state: &AppState, summary: Summary) -> TransactionSummary {
    let client_id = state
        .clients
        .get(summary.owner)
        .map_or_else(String::new, |client| client.id.clone());
    let completed_at = match summary.stage {
        Stage::Completed { at } => Some(timestamp(at)),
        Stage::Requested | Stage::InProgress | Stage::Expired => None,
    };
    TransactionSummary {
        tx_id: summary.tx_id,
        client_id,
        doc_title: summary.doc_title,
        status: summary.stage.status(),
        requested_at: timestamp(summary.requested_at),
        completed_at,
        results_served: summary.results_served,
        retained: summary.finished.is_some(),
        retained_because: summary.finished.map(RetainedBecause::from),
    }
}
