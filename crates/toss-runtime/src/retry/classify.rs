//! What one attempt came to, and the classifiers that read it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use toss_model::ErrorCode;

/// One attempt of a call: its number (from 1), whether the call is idempotent, and what
/// it came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    number: u32,
    idempotent: bool,
    outcome: Outcome,
}

impl Attempt {
    /// Attempt `number` of a call that is `idempotent` or not, which came to `outcome`.
    #[must_use]
    pub fn new(number: u32, idempotent: bool, outcome: Outcome) -> Self {
        Self {
            number,
            idempotent,
            outcome,
        }
    }

    /// The attempt's number, from 1.
    #[must_use]
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Whether sending the call twice has the effect of sending it once.
    #[must_use]
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// What the attempt came to.
    #[must_use]
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// What an attempt came to: no response (and why), or a response (its status, the
/// provider's error code, a `Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    RefusedByRule,
    NoResponse {
        never_connected: bool,
        timed_out: bool,
    },
    Response {
        status: u16,
        retry_after: Option<Duration>,
        code: Option<ErrorCode>,
        unreadable: bool,
    },
}

impl Outcome {
    /// No response arrived; the request may have reached the server.
    #[must_use]
    pub fn no_response() -> Self {
        Self {
            kind: Kind::NoResponse {
                never_connected: false,
                timed_out: false,
            },
        }
    }

    /// The request was refused before or after the exchange by a rule that would refuse it
    /// again (an invalid request, plain http to a remote host, a body over the limit).
    #[must_use]
    pub fn refused_by_rule() -> Self {
        Self {
            kind: Kind::RefusedByRule,
        }
    }

    /// An HTTP response with `status`.
    #[must_use]
    pub fn response(status: u16) -> Self {
        Self {
            kind: Kind::Response {
                status,
                retry_after: None,
                code: None,
                unreadable: false,
            },
        }
    }

    /// Without a response: the request never reached the server (DNS, connect).
    #[must_use]
    pub fn never_connected(mut self) -> Self {
        if let Kind::NoResponse {
            never_connected, ..
        } = &mut self.kind
        {
            *never_connected = true;
        }
        self
    }

    /// Without a response: the attempt ran out of time.
    #[must_use]
    pub fn timed_out(mut self) -> Self {
        if let Kind::NoResponse { timed_out, .. } = &mut self.kind {
            *timed_out = true;
        }
        self
    }

    /// With a response: the server asked to come back after `after`.
    #[must_use]
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        if let Kind::Response { retry_after, .. } = &mut self.kind {
            *retry_after = after;
        }
        self
    }

    /// With a response: the provider's error code in its `FAIL` body.
    #[must_use]
    pub fn with_provider_code(mut self, provider_code: Option<ErrorCode>) -> Self {
        if let Kind::Response { code, .. } = &mut self.kind {
            *code = provider_code;
        }
        self
    }

    /// With a response: its body could not be read as the API document describes (cut
    /// short, or not JSON).
    #[must_use]
    pub fn with_unreadable_body(mut self) -> Self {
        if let Kind::Response { unreadable, .. } = &mut self.kind {
            *unreadable = true;
        }
        self
    }

    /// The HTTP status, when a response arrived.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            Kind::Response { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The server's `Retry-After`, when it gave one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind {
            Kind::Response { retry_after, .. } => retry_after,
            _ => None,
        }
    }

    /// The provider's error code, when it sent one.
    #[must_use]
    pub fn provider_code(&self) -> Option<&ErrorCode> {
        match &self.kind {
            Kind::Response { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    /// Whether no response arrived (refusals by rule aside).
    #[must_use]
    pub fn is_no_response(&self) -> bool {
        matches!(self.kind, Kind::NoResponse { .. })
    }

    /// Whether the request never reached the server.
    #[must_use]
    pub fn is_never_connected(&self) -> bool {
        matches!(
            self.kind,
            Kind::NoResponse {
                never_connected: true,
                ..
            }
        )
    }

    /// Whether the attempt ran out of time.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind,
            Kind::NoResponse {
                timed_out: true,
                ..
            }
        )
    }

    /// Whether a rule refused the request for good.
    #[must_use]
    pub fn is_refused_by_rule(&self) -> bool {
        matches!(self.kind, Kind::RefusedByRule)
    }

    /// Whether the response's body could not be read.
    #[must_use]
    pub fn is_body_unreadable(&self) -> bool {
        matches!(
            self.kind,
            Kind::Response {
                unreadable: true,
                ..
            }
        )
    }
}

/// A classifier's verdict on an attempt.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAction {
    /// This classifier has no opinion: the next one decides.
    NoActionIndicated,
    /// Send again, for this reason.
    RetryIndicated(RetryReason),
    /// Never send again.
    RetryForbidden,
}

/// Why a call may be sent again.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// The server throttled the call (HTTP 429).
    Throttled,
    /// The access token was refused: replace it, then send once more.
    TokenRefused,
    /// A failure that may pass (no response, a server error, a retryable provider code).
    Transient,
}

/// One rule of the chain: looks at an attempt and says retry, never, or nothing.
pub trait ClassifyRetry: Send + Sync + fmt::Debug {
    /// The classifier's name, for logs.
    fn name(&self) -> &'static str;

    /// The verdict on `attempt`.
    fn classify(&self, attempt: &Attempt) -> RetryAction;
}

