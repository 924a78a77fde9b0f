//! Redis goes away in the middle of a four-process run against the emulator over HTTP,
//! for 10 s, killed (connections reset, then refused) or frozen (SIGSTOP: connections
//! open, nothing answered), and comes back. Every call of every worker process must end
//! within its bound, the flows go on, and each process fetches at most one token of its
//! own during the outage; once Redis is back the fleet shares one token again.
//!
//! The outage only matters when a process needs a new token, so the test makes every
//! token expire at the emulator (its manual clock moves past the token lifetime) during
//! the outage: each process has its token refused and needs another. After the outage
//! the workers' own clocks move to their tokens' refresh point, and the fleet must
//! refresh through Redis again, with one token for all.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use support::{RedisServer, namespace};
use time::OffsetDateTime;
use time::macros::date;
use toss_emulator::clock::ManualClock;
use toss_emulator::{Emulator, UserBehaviour};
use toss_sign::{
    Client, Clock, Document, Environment, SignatureRequest, Signer, TokenStore, Trigger,
};
use toss_token_redis::RedisTokenStore;

const PROCESSES: usize = 4;
/// Flows in flight per process; each task pauses between flows to leave the two cores
/// of a CI machine some room.
const CONCURRENCY: usize = 2;
const PAUSE: Duration = Duration::from_millis(50);
/// The Redis store's timeout: the default.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// The client's per-request timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// The bound on every call: its request timeout, plus half a second of slack for a
/// loaded machine. A call refused for its expired token waits at most one Redis timeout
/// (1 s) before fetching its own, so the slowest calls take about 1.1 to 1.2 s; a call
/// that waited on Redis twice, or for ever as before, fails it.
const CALL_BOUND: Duration = Duration::from_millis(2_500);
const OUTAGE: Duration = Duration::from_secs(10);
const TOKEN_LIFETIME: Duration = Duration::from_secs(600);

const WORKER: &str = "TOSS_OUTAGE_WORKER";
const READY: &str = "outage-worker: ready";
const REPORT: &str = "outage-report: ";
const ADVANCE: &str = "advance ";

/// The system clock, moved forward by whole seconds when the parent says so.
#[derive(Debug, Default)]
struct OffsetClock(AtomicI64);

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.0.load(Ordering::SeqCst))
    }
}

