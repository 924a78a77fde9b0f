//! `tosscert session …` run as a process: the interface scripts depend on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::{ok as stdout, run_tosscert as tosscert};
use toss_crypto::{CryptoProvider, SessionOpener};

const VECTOR_SESSION: &str = "v1$b94ea687-0a72-43f8-be24-7be5029fa998$AES_GCM$KxHeNnbiR5Eh5d/9KJCN6jUW5Md9nkk8jU6WbkmR7Es=$jbZIV4aBzrydN0IP";
const VECTOR_ENVELOPE: &str =
    "v1$b94ea687-0a72-43f8-be24-7be5029fa998$LCFncFGpJKMBClC5RHa7zabbPzqsKC51USGG1ZwSBPE=";

fn any_provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws-lc")]
    return &toss_crypto::backend::aws_lc::PROVIDER;
    #[cfg(not(feature = "aws-lc"))]
    return &toss_crypto::backend::rust_crypto::PROVIDER;
}

fn decrypt_with_vector_session(envelope: &str) -> Output {
    tosscert(&[
        "session",
        "decrypt",
        "--session",
        VECTOR_SESSION,
        "--",
        envelope,
    ])
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Exit status 1, exactly one line on stderr, nothing on stdout.
#[track_caller]
fn assert_one_line_failure(output: &Output) -> String {
    let stderr = support::one_line_failure(output);
    assert!(stderr.ends_with('\n'));
    stderr
}

#[test]
fn new_prints_one_json_object_with_session_key_and_session() {
    let out = stdout(&tosscert(&["session", "new"]));
    assert_eq!(out.matches('\n').count(), 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let object = json.as_object().unwrap();
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys, ["session", "sessionKey"]);
    let session = object["session"].as_str().unwrap();
    let session_key = object["sessionKey"].as_str().unwrap();
    let parts: Vec<&str> = session.split('$').collect();
    assert_eq!(parts.len(), 5);
    assert_eq!(parts[0], "v1");
    assert_eq!(parts[2], "AES_GCM");
    assert!(session_key.starts_with(&format!("v1${}$", parts[1])));
}

#[test]
fn new_with_a_key_file_seals_for_that_key_in_every_algorithm() {
    let der = STANDARD
        .decode(
            std::fs::read_to_string(data("test_private_key.b64"))
                .unwrap()
                .trim(),
        )
        .unwrap();
    let opener = SessionOpener::from_private_key_der(&der, any_provider()).unwrap();
    let public_b64 = std::fs::read_to_string(data("test_public_key.b64")).unwrap();
    let pem_path = std::env::temp_dir().join(format!("tosscert-test-{}.pem", std::process::id()));
    let body: Vec<String> = public_b64
        .trim()
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    std::fs::write(
        &pem_path,
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            body.join("\n")
        ),
    )
    .unwrap();

    for (algorithm, wire) in [
        ("aes-gcm", "AES_GCM"),
        ("aes-cbc", "AES_CBC"),
        ("aes-cbc-128", "AES_CBC"),
    ] {
        for key_args in [
            vec!["--public-key-file".to_owned(), data("test_public_key.b64")],
            vec![
                "--public-key-file".to_owned(),
                pem_path.display().to_string(),
            ],
            vec!["--public-key".to_owned(), public_b64.trim().to_owned()],
        ] {
            let mut args = vec!["session", "new", "--algorithm", algorithm];
            args.extend(key_args.iter().map(String::as_str));
            let json: serde_json::Value = serde_json::from_str(&stdout(&tosscert(&args))).unwrap();
            let opened = opener.open(json["sessionKey"].as_str().unwrap()).unwrap();
            assert_eq!(*opened.serialize(), json["session"].as_str().unwrap());
            assert_eq!(opened.algorithm().wire_name(), wire);
        }
    }
    let _ = std::fs::remove_file(pem_path);
}

