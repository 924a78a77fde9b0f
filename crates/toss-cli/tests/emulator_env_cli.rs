//! `tosscert emulator serve --print-env`: its stdout, evaluated by a shell, is all that
//! `tosscert request`, `status` and `result` need; and `--scenario` with `--user browser`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{Killed, STARTUP, TempDir, TempFile, json, lines_of, one_line_failure};

/// Every variable a client reads, removed so that only the evaluated lines count.
const CLIENT_ENV: [&str; 11] = [
    "TOSS_CERT_CLIENT_ID",
    "TOSS_CERT_CLIENT_SECRET",
    "TOSS_CERT_OAUTH_BASE",
    "TOSS_CERT_API_BASE",
    "TOSS_CERT_PUBLIC_KEY",
    "TOSS_CERT_TRUST_ANCHORS",
    "TOSS_CERT_TSA_URL",
    "TOSS_CERT_STORE",
    "TOSS_CERT_DATA_KEY",
    "TOSS_CERT_DATA_KEY_PREVIOUS",
    "TOSS_CERT_RESULT_LEASE_SECS",
];

/// An emulator on a free port with a quick key.
const SERVE: [&str; 6] = [
    "emulator",
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--rsa-bits",
    "2048",
];

/// `tosscert emulator serve --print-env` with `args`; the process and what it printed on
/// stdout, up to its last line (the trust anchors').
fn serve_printing_env(dir: &TempDir, args: &[&str]) -> (Killed, String) {
    let mut child = support::tosscert()
        .args(SERVE)
        .args(["--print-env", "--write-ca-cert", &dir.file("ca.pem")])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(child.stdout.take().unwrap());
    let child = Killed(child);
    let mut printed = String::new();
    loop {
        let line = lines
            .recv_timeout(STARTUP)
            .expect("the emulator printed its settings");
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("export TOSS_CERT_TRUST_ANCHORS=") {
            return (child, printed);
        }
    }
}

/// `tosscert <args>` in a shell that evaluated `env_file` first, and nothing else of ours.
fn in_shell(env_file: &str, args: &[&str]) -> Output {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(". \"$0\" && exec \"$TOSSCERT\" \"$@\"")
        .arg(env_file)
        .args(args)
        .env("TOSSCERT", env!("CARGO_BIN_EXE_tosscert"));
    for name in CLIENT_ENV {
        command.env_remove(name);
    }
    support::finish(&mut command, b"", Duration::from_secs(60))
}

/// `tosscert request` for 김토스 at `phone` with a short text, in the shell of `env_file`;
/// the txId.
fn request(env_file: &str, phone: &str) -> String {
    let mut args = vec![
        "request",
        "--name",
        "김토스",
        "--phone",
        phone,
        "--birthday",
        "19930324",
    ];
    args.extend_from_slice(&support::DOCUMENT);
    let output = in_shell(env_file, &args);
    json(&output)["txId"].as_str().unwrap().to_owned()
}

#[test]
fn the_printed_environment_is_enough_for_request_status_and_result() {
    let dir = TempDir::new("print-env");
    let (_served, printed) =
        serve_printing_env(&dir, &["--open-after-ms", "0", "--complete-after-ms", "0"]);
    for line in printed.lines() {
        assert!(
            line.starts_with("export TOSS_CERT_") || line.starts_with('#'),
            "only shell lines on stdout: {line}"
        );
    }
    for name in [
        "API_BASE",
        "OAUTH_BASE",
        "PUBLIC_KEY",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "TSA_URL",
        "TRUST_ANCHORS",
    ] {
        assert!(
            printed.contains(&format!("export TOSS_CERT_{name}=")),
            "{name}"
        );
    }
    let env_file = TempFile::new("print-env.sh", printed.as_bytes());

    let tx_id = &request(env_file.path(), "010-0000-0000");
    let status = json(&in_shell(env_file.path(), &["status", "--tx-id", tx_id]));
    assert_eq!(status["status"], "COMPLETED");
    let result = in_shell(env_file.path(), &["result", "--tx-id", tx_id]);
    let stderr = String::from_utf8(result.stderr.clone()).unwrap();
    let result = json(&result);
    assert_eq!(result["txId"], tx_id.as_str());
    // The trust anchors came from the printed lines too: the chain was checked.
    assert!(
        !stderr.contains("not checked against a trust anchor"),
        "{stderr}"
    );
}

#[test]
fn a_scenario_file_decides_for_its_signers_under_the_browser_user() {
    let dir = TempDir::new("scenario");
    let scenario = TempFile::new(
        "scenario.json",
        br#"{"signers": [{"phone": "01000000000", "then": "sign", "afterMs": 0}]}"#,
    );
    let (_served, printed) =
        serve_printing_env(&dir, &["--user", "browser", "--scenario", scenario.path()]);
    let env_file = TempFile::new("scenario-env.sh", printed.as_bytes());
    let listed = request(env_file.path(), "010-0000-0000");
    let other = request(env_file.path(), "010-1111-2222");
    let status = |tx_id: &str| {
        json(&in_shell(env_file.path(), &["status", "--tx-id", tx_id]))["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status(&listed), "COMPLETED");
    // Everyone else waits for a person at the app screen.
    assert_eq!(status(&other), "REQUESTED");

    // A bad scenario is refused at the start, naming the rule and not the person.
    let bad = TempFile::new(
        "bad-scenario.json",
        br#"{"signers": [{"phone": "01098765432", "then": "sign"}]}"#,
    );
    let output = support::tosscert()
        .args(SERVE)
        .args(["--scenario", bad.path()])
        .output()
        .unwrap();
    let stderr = one_line_failure(&output);
    assert!(stderr.contains("signer rule 0"), "{stderr}");
    assert!(!stderr.contains("01098765432"), "{stderr}");
}