/// What a worker process measured.
#[derive(Debug, Serialize, Deserialize)]
struct Report {
    calls: u64,
    max_call_ms: u64,
    /// Unix milliseconds at which each flow completed.
    completed_at_ms: Vec<u64>,
    errors: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct WorkerConfig {
    redis_url: String,
    namespace: String,
    base_url: String,
    public_key: String,
    client_id: String,
    client_secret: String,
}

/// Without the secret, and without the Redis URL (it may carry a password).
impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("namespace", &self.namespace)
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn unix_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Not a test on its own: the worker process the outage tests start (with
/// `TOSS_OUTAGE_WORKER=1` and its configuration as one JSON line on stdin). Runs flows
/// until stdin closes, then prints its report.
#[test]
#[ignore = "run in a child process by the tests of this file"]
fn outage_worker_process() {
    assert!(
        std::env::var_os(WORKER).is_some(),
        "run by the tests of this file"
    );
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let config: WorkerConfig = serde_json::from_str(&line).unwrap();
    // `advance <seconds>` lines move the client's clock; the worker stops when the parent
    // closes stdin, or after two minutes whatever happens.
    let stop = Arc::new(AtomicBool::new(false));
    let clock = Arc::new(OffsetClock::default());
    {
        let (stop, clock) = (stop.clone(), clock.clone());
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if let Some(seconds) = line.strip_prefix(ADVANCE) {
                    clock
                        .0
                        .fetch_add(seconds.trim().parse().unwrap(), Ordering::SeqCst);
                }
            }
            stop.store(true, Ordering::SeqCst);
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(run_worker(config, clock, stop));
    let mut stdout = std::io::stdout();
    writeln!(
        stdout,
        "{REPORT}{}",
        serde_json::to_string(&report).unwrap()
    )
    .unwrap();
    stdout.flush().unwrap();
}

async fn run_worker(
    config: WorkerConfig,
    clock: Arc<OffsetClock>,
    stop: Arc<AtomicBool>,
) -> Report {
    let store = RedisTokenStore::builder(config.redis_url)
        .namespace(config.namespace)
        .timeout(REDIS_TIMEOUT)
        .connect()
        .await
        .unwrap();
    let client = Client::builder()
        .client_id(config.client_id)
        .client_secret(config.client_secret)
        .environment(Environment::single_host(config.base_url))
        .public_key(config.public_key)
        .crypto_provider(&toss_crypto::backend::aws_lc::PROVIDER)
        .http_backend(toss_sign::HttpBackend::Reqwest)
        .tls_provider(toss_sign::TlsProvider::AwsLc)
        .timeout_request(REQUEST_TIMEOUT)
        .clock(clock)
        .token_store(Arc::new(store) as Arc<dyn TokenStore>)
        .build()
        .unwrap();
    let request = Arc::new(
        SignatureRequest::builder()
            .signer(Signer::personal("홍길동", "010-0000-0000", date!(1990 - 01 - 01)).unwrap())
            .trigger(Trigger::Push)
            .document(Document::text("장애 시험용 동의서").unwrap())
            .service_name("toss-token-redis outage test")
            .title("동의서")
            .build()
            .unwrap(),
    );
    let report = Arc::new(Mutex::new(Report {
        calls: 0,
        max_call_ms: 0,
        completed_at_ms: Vec::new(),
        errors: Vec::new(),
    }));
    let ready = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, request, report, stop, ready) = (
            client.clone(),
            request.clone(),
            report.clone(),
            stop.clone(),
            ready.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                let outcome = flow(&client, &request, &report).await;
                record(&report, &ready, outcome);
                tokio::time::sleep(PAUSE).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(report).unwrap().into_inner().unwrap()
}

fn record(report: &Mutex<Report>, ready: &AtomicUsize, outcome: Result<(), String>) {
    let mut report = report.lock().unwrap();
    match outcome {
        Ok(()) => {
            report.completed_at_ms.push(unix_ms());
            if ready.fetch_add(1, Ordering::SeqCst) == 0 {
                let mut stdout = std::io::stdout();
                writeln!(stdout, "{READY}").unwrap();
                stdout.flush().unwrap();
            }
        }
        Err(e) => report.errors.push(e),
    }
}

/// Sign request, one status call (the emulator's user completes at once), result; each
/// call timed.
async fn flow(
    client: &Client,
    request: &SignatureRequest,
    report: &Mutex<Report>,
) -> Result<(), String> {
    let timed = |started: Instant| {
        let took = u64::try_from(started.elapsed().as_millis()).unwrap();
        let mut report = report.lock().unwrap();
        report.calls += 1;
        report.max_call_ms = report.max_call_ms.max(took);
    };
    let started = Instant::now();
    let requested = client.request_signature(request).await;
    timed(started);
    let requested = requested.map_err(|e| format!("sign request: {e}"))?;
    let started = Instant::now();
    let status = client.status(&requested.tx_id).await;
    timed(started);
    status.map_err(|e| format!("status: {e}"))?;
    let started = Instant::now();
    let result = client.result(&requested.tx_id).await;
    timed(started);
    result.map_err(|e| format!("result: {e}"))?;
    Ok(())
}

/// A worker process, killed if the test ends before it does.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Worker {
    fn start(config: &WorkerConfig) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "outage_worker_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(WORKER, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // The configuration, secret included, goes through stdin, not the command line.
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}", serde_json::to_string(config).unwrap()).unwrap();
        stdin.flush().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin: Some(stdin),
            lines,
        }
    }

    /// Waits for a line starting with `prefix`, and returns the rest of it.
    fn expect(&self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    // libtest may have written `test … ` before it on the same line.
                    if let Some(at) = line.find(prefix) {
                        return line[at + prefix.len()..].to_owned();
                    }
                }
                Err(e) => panic!("no `{prefix}` line from the worker within {within:?}: {e}"),
            }
        }
    }

    /// Moves the worker's clock forward.
    fn advance_clock(&mut self, by: Duration) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{ADVANCE}{}", by.as_secs()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes stdin (the worker stops) and reads its report.
    fn finish(mut self) -> Report {
        drop(self.stdin.take());
        let report = self.expect(REPORT, Duration::from_secs(60));
        serde_json::from_str(&report).unwrap()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Copy)]
