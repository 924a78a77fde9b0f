//! `tosscert verify` run as a process: the interface scripts depend on.
//!
//! The fixtures are `toss-signed-doc`'s (see its `tests/data/README.md`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::{TempFile, WARNING, failure, run_tosscert as tosscert};

fn data(name: &str) -> String {
    format!(
        "{}/../toss-signed-doc/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Exit 0 and one JSON object on one line with `"valid": true`.
#[track_caller]
fn valid_report(output: &Output) -> serde_json::Value {
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(stdout.matches('\n').count(), 1, "{stdout}");
    assert!(stdout.starts_with(r#"{"valid":true,"#), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["valid"], true);
    json
}

#[test]
fn seed_signature_with_its_document_verifies() {
    let json = valid_report(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &data("seed_sign_result.signed_doc.b64"),
        "--doc-file",
        &data("seed_sign_result.doc.txt"),
    ]));
    let signer = &json["signer"];
    assert_eq!(signer["serialNumber"], "7757311");
    assert_eq!(
        signer["issuer"],
        "CN=Toss CA1,OU=Toss Cert,O=Viva Republica Inc,C=KR"
    );
    assert!(
        signer["subject"]
            .as_str()
            .unwrap()
            .starts_with("CN=김수빈,")
    );
    assert_eq!(signer["notBefore"], "2022-04-14T02:34:11Z");
    assert_eq!(signer["notAfter"], "2025-04-13T14:59:59Z");
    assert_eq!(json["signingTime"], "2022-04-22T08:14:49Z");
    assert_eq!(json["document"], "text");
}

#[test]
fn wrong_document_exits_1_with_the_reason() {
    let doc = std::fs::read_to_string(data("seed_sign_result.doc.txt")).unwrap();
    let wrong = TempFile::new("wrong-doc.txt", format!("{doc}\n").as_bytes());
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &data("seed_sign_result.signed_doc.b64"),
        "--doc-file",
        wrong.path(),
    ]));
    assert_eq!(
        stderr,
        "tosscert: signedDoc does not verify: the expected document differs from the signed content\n"
    );
}

#[test]
fn garbage_signed_doc_exits_1_with_the_reason() {
    for (name, contents, reason) in [
        (
            "garbage.b64",
            &b"this is not a signedDoc!"[..],
            "not base64",
        ),
        ("garbage-der.b64", &b"aGVsbG8gd29ybGQ="[..], "not valid DER"),
        ("empty.b64", &b""[..], "empty"),
        ("binary.b64", &[0xff, 0xfe, 0x00][..], "not UTF-8"),
    ] {
        let file = TempFile::new(name, contents);
        let stderr = failure(&tosscert(&["verify", "--signed-doc-file", file.path()]));
        assert!(stderr.contains(reason), "{stderr}");
    }
}

#[test]
fn detached_pdf_by_content_and_by_digest() {
    let signed_doc = data("openssl_detached_pdf_sha256.b64");
    let json = valid_report(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--content-file",
        &data("openssl_fake.pdf"),
    ]));
    assert_eq!(json["document"], "content");
    assert!(json["content"].is_null());
    let digest = hex_to_base64(json["messageDigest"].as_str().unwrap());
    let json = valid_report(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--digest-b64",
        &digest,
    ]));
    assert_eq!(json["document"], "sha256");
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--digest-b64",
        &STANDARD.encode([0u8; 32]),
    ]));
    assert!(stderr.contains("messageDigest"), "{stderr}");
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--digest-b64",
        "AAAA",
    ]));
    assert!(stderr.contains("--digest-b64"), "{stderr}");
}

fn hex_to_base64(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    STANDARD.encode(bytes)
}

#[test]
fn without_expected_document_reports_only() {
    let json = valid_report(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &data("java_sdk_sample.signed_doc.b64"),
    ]));
    assert_eq!(json["document"], "notChecked");
    assert_eq!(json["content"]["text"], "document sample");
}

#[test]
fn trust_anchors_check_the_chain() {
    let signed_doc = data("openssl_attached_sha256.b64");
    let doc = data("openssl_doc.txt");
    let json = valid_report(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--doc-file",
        &doc,
        "--trust-anchor",
        &data("openssl_other_root_ca.pem"),
        "--trust-anchor",
        &data("openssl_root_ca.pem"),
    ]));
    assert_eq!(json["chain"]["length"], 3);
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--doc-file",
        &doc,
        "--trust-anchor",
        &data("openssl_other_root_ca.pem"),
    ]));
    assert!(
        stderr.contains("does not chain to a trust anchor"),
        "{stderr}"
    );
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--trust-anchor",
        &data("openssl_doc.txt"),
    ]));
    assert!(stderr.contains("invalid --trust-anchor"), "{stderr}");
}

