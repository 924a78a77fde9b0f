//! What the `tosscert` process tests share: the binary, temporary files, an emulator served
//! in a process of its own, its control API, a client's settings against it, the store's
//! data key, PostgreSQL, and the checks on an exit status and its output.
//!
//! Each test file is a crate of its own that takes in this module and uses part of it.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use toss_emulator::TransactionList;
use toss_tx_store::testing::PostgresServer;

/// The emulator's default test client.
pub const CLIENT_ID: &str = "test_a8e23336d673ca70922b485fe806eb2d";
/// The secret of [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3";
/// A signer for `--signer-file -`.
pub const SIGNER: &[u8] =
    "{\"name\": \"김토스\", \"phone\": \"01012345678\", \"birthday\": \"19930324\"}".as_bytes();
/// Bound on the emulator printing its settings.
pub const STARTUP: Duration = Duration::from_secs(60);

/// The binary under test.
pub fn tosscert() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tosscert"))
}

/// `tosscert <args>` run to its end, with the environment as it is.
pub fn run_tosscert(args: &[&str]) -> Output {
    tosscert().args(args).output().expect("tosscert runs")
}

/// A path in the temporary directory, unique to this test binary, this process and `name`.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "tosscert-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ))
}

/// A file in the temporary directory, unique to this process and `name`, removed on drop.
pub struct TempFile(PathBuf);

impl TempFile {
    /// Writes `contents` to the file.
    pub fn new(name: &str, contents: &[u8]) -> Self {
        let path = temp_path(name);
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }

    /// The path, for a command line.
    pub fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A directory of the test's own, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new directory; the clock's nanoseconds tell apart two of the same `name`.
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let path = temp_path(&format!("{name}-{nanos:x}"));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    /// The path of `name` in the directory, for a command line.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop, so that a failed assertion leaves no
/// process behind.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines a child writes to a pipe, read on a thread of their own so that every wait on
/// them is bounded. The pipe is drained to its end even once nobody listens: a child whose
/// output fills the pipe, or meets a closed one, would block or fail.
pub fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    lines
}

/// The rest of the first line from `lines` that starts with `prefix`, trimmed; panics
/// naming `what` if none comes within `bound` of each line.
#[track_caller]
pub fn line_after(lines: &Receiver<String>, prefix: &str, bound: Duration, what: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(bound)
            .unwrap_or_else(|_| panic!("{what} within {bound:?}"));
        if let Some(value) = line.strip_prefix(prefix) {
            return value.trim().to_owned();
        }
    }
}

/// How to start `tosscert emulator serve`: on a free port, 2048-bit keys, users signing at
/// once unless told otherwise.
#[derive(Debug, Default)]
pub struct Serve {
    program: Option<PathBuf>,
    manual_user: bool,
    retention_seconds: Option<u32>,
    ca_cert: Option<String>,
    quiet: bool,
}

impl Serve {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `program` instead of the binary cargo built (a private copy of it).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// Users sign only when the control API tells them (`--user manual`).
    pub fn manual_user(mut self) -> Self {
        self.manual_user = true;
        self
    }

    /// `--retention-seconds`, for listings that must keep every transaction.
    pub fn retention_seconds(mut self, seconds: u32) -> Self {
        self.retention_seconds = Some(seconds);
        self
    }

    /// Writes the emulator's CA certificate to a temporary file named after `name`.
    pub fn ca_cert(mut self, name: &str) -> Self {
        self.ca_cert = Some(format!("{name}-ca.pem"));
        self
    }

    /// Discards the emulator's stderr.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Starts it and waits (bounded) for the settings it prints.
    pub fn start(self) -> Served {
        let mut command = match &self.program {
            Some(program) => Command::new(program),
            None => tosscert(),
        };
        command
            .args(["emulator", "serve", "--listen", "127.0.0.1:0"])
            .args(["--rsa-bits", "2048"]);
        if self.manual_user {
            command.args(["--user", "manual"]);
        } else {
            command.args(["--open-after-ms", "0", "--complete-after-ms", "0"]);
        }
        if let Some(seconds) = self.retention_seconds {
            command.args([
                OsStr::new("--retention-seconds"),
                seconds.to_string().as_ref(),
            ]);
        }
        let ca = self.ca_cert.as_deref().map(|name| TempFile::new(name, b""));
        if let Some(ca) = &ca {
            command.args(["--write-ca-cert", ca.path()]);
        }
        if self.quiet {
            command.stderr(Stdio::null());
        }
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        let child = Killed(child);
        let what = "the emulator printed its settings";
        let base_url = line_after(&lines, "base URL:", STARTUP, what);
        let public_key = line_after(&lines, "public key:", STARTUP, what);
        if ca.is_some() {
            line_after(&lines, "CA certificate written to", STARTUP, what);
        }
        Served {
            _child: child,
            base_url,
            public_key,
            ca,
        }
    }
}

/// The emulator serving in its own process, killed on drop.
pub struct Served {
    _child: Killed,
    /// Where it listens, `http://…/`.
    pub base_url: String,
    /// Its public key, as `TOSS_CERT_PUBLIC_KEY` takes it.
    pub public_key: String,
    /// Its CA certificate, if [`Serve::ca_cert`] asked for it.
    pub ca: Option<TempFile>,
}

