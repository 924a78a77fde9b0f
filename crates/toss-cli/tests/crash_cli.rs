//! `kill -9` at every boundary of a durable signing flow, on a SQLite file and on a real
//! PostgreSQL: `tosscert request --wait` is stopped at a named crash point (or while it
//! polls) and killed, run again with the same idempotency key, then `tosscert tx resume`
//! finishes what is left. The emulator's own listing is the witness: no key made two sign
//! requests, no transaction was fetched a third time, every txId issued is in the store
//! under its key (or that key is of unknown outcome), every signed one has its proof.
//!
//! Run with `--features crash-points` (the `[[test]]` entry requires it).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{CLIENT_ID, Killed, SIGNER, Serve, Served, TempDir, lines_of};
use toss_runtime::tx::{IdempotencyKey, ListFilter, TxRecord, TxState, TxStore};

const CRASH_LINE: &str = "toss-cert crash point: ";
const IN_FLIGHT: &str = "is being sent by another caller";
const UNKNOWN: &str = "has an unknown outcome";
/// Bound on each step that should take a second or two: a stuck process fails the test.
const STEP: Duration = Duration::from_secs(60);
/// Bound on a restart, which may wait out the result lease of the killed process (two
/// request timeouts and 10 s) before it fetches.
const RESTART: Duration = Duration::from_secs(150);

/// The binary under test, hard-linked (else copied) where only this test looks: other
/// builds sharing the target directory, without the crash points, replace
/// `target/debug/tosscert` with a new file, and a run must not change binaries midway.
/// Removed on drop.
struct Binary(PathBuf);

