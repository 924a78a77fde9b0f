//! Per-signer behaviour and injected faults, from a scenario file or built in code.
//!
//! A scenario is JSON (the emulator already speaks it, so no other format's parser is
//! brought in):
//!
//! ```json
//! {
//!   "seed": 7,
//!   "signers": [
//!     { "phone": "01012345678", "then": "sign", "afterMs": 1500 },
//!     { "name": "김거절", "then": "decline", "afterMs": 500 },
//!     { "ci": "…", "then": "neverAnswer" },
//!     { "phone": "01099998888", "then": "openAndExpire", "afterMs": 200 },
//!     { "phone": "01055556666", "then": "manual" }
//!   ],
//!   "faults": [
//!     { "endpoint": "status", "errorRate": 0.2, "latencyMs": 100, "dropRate": 0.05 }
//!   ]
//! }
//! ```
//!
//! The first signer rule that matches a request's signer (by phone digits, exact name or
//! CI) decides what its user does: `sign` opens the request at half of `afterMs` and signs
//! it at `afterMs`, `decline` opens and declines it at `afterMs`, `openAndExpire` opens it
//! at `afterMs` and lets it expire, `neverAnswer` never opens it, and `manual` leaves it to
//! the control endpoints or a person at the app screen; requests of nobody listed follow the emulator's
//! [`UserBehaviour`]. Each fault rule applies to one endpoint (`token`, `request`, `status`,
//! `result`, `certificate`, or `any`): first the added latency, then with `dropRate` the
//! connection is closed without an answer, else with `errorRate` the call fails with HTTP
//! 500 and `CE0001`. The draws come from one generator seeded with `seed`, so a run that
//! makes the same calls in the same order meets the same faults.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::config::UserBehaviour;
use crate::state::Signer;

/// The longest delay a rule may give (a signer's `afterMs`, a fault's `latencyMs`): an
/// hour, far beyond any request's 30-minute life.
pub const MAX_RULE_DELAY: Duration = Duration::from_secs(3600);

/// What the emulator does for some signers, and the faults it injects.
#[derive(Clone, Default)]
pub struct Scenario {
    pub(crate) signers: Vec<SignerRule>,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) seed: u64,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Rules name people: counts only.
        f.debug_struct("Scenario")
            .field("signers", &self.signers.len())
            .field("faults", &self.faults)
            .field("seed", &self.seed)
            .finish()
    }
}

/// Who a signer rule is about.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerMatch {
    /// A `USER_PERSONAL` signer with this mobile number (digits only are compared).
    Phone(Zeroizing<String>),
    /// A `USER_PERSONAL` signer with exactly this name.
    Name(Zeroizing<String>),
    /// A `USER_CI` signer with this CI.
    Ci(Zeroizing<String>),
}

impl std::fmt::Debug for SignerMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Phone(_) => "SignerMatch::Phone(<redacted>)",
            Self::Name(_) => "SignerMatch::Name(<redacted>)",
            Self::Ci(_) => "SignerMatch::Ci(<redacted>)",
        })
    }
}

impl SignerMatch {
    /// A phone number, as digits (hyphens and spaces dropped).
    #[must_use]
    pub fn phone(phone: &str) -> Self {
        Self::Phone(Zeroizing::new(digits(phone)))
    }

    /// A name.
    #[must_use]
    pub fn name(name: &str) -> Self {
        Self::Name(Zeroizing::new(name.to_owned()))
    }

    /// A CI.
    #[must_use]
    pub fn ci(ci: &str) -> Self {
        Self::Ci(Zeroizing::new(ci.to_owned()))
    }

