//! The stack of the fault tests: client → (its retry layer) → `FaultyTransport` →
//! [`Counting`] → `ReqwestTransport` → a real `toss-emulator` on 127.0.0.1, and the
//! record of what each flow got.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/choice.rs"]
mod choice;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use time::macros::date;
use toss_emulator::{EmulatorHandle, UserBehaviour};
use toss_sign::{
    Client, Document, Environment, Error, PollPolicy, RetryPolicy, SignatureRequest, Signer,
    Trigger, TxId,
};
use toss_transport::test_util::{FaultStats, FaultyTransport};
use toss_transport::{HttpRequest, HttpResponse, HttpTransport, ReqwestTransport, TransportError};

pub const REQUEST: &str =
    <toss_model::esign::RequestSign as toss_model::Endpoint>::OPERATION.path();
pub const STATUS: &str = <toss_model::esign::GetStatus as toss_model::Endpoint>::OPERATION.path();
pub const RESULT: &str = <toss_model::esign::GetResult as toss_model::Endpoint>::OPERATION.path();

/// Records every request that reaches it (path and body), then passes it on: below the
/// faulty layer, it sees what actually went to the server.
#[derive(Debug, Clone)]
pub struct Counting<T> {
    inner: T,
    arrivals: Arc<Mutex<Vec<(String, Bytes)>>>,
}

impl<T> Counting<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            arrivals: Arc::default(),
        }
    }

    /// The bodies that reached `path`, in order.
    pub fn bodies(&self, path: &str) -> Vec<serde_json::Value> {
        self.arrivals
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, body)| serde_json::from_slice(body).unwrap())
            .collect()
    }

    /// How many times each value of the body field `field` reached `path`.
    pub fn field_counts(&self, path: &str, field: &str) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for body in self.bodies(path) {
            let value = body[field].as_str().unwrap().to_owned();
            *counts.entry(value).or_default() += 1;
        }
        counts
    }
}

#[async_trait]
impl<T: HttpTransport> HttpTransport for Counting<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.arrivals
            .lock()
            .unwrap()
            .push((request.uri().path().to_owned(), request.body().clone()));
        self.inner.send(request).await
    }
}

/// The session-key backend: aws-lc when compiled in (required when both are), RustCrypto
/// otherwise.
pub fn crypto() -> &'static toss_crypto::CryptoProvider {
    #[cfg(feature = "aws-lc")]
    return &toss_crypto::backend::aws_lc::PROVIDER;
    #[cfg(not(feature = "aws-lc"))]
    return &toss_crypto::backend::rust_crypto::PROVIDER;
}

/// An emulator on the system clock whose users open after 30 ms and sign after 120 ms.
pub async fn emulator() -> EmulatorHandle {
    toss_emulator::Emulator::builder()
        .rsa_bits(2048)
        .user_behaviour(UserBehaviour::completes(
            Duration::from_millis(30),
            Duration::from_millis(120),
        ))
        .start()
        .await
        .unwrap()
}

/// The fault rates of the runs: 10 % of each.
pub const RATE: f64 = 0.10;

pub type Stack = FaultyTransport<Counting<ReqwestTransport>>;

/// The faulty stack for `seed` in front of `emulator`, and a client on it.
pub fn client(emulator: &EmulatorHandle, seed: u64) -> (Client, Stack) {
    let settings = choice::transport_settings()
        .connect_timeout(Duration::from_secs(5))
        .request_timeout(Duration::from_secs(10))
        .build();
    let counting = Counting::new(ReqwestTransport::new(&settings).unwrap());
    let faulty = FaultyTransport::builder()
        .seed(seed)
        .drop_rate(RATE)
        .delay(RATE, Duration::from_millis(50))
        .reset_after_send_rate(RATE)
        .server_error_rate(RATE)
        .truncate_rate(RATE)
        .build(counting);
    let client = Client::builder()
        .client_id(emulator.client_id())
        .client_secret(emulator.client_secret())
        .environment(Environment::single_host(emulator.base_url()))
        .public_key(emulator.public_key_base64())
        .crypto_provider(crypto())
        .transport(faulty.clone())
        .retry_policy(
            RetryPolicy::builder()
                .initial_backoff(Duration::from_millis(2))
                .max_backoff(Duration::from_millis(20))
                .build(),
        )
        .build()
        .unwrap();
    (client, faulty)
}

pub fn poll_policy() -> PollPolicy {
    PollPolicy::new()
        .initial_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(60))
        .multiplier(1.5)
        .timeout(Duration::from_secs(20))
}

pub fn sign_request(n: usize) -> SignatureRequest {
    SignatureRequest::builder()
        .signer(Signer::personal("홍길동", "010-1234-5678", date!(1993 - 03 - 24)).unwrap())
        .trigger(Trigger::Push)
        .document(Document::text(format!("동의합니다 ({n})")).unwrap())
        .service_name("토스증권")
        .title("계좌 개설 동의서")
        .build()
        .unwrap()
}

/// Where a flow ended.
#[derive(Debug)]
pub enum Outcome {
    /// The result was fetched and opened (after `result_calls` result calls).
    Completed { tx_id: TxId, result_calls: usize },
    /// `request_signature` failed.
    RequestFailed(Error),
    /// `wait` failed.
    WaitFailed { tx_id: TxId, error: Error },
    /// Every result call failed (each error, in order).
    ResultFailed { tx_id: TxId, errors: Vec<Error> },
}

