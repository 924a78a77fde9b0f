//! `tosscert bench` run as a process: the JSON `cargo xtask bench-peers` reads. No timing
//! assertions: only the shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::run_tosscert as tosscert;

const OPERATIONS: [&str; 6] = [
    "session_new",
    "encrypt_name",
    "decrypt_ci",
    "prepare_sign_request",
    "open_result",
    "verify_signed_doc",
];

#[test]
fn json_has_exactly_the_six_operations() {
    let out = tosscert(&["bench", "--seconds", "0.2", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "one JSON object: {stdout}"
    );
    let value: Value = serde_json::from_str(stdout.trim()).unwrap();
    let object = value.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = OPERATIONS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    for op in OPERATIONS {
        let measurement = object[op].as_object().unwrap();
        assert_eq!(measurement.len(), 2, "{op}: {measurement:?}");
        let ns = measurement["ns_per_op"].as_f64().unwrap();
        assert!(ns.is_finite() && ns > 0.0, "{op}: {ns}");
        let ops = measurement["ops"].as_u64().unwrap();
        assert!(ops >= 1, "{op}: {ops}");
    }
}

#[test]
fn table_names_every_operation() {
    let out = tosscert(&["bench", "--seconds", "0.05"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    for op in OPERATIONS {
        assert!(stdout.contains(op), "{op} missing from:\n{stdout}");
    }
}

#[test]
fn bad_seconds_are_a_usage_error() {
    for bad in ["0", "-1", "abc", "NaN", "inf"] {
        let out = tosscert(&["bench", "--seconds", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with("error: "), "{bad}: {stderr}");
        // `-1` reads as a flag of its own; the others as a value of --seconds.
        let named = if bad == "-1" { "'-1'" } else { "--seconds" };
        assert!(stderr.contains(named), "{bad}: {stderr}");
    }
}
