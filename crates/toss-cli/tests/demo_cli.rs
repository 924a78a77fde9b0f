//! `tosscert demo` and the hand-driven commands against `tosscert emulator serve`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;

use support::{Serve, Served, tosscert};

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `tosscert demo | head -1`: stdout's reader is gone before the first line is written.
    let mut child = tosscert()
        .args(["demo", "--rsa-bits", "2048", "--open-after-ms", "0"])
        .args(["--complete-after-ms", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("internal error"), "{stderr}");
}

#[test]
fn demo_runs_the_whole_flow_and_shows_each_step() {
    let output = tosscert()
        .args(["demo", "--rsa-bits", "2048", "--open-after-ms", "100"])
        .args(["--complete-after-ms", "300"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for expected in [
        "[1/8] emulator",
        "status REQUESTED",
        "status IN_PROGRESS",
        "status COMPLETED",
        "decrypted: 홍길동, born 1990-01-01",
        "PKCS#7 signature valid over the document",
        "chain to the emulator's test CA valid",
        "provider check: valid and enabled",
        "[7/8] store         transaction kept in ",
        "[8/8] evidence      CRL of the test CA",
        "not revoked at the signing time; timestamp ",
        "re-verified offline: every check holds",
        "proof read from the store (document sha256:",
        "result read from the store: no provider call (results served by the provider: 1)",
        "emulator saw 1 token, 1 sign request,",
        "demo completed: txId ",
    ] {
        assert!(
            stdout.contains(expected),
            "`{expected}` missing from:\n{stdout}"
        );
    }
    // The store lived in a directory of the run's own, gone once the demo ended.
    let store = stdout
        .split_once("transaction kept in ")
        .and_then(|(_, rest)| rest.split_once(" (SQLite"))
        .map(|(path, _)| std::path::PathBuf::from(path))
        .unwrap();
    assert!(store.ends_with("transactions.db"), "{}", store.display());
    assert!(!store.parent().unwrap().exists(), "{}", store.display());
    let requested = stdout.find("status REQUESTED").unwrap();
    let in_progress = stdout.find("status IN_PROGRESS").unwrap();
    let completed = stdout.find("status COMPLETED").unwrap();
    assert!(requested < in_progress && in_progress < completed);
}

fn against(served: &Served, args: &[&str]) -> (bool, String, String) {
    let output = served.client(tosscert().args(args)).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn token_request_status_result_by_hand() {
    let served = Serve::new().start();

    let (ok, stdout, stderr) = against(&served, &["token"]);
    assert!(ok, "{stderr}");
    let token: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(!token["accessToken"].as_str().unwrap().is_empty());

    let mut args = vec![
        "request",
        "--name",
        "김토스",
        "--phone",
        "01000000000",
        "--birthday",
        "19930324",
    ];
    args.extend_from_slice(&support::DOCUMENT);
    let (ok, stdout, stderr) = against(&served, &args);
    assert!(ok, "{stderr}");
    let requested: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tx_id = requested["txId"].as_str().unwrap().to_owned();

    let (ok, stdout, stderr) = against(&served, &["status", "--tx-id", &tx_id]);
    assert!(ok, "{stderr}");
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["status"], "COMPLETED");

    let (ok, stdout, stderr) = against(&served, &["result", "--tx-id", &tx_id]);
    assert!(ok, "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["txId"], tx_id.as_str());
    assert_eq!(result["doc"], "동의합니다");
    assert_eq!(result["person"]["name"], "김토스");
    assert_eq!(result["person"]["birthday"], "1993-03-24");
    assert_eq!(result["verification"]["valid"], true);

    let (ok, _, stderr) = against(&served, &["status", "--tx-id", "no-such-tx"]);
    assert!(!ok);
    assert!(stderr.contains("CE3100"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn missing_settings_are_one_line_errors() {
    let output = tosscert()
        .args(["status", "--tx-id", "x"])
        .env_remove("TOSS_CERT_CLIENT_ID")
        .env_remove("TOSS_CERT_CLIENT_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("TOSS_CERT_CLIENT_ID"), "{stderr}");
}