impl Served {
    /// `command` as a client of this emulator: the TOSS_CERT_* client id, secret, bases and
    /// public key.
    pub fn client<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env("TOSS_CERT_CLIENT_ID", CLIENT_ID)
            .env("TOSS_CERT_CLIENT_SECRET", CLIENT_SECRET)
            .env("TOSS_CERT_API_BASE", &self.base_url)
            .env("TOSS_CERT_OAUTH_BASE", &self.base_url)
            .env("TOSS_CERT_PUBLIC_KEY", &self.public_key)
    }

    /// The CA certificate file's path.
    pub fn ca_path(&self) -> &str {
        self.ca.as_ref().expect("served with Serve::ca_cert").path()
    }

    /// One plain HTTP/1.1 exchange with the emulator's control API; the body.
    pub fn http(&self, method: &str, path: &str) -> String {
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

    /// The emulator's listing of its transactions and clients.
    pub fn transactions(&self) -> TransactionList {
        serde_json::from_str(&self.http("GET", "/emulator/v1/transactions")).unwrap()
    }

    /// The user opens `tx_id`.
    pub fn open(&self, tx_id: &str) {
        self.http("POST", &format!("/emulator/v1/tx/{tx_id}/open"));
    }

    /// The user signs `tx_id`.
    pub fn complete(&self, tx_id: &str) {
        self.http("POST", &format!("/emulator/v1/tx/{tx_id}/complete"));
    }

    /// The sign requests [`CLIENT_ID`] made.
    pub fn sign_requests(&self) -> u64 {
        self.transactions()
            .clients
            .iter()
            .find(|c| c.client_id == CLIENT_ID)
            .map_or(0, |c| c.sign_requests)
    }

    /// How many results of `tx_id` the emulator served.
    pub fn results_served(&self, tx_id: &str) -> u32 {
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

/// A new data key for the store, base64 as TOSS_CERT_DATA_KEY takes it. Made here rather
/// than with `DataKey::generate`, which refuses to pick a backend when the tests are built
/// with both.
pub fn random_data_key() -> String {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `command` with `key` as its only data key (none at all for `None`), whatever the test's
/// own environment holds.
pub fn data_key_env<'c>(command: &'c mut Command, key: Option<&str>) -> &'c mut Command {
    command.env_remove("TOSS_CERT_DATA_KEY_PREVIOUS");
    match key {
        Some(key) => command.env("TOSS_CERT_DATA_KEY", key),
        None => command.env_remove("TOSS_CERT_DATA_KEY"),
    }
}

/// Runs `command` to its end within `bound`, with `stdin` written to it; kills it (and
/// fails) past that.
pub fn finish(command: &mut Command, stdin: &[u8], bound: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // From its own thread, so that a large input cannot block against a full stdout; a
    // child that ends without reading (a usage error, say) closes the pipe first.
    let writer = std::thread::spawn(move || match input.write_all(&stdin) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    });
    let pid = child.id();
    let (sender, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match output.recv_timeout(bound) {
        Ok(output) => {
            writer.join().unwrap().unwrap();
            output.unwrap()
        }
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            // The arguments only: the environment holds secrets and the data key.
            let args: Vec<_> = command.get_args().collect();
            panic!("tosscert {args:?} did not finish within {bound:?}");
        }
    }
}

/// A current-thread runtime for the test's own async calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A PostgreSQL server of the test's own, started on `runtime`.
pub fn postgres(runtime: &tokio::runtime::Runtime) -> PostgresServer {
    runtime.block_on(PostgresServer::start())
}

/// Exit 0; stdout.
#[track_caller]
pub fn ok(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Exit 0 and the JSON on stdout.
#[track_caller]
pub fn json(output: &Output) -> Value {
    serde_json::from_str(&ok(output)).unwrap()
}

/// Exit 1, nothing on stdout, one line on stderr; that line.
#[track_caller]
pub fn one_line_failure(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

/// [`one_line_failure`] whose line is `tosscert: …`.
#[track_caller]
pub fn failure(output: &Output) -> String {
    let stderr = one_line_failure(output);
    assert!(stderr.starts_with("tosscert: "), "{stderr}");
    stderr
}

/// A usage error as clap reports it: exit status 2, nothing on stdout, clap's message on
/// stderr (`error: …`, the usage, and where to find help).
#[track_caller]
pub fn usage_error(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("--help"), "{stderr}");
    stderr
}

/// The warning of a result or report whose signer certificate was not chain-checked.
pub const WARNING: &str =
    "tosscert: warning: the signer certificate was not checked against a trust anchor";

/// Headless Chromium's flags on this kind of machine (no sandbox, no GPU, nothing fetched
/// in the background); each run also needs a fresh `--user-data-dir`.
pub const HEADLESS_CHROMIUM: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// Debian's Chromium, which the browser tests need (`.ci/run` installs it, with
/// fonts-noto-cjk so that Korean renders).
pub fn chromium() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("headless Chromium is needed: install Debian's chromium (and fonts-noto-cjk)")
}

/// Where screenshots are kept as test artifacts: `target/tmp/artifacts`.
pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The document options of `tosscert request` most tests use.
pub const DOCUMENT: [&str; 6] = [
    "--doc-text",
    "동의합니다",
    "--title",
    "동의서",
    "--service-name",
    "토스",
];