/// The classifiers in order; the first with an opinion decides, and an attempt no
/// classifier has an opinion on is final.
#[derive(Debug, Clone)]
pub struct RetryClassifiers {
    chain: Vec<Arc<dyn ClassifyRetry>>,
}

impl RetryClassifiers {
    /// An empty chain: nothing is retried.
    #[must_use]
    pub fn empty() -> Self {
        Self { chain: Vec::new() }
    }

    /// Adds `classifier` after the others.
    #[must_use]
    pub fn with(mut self, classifier: impl ClassifyRetry + 'static) -> Self {
        self.chain.push(Arc::new(classifier));
        self
    }

    /// Adds `classifier` before the others, so that it decides first.
    #[must_use]
    pub fn with_first(mut self, classifier: impl ClassifyRetry + 'static) -> Self {
        self.chain.insert(0, Arc::new(classifier));
        self
    }

    /// The names of the classifiers, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.chain.iter().map(|classifier| classifier.name())
    }

    /// The first opinion on `attempt`, or [`RetryAction::NoActionIndicated`].
    #[must_use]
    pub fn classify(&self, attempt: &Attempt) -> RetryAction {
        self.chain
            .iter()
            .map(|classifier| classifier.classify(attempt))
            .find(|action| *action != RetryAction::NoActionIndicated)
            .unwrap_or(RetryAction::NoActionIndicated)
    }
}

impl Default for RetryClassifiers {
    /// [`RefusedByRule`], [`TokenRefused`], [`NeverConnected`], [`Throttled`],
    /// [`TransientNoResponse`], [`ServerUnavailable`], [`RetryableProviderCode`],
    /// [`UnreadableBody`].
    fn default() -> Self {
        Self::empty()
            .with(RefusedByRule)
            .with(TokenRefused)
            .with(NeverConnected)
            .with(Throttled)
            .with(TransientNoResponse)
            .with(ServerUnavailable)
            .with(RetryableProviderCode)
            .with(UnreadableBody)
    }
}

/// Only an idempotent call may be sent again after it may have arrived.
fn if_idempotent(attempt: &Attempt) -> RetryAction {
    if attempt.is_idempotent() {
        RetryAction::RetryIndicated(RetryReason::Transient)
    } else {
        RetryAction::RetryForbidden
    }
}

/// A request a rule refused (an invalid request, plain http to a remote host, a body
/// over the limit) would be refused again: never retried.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct RefusedByRule;

impl ClassifyRetry for RefusedByRule {
    fn name(&self) -> &'static str {
        "refused by rule"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        if attempt.outcome().is_refused_by_rule() {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

/// HTTP 401 or `CE1000`: the access token was refused. Replace it and send once more.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenRefused;

impl ClassifyRetry for TokenRefused {
    fn name(&self) -> &'static str {
        "token refused"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        let outcome = attempt.outcome();
        let refused = outcome.status() == Some(401)
            || outcome
                .provider_code()
                .is_some_and(ErrorCode::needs_new_token);
        if refused {
            RetryAction::RetryIndicated(RetryReason::TokenRefused)
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

/// A request that never reached the server (DNS, connect) is safe to send again,
/// whatever the call.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverConnected;

impl ClassifyRetry for NeverConnected {
    fn name(&self) -> &'static str {
        "never connected"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        if attempt.outcome().is_never_connected() {
            RetryAction::RetryIndicated(RetryReason::Transient)
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

/// HTTP 429: the server refused the call unprocessed and says when to come back; sent
/// again whatever the call.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct Throttled;

impl ClassifyRetry for Throttled {
    fn name(&self) -> &'static str {
        "throttled"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        if attempt.outcome().status() == Some(429) {
            RetryAction::RetryIndicated(RetryReason::Throttled)
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

/// No response after the request may have left (a timeout, a connection reset): sent
/// again only when the call is idempotent.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct TransientNoResponse;

impl ClassifyRetry for TransientNoResponse {
    fn name(&self) -> &'static str {
        "no response"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        if attempt.outcome().is_no_response() {
            if_idempotent(attempt)
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

/// HTTP 500, 502, 503, 504: the server or a gateway failed, possibly after acting on the
/// request; sent again only when the call is idempotent.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerUnavailable;

impl ClassifyRetry for ServerUnavailable {
    fn name(&self) -> &'static str {
        "server unavailable"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        match attempt.outcome().status() {
            Some(500 | 502 | 503 | 504) => if_idempotent(attempt),
            _ => RetryAction::NoActionIndicated,
        }
    }
}

/// A provider code marked retryable (`CE0001`, `CE0002`): sent again only when the call
/// is idempotent.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryableProviderCode;

impl ClassifyRetry for RetryableProviderCode {
    fn name(&self) -> &'static str {
        "retryable provider code"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        if attempt
            .outcome()
            .provider_code()
            .is_some_and(ErrorCode::is_retryable)
        {
            if_idempotent(attempt)
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

/// A response whose body could not be read (cut short on the way, not JSON): sent again
/// only when the call is idempotent.
#[allow(clippy::exhaustive_structs)] // a unit struct: there is nothing to add
#[derive(Debug, Clone, Copy, Default)]
pub struct UnreadableBody;

impl ClassifyRetry for UnreadableBody {
    fn name(&self) -> &'static str {
        "unreadable body"
    }

    fn classify(&self, attempt: &Attempt) -> RetryAction {
        if attempt.outcome().is_body_unreadable() {
            if_idempotent(attempt)
        } else {
            RetryAction::NoActionIndicated
        }
    }
}
