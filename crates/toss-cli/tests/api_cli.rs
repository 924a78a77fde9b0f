//! `tosscert request | status | result` as processes against `tosscert emulator serve`:
//! the signer from a file or stdin, personal data kept out of errors, `requestedDt` in the
//! status, and whether a result's signer certificate was checked against trust anchors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;
use std::time::Duration;

use support::{Serve, Served, TempFile, WARNING, failure, json};

fn serve(name: &str) -> Served {
    Serve::new().ca_cert(name).start()
}

/// `tosscert <args>` with the emulator's settings, `env` added, and `stdin` written to it.
fn run(served: Option<&Served>, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut command = support::tosscert();
    command.args(args).env_remove("TOSS_CERT_TRUST_ANCHORS");
    if let Some(served) = served {
        served.client(&mut command);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    support::finish(&mut command, stdin, Duration::from_secs(60))
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `tosscert request` with `signer` options and the usual document; the txId.
fn request(served: &Served, signer: &[&str], stdin: &[u8]) -> (String, serde_json::Value) {
    let mut args = vec!["request"];
    args.extend_from_slice(signer);
    args.extend_from_slice(&support::DOCUMENT);
    let requested = json(&run(Some(served), &args, &[], stdin));
    (requested["txId"].as_str().unwrap().to_owned(), requested)
}

const PERSON: [&str; 6] = [
    "--name",
    "김토스",
    "--phone",
    "010-0000-0000",
    "--birthday",
    "19930324",
];

#[test]
fn status_prints_the_requested_dt_of_the_request() {
    let served = serve("status");
    let (tx_id, requested) = request(&served, &PERSON, b"");
    let status = json(&run(
        Some(&served),
        &["status", "--tx-id", &tx_id],
        &[],
        b"",
    ));
    assert_eq!(status["txId"], tx_id.as_str());
    assert_eq!(status["status"], "COMPLETED");
    let requested_dt = status["requestedDt"].as_str().unwrap();
    assert_eq!(requested_dt, requested["requestedAt"].as_str().unwrap());
    // `YYYY-MM-DDThh:mm:ss±hh:mm`, as the API document writes it.
    let bytes = requested_dt.as_bytes();
    assert_eq!(bytes.len(), 25, "{requested_dt}");
    assert!(matches!(bytes[19], b'+' | b'-'), "{requested_dt}");
    assert_eq!(&requested_dt[10..11], "T", "{requested_dt}");
}

#[test]
fn the_signer_comes_from_stdin_or_a_file() {
    let served = serve("signer-file");
    let person = r#"{"name":"김토스","phone":"010 0000 0000","birthday":"19930324"}"#.as_bytes();
    let (tx_id, _) = request(&served, &["--signer-file", "-"], person);
    let result = json(&run(
        Some(&served),
        &["result", "--tx-id", &tx_id],
        &[],
        b"",
    ));
    assert_eq!(result["person"]["name"], "김토스");
    assert_eq!(result["person"]["birthday"], "1993-03-24");
    let from_stdin_ci = result["person"]["ci"].as_str().unwrap().to_owned();

    let file = TempFile::new(
        "signer.json",
        "{\n  \"name\": \"김토스\",\n  \"phone\": \"01000000000\",\n  \"birthday\": \"19930324\"\n}\n"
            .as_bytes(),
    );
    let (tx_id, _) = request(&served, &["--signer-file", file.path()], b"");
    let result = json(&run(
        Some(&served),
        &["result", "--tx-id", &tx_id],
        &[],
        b"",
    ));
    assert_eq!(result["person"]["name"], "김토스");
    assert_eq!(
        result["person"]["ci"], from_stdin_ci,
        "the same person and phone number"
    );

    let (tx_id, _) = request(
        &served,
        &["--signer-file", "-"],
        br#"{"ci":"some-ci-value"}"#,
    );
    let result = json(&run(
        Some(&served),
        &["result", "--tx-id", &tx_id],
        &[],
        b"",
    ));
    assert!(
        result["person"]["ci"].is_null(),
        "USER_CI results carry no CI"
    );

    // The file replaces the options: both at once is a usage error, found before stdin is
    // read (an input larger than the pipe holds is then refused, never waited on).
    let mut args = vec!["request", "--signer-file", "-"];
    args.extend_from_slice(&PERSON);
    args.extend_from_slice(&support::DOCUMENT);
    support::usage_error(&run(Some(&served), &args, &[], &person.repeat(20_000)));
}

/// `tosscert request` with `signer` (options, or `stdin` for `--signer-file -`), which must
/// fail before anything is sent: without any TOSS_CERT_* setting, reaching the client
/// would fail on the missing client id instead.
#[track_caller]
fn refused(signer: &[&str], stdin: &[u8], secrets: &[&str]) -> String {
    refused_as(signer, stdin, secrets, failure)
}

/// [`refused`] by clap, as a usage error.
fn refused_usage(signer: &[&str], secrets: &[&str]) -> String {
    refused_as(signer, b"", secrets, support::usage_error)
}

fn refused_as(
    signer: &[&str],
    stdin: &[u8],
    secrets: &[&str],
    check: fn(&Output) -> String,
) -> String {
    let mut args = vec!["request"];
    args.extend_from_slice(signer);
    args.extend_from_slice(&support::DOCUMENT);
    let output = run(None, &args, &[("TOSS_CERT_CLIENT_ID", "")], stdin);
    let stderr = check(&output);
    assert!(!stderr.contains("TOSS_CERT_CLIENT_ID"), "{stderr}");
    for secret in secrets {
        assert!(!stderr.contains(secret), "`{secret}` in {stderr}");
    }
    stderr
}

#[test]
fn invalid_personal_data_is_refused_without_repeating_it() {
    for birthday in ["19931399", "1993-03-24", "24031993", "1993032４"] {
        let stderr = refused(
            &[
                "--name",
                "김토스",
                "--phone",
                "01000000000",
                "--birthday",
                birthday,
            ],
            b"",
            &[birthday, "1993", "김토스", "01000000000"],
        );
        assert!(
            stderr.contains("--birthday must be a date as YYYYMMDD"),
            "{stderr}"
        );
    }
    for phone in ["010.1234.5678", "+82 10 1234 5678", "010-1234-567８"] {
        let stderr = refused(
            &[
                "--name",
                "김토스",
                "--phone",
                phone,
                "--birthday",
                "19930324",
            ],
            b"",
            &[phone, "1234", "5678", "김토스", "19930324"],
        );
        assert!(stderr.contains("userPhone must be digits only"), "{stderr}");
    }
    let stderr = refused(
        &["--signer-file", "-"],
        r#"{"name":"김토스","phone":"01012345678","birthday":"19931399"}"#.as_bytes(),
        &["19931399", "1993", "김토스", "01012345678"],
    );
    assert!(stderr.contains("birthday in --signer-file"), "{stderr}");
    let stderr = refused(
        &["--signer-file", "-"],
        r#"{"name":"김토스","phone":"010.1234.5678","birthday":"19930324"}"#.as_bytes(),
        &["010.1234.5678", "1234", "김토스", "19930324"],
    );
    assert!(stderr.contains("userPhone must be digits only"), "{stderr}");
    // serde_json would quote a value of the wrong type; the message keeps only where.
    for bad in [
        r#"{"name":"김토스","phone":1012345678,"birthday":"19930324"}"#,
        r#"{"name":["김토스"],"phone":"01012345678","birthday":"19930324"}"#,
        r#"{"name":"김토스","phone":"01012345678","birthday":"19930324","ssn":"9303241234567"}"#,
        r#"{"name":"김토스","phone":"01012345678""#,
        "김토스 01012345678 19930324",
    ] {
        let stderr = refused(
            &["--signer-file", "-"],
            bad.as_bytes(),
            &["김토스", "1012345678", "19930324", "9303241234567", "ssn"],
        );
        assert!(
            stderr.contains("--signer-file is not a JSON object"),
            "{stderr}"
        );
        assert!(stderr.contains("line 1, column "), "{stderr}");
    }
    let stderr = refused(
        &["--signer-file", "-"],
        r#"{"name":"김토스","phone":"01012345678"}"#.as_bytes(),
        &["김토스", "01012345678"],
    );
    assert!(
        stderr.contains("must hold name, phone and birthday, or ci"),
        "{stderr}"
    );
    // Usage errors are clap's, with what was typed left out where clap would quote it.
    let stderr = refused_usage(
        &[
            "--name",
            "김토스",
            "--phone",
            "010",
            "1234",
            "5678",
            "--birthday",
            "19930324",
        ],
        &["1234", "5678", "김토스", "19930324"],
    );
    assert!(
        stderr.contains("unexpected argument '<not shown>'"),
        "{stderr}"
    );
    let stderr = refused_usage(
        &["--ci", "CI-value", "--expire-secs", "김토스"],
        &["김토스", "CI-value"],
    );
    assert!(
        stderr.contains("invalid value '<not shown>' for '--expire-secs"),
        "{stderr}"
    );
    let stderr = refused(&["--signer-file", "/nonexistent/signer.json"], b"", &[]);
    assert!(
        stderr.contains("cannot read /nonexistent/signer.json"),
        "{stderr}"
    );
}

#[test]
fn a_result_says_whether_the_chain_was_checked() {
    let served = serve("chain");

    // Without anchors: valid, but chainChecked false and a warning.
    let (tx_id, _) = request(&served, &PERSON, b"");
    let output = run(Some(&served), &["result", "--tx-id", &tx_id], &[], b"");
    let result = json(&output);
    assert_eq!(result["verification"]["valid"], true);
    assert_eq!(result["verification"]["chainChecked"], false);
    assert!(result["verification"]["chain"].is_null());
    let warning = stderr(&output);
    assert_eq!(warning.lines().count(), 1, "{warning}");
    assert!(warning.starts_with(WARNING), "{warning}");
    assert!(warning.contains("TOSS_CERT_TRUST_ANCHORS"), "{warning}");

    // With the emulator's CA as the anchor: checked, and nothing on stderr.
    let anchors = [("TOSS_CERT_TRUST_ANCHORS", served.ca_path())];
    let (tx_id, _) = request(&served, &PERSON, b"");
    for flags in [&[][..], &["--require-chain"][..]] {
        let mut args = vec!["result", "--tx-id", &tx_id];
        args.extend_from_slice(flags);
        let output = run(Some(&served), &args, &anchors, b"");
        let result = json(&output);
        assert_eq!(result["verification"]["valid"], true, "{result}");
        assert_eq!(result["verification"]["chainChecked"], true);
        assert_eq!(result["verification"]["chain"]["length"], 2);
        assert_eq!(stderr(&output), "");
    }

    // Another CA: the signer certificate does not chain to it.
    let other = serve("chain-other");
    let (tx_id, _) = request(&served, &PERSON, b"");
    let output = run(
        Some(&served),
        &["result", "--tx-id", &tx_id],
        &[("TOSS_CERT_TRUST_ANCHORS", other.ca_path())],
        b"",
    );
    let result = json(&output);
    assert_eq!(result["verification"]["valid"], false);
    assert_eq!(result["verification"]["chainChecked"], false);
    let reason = result["verification"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("does not chain to a trust anchor"),
        "{reason}"
    );
}

#[test]
fn require_chain_without_anchors_fails_before_the_result_is_fetched() {
    let served = serve("require");
    let (tx_id, _) = request(&served, &PERSON, b"");
    let stderr = failure(&run(
        Some(&served),
        &["result", "--tx-id", &tx_id, "--require-chain"],
        &[],
        b"",
    ));
    assert!(
        stderr.contains("--require-chain needs TOSS_CERT_TRUST_ANCHORS"),
        "{stderr}"
    );
    // Both of the provider's fetches are still there, and only two.
    for _ in 0..2 {
        let result = json(&run(
            Some(&served),
            &["result", "--tx-id", &tx_id],
            &[],
            b"",
        ));
        assert_eq!(result["txId"], tx_id.as_str());
    }
    let stderr = failure(&run(
        Some(&served),
        &["result", "--tx-id", &tx_id],
        &[],
        b"",
    ));
    assert!(
        stderr.contains("CE3101") || stderr.contains("twice"),
        "{stderr}"
    );
}

#[test]
fn unusable_trust_anchor_settings_are_named() {
    let served = serve("bad-anchors");
    let not_pem = TempFile::new("not-a-ca.pem", b"not a certificate\n");
    for (path, expected) in [
        ("/nonexistent/ca.pem", "cannot read /nonexistent/ca.pem"),
        (not_pem.path(), "holds no PEM certificate"),
    ] {
        let stderr = failure(&run(
            Some(&served),
            &["status", "--tx-id", "any"],
            &[("TOSS_CERT_TRUST_ANCHORS", path)],
            b"",
        ));
        assert!(stderr.contains("TOSS_CERT_TRUST_ANCHORS"), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}
