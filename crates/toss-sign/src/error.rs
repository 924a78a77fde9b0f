//! The client's one error type.

use std::fmt;
use std::time::Duration;

use toss_model::{ErrorCode, Operation, TxId};
use toss_runtime::retry::{Attempt, Outcome, RetryAction, RetryClassifiers, RetryReason};

/// Everything that can go wrong in the client, with what is needed to act on it.
///
/// No variant carries personal data, documents, tokens or keys: provider messages and
/// transaction ids only.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client is misconfigured (builder or environment).
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The request did not get an HTTP response.
    #[error("{operation} failed to reach the provider")]
    Transport {
        /// What the client was doing.
        operation: Operation,
        /// Whether the provider may have received the request.
        may_have_been_sent: bool,
        /// The transport's error.
        #[source]
        source: BoxError,
    },

    /// The provider answered `FAIL` with an error code not mapped to a more specific variant.
    #[error("{operation} refused by the provider: {}", describe(code, reason.as_deref()))]
    Provider {
        /// What the client was doing.
        operation: Operation,
        /// The HTTP status of the answer.
        status: u16,
        /// The provider's error code, kept verbatim when unknown.
        code: ErrorCode,
        /// The provider's reason text.
        reason: Option<String>,
        /// The transaction concerned, when there was one.
        tx_id: Option<TxId>,
    },

    /// The provider answered with an HTTP error and no `FAIL` body the client could read.
    #[error("{operation} failed with HTTP {status}")]
    Http {
        /// What the client was doing.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// The transaction concerned, when there was one.
        tx_id: Option<TxId>,
    },

    /// The token endpoint refused the client's credentials.
    #[error("the provider refused the client credentials (HTTP {status})")]
    Auth {
        /// The HTTP status.
        status: u16,
    },

    /// A response body was not what the API document describes.
    #[error("{operation} returned an unreadable response (HTTP {status})")]
    Decode {
        /// What the client was doing.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// Why it could not be read (never the body itself).
        #[source]
        source: BoxError,
    },

    /// The request breaks one of the provider's rules; nothing was sent.
    #[error("invalid signature request")]
    Validation(#[from] toss_model::ValidationError),

    /// Encrypting or decrypting personal data failed.
    #[error("{operation}: encryption failed")]
    Crypto {
        /// What the client was doing.
        operation: Operation,
        /// The crypto error.
        #[source]
        source: toss_crypto::Error,
    },

    /// The transaction has expired: its status is EXPIRED (the user never signed), or the
    /// provider answered CE3103, which it also does when a completed transaction's result
    /// window has closed.
    #[error("transaction {tx_id} has expired")]
    Expired {
        /// The transaction.
        tx_id: TxId,
    },

    /// The transaction is not completed yet (CE3102): poll its status and try again.
    #[error("transaction {tx_id} is not completed yet")]
    NotCompleted {
        /// The transaction.
        tx_id: TxId,
    },

    /// The result can no longer be fetched: already fetched twice, or more than 60 minutes
    /// after completion. The signing flow must start again.
    #[error("the result of transaction {tx_id} can no longer be fetched: {limit}")]
    ResultLimit {
        /// The transaction.
        tx_id: TxId,
        /// Which limit.
        limit: ResultLimit,
        /// Whether the client refused before calling the provider.
        refused_locally: bool,
    },

    /// Waiting for the user ran past the poll policy's deadline.
    #[error("transaction {tx_id} was not completed within {waited:?}")]
    Timeout {
        /// The transaction.
        tx_id: TxId,
        /// How long the client waited.
        waited: Duration,
    },

    /// The signedDoc does not verify: a broken signature, a document that is not the one
    /// signed, an untrusted certificate, or a structure that cannot be read.
    #[error("transaction {tx_id}: signedDoc does not verify")]
    Verification {
        /// The transaction.
        tx_id: TxId,
        /// What `toss-signed-doc` found.
        #[source]
        source: toss_signed_doc::Error,
    },

    /// The shared token store failed.
    #[error("the token store failed")]
    TokenStore(#[source] BoxError),

    /// The transaction store failed or was unreachable. When `tx_id` is set, the provider
    /// had already given that txId: keep it, the store may not have it.
    #[error("the transaction store failed{}", tx_id.as_ref().map(|t| format!(" (transaction {t})")).unwrap_or_default())]
    Store {
        /// The transaction concerned, when the provider gave one.
        tx_id: Option<TxId>,
        /// The store's error.
        #[source]
        source: toss_runtime::tx::Error,
    },

    /// The sign request of this idempotency key may have reached the provider without its
    /// answer arriving, or its process stopped while sending. The SDK never sends it again
    /// by itself: a second request would push the user a second notification. The record
    /// stays in the store, marked `outcome_unknown`; ask the user, or use a new key.
    #[error(
        "the sign request of idempotency key {idempotency_key} has an unknown outcome; it is not sent again"
    )]
    OutcomeUnknown {
        /// The caller's key.
        idempotency_key: String,
        /// What went wrong with the send, when this call made it.
        #[source]
        source: Option<Box<Self>>,
    },

    /// Another caller is sending the sign request of this idempotency key right now.
    #[error(
        "the sign request of idempotency key {idempotency_key} is being sent by another caller"
    )]
    RequestInFlight {
        /// The caller's key.
        idempotency_key: String,
    },

    /// The idempotency key was used before for a different request (another signer,
    /// document or setting): nothing was sent.
    #[error("idempotency key {idempotency_key} was used for a different request")]
    IdempotencyKeyReused {
        /// The caller's key.
        idempotency_key: String,
    },

    /// Another process holds the fleet-wide lease on this transaction's result and did not
    /// store a result within the wait: try again later.
    #[error("the result of transaction {tx_id} is being fetched by another process")]
    ResultBusy {
        /// The transaction.
        tx_id: TxId,
    },
}