    pub(crate) fn matches(&self, signer: &Signer) -> bool {
        match (self, signer) {
            // Compared digit by digit: no copy of the number per transaction looked at.
            (Self::Phone(wanted), Signer::Personal { phone, .. }) => wanted
                .chars()
                .eq(phone.chars().filter(char::is_ascii_digit)),
            (Self::Name(wanted), Signer::Personal { name, .. }) => wanted.as_str() == name.as_str(),
            (Self::Ci(wanted), Signer::Ci { ci }) => wanted.as_str() == ci.as_str(),
            _ => false,
        }
    }
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// One signer rule: who, and what their user does.
#[derive(Debug, Clone)]
pub(crate) struct SignerRule {
    pub(crate) signer: SignerMatch,
    pub(crate) behaviour: UserBehaviour,
}

/// Which endpoint a fault rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum FaultEndpoint {
    /// `POST /token`.
    Token,
    /// `POST /api/v2/sign/doc/request`.
    Request,
    /// `POST /api/v2/sign/doc/status`.
    Status,
    /// `POST /api/v2/sign/doc/result`.
    Result,
    /// `POST /api/v1/certificate/validate`.
    Certificate,
    /// Every endpoint above.
    Any,
}

/// Faults injected into one endpoint's calls.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaultRule {
    /// The endpoint.
    pub endpoint: FaultEndpoint,
    /// The probability (0 to 1) that a call fails with HTTP 500 and `CE0001`.
    pub error_rate: f64,
    /// The probability (0 to 1) that the connection is closed without an answer.
    pub drop_rate: f64,
    /// Time added before each call is answered.
    pub latency: Duration,
}

impl FaultRule {
    /// No fault on `endpoint` yet: add some with the other methods.
    #[must_use]
    pub fn on(endpoint: FaultEndpoint) -> Self {
        Self {
            endpoint,
            error_rate: 0.0,
            drop_rate: 0.0,
            latency: Duration::ZERO,
        }
    }

    /// Fails this share of calls with HTTP 500 (`CE0001`).
    #[must_use]
    pub fn error_rate(mut self, rate: f64) -> Self {
        self.error_rate = rate;
        self
    }

    /// Closes the connection without an answer for this share of calls.
    #[must_use]
    pub fn drop_rate(mut self, rate: f64) -> Self {
        self.drop_rate = rate;
        self
    }

    /// Adds this much time before every call is answered.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
}

