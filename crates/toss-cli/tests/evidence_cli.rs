//! `tosscert evidence export | verify` as processes against `tosscert emulator serve`, with a
//! SQLite store: a result's evidence (certificate check, CRL, timestamp from the emulator's
//! TSA) is exported as a bundle, re-verified offline, refused once altered, and its
//! `report.html` rendered to PNG in headless Chromium (Debian's `chromium`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::{Serve, Served, TempDir, json, ok, one_line_failure as failure};

const NAME: &str = "김토스";

/// `tosscert <args>` as a client of `served`, with the store, the TSA and the emulator's CA.
fn run(served: &Served, store: &str, key: &str, args: &[&str]) -> Output {
    let mut command = support::tosscert();
    command
        .args(args)
        .env("TOSS_CERT_STORE", store)
        .env(
            "TOSS_CERT_TSA_URL",
            format!("{}/tsa", served.base_url.trim_end_matches('/')),
        )
        .env("TOSS_CERT_TRUST_ANCHORS", served.ca_path());
    served.client(&mut command);
    support::data_key_env(&mut command, Some(key));
    support::finish(&mut command, support::SIGNER, Duration::from_secs(90))
}

#[test]
fn a_bundle_is_exported_verified_refused_when_altered_and_rendered() {
    let served = Serve::new().manual_user().ca_cert("evidence").start();
    let dir = TempDir::new("evidence-cli");
    let store = dir.file("tx.sqlite3");
    let key = support::random_data_key();

    let requested = json(&run(
        &served,
        &store,
        &key,
        &[
            "request",
            "--signer-file",
            "-",
            "--doc-text",
            "본인은 위 계좌의 출금이체에 동의합니다.",
            "--title",
            "출금이체 동의서",
            "--service-name",
            "토스증권",
        ],
    ));
    let tx_id = requested["txId"].as_str().unwrap().to_owned();
    served.complete(&tx_id);
    let result = json(&run(&served, &store, &key, &["result", "--tx-id", &tx_id]));
    assert_eq!(result["txId"], tx_id.as_str());

    let bundle = PathBuf::from(dir.file("bundle"));
    let exported = ok(&run(
        &served,
        &store,
        &key,
        &[
            "evidence",
            "export",
            "--tx-id",
            &tx_id,
            "--out",
            bundle.to_str().unwrap(),
        ],
    ));
    assert!(!exported.contains(NAME), "the name printed: {exported}");
    let exported: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(exported["holds"], true, "{exported}");
    assert_eq!(exported["files"].as_array().unwrap().len(), 9, "{exported}");
    let report = std::fs::read_to_string(bundle.join("report.html")).unwrap();
    for shown in [
        "전자서명 완료 확인서",
        "출금이체 동의서",
        "토스증권",
        NAME,
        "통과",
    ] {
        assert!(report.contains(shown), "report.html lacks {shown}");
    }

    let verify = |extra: &[&str]| {
        let mut command = support::tosscert();
        command
            .args(["evidence", "verify"])
            .arg(&bundle)
            .args(extra);
        support::finish(&mut command, b"", Duration::from_secs(60))
    };
    let verified: Value =
        serde_json::from_str(&ok(&verify(&["--trust-anchor", served.ca_path()]))).unwrap();
    assert_eq!(verified["holds"], true);
    let checks: Vec<&str> = verified["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "signature",
            "document",
            "chain",
            "revocation",
            "timestamp",
            "certificateCheck"
        ]
    );
    let without_anchor = failure(&verify(&[]));
    assert!(
        without_anchor.contains("chain: no trust anchor was given"),
        "{without_anchor}"
    );

    let crl = bundle.join("crl.crl");
    let original = std::fs::read(&crl).unwrap();
    let mut altered = original.clone();
    altered[original.len() / 2] ^= 0x01;
    std::fs::write(&crl, &altered).unwrap();
    let refused = failure(&verify(&["--trust-anchor", served.ca_path()]));
    assert!(refused.contains("crl.crl was altered"), "{refused}");
    std::fs::write(&crl, &original).unwrap();

    render_in_chromium(&bundle.join("report.html"));
}

/// Renders `report` to PNG in headless Chromium, at an A4-like window; the PNG is kept as
/// a test artifact under the target directory.
fn render_in_chromium(report: &Path) {
    let png = support::artifacts().join("evidence-report.png");
    let _ = std::fs::remove_file(&png);
    let profile = TempDir::new("chromium-profile");
    let mut command = Command::new(support::chromium());
    command
        .args(support::HEADLESS_CHROMIUM)
        .args(["--hide-scrollbars", "--window-size=900,1300"])
        .arg(format!("--user-data-dir={}", profile.file("")))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!(
            "file://{}",
            report.canonicalize().unwrap().display()
        ));
    let output = support::finish(&mut command, b"", Duration::from_secs(120));
    assert!(
        output.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 20_000,
        "a near-empty screenshot: {} bytes",
        bytes.len()
    );
    eprintln!("report.html rendered to {}", png.display());
}
