//! The transaction store from the command line, as processes against `tosscert emulator
//! serve`: idempotent requests, `request --wait`, results served from the store, and
//! `tosscert tx list | show | resume | purge`, on SQLite files and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use toss_emulator::TransactionList;

const CLIENT_ID: &str = "test_a8e23336d673ca70922b485fe806eb2d";
const CLIENT_SECRET: &str = "test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3";
const NAME: &str = "김토스";
const PHONE: &str = "01012345678";
const SIGNER: &[u8] =
    "{\"name\": \"김토스\", \"phone\": \"01012345678\", \"birthday\": \"19930324\"}".as_bytes();

fn tosscert() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tosscert"))
}

/// A directory of this test's own, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "tosscert-tx-{}-{name}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The emulator serving in its own process, killed on drop.
struct Served {
    child: Child,
    base_url: String,
    public_key: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tosscert emulator serve` whose users sign at once, or with `manual` only when told.
fn serve(manual: bool) -> Served {
    let mut command = tosscert();
    command
        .args(["emulator", "serve", "--listen", "127.0.0.1:0"])
        .args(["--rsa-bits", "2048", "--retention-seconds", "7200"]);
    if manual {
        command.args(["--user", "manual"]);
    } else {
        command.args(["--open-after-ms", "0", "--complete-after-ms", "0"]);
    }
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    // Read on a thread of its own, so that an emulator that prints nothing fails the test
    // in bounded time instead of hanging it.
    let (sender, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let field = |prefix: &str| loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the emulator printed its settings within 60 s");
        if let Some(value) = line.strip_prefix(prefix) {
            return value.trim().to_owned();
        }
    };
    let base_url = field("base URL:");
    let public_key = field("public key:");
    Served {
        child,
        base_url,
        public_key,
    }
}

impl Served {
    /// One plain HTTP/1.1 exchange with the emulator's control API; the body.
    fn http(&self, method: &str, path: &str) -> String {
        let authority = self
            .base_url
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let mut stream = TcpStream::connect(authority).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8(response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 2"),
            "{method} {path}: {head}\n{body}"
        );
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        }
    }

    fn transactions(&self) -> TransactionList {
        serde_json::from_str(&self.http("GET", "/emulator/v1/transactions")).unwrap()
    }

    fn sign_requests(&self) -> u64 {
        self.transactions()
            .clients
            .iter()
            .find(|c| c.client_id == CLIENT_ID)
            .map_or(0, |c| c.sign_requests)
    }

    fn results_served(&self, tx_id: &str) -> u32 {
        self.transactions()
            .transactions
            .iter()
            .find(|t| t.tx_id == tx_id)
            .unwrap_or_else(|| panic!("the emulator lists {tx_id}"))
            .results_served
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// Where the commands find the store and how they seal what it keeps.
struct Store {
    location: String,
    data_key: Option<String>,
}

impl Store {
    fn new(location: String) -> Self {
        // Made here rather than with `DataKey::generate`, which refuses to pick a
        // backend when the tests are built with both.
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut bytes)
            .unwrap();
        Self {
            location,
            data_key: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }
}

/// `tosscert <args>` with the emulator's settings, the store as TOSS_CERT_STORE, and
/// `stdin` written to it.
fn run(served: &Served, store: &Store, args: &[&str], stdin: &[u8]) -> Output {
    let mut command = tosscert();
    command
        .args(args)
        .env_remove("TOSS_CERT_TRUST_ANCHORS")
        .env_remove("TOSS_CERT_DATA_KEY")
        .env_remove("TOSS_CERT_DATA_KEY_PREVIOUS")
        .env("TOSS_CERT_CLIENT_ID", CLIENT_ID)
        .env("TOSS_CERT_CLIENT_SECRET", CLIENT_SECRET)
        .env("TOSS_CERT_API_BASE", &served.base_url)
        .env("TOSS_CERT_OAUTH_BASE", &served.base_url)
        .env("TOSS_CERT_PUBLIC_KEY", &served.public_key)
        .env("TOSS_CERT_STORE", &store.location)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = &store.data_key {
        command.env("TOSS_CERT_DATA_KEY", key);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let pid = child.id();
    let (sender, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match output.recv_timeout(Duration::from_secs(90)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("tosscert {args:?} did not finish within 90 s");
        }
    }
}

#[track_caller]
fn ok(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[track_caller]
fn json(output: &Output) -> Value {
    serde_json::from_str(&ok(output)).unwrap()
}

/// Exit 1, nothing on stdout, one line on stderr.
#[track_caller]
fn failure(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
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
    run(served, store, &args, SIGNER)
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

    served.http("POST", &format!("/emulator/v1/tx/{tx_id}/open"));
    served.http("POST", &format!("/emulator/v1/tx/{tx_id}/complete"));
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
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(toss_tx_store::testing::PostgresServer::start());
    let served = serve(true);
    let store = Store::new(server.url());
    let tx_id = same_key_twice(&served, &store);
    resume_after_manual_completion(&served, &store, &tx_id);
    drop(server);
}
