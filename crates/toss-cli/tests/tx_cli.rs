//! The transaction store from the command line, as processes against `tosscert emulator
//! serve`: idempotent requests, `request --wait`, results served from the store, and
//! `tosscert tx list | show | resume | purge`, on SQLite files and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use support::{Serve, Served, TempDir, json, ok, one_line_failure as failure};

const NAME: &str = "김토스";
const PHONE: &str = "01012345678";

/// `tosscert emulator serve` whose users sign at once, or with `manual` only when told.
fn serve(manual: bool) -> Served {
    let serve = Serve::new().retention_seconds(7200);
    if manual { serve.manual_user() } else { serve }.start()
}

/// Where the commands find the store and how they seal what it keeps.
struct Store {
    location: String,
    data_key: Option<String>,
}

impl Store {
    fn new(location: String) -> Self {
        Self {
            location,
            data_key: Some(support::random_data_key()),
        }
    }
}

/// `tosscert <args>` with the emulator's settings, the store as TOSS_CERT_STORE, and
/// `stdin` written to it.
fn run(served: &Served, store: &Store, args: &[&str], stdin: &[u8]) -> Output {
    let mut command = support::tosscert();
    command
        .args(args)
        .env_remove("TOSS_CERT_TRUST_ANCHORS")
        .env("TOSS_CERT_STORE", &store.location);
    served.client(&mut command);
    support::data_key_env(&mut command, store.data_key.as_deref());
    support::finish(&mut command, stdin, Duration::from_secs(90))
}

/// `tosscert request` of `doc` with the signer on stdin and `extra` options.
fn request(served: &Served, store: &Store, doc: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "request",
        "--signer-file",
        "-",
        "--doc-text",
        doc,
        "--title",
        "동의서",
        "--service-name",
        "토스",
    ];
    args.extend_from_slice(extra);
    run(served, store, &args, support::SIGNER)
}

#[track_caller]
fn assert_no_personal_data(text: &str) {
    for personal in [NAME, PHONE, "19930324"] {
        assert!(!text.contains(personal), "`{personal}` printed:\n{text}");
    }
}

/// The same key twice: one sign request, one txId; the same key for another document is
/// refused.
fn same_key_twice(served: &Served, store: &Store) -> String {
    let first = json(&request(
        served,
        store,
        "동의합니다",
        &["--idempotency-key", "order-1042"],
    ));
    let tx_id = first["txId"].as_str().unwrap().to_owned();
    let again = json(&request(
        served,
        store,
        "동의합니다",
        &["--idempotency-key", "order-1042"],
    ));
    assert_eq!(again["txId"], tx_id.as_str());
    assert_eq!(served.sign_requests(), 1);

    let reused = failure(&request(
        served,
        store,
        "다른 문서에 동의합니다",
        &["--idempotency-key", "order-1042"],
    ));
    assert!(
        reused.contains("idempotency key order-1042 was used for a different request"),
        "{reused}"
    );
    assert_eq!(served.sign_requests(), 1);
    tx_id
}

/// The user signs by hand; `tx resume` fetches and stores the proof.
fn resume_after_manual_completion(served: &Served, store: &Store, tx_id: &str) {
    let listed = ok(&run(served, store, &["tx", "list"], b""));
    assert!(
        listed.contains(&format!("requested {tx_id} order-1042 fetches=0 proof=no")),
        "{listed}"
    );

    served.open(tx_id);
    served.complete(tx_id);
    // The record was never looked at, so it is due at once.
    let pass = json(&run(
        served,
        store,
        &["tx", "resume", "--budget", "100"],
        b"",
    ));
    assert_eq!(pass["claimed"], 1, "{pass}");
    assert_eq!(pass["fetched"], 1, "{pass}");
    let idle = json(&run(served, store, &["tx", "resume"], b""));
    assert_eq!(idle["claimed"], 0, "{idle}");
    let shown = json(&run(served, store, &["tx", "show", tx_id, "--json"], b""));
    assert_eq!(shown["state"], "result_stored", "{shown}");
    assert!(shown["proof"]["signedDocLength"].as_u64().unwrap() > 0);
    assert_eq!(served.results_served(tx_id), 1);
    assert_no_personal_data(&shown.to_string());
}

#[test]
fn the_same_key_twice_makes_one_request_and_resume_fetches_a_hand_completed_result() {
    let served = serve(true);
    let dir = TempDir::new("key-twice");
    let store = Store::new(dir.file("tx.db"));
    let tx_id = same_key_twice(&served, &store);
    resume_after_manual_completion(&served, &store, &tx_id);
}