/// Why a scenario was refused. Messages name rules and fields, never the people in them.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The text is not the scenario's JSON.
    #[error(
        "the scenario is not valid JSON of the expected shape (error at line {line}, column {column})"
    )]
    Syntax {
        /// The line of the problem, from 1.
        line: usize,
        /// Its column, from 1.
        column: usize,
    },
    /// A signer rule names no one, or more than one of phone, name and CI.
    #[error("signer rule {index} must name exactly one of phone, name and ci")]
    SignerMatch {
        /// The rule, counted from 0.
        index: usize,
    },
    /// A signer rule's `then` needs an `afterMs`, or has one it cannot use.
    #[error("signer rule {index}: {reason}")]
    SignerRule {
        /// The rule, counted from 0.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A fault rule's rate is not within 0 to 1, or a delay is over an hour.
    #[error("fault rule {index}: {reason}")]
    FaultRule {
        /// The rule, counted from 0.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScenarioFile {
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    signers: Vec<SignerEntry>,
    #[serde(default)]
    faults: Vec<FaultEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SignerEntry {
    phone: Option<String>,
    name: Option<String>,
    ci: Option<String>,
    then: Then,
    after_ms: Option<u64>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum Then {
    Sign,
    Decline,
    NeverAnswer,
    OpenAndExpire,
    Manual,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultEntry {
    endpoint: FaultEndpoint,
    #[serde(default)]
    error_rate: f64,
    #[serde(default)]
    drop_rate: f64,
    #[serde(default)]
    latency_ms: u64,
}

impl Scenario {
    /// An empty scenario: everyone follows the emulator's behaviour, no faults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a scenario file's JSON (see the [module](self) documentation).
    ///
    /// # Errors
    ///
    /// [`ScenarioError`] naming the rule and what is wrong with it.
    pub fn from_json(text: &str) -> Result<Self, ScenarioError> {
        let file: ScenarioFile =
            serde_json::from_str(text).map_err(|error| ScenarioError::Syntax {
                line: error.line(),
                column: error.column(),
            })?;
        let mut scenario = Self::new().seed(file.seed);
        for (index, entry) in file.signers.into_iter().enumerate() {
            let signer = match (entry.phone, entry.name, entry.ci) {
                (Some(phone), None, None) => SignerMatch::phone(&Zeroizing::new(phone)),
                (None, Some(name), None) => SignerMatch::Name(Zeroizing::new(name)),
                (None, None, Some(ci)) => SignerMatch::Ci(Zeroizing::new(ci)),
                _ => return Err(ScenarioError::SignerMatch { index }),
            };
            let after = entry.after_ms.map(Duration::from_millis);
            let rule = |reason| ScenarioError::SignerRule { index, reason };
            if after.is_some_and(|after| after > MAX_RULE_DELAY) {
                return Err(rule("afterMs must be at most an hour"));
            }
            let behaviour = match (entry.then, after) {
                (Then::Sign, Some(after)) => UserBehaviour::completes(after / 2, after),
                (Then::Decline, Some(after)) => UserBehaviour::Declines { after },
                (Then::OpenAndExpire, Some(open_after)) => {
                    UserBehaviour::OpensAndExpires { open_after }
                }
                (Then::Sign | Then::Decline | Then::OpenAndExpire, None) => {
                    return Err(rule("sign, decline and openAndExpire need afterMs"));
                }
                (Then::NeverAnswer, None) => UserBehaviour::NeverAnswers,
                (Then::Manual, None) => UserBehaviour::Manual,
                (Then::NeverAnswer | Then::Manual, Some(_)) => {
                    return Err(rule("neverAnswer and manual take no afterMs"));
                }
            };
            scenario = scenario.signer(signer, behaviour);
        }
        for entry in file.faults {
            scenario = scenario.fault(
                FaultRule::on(entry.endpoint)
                    .error_rate(entry.error_rate)
                    .drop_rate(entry.drop_rate)
                    .latency(Duration::from_millis(entry.latency_ms)),
            );
        }
        scenario.check()?;
        Ok(scenario)
    }

    /// Requests for `signer` are answered by a user who does `behaviour` (the first rule
    /// that matches counts).
    #[must_use]
    pub fn signer(mut self, signer: SignerMatch, behaviour: UserBehaviour) -> Self {
        self.signers.push(SignerRule { signer, behaviour });
        self
    }

    /// Injects `fault`.
    #[must_use]
    pub fn fault(mut self, fault: FaultRule) -> Self {
        self.faults.push(fault);
        self
    }

    /// Seeds the faults' random draws.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The behaviour the rules give `signer`, if one matches.
    pub(crate) fn behaviour_for(&self, signer: &Signer) -> Option<&UserBehaviour> {
        self.signers
            .iter()
            .find(|rule| rule.signer.matches(signer))
            .map(|rule| &rule.behaviour)
    }

    /// Checks every fault rule, read from a file or built in code: the first out of range,
    /// by its index.
    pub(crate) fn check(&self) -> Result<(), ScenarioError> {
        let rate = |rate: f64| (0.0..=1.0).contains(&rate);
        for (index, fault) in self.faults.iter().enumerate() {
            let reason = if !rate(fault.error_rate) || !rate(fault.drop_rate) {
                "errorRate and dropRate must be within 0 to 1"
            } else if fault.latency > MAX_RULE_DELAY {
                "latencyMs must be at most an hour"
            } else {
                continue;
            };
            return Err(ScenarioError::FaultRule { index, reason });
        }
        Ok(())
    }
}

/// What happens to one call, as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Draw {
    pub(crate) latency: Duration,
    pub(crate) drop: bool,
    pub(crate) error: bool,
}

/// The fault rules and their seeded generator.
#[derive(Debug)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
    seed: u64,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    pub(crate) fn new(scenario: &Scenario) -> Self {
        Self {
            rules: scenario.faults.clone(),
            seed: scenario.seed,
            rng: Mutex::new(fastrand::Rng::with_seed(scenario.seed)),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Starts the draws again from the seed.
    pub(crate) fn reseed(&self) {
        *self.rng.lock().unwrap_or_else(PoisonError::into_inner) =
            fastrand::Rng::with_seed(self.seed);
    }

    /// What the rules for `endpoint` do to the next call.
    pub(crate) fn draw(&self, endpoint: FaultEndpoint) -> Draw {
        let mut draw = Draw::default();
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        for rule in self
            .rules
            .iter()
            .filter(|rule| rule.endpoint == endpoint || rule.endpoint == FaultEndpoint::Any)
        {
            draw.latency = draw.latency.saturating_add(rule.latency);
            // Always two draws per rule, so that one call's outcome does not shift the
            // draws of the next.
            let drop = rng.f64() < rule.drop_rate;
            let error = rng.f64() < rule.error_rate;
            draw.drop |= drop;
            draw.error |= error;
        }
        draw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn personal(name: &str, phone: &str) -> Signer {
        Signer::Personal {
            name: Zeroizing::new(name.to_owned()),
            phone: Zeroizing::new(phone.to_owned()),
            birthday: Zeroizing::new("19900101".to_owned()),
        }
    }

    #[test]
    fn a_file_gives_each_signer_a_behaviour() {
        let scenario = Scenario::from_json(
            r#"{"seed": 3, "signers": [
                {"phone": "010-1234-5678", "then": "sign", "afterMs": 1000},
                {"name": "김거절", "then": "decline", "afterMs": 20},
                {"ci": "ci-1", "then": "neverAnswer"},
                {"phone": "01099998888", "then": "openAndExpire", "afterMs": 5}
            ], "faults": [{"endpoint": "status", "errorRate": 0.5, "latencyMs": 7}]}"#,
        )
        .unwrap();
        assert_eq!(
            scenario.behaviour_for(&personal("홍길동", "01012345678")),
            Some(&UserBehaviour::completes(
                Duration::from_millis(500),
                Duration::from_secs(1)
            ))
        );
        assert_eq!(
            scenario.behaviour_for(&personal("김거절", "01000000000")),
            Some(&UserBehaviour::Declines {
                after: Duration::from_millis(20)
            })
        );
        let ci = Signer::Ci {
            ci: Zeroizing::new("ci-1".to_owned()),
        };
        assert_eq!(
            scenario.behaviour_for(&ci),
            Some(&UserBehaviour::NeverAnswers)
        );
        assert_eq!(
            scenario.behaviour_for(&personal("아무개", "01011112222")),
            None
        );
        assert_eq!(scenario.seed, 3);
        assert_eq!(
            scenario.faults,
            [FaultRule::on(FaultEndpoint::Status)
                .error_rate(0.5)
                .latency(Duration::from_millis(7))]
        );
    }

    #[test]
    fn bad_rules_are_named_without_their_people() {
        let refused = |text: &str| Scenario::from_json(text).unwrap_err();
        assert_eq!(
            refused(
                r#"{"signers": [{"phone": "01012345678", "name": "홍길동", "then": "sign", "afterMs": 1}]}"#
            ),
            ScenarioError::SignerMatch { index: 0 }
        );
        let error = refused(r#"{"signers": [{"phone": "01012345678", "then": "sign"}]}"#);
        assert!(matches!(error, ScenarioError::SignerRule { index: 0, .. }));
        assert!(!error.to_string().contains("0101234"));
        let error = refused(r#"{"faults": [{"endpoint": "status", "errorRate": 1.5}]}"#);
        assert!(matches!(error, ScenarioError::FaultRule { index: 0, .. }));
        let error = refused(r#"{"signers": [{"phone": 1012345678, "then": "sign"}]}"#);
        assert!(matches!(error, ScenarioError::Syntax { .. }));
        assert!(!error.to_string().contains("1012345678"), "{error}");
        assert!(matches!(
            refused(r#"{"fault": []}"#),
            ScenarioError::Syntax { .. }
        ));
    }

    #[test]
    fn the_draws_follow_the_seed() {
        let scenario = Scenario::new()
            .seed(42)
            .fault(FaultRule::on(FaultEndpoint::Any).error_rate(0.5));
        let faults = Faults::new(&scenario);
        let first: Vec<bool> = (0..64)
            .map(|_| faults.draw(FaultEndpoint::Status).error)
            .collect();
        faults.reseed();
        let again: Vec<bool> = (0..64)
            .map(|_| faults.draw(FaultEndpoint::Status).error)
            .collect();
        assert_eq!(first, again);
        let errors = first.iter().filter(|error| **error).count();
        assert!((16..=48).contains(&errors), "{errors} of 64");
        assert_eq!(
            Faults::new(&Scenario::new()).draw(FaultEndpoint::Token),
            Draw::default()
        );
    }
}