impl Binary {
    fn new(name: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("crash_cli-tosscert-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let built = env!("CARGO_BIN_EXE_tosscert");
        if std::fs::hard_link(built, &path).is_err() {
            std::fs::copy(built, &path).unwrap();
        }
        Self(path)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Where a run is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// At the named crash point.
    Point(&'static str),
    /// While `--wait` polls the status: the txId is stored, the user has not signed.
    WhileWaiting,
    /// Not at all.
    Clean,
}

const BOUNDARIES: [Boundary; 8] = [
    Boundary::Point("after_intent"),
    Boundary::Point("after_sign_answer"),
    Boundary::Point("after_tx_id"),
    Boundary::WhileWaiting,
    Boundary::Point("after_result_answer"),
    Boundary::Point("after_result_stored"),
    Boundary::Point("after_evidence_collected"),
    Boundary::Clean,
];

impl Boundary {
    fn name(self) -> &'static str {
        match self {
            Self::Point(name) => name,
            Self::WhileWaiting => "while_waiting",
            Self::Clean => "clean",
        }
    }

    /// Whether the first run reaches its boundary only once the user signed.
    fn signs_before_the_kill(self) -> bool {
        matches!(
            self,
            Self::Point(
                "after_tx_id"
                    | "after_result_answer"
                    | "after_result_stored"
                    | "after_evidence_collected"
            ) | Self::Clean
        )
    }

    /// Whether the txId was stored before the kill, so that the restart can finish.
    fn tx_id_stored(self) -> bool {
        !matches!(self, Self::Point("after_intent" | "after_sign_answer"))
    }

    /// Whether the provider made a transaction before the kill.
    fn sent(self) -> bool {
        self != Self::Point("after_intent")
    }
}

/// The emulator serving from `binary`, users signing only by hand; long retention, so
/// that nothing leaves the listing before it is counted.
fn serve(binary: &Binary) -> Served {
    Serve::new()
        .program(&binary.0)
        .manual_user()
        .retention_seconds(7200)
        .quiet()
        .start()
}

impl Served {
    /// The txId of the one transaction titled `title`, once the emulator lists it.
    fn tx_id_titled(&self, title: &str) -> Option<String> {
        let listed = self.transactions();
        let mut titled = listed.transactions.iter().filter(|t| t.doc_title == title);
        let found = titled.next().map(|t| t.tx_id.clone());
        assert!(titled.next().is_none(), "two sign requests titled {title}");
        found
    }

    /// Signs the transaction titled `title` for the user, unless it is signed already.
    fn sign(&self, title: &str) {
        let listed = self.transactions();
        let tx = listed
            .transactions
            .iter()
            .find(|t| t.doc_title == title)
            .unwrap_or_else(|| panic!("the emulator lists {title}"));
        if tx.status != toss_sign::SignStatus::Completed {
            self.complete(&tx.tx_id);
        }
    }
}

/// One backend's emulator and store, and the test's own handle on the store.
struct Backend {
    label: &'static str,
    binary: Binary,
    served: Served,
    location: String,
    data_key: String,
    store: Arc<dyn TxStore>,
    runtime: tokio::runtime::Runtime,
}

/// How a restart ended.
#[derive(Debug)]
enum Restarted {
    /// The stored transaction's result, with this txId.
    Result(String),
    /// Refused, with the unknown-outcome or in-flight message.
    Refused(String),
}

impl Backend {
    fn new(label: &'static str, location: String, runtime: tokio::runtime::Runtime) -> Self {
        let binary = Binary::new(label);
        let served = serve(&binary);
        let store = runtime
            .block_on(toss_tx_store::open_location(&location))
            .unwrap();
        Self {
            label,
            binary,
            served,
            location,
            data_key: support::random_data_key(),
            store,
            runtime,
        }
    }

    fn key(&self, boundary: Boundary) -> String {
        format!("{}-{}", self.label, boundary.name())
    }

    /// `tosscert <args>` with the emulator's settings and the data key in the environment,
    /// and no crash point.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary.0);
        command
            .args(args)
            .env_remove("TOSS_CERT_TRUST_ANCHORS")
            .env_remove("TOSS_CERT_STORE")
            .env_remove("TOSS_CERT_CRASH_AT")
            // A killed fetch's lease lapses after this: the restart waits it out.
            .env("TOSS_CERT_RESULT_LEASE_SECS", "5")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.served.client(&mut command);
        support::data_key_env(&mut command, Some(&self.data_key));
        command
    }

    /// `tosscert request --wait` under `key`, titled `crash <key>`, the signer on stdin.
    fn request(&self, key: &str) -> Command {
        let title = format!("crash {key}");
        self.command(&[
            "request",
            "--store",
            &self.location,
            "--idempotency-key",
            key,
            "--wait",
            "--signer-file",
            "-",
            "--doc-text",
            "동의합니다",
            "--title",
            &title,
            "--service-name",
            "토스",
        ])
    }

    fn record(&self, key: &str) -> Option<TxRecord> {
        let key = IdempotencyKey::new(key).unwrap();
        self.runtime.block_on(self.store.get_by_key(&key)).unwrap()
    }

    /// Step 1: the first run, stopped at `boundary` and killed (a clean run is let finish).
    fn first_run(&self, boundary: Boundary, key: &str) {
        let title = format!("crash {key}");
        let mut command = self.request(key);
        command.stdout(Stdio::null());
        if let Boundary::Point(name) = boundary {
            command.env("TOSS_CERT_CRASH_AT", name);
        }
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(SIGNER).unwrap();
        drop(input);
        let lines = lines_of(child.stderr.take().unwrap());
        let mut child = Killed(child);
        let mut seen: Vec<String> = Vec::new();
        let mut signed = false;
        let deadline = Instant::now() + STEP;
        loop {
            assert!(
                Instant::now() < deadline,
                "{}: {} not reached within {STEP:?}; stderr: {seen:?}",
                self.label,
                boundary.name()
            );
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let reached = line
                        .strip_prefix(CRASH_LINE)
                        .is_some_and(|name| name.trim() == boundary.name());
                    seen.push(line);
                    if reached {
                        break;
                    }
                    continue;
                }
                Err(RecvTimeoutError::Timeout) => {}
                // Closed stderr: the exit check below sees the end.
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            if let Some(status) = child.0.try_wait().unwrap() {
                seen.extend(lines.try_iter());
                if boundary == Boundary::Clean {
                    assert!(
                        status.success(),
                        "{}: clean run {status}: {seen:?}",
                        self.label
                    );
                    return;
                }
                panic!(
                    "{}: ended ({status}) before {} (a binary built without feature \
                     crash-points?); stderr: {seen:?}",
                    self.label,
                    boundary.name()
                );
            }
            if boundary.signs_before_the_kill()
                && !signed
                && let Some(tx_id) = self.served.tx_id_titled(&title)
            {
                self.served.complete(&tx_id);
                signed = true;
            }
            // Polling: it printed the first status, the emulator lists the transaction
            // and the store has it as requested.
            if boundary == Boundary::WhileWaiting
                && seen.iter().any(|line| line.starts_with("status: "))
                && self.served.tx_id_titled(&title).is_some()
                && self
                    .record(key)
                    .is_some_and(|r| r.state == TxState::Requested)
            {
                break;
            }
        }
        child.0.kill().unwrap();
        let status = child.0.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "{}: {} died by SIGKILL: {status}",
            self.label,
            boundary.name()
        );
    }

    /// Step 2: the same request again, without a crash point.
    fn restart(&self, key: &str) -> Restarted {
        let output = support::finish(&mut self.request(key), SIGNER, RESTART);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        match output.status.code() {
            Some(0) => {
                let result: Value = serde_json::from_slice(&output.stdout)
                    .unwrap_or_else(|e| panic!("{key}: result JSON ({e}): {output:?}"));
                Restarted::Result(result["txId"].as_str().unwrap().to_owned())
            }
            Some(1) => {
                assert!(output.stdout.is_empty(), "{key}: {output:?}");
                let last = stderr.lines().last().unwrap_or_default().to_owned();
                assert!(
                    last.contains(UNKNOWN) || last.contains(IN_FLIGHT),
                    "{key}: restart failed otherwise: {stderr}"
                );
                Restarted::Refused(last)
            }
            _ => panic!("{key}: restart ended {}: {stderr}", output.status),
        }
    }

    /// Step 3: `tosscert tx resume`, intents given no grace; its pass counts.
    fn resume(&self) -> Value {
        let output = support::finish(
            &mut self.command(&[
                "tx",
                "resume",
                "--store",
                &self.location,
                "--intent-grace-seconds",
                "0",
            ]),
            SIGNER,
            STEP,
        );
        assert_eq!(output.status.code(), Some(0), "{}: {output:?}", self.label);
        serde_json::from_slice(&output.stdout).unwrap()
    }

    fn scenario(&self, boundary: Boundary) {
        let key = self.key(boundary);
        let title = format!("crash {key}");
        self.first_run(boundary, &key);
        if boundary.tx_id_stored() {
            // While waiting: signed only now, with nobody waiting. After the txId: the
            // crash may come before the emulator was seen listing it. Either way the
            // restart must find it signed to finish.
            self.served.sign(&title);
        }
        let restarted = self.restart(&key);
        let issued = self.served.tx_id_titled(&title);
        match (&restarted, boundary.tx_id_stored()) {
            (Restarted::Result(tx_id), true) => {
                assert_eq!(Some(tx_id), issued.as_ref(), "{key}: {restarted:?}");
            }
            (Restarted::Refused(message), false) => eprintln!("{key}: restart refused: {message}"),
            _ => panic!("{key}: restart {restarted:?}"),
        }
        let pass = self.resume();
        let record = self
            .record(&key)
            .unwrap_or_else(|| panic!("{key}: no record"));
        // The restart finished what it could: the resume only settles the intents.
        assert_eq!(pass["fetched"], 0, "{key}: {pass}");
        let unknown = u64::from(!boundary.tx_id_stored());
        assert_eq!(pass["outcomeUnknown"], unknown, "{key}: {pass}");
        if boundary.tx_id_stored() {
            assert_eq!(record.state, TxState::ResultStored, "{key}: {pass}");
            assert!(record.proof.is_some(), "{key}: no proof");
        } else {
            assert_eq!(record.state, TxState::OutcomeUnknown, "{key}: {pass}");
            assert!(record.tx_id.is_none(), "{key}");
            // Settled as unknown: the key is never sent again (the audit counts the sign
            // requests).
            match self.restart(&key) {
                Restarted::Refused(message) if message.contains(UNKNOWN) => {}
                other => panic!("{key}: after the resume: {other:?}"),
            }
        }
        assert_eq!(issued.is_some(), boundary.sent(), "{key}: {issued:?}");
    }

    /// What the emulator's listing and the store show once every scenario ran.
    fn audit(&self) {
        let listed = self.served.transactions();
        let records = self
            .runtime
            .block_on(self.store.list(&ListFilter::new().limit(1000)))
            .unwrap();
        let by_key: BTreeMap<&str, &TxRecord> = records
            .iter()
            .map(|r| (r.idempotency_key.as_str(), r))
            .collect();
        let mut titles = BTreeSet::new();
        for tx in &listed.transactions {
            assert!(
                titles.insert(tx.doc_title.as_str()),
                "{}: one key made two sign requests: {}",
                self.label,
                tx.doc_title
            );
            let key = tx
                .doc_title
                .strip_prefix("crash ")
                .unwrap_or_else(|| panic!("{}: unexpected title {}", self.label, tx.doc_title));
            let record = by_key
                .get(key)
                .unwrap_or_else(|| panic!("{}: {} has no record", self.label, tx.tx_id));
            let under_key = record.tx_id.as_ref().map(|id| id.as_str()) == Some(tx.tx_id.as_str());
            assert!(
                under_key || record.state == TxState::OutcomeUnknown,
                "{}: {} is not in the store under {key} ({})",
                self.label,
                tx.tx_id,
                record.state
            );
            if tx.status == toss_sign::SignStatus::Completed {
                assert!(
                    under_key && record.proof.is_some(),
                    "{}: {} is COMPLETED without a proof in the store",
                    self.label,
                    tx.tx_id
                );
                assert!(
                    record.proof.as_ref().is_some_and(|p| p.evidence.is_some()),
                    "{}: {}'s proof was stored without its evidence",
                    self.label,
                    tx.tx_id
                );
            }
            assert!(
                tx.results_served <= 2,
                "{}: {} served {} results",
                self.label,
                tx.tx_id,
                tx.results_served
            );
        }
        let served = |boundary: Boundary| {
            let title = format!("crash {}", self.key(boundary));
            listed
                .transactions
                .iter()
                .find(|t| t.doc_title == title)
                .map(|t| t.results_served)
        };
        // The fetch answered but not stored is fetched once more (the provider allows
        // two); a stored one never again.
        assert_eq!(served(Boundary::Point("after_result_answer")), Some(2));
        assert_eq!(served(Boundary::Point("after_result_stored")), Some(1));
        for boundary in [
            Boundary::Point("after_tx_id"),
            Boundary::WhileWaiting,
            Boundary::Point("after_evidence_collected"),
            Boundary::Clean,
        ] {
            assert_eq!(served(boundary), Some(1), "{}", boundary.name());
        }
        let client = listed
            .clients
            .iter()
            .find(|c| c.client_id == CLIENT_ID)
            .unwrap();
        assert_eq!(
            client.sign_requests,
            listed.transactions.len() as u64,
            "{}: every sign request is listed",
            self.label
        );
        assert_eq!(
            listed.transactions.len(),
            BOUNDARIES.iter().filter(|b| b.sent()).count(),
            "{}",
            self.label
        );
        assert_eq!(records.len(), BOUNDARIES.len(), "{}", self.label);
    }

    fn every_boundary(&self) {
        for boundary in BOUNDARIES {
            self.scenario(boundary);
        }
        self.audit();
    }
}

#[test]
fn killed_at_every_boundary_on_sqlite() {
    let dir = TempDir::new("sqlite");
    let backend = Backend::new("sqlite", dir.file("tx.db"), support::runtime());
    backend.every_boundary();
}

#[test]
fn killed_at_every_boundary_on_postgres() {
    let runtime = support::runtime();
    let server = support::postgres(&runtime);
    let backend = Backend::new("postgres", server.url(), runtime);
    backend.every_boundary();
    drop(backend);
    drop(server);
}