/// A boxed error from a lower layer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which result limit was reached.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultLimit {
    /// The result was already fetched successfully twice (CE3101).
    FetchedTwice,
    /// More than 60 minutes have passed since the user completed.
    WindowClosed,
}

impl fmt::Display for ResultLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::FetchedTwice => "it was already fetched twice",
            Self::WindowClosed => "more than 60 minutes have passed since completion",
        })
    }
}

impl Error {
    /// The client is misconfigured.
    #[must_use]
    pub fn is_config(&self) -> bool {
        matches!(self, Self::Config(_))
    }

    /// No HTTP response was received.
    #[must_use]
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport { .. })
    }

    /// The credentials were refused.
    #[must_use]
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    /// The provider answered with an error (any `FAIL` or HTTP error).
    #[must_use]
    pub fn is_api(&self) -> bool {
        matches!(
            self,
            Self::Provider { .. }
                | Self::Http { .. }
                | Self::Expired { .. }
                | Self::NotCompleted { .. }
                | Self::ResultLimit { .. }
        )
    }

    /// A deadline passed.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Encryption or decryption failed.
    #[must_use]
    pub fn is_crypto(&self) -> bool {
        matches!(self, Self::Crypto { .. })
    }

    /// A response could not be read.
    #[must_use]
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode { .. })
    }

    /// A signedDoc did not verify.
    #[must_use]
    pub fn is_verification(&self) -> bool {
        matches!(self, Self::Verification { .. })
    }

    /// Whether the same call may succeed if simply made again later, as the default retry
    /// classifiers (`toss_runtime::retry`) judge an idempotent call: no response, HTTP
    /// 429, 500, 502, 503 or 504, a response cut short, or a provider code marked
    /// retryable. The state of the transaction is unknown, not refused.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.retry_outcome().is_some_and(|outcome| {
            transient(RetryClassifiers::default().classify(&Attempt::new(1, true, outcome)))
        })
    }

    /// The provider's error code, when it sent one.
    #[must_use]
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Provider { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Provider { status, .. }
            | Self::Http { status, .. }
            | Self::Auth { status }
            | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The transaction concerned, when there is one.
    #[must_use]
    pub fn tx_id(&self) -> Option<&TxId> {
        match self {
            Self::Provider { tx_id, .. } | Self::Http { tx_id, .. } => tx_id.as_ref(),
            Self::Expired { tx_id }
            | Self::NotCompleted { tx_id }
            | Self::ResultLimit { tx_id, .. }
            | Self::Timeout { tx_id, .. }
            | Self::Verification { tx_id, .. }
            | Self::ResultBusy { tx_id } => Some(tx_id),
            Self::Store { tx_id, .. } => tx_id.as_ref(),
            _ => None,
        }
    }

    /// Whether the provider may have received the request.
    #[must_use]
    pub fn may_have_been_sent(&self) -> bool {
        match self {
            Self::Transport {
                may_have_been_sent, ..
            } => *may_have_been_sent,
            Self::Config(_)
            | Self::Validation(_)
            | Self::TokenStore(_)
            | Self::Verification { .. }
            | Self::RequestInFlight { .. }
            | Self::IdempotencyKeyReused { .. }
            | Self::ResultBusy { .. } => false,
            Self::ResultLimit {
                refused_locally, ..
            } => !refused_locally,
            _ => true,
        }
    }
}

impl Error {
    /// What the failed attempt came to, in the retry policy's words; `None` for errors
    /// that are not about an attempt.
    pub(crate) fn retry_outcome(&self) -> Option<Outcome> {
        match self {
            Self::Transport { source, .. } => source
                .downcast_ref::<toss_transport::TransportError>()
                .map(crate::client::transport_outcome),
            Self::Http { status, .. } => Some(Outcome::response(*status)),
            Self::Provider { status, code, .. } => {
                Some(Outcome::response(*status).with_provider_code(Some(code.clone())))
            }
            Self::Decode { status, .. } => Some(Outcome::response(*status).with_unreadable_body()),
            _ => None,
        }
    }

    /// The client's own refusal of a result fetch the provider would refuse, made without a
    /// call (by the in-memory ledger or the transaction store).
    pub(crate) fn refused_locally(tx_id: &TxId, limit: ResultLimit) -> Self {
        Self::ResultLimit {
            tx_id: tx_id.clone(),
            limit,
            refused_locally: true,
        }
    }
}

/// Whether a classifier's verdict says the call may pass when made again.
pub(crate) fn transient(action: RetryAction) -> bool {
    matches!(
        action,
        RetryAction::RetryIndicated(RetryReason::Transient | RetryReason::Throttled)
    )
}

fn describe(code: &ErrorCode, reason: Option<&str>) -> String {
    match reason {
        Some(reason) if !reason.is_empty() => format!("{code} ({reason})"),
        _ => format!("{code} ({})", code.description()),
    }
}

#[cfg(test)]
mod tests {
    use toss_model::Endpoint as _;
    use toss_model::esign::GetStatus;

    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static>() {}
        assert_traits::<Error>();
    }

    #[test]
    fn provider_errors_name_the_code_and_reason() {
        let error = Error::Provider {
            operation: GetStatus::OPERATION,
            status: 200,
            code: ErrorCode::Ce3100,
            reason: Some("no such request".into()),
            tx_id: Some(TxId::new("tx-1")),
        };
        assert_eq!(
            error.to_string(),
            "status request refused by the provider: CE3100 (no such request)"
        );
        assert!(error.is_api());
        assert_eq!(error.tx_id().map(TxId::as_str), Some("tx-1"));
        assert_eq!(error.code(), Some(&ErrorCode::Ce3100));
    }
}
