//! The log of the provider API's calls (`GET /emulator/v1/requests`): when, which endpoint,
//! the answer's status and error code, the txId. Never a token, a secret, a person or a
//! document.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;

/// How many calls the log keeps; older ones are forgotten first.
pub const REQUEST_LOG_CAPACITY: usize = 1000;

/// One call to the provider API, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LoggedRequest {
    /// When the call arrived (the emulator's clock).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The HTTP method.
    pub method: String,
    /// The path (the provider's endpoints have no parameters in their paths).
    pub endpoint: String,
    /// The HTTP status answered; `None` when the connection was dropped by an injected
    /// fault.
    pub status: Option<u16>,
    /// The `errorCode` of a `FAIL` answer (or the OAuth `error` of the token endpoint).
    pub error_code: Option<String>,
    /// The txId the call was about, or the one it created.
    pub tx_id: Option<String>,
    /// The injected fault that decided the answer: `error` or `drop`.
    pub fault: Option<String>,
}

/// Every call logged, oldest first, at most [`REQUEST_LOG_CAPACITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RequestLog {
    /// The calls.
    pub requests: Vec<LoggedRequest>,
}

/// The log itself.
#[derive(Debug, Default)]
pub(crate) struct Log {
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl Log {
    pub(crate) fn push(&self, entry: LoggedRequest) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= REQUEST_LOG_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn snapshot(&self) -> RequestLog {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        RequestLog {
            requests: entries.iter().cloned().collect(),
        }
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest() {
        let log = Log::default();
        for n in 0..REQUEST_LOG_CAPACITY + 5 {
            log.push(LoggedRequest {
                at: OffsetDateTime::UNIX_EPOCH,
                method: "POST".to_owned(),
                endpoint: format!("/{n}"),
                status: Some(200),
                error_code: None,
                tx_id: None,
                fault: None,
            });
        }
        let requests = log.snapshot().requests;
        assert_eq!(requests.len(), REQUEST_LOG_CAPACITY);
        assert_eq!(requests[0].endpoint, "/5");
        log.clear();
        assert!(log.snapshot().requests.is_empty());
    }
}