enum Outage {
    /// SIGKILL, then a new, empty server on the same port.
    Killed,
    /// SIGSTOP, then SIGCONT.
    Frozen,
}

async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

async fn run(outage: Outage) {
    let mut server = RedisServer::start();
    let clock = ManualClock::new();
    let emulator = Emulator::builder()
        .rsa_bits(2048)
        .token_lifetime(TOKEN_LIFETIME)
        // In-flight sign requests outlive the clock's jumps past the token lifetime.
        .default_expire_seconds(1800)
        .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
        .manual_clock(clock)
        .start()
        .await
        .unwrap();
    let clock = emulator.clock().unwrap();
    let config = WorkerConfig {
        redis_url: server.url(),
        namespace: namespace("outage"),
        base_url: emulator.base_url().to_owned(),
        public_key: emulator.public_key_base64().to_owned(),
        client_id: emulator.client_id().to_owned(),
        client_secret: emulator.client_secret().to_owned(),
    };
    let mut workers: Vec<Worker> = (0..PROCESSES).map(|_| Worker::start(&config)).collect();
    for worker in &workers {
        let _ = worker.expect(READY, Duration::from_secs(60));
    }
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        emulator.stats().tokens_issued,
        1,
        "the fleet shares one token through Redis"
    );

    let outage_started = unix_ms();
    match outage {
        Outage::Killed => server.kill(),
        Outage::Frozen => server.freeze(),
    }
    sleep(Duration::from_secs(2)).await;
    // Every process's token expires; each needs a new one while Redis is away.
    clock.advance(TOKEN_LIFETIME + Duration::from_secs(1));
    sleep(OUTAGE - Duration::from_secs(2)).await;
    match outage {
        Outage::Killed => server.restart(),
        Outage::Frozen => server.thaw(),
    }
    let outage_ended = unix_ms();
    let during_outage = emulator.stats().tokens_issued;

    // Redis is back: the next refresh goes through it again, once for the fleet. The
    // tokens of the outage are due for refresh 90 % into their lifetime.
    sleep(Duration::from_secs(3)).await;
    let refresh = unix_ms();
    for worker in &mut workers {
        worker.advance_clock(TOKEN_LIFETIME * 9 / 10 + Duration::from_secs(1));
    }
    sleep(Duration::from_secs(3)).await;

    let reports: Vec<Report> = workers.into_iter().map(Worker::finish).collect();
    let tokens = emulator.stats().tokens_issued;
    let mut max_call = 0;
    for (i, report) in reports.iter().enumerate() {
        assert!(report.errors.is_empty(), "worker {i}: {:?}", report.errors);
        assert!(
            Duration::from_millis(report.max_call_ms) <= CALL_BOUND,
            "worker {i}: a call took {} ms (bound {CALL_BOUND:?})",
            report.max_call_ms
        );
        let completed_in = |from: u64, to: u64| {
            report
                .completed_at_ms
                .iter()
                .filter(|&&at| at >= from && at < to)
                .count()
        };
        // After the tokens expired, halfway through the outage.
        assert!(
            completed_in(outage_started + 3_000, outage_ended) > 0,
            "worker {i}: no flow completed during the outage"
        );
        assert!(
            completed_in(refresh + 1_000, u64::MAX) > 0,
            "worker {i}: no flow completed after Redis came back"
        );
        max_call = max_call.max(report.max_call_ms);
    }
    eprintln!(
        "{outage:?}: {} calls, slowest {max_call} ms; tokens: 1 before, {during_outage} after the \
         outage, {tokens} at the end",
        reports.iter().map(|r| r.calls).sum::<u64>()
    );
    assert_eq!(
        during_outage,
        1 + PROCESSES as u64,
        "one token of its own per process during the outage, no more"
    );
    assert_eq!(
        tokens,
        during_outage + 1,
        "one token for the whole fleet again once Redis is back"
    );
    let store = server.store(&config.namespace).await;
    let stored = store.get().await.unwrap().expect("a token in Redis again");
    assert!(stored.expose_secret().len() > 10);
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_go_on_through_a_killed_redis() {
    run(Outage::Killed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_go_on_through_a_frozen_redis() {
    run(Outage::Frozen).await;
}