#[test]
fn unsupported_algorithm_is_named() {
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &data("openssl_rsa_pss.b64"),
    ]));
    assert!(stderr.contains("RSASSA-PSS"), "{stderr}");
}

#[test]
fn usage_errors_exit_2_and_a_missing_file_1() {
    let stderr = support::usage_error(&tosscert(&["verify"]));
    assert!(stderr.contains("--signed-doc-file"), "{stderr}");
    support::usage_error(&tosscert(&[
        "verify",
        "--signed-doc-file",
        &data("seed_sign_result.signed_doc.b64"),
        "--doc-file",
        &data("seed_sign_result.doc.txt"),
        "--content-file",
        &data("seed_sign_result.doc.txt"),
    ]));
    let stderr = failure(&tosscert(&[
        "verify",
        "--signed-doc-file",
        "/nonexistent/signed_doc.b64",
    ]));
    assert!(stderr.contains("cannot read"), "{stderr}");
}

/// The OpenSSL signedDoc with its signer's common name changed in place to another of the
/// same UTF-8 length (홍길동 → 김토스): well-formed DER whose signature still verifies
/// with the unchanged key, but whose certificate the intermediate no longer signed.
fn forged_signed_doc() -> TempFile {
    let der = STANDARD
        .decode(
            std::fs::read_to_string(data("openssl_attached_sha256.b64"))
                .unwrap()
                .trim(),
        )
        .unwrap();
    let (genuine, forged) = ("홍길동".as_bytes(), "김토스".as_bytes());
    let at: Vec<usize> = (0..der.len() - genuine.len())
        .filter(|&i| &der[i..i + genuine.len()] == genuine)
        .collect();
    assert_eq!(at.len(), 1, "the name occurs once, in the signer's subject");
    let mut der = der;
    der[at[0]..at[0] + forged.len()].copy_from_slice(forged);
    TempFile::new("forged.b64", STANDARD.encode(der).as_bytes())
}

#[test]
fn a_forged_name_is_reported_as_unchecked_and_refused_by_the_chain_check() {
    let forged = forged_signed_doc();
    let doc = data("openssl_doc.txt");
    let base = ["verify", "--signed-doc-file", forged.path()];

    // Without anchors the signature verifies, and the report says the name is unproven.
    let output = tosscert(&[&base[..], &["--doc-file", &doc]].concat());
    let json = valid_report(&output);
    assert_eq!(json["chainChecked"], false);
    assert_eq!(json["signer"]["commonName"], "김토스");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(WARNING), "{stderr}");
    assert!(stderr.contains("--trust-anchor"), "{stderr}");
    assert!(!stderr.contains("김토스"), "{stderr}");

    // --require-chain without an anchor fails closed.
    let stderr = failure(&tosscert(&[&base[..], &["--require-chain"]].concat()));
    assert_eq!(
        stderr,
        "tosscert: --require-chain needs --trust-anchor: \
         no trust anchor was given to check the signer certificate against\n"
    );

    // The right anchor: the edited certificate does not chain to it.
    let root = data("openssl_root_ca.pem");
    for flags in [
        &["--trust-anchor", &root][..],
        &["--trust-anchor", &root, "--require-chain"],
    ] {
        let stderr = failure(&tosscert(&[&base[..], flags].concat()));
        assert!(
            stderr.contains("does not chain to a trust anchor"),
            "{stderr}"
        );
    }
}

#[test]
fn the_genuine_signer_chains_and_nothing_is_warned() {
    let signed_doc = data("openssl_attached_sha256.b64");
    let output = tosscert(&[
        "verify",
        "--signed-doc-file",
        &signed_doc,
        "--trust-anchor",
        &data("openssl_root_ca.pem"),
        "--require-chain",
    ]);
    let json = valid_report(&output);
    assert_eq!(json["chainChecked"], true);
    assert_eq!(json["signer"]["commonName"], "홍길동");
    assert!(output.stderr.is_empty(), "{output:?}");

    let output = tosscert(&["verify", "--signed-doc-file", &signed_doc]);
    assert_eq!(valid_report(&output)["chainChecked"], false);
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .starts_with(WARNING),
        "a warning without anchors"
    );
}