#[test]
fn request_wait_then_result_from_the_store_list_show_and_purge() {
    let served = serve(false);
    let dir = TempDir::new("wait");
    let store = Store::new(dir.file("tx.db"));

    let output = request(
        &served,
        &store,
        "동의합니다",
        &["--idempotency-key", "order-7", "--wait"],
    );
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    let result = json(&output);
    assert!(stderr.contains("status: COMPLETED"), "{stderr}");
    let tx_id = result["txId"].as_str().unwrap().to_owned();
    assert_eq!(result["doc"], "동의합니다");
    assert_eq!(result["person"]["name"], NAME);
    assert_eq!(result["verification"]["valid"], true);
    assert_eq!(served.results_served(&tx_id), 1);

    // Given as --store this time, with TOSS_CERT_STORE pointing elsewhere.
    let elsewhere = Store {
        location: dir.file("other.db"),
        data_key: store.data_key.clone(),
    };
    let again = json(&run(
        &served,
        &elsewhere,
        &["result", "--tx-id", &tx_id, "--store", &store.location],
        b"",
    ));
    assert_eq!(again["signedDoc"], result["signedDoc"]);
    assert_eq!(again["person"]["name"], NAME);
    assert_eq!(served.results_served(&tx_id), 1, "served from the store");

    let listed = json(&run(&served, &store, &["tx", "list", "--json"], b""));
    let records = listed.as_array().unwrap();
    assert_eq!(records.len(), 1, "{listed}");
    assert_eq!(records[0]["txId"], tx_id.as_str());
    assert_eq!(records[0]["idempotencyKey"], "order-7");
    assert_eq!(records[0]["state"], "result_stored");
    assert_eq!(records[0]["proof"], true);
    assert_eq!(records[0]["fetchCount"], 1);
    assert_no_personal_data(&listed.to_string());
    let filtered = json(&run(
        &served,
        &store,
        &["tx", "list", "--json", "--state", "requested"],
        b"",
    ));
    assert_eq!(filtered, Value::Array(vec![]));

    let shown = json(&run(
        &served,
        &store,
        &["tx", "show", &tx_id, "--json"],
        b"",
    ));
    assert!(shown["resultBodyLength"].as_u64().unwrap() > 0, "{shown}");
    let proof = &shown["proof"];
    assert!(
        proof["documentHash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(proof["completedAt"].is_string());
    assert_eq!(
        proof["signedDocLength"].as_u64().unwrap(),
        result["signedDoc"].as_str().unwrap().len() as u64
    );
    assert_eq!(proof["verificationReport"]["verified"], true, "{proof}");
    let states: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.first(), Some(&"intent"));
    assert_eq!(states.last(), Some(&"result_stored"));
    assert_no_personal_data(&shown.to_string());
    let text = ok(&run(&served, &store, &["tx", "show", &tx_id], b""));
    assert!(text.contains("state:           result_stored"), "{text}");
    assert!(text.contains("document hash:  sha256:"), "{text}");
    assert_no_personal_data(&text);

    let purged = json(&run(
        &served,
        &store,
        &["tx", "purge", "--older-than-days", "0"],
        b"",
    ));
    assert_eq!(purged["purged"], 1, "{purged}");
    let shown = json(&run(
        &served,
        &store,
        &["tx", "show", &tx_id, "--json"],
        b"",
    ));
    assert!(shown["purgedAt"].is_string(), "{shown}");
    assert!(shown["resultBodyLength"].is_null(), "{shown}");
    assert_eq!(
        shown["proof"]["signedDocLength"].as_u64().unwrap(),
        result["signedDoc"].as_str().unwrap().len() as u64,
        "the proof is kept"
    );
}

#[test]
fn a_store_without_a_data_key_is_refused_naming_the_variable() {
    let served = serve(false);
    let dir = TempDir::new("no-key");
    let store = Store {
        location: dir.file("tx.db"),
        data_key: None,
    };
    let refused = failure(&request(&served, &store, "동의합니다", &[]));
    assert!(refused.contains("TOSS_CERT_DATA_KEY"), "{refused}");
    assert_no_personal_data(&refused);
    let refused = failure(&run(&served, &store, &["tx", "resume"], b""));
    assert!(refused.contains("TOSS_CERT_DATA_KEY"), "{refused}");
    assert_eq!(served.sign_requests(), 0);
}

#[test]
fn the_same_key_twice_and_resume_on_postgres() {
    let runtime = support::runtime();
    let server = support::postgres(&runtime);
    let served = serve(true);
    let store = Store::new(server.url());
    let tx_id = same_key_twice(&served, &store);
    resume_after_manual_completion(&served, &store, &tx_id);
    drop(server);
}
