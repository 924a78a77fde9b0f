//! `tosscert load --store`: a fleet of worker processes sharing one transaction store,
//! killed at random and restarted, then audited against the emulator: no transaction
//! lost, none fetched a third time, no key sent twice, every signed one with its proof.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::{Serve, tosscert};

/// `tosscert load --json` with `args` against an embedded emulator whose users sign at once,
/// under `data_key` (else the parent makes one). Returns the summary, after checking the
/// exit status.
fn load(args: &[&str], data_key: Option<&str>) -> serde_json::Value {
    let mut command = tosscert();
    command
        .args([
            "load",
            "--json",
            "--rsa-bits",
            "2048",
            "--max-seconds",
            "170",
        ])
        .args(args)
        .env_remove("TOSS_CERT_STORE");
    support::data_key_env(&mut command, data_key);
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

/// What every audited run must show, `flows` flows and `kills` workers killed.
fn assert_audited(summary: &serde_json::Value, flows: u64, kills: u64) {
    let audit = &summary["audit"];
    for zero in [
        "lost",
        "thirdFetches",
        "duplicateSignRequests",
        "completedWithoutProof",
    ] {
        assert_eq!(audit[zero], 0, "{zero}: {summary}");
    }
    assert_eq!(audit["kills"], kills, "{summary}");
    // Every key has a record: with its proof, or of unknown outcome (a killed send).
    assert_eq!(audit["keysSettled"], flows, "{summary}");
    assert_eq!(audit["keysWithoutRecord"], 0, "{summary}");
    assert_eq!(audit["unfinished"], 0, "{summary}");
    let unknown = audit["outcomeUnknown"].as_u64().unwrap();
    assert_eq!(
        audit["recordsWithProof"].as_u64().unwrap() + unknown,
        flows,
        "{summary}"
    );
    // A send of unknown outcome made one transaction or none; every other key exactly one.
    let sign_requests = audit["signRequests"].as_u64().unwrap();
    assert!(
        (flows - unknown..=flows).contains(&sign_requests),
        "{summary}"
    );
    assert_eq!(summary["errors"], serde_json::json!({}), "{summary}");
    assert_eq!(summary["duplicatedTxIds"], 0, "{summary}");
    assert_eq!(summary["lostFlows"], 0, "{summary}");
    assert_eq!(
        summary["completed"].as_u64().unwrap() + summary["outcomeUnknown"].as_u64().unwrap(),
        flows,
        "{summary}"
    );
}

#[test]
fn a_postgres_fleet_with_killed_workers_loses_nothing() {
    let runtime = support::runtime();
    let server = support::postgres(&runtime);
    let url = server.url();
    let run = ["--flows", "1000", "--processes", "4", "--concurrency", "64"];
    let summary = load(
        &[&run[..], &["--store", &url, "--kill-workers", "6"]].concat(),
        None,
    );
    assert_eq!(summary["txStore"], "postgres", "{summary}");
    assert_audited(&summary, 1000, 6);
    drop(server);
}

/// A SQLite file in the temporary directory, removed (with its WAL files) on drop.
struct SqliteFile(std::path::PathBuf);

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[test]
fn a_sqlite_fleet_with_killed_workers_loses_nothing() {
    let file = SqliteFile(std::env::temp_dir().join(format!(
        "toss-cli-fleet-{}-{}.sqlite",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )));
    let location = file.0.to_str().unwrap().to_owned();
    // The same key for both runs: the second opens what the first sealed.
    let data_key = STANDARD.encode([7u8; 32]);
    let run = ["--flows", "200", "--processes", "2", "--concurrency", "16"];
    let store = ["--store", &location, "--key-prefix", "fleet-sqlite"];
    let summary = load(
        &[&run[..], &store[..], &["--kill-workers", "3"]].concat(),
        Some(&data_key),
    );
    assert_eq!(summary["txStore"], "sqlite", "{summary}");
    assert_audited(&summary, 200, 3);

    // Again with the same keys, against a new emulator: every flow is answered by the
    // store, and the provider is not called at all.
    let again = load(&[&run[..], &store[..]].concat(), Some(&data_key));
    assert_eq!(again["audit"]["signRequests"], 0, "{again}");
    assert_eq!(again["tokensIssued"], 0, "{again}");
    assert_eq!(again["completed"], summary["completed"], "{again}");
    let unknown = &summary["audit"]["outcomeUnknown"];
    assert_eq!(&again["outcomeUnknown"], unknown, "{again}");
    assert_eq!(&again["audit"]["outcomeUnknown"], unknown, "{again}");
    assert_eq!(again["errors"], serde_json::json!({}), "{again}");
}

#[test]
fn kill_workers_needs_a_store_and_several_processes() {
    let output = tosscert()
        .args(["load", "--flows", "1", "--kill-workers", "1"])
        .env_remove("TOSS_CERT_STORE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let output = tosscert()
        .args([
            "load",
            "--flows",
            "1",
            "--kill-workers",
            "1",
            "--store",
            "unused.sqlite",
        ])
        .env_remove("TOSS_CERT_STORE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--processes 2 or more"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_audit_fails_a_run_that_sends_its_keys_again() {
    // Our own emulator, users signing at once, shared by both runs.
    let served = Serve::new().retention_seconds(7200).start();
    let emulator = [
        "--base-url",
        &served.base_url,
        "--public-key",
        &served.public_key,
    ];
    let run = [
        "--flows",
        "20",
        "--concurrency",
        "4",
        "--key-prefix",
        "twice",
    ];
    let first = SqliteFile(std::env::temp_dir().join(format!(
        "toss-cli-fleet-twice-a-{}.sqlite",
        std::process::id()
    )));
    let summary = load(
        &[
            &emulator[..],
            &run[..],
            &["--store", first.0.to_str().unwrap()],
        ]
        .concat(),
        None,
    );
    assert_audited(&summary, 20, 0);

    // The same keys with another store: the emulator gets each key's request a second
    // time, and the first transactions are in no record.
    let second = SqliteFile(std::env::temp_dir().join(format!(
        "toss-cli-fleet-twice-b-{}.sqlite",
        std::process::id()
    )));
    let output = tosscert()
        .args(["load", "--json"])
        .args(emulator)
        .args(run)
        .args(["--store", second.0.to_str().unwrap()])
        .env_remove("TOSS_CERT_DATA_KEY")
        .env_remove("TOSS_CERT_STORE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["completed"], 20, "{summary}");
    assert_eq!(summary["audit"]["duplicateSignRequests"], 20, "{summary}");
    assert_eq!(summary["audit"]["lost"], 20, "{summary}");
    assert_eq!(summary["audit"]["signRequests"], 40, "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("20 duplicate sign requests"), "{stderr}");
}