#[test]
fn encrypt_and_decrypt_match_the_provider_vector() {
    let out = stdout(&tosscert(&[
        "session",
        "encrypt",
        "--session",
        VECTOR_SESSION,
        "--",
        "Layton Nicholson",
    ]));
    assert_eq!(out, format!("{VECTOR_ENVELOPE}\n"));
    let out = stdout(&tosscert(&[
        "session",
        "decrypt",
        "--session",
        VECTOR_SESSION,
        "--",
        VECTOR_ENVELOPE,
    ]));
    assert_eq!(out, "Layton Nicholson\n");
}

#[test]
fn a_new_session_round_trips_text_that_looks_like_flags() {
    let json: serde_json::Value = serde_json::from_str(&stdout(&tosscert(&[
        "session",
        "new",
        "--algorithm",
        "aes-cbc",
    ])))
    .unwrap();
    let session = json["session"].as_str().unwrap();
    let envelope = stdout(&tosscert(&[
        "session",
        "encrypt",
        "--session",
        session,
        "--",
        "--not-a-flag 김토스",
    ]));
    let plain = stdout(&tosscert(&[
        "session",
        "decrypt",
        "--session",
        session,
        "--",
        envelope.trim_end(),
    ]));
    assert_eq!(plain, "--not-a-flag 김토스\n");
}

#[test]
fn failures_are_one_line_without_key_material_and_exit_1() {
    let stderr = assert_one_line_failure(&decrypt_with_vector_session("v1$wrong"));
    assert!(stderr.contains("envelope"), "{stderr}");
    assert!(!stderr.contains("KxHeNnbiR5Eh5d"), "{stderr}");

    let tampered = VECTOR_ENVELOPE.replace("LCF", "LCG");
    let stderr = assert_one_line_failure(&decrypt_with_vector_session(&tampered));
    assert!(stderr.contains("tag"), "{stderr}");

    let bad_session = VECTOR_SESSION.replace("AES_GCM", "AES_XTS");
    let stderr = assert_one_line_failure(&tosscert(&[
        "session",
        "encrypt",
        "--session",
        &bad_session,
        "--",
        "secret name",
    ]));
    assert!(stderr.contains("--session"), "{stderr}");
    assert!(
        !stderr.contains("KxHeNnbiR5Eh5d") && !stderr.contains("secret name"),
        "{stderr}"
    );

    let stderr =
        assert_one_line_failure(&tosscert(&["session", "new", "--public-key", "not-a-key"]));
    assert!(stderr.contains("RSA key"), "{stderr}");

    let stderr = assert_one_line_failure(&tosscert(&[
        "session",
        "new",
        "--public-key-file",
        "/nonexistent/key.pem",
    ]));
    assert!(stderr.contains("/nonexistent/key.pem"), "{stderr}");
}

#[test]
fn usage_errors_are_clap_errors_that_exit_2() {
    for args in [
        vec!["session", "frobnicate"],
        vec!["session", "new", "--algorithm", "rot13"],
        vec!["session", "encrypt", "--", "no session given"],
        vec!["session", "decrypt", "--session", VECTOR_SESSION],
        vec![
            "session",
            "new",
            "--public-key",
            "a",
            "--public-key-file",
            "b",
        ],
    ] {
        support::usage_error(&tosscert(&args));
    }
    // A missing argument is named.
    let stderr = support::usage_error(&tosscert(&["session", "encrypt", "--", "text"]));
    assert!(stderr.contains("--session"), "{stderr}");
}

#[test]
fn help_and_version_succeed() {
    assert!(stdout(&tosscert(&["--help"])).contains("session"));
    assert!(stdout(&tosscert(&["--version"])).starts_with("tosscert "));
}

#[test]
fn completion_scripts_are_generated_from_the_command_definition() {
    for (shell, marker) in [
        ("bash", "_tosscert()"),
        ("zsh", "#compdef tosscert"),
        ("fish", "complete -c tosscert"),
    ] {
        let script = stdout(&tosscert(&["completions", shell]));
        assert!(script.contains(marker), "{shell}: {script}");
        // Subcommands and their options come from the same definition as the parser.
        assert!(script.contains("signed-doc-file"), "{shell}");
    }
    support::usage_error(&tosscert(&["completions", "cmd.exe"]));
}