impl Outcome {
    pub fn tx_id(&self) -> Option<&TxId> {
        match self {
            Self::Completed { tx_id, .. }
            | Self::WaitFailed { tx_id, .. }
            | Self::ResultFailed { tx_id, .. } => Some(tx_id),
            Self::RequestFailed(_) => None,
        }
    }

    pub fn errors(&self) -> Vec<&Error> {
        match self {
            Self::Completed { .. } => Vec::new(),
            Self::RequestFailed(error) | Self::WaitFailed { error, .. } => vec![error],
            Self::ResultFailed { errors, .. } => errors.iter().collect(),
        }
    }
}

/// How many result calls a flow makes at most: the provider allows two fetches, so an
/// application may try once more after a fetch whose answer it lost.
pub const RESULT_ATTEMPTS: usize = 2;

/// One flow: request → wait → result (tried again once if it fails).
pub async fn flow(client: Client, n: usize) -> Outcome {
    let requested = match client.request_signature(&sign_request(n)).await {
        Ok(requested) => requested,
        Err(error) => return Outcome::RequestFailed(error),
    };
    let tx_id = requested.tx_id;
    if let Err(error) = client.wait(&tx_id, &poll_policy(), |_| {}).await {
        return Outcome::WaitFailed { tx_id, error };
    }
    let mut errors = Vec::new();
    for call in 1..=RESULT_ATTEMPTS {
        match client.result(&tx_id).await {
            Ok(signed) => {
                assert_eq!(signed.tx_id, tx_id);
                assert_eq!(
                    signed.person.as_ref().map(|p| p.name.as_str()),
                    Some("홍길동")
                );
                return Outcome::Completed {
                    tx_id,
                    result_calls: call,
                };
            }
            Err(error) => errors.push(error),
        }
    }
    Outcome::ResultFailed { tx_id, errors }
}

/// Everything one seeded run produced.
#[derive(Debug)]
pub struct Run {
    pub seed: u64,
    pub outcomes: Vec<Outcome>,
    pub faults: FaultStats,
    pub stack: Stack,
    pub emulator: toss_emulator::Stats,
}

/// Runs `flows` flows concurrently against a new emulator through the stack for `seed`.
/// A panic in any flow fails the run.
pub async fn run(seed: u64, flows: usize) -> Run {
    let started = std::time::Instant::now();
    let emulator = emulator().await;
    println!("seed {seed}: emulator up in {:?}", started.elapsed());
    let (client, stack) = client(&emulator, seed);
    let mut tasks = Vec::new();
    for n in 0..flows {
        let client = client.clone();
        tasks.push(tokio::spawn(flow(client, n)));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("a flow panicked"));
    }
    let run = Run {
        seed,
        outcomes,
        faults: stack.stats(),
        emulator: emulator.stats(),
        stack,
    };
    emulator.shutdown().await.unwrap();
    println!("seed {seed}: {flows} flows in {:?}", started.elapsed());
    run
}

impl Run {
    pub fn completed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Completed { .. }))
            .count()
    }

    /// Flows whose sign request was answered (a transaction the client knows).
    pub fn requested(&self) -> usize {
        self.outcomes.iter().filter(|o| o.tx_id().is_some()).count()
    }

    pub fn wait_errors(&self) -> Vec<&Error> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::WaitFailed { error, .. } => Some(error),
                _ => None,
            })
            .collect()
    }

    pub fn summary(&self) -> String {
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for outcome in &self.outcomes {
            let stage = match outcome {
                Outcome::Completed { .. } => "completed",
                Outcome::RequestFailed(_) => "request",
                Outcome::WaitFailed { .. } => "wait",
                Outcome::ResultFailed { .. } => "result",
            };
            let error = outcome.errors().last().map(|e| kind(e)).unwrap_or_default();
            *kinds.entry(format!("{stage} {error}")).or_default() += 1;
        }
        let mut kinds: Vec<_> = kinds.into_iter().collect();
        kinds.sort();
        let mut by_path: HashMap<String, usize> = HashMap::new();
        for record in self.stack.history() {
            let path = record
                .path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let fault = record.fault.map(|f| format!("{f:?}")).unwrap_or_default();
            *by_path.entry(format!("{path} {fault}")).or_default() += 1;
        }
        let mut by_path: Vec<_> = by_path.into_iter().collect();
        by_path.sort();
        format!(
            "seed {}: {}/{} completed; {kinds:?}; faults {:?}; by path {by_path:?}; \
             emulator {:?}",
            self.seed,
            self.completed(),
            self.outcomes.len(),
            self.faults,
            self.emulator
        )
    }
}

/// A short name of an error's kind, for summaries.
pub fn kind(error: &Error) -> String {
    match error {
        Error::Transport {
            may_have_been_sent, ..
        } => format!("transport(sent={may_have_been_sent})"),
        Error::Http { status, .. } => format!("http({status})"),
        Error::Decode { .. } => "decode".into(),
        Error::Timeout { .. } => "timeout".into(),
        other => format!("{other:?}"),
    }
}
