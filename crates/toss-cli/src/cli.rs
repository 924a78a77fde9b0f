//! The command-line grammar. Scripts depend on it: change it only by adding.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The Toss Cert (토스인증) e-signature command line.
#[derive(Debug, Parser)]
#[command(name = "tosscert", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Session keys and `v1$` envelopes.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Verifies a signedDoc offline; prints the report as one JSON object.
    ///
    /// Exits 0 only if the signature, the expected document (when given) and the chain (with
    /// --trust-anchor) all verify; otherwise 1, with the reason on stderr. Without
    /// --trust-anchor the report has `"chainChecked": false` and a warning goes to stderr:
    /// the signer's name is then unproven.
    Verify(VerifyArgs),
    /// Runs the whole flow against an embedded emulator: no account, no network.
    ///
    /// Starts a local Toss Cert emulator on a free port, then drives the real client over
    /// HTTP: sign request, polling (each status as it comes), result with a new session key,
    /// decryption of the person, verification of signedDoc, certificate check. Exits 0 only
    /// if every step succeeded.
    Demo(DemoArgs),
    /// The local Toss Cert emulator.
    Emulator {
        #[command(subcommand)]
        command: EmulatorCommand,
    },
    /// Prints an access token from the token endpoint (TOSS_CERT_* settings).
    Token,
    /// Sends a sign request (TOSS_CERT_* settings); prints the txId and app links as JSON.
    ///
    /// The signer comes from --name, --phone and --birthday, --ci, or a JSON file
    /// (--signer-file, `-` for stdin) that keeps personal data off the command line.
    /// With a transaction store (--store, TOSS_CERT_STORE, and TOSS_CERT_DATA_KEY) the
    /// request is written ahead and --idempotency-key makes it idempotent: the same key
    /// again prints the stored transaction and sends nothing. With --wait it waits for the
    /// signature (each status on stderr) and prints the result as `tosscert result` does.
    Request(RequestArgs),
    /// Prints a transaction's status and requestedDt as JSON (TOSS_CERT_* settings).
    Status(TxArgs),
    /// Runs many concurrent flows against an emulator (embedded, or at --base-url) and
    /// prints throughput, latency, errors by kind, tokens issued and client CPU per flow.
    ///
    /// With --processes, the flows are split between that many client processes; with
    /// --redis they share one access token through Redis. Exits 0 only if every flow
    /// completed with a distinct txId.
    Load(LoadArgs),
    /// Fetches and decrypts a result (TOSS_CERT_* settings); prints it as JSON.
    ///
    /// The provider gives a result at most twice, within 60 minutes of completion. The
    /// signedDoc is verified, its chain too when TOSS_CERT_TRUST_ANCHORS names a PEM file of
    /// CA certificates; `"chainChecked": false` and a warning on stderr say when it was not.
    /// With a transaction store (--store, TOSS_CERT_STORE), a result stored before is read
    /// from the store, with no provider call.
    Result(ResultArgs),
    /// The transaction store (--store or TOSS_CERT_STORE): list, show, resume, purge.
    ///
    /// `list`, `show` and `purge` need only the store; `resume` also the TOSS_CERT_*
    /// client settings and TOSS_CERT_DATA_KEY. Sealed personal data is never printed.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
    },
    /// Evidence that a signature holds up years later: export a transaction's bundle,
    /// re-verify one offline.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Measures the SDK's hot paths in this process: nanoseconds per operation.
    ///
    /// After a warm-up, each operation runs in batches for --seconds; the figure is the
    /// median of the batches' nanoseconds per operation. Operations: session_new,
    /// encrypt_name, decrypt_ci, prepare_sign_request, open_result, verify_signed_doc.
    Bench(BenchArgs),
    /// Prints a completion script for `shell` (bash, elvish, fish, powershell, zsh).
    ///
    /// For bash: `tosscert completions bash > ~/.local/share/bash-completion/completions/tosscert`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Seconds of measurement per operation (fractions allowed), after a warm-up of a fifth
    /// of that.
    #[arg(long, default_value_t = 2.0, value_parser = positive_seconds)]
    pub(crate) seconds: f64,
    /// Print one JSON object, `{"<operation>": {"ns_per_op": <float>, "ops": <int>}, …}`.
    #[arg(long)]
    pub(crate) json: bool,
    /// Measure only this operation, for a profiler (internal; the output then has only it).
    #[arg(long, hide = true, value_name = "OPERATION")]
    pub(crate) only: Option<String>,
}

/// A finite, positive number of seconds, at most a day.
fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => Ok(seconds),
        _ => Err(format!(
            "`{text}` is not a number of seconds above 0 (and at most 86400)"
        )),
    }
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Size of the emulator's RSA key (2048, 3072 or 4096; the provider's is 4096).
    #[arg(long, default_value_t = 4096)]
    pub(crate) rsa_bits: usize,
    /// Milliseconds until the simulated user opens the request.
    #[arg(long, default_value_t = 800)]
    pub(crate) open_after_ms: u64,
    /// Milliseconds until the simulated user signs.
    #[arg(long, default_value_t = 1600)]
    pub(crate) complete_after_ms: u64,
    /// Sign in a browser instead: serve the reference web service and the emulator (whose
    /// Toss app screen is where a person presses 서명하기) until Ctrl-C, and print the
    /// address to open.
    #[arg(long)]
    pub(crate) web: bool,
    /// With --web, where the reference service listens (port 0 picks a free one); the
    /// emulator listens on the same address, on a free port. The app links and callbacks
    /// are built from it: for a phone on the network, an address it can reach (not
    /// 0.0.0.0).
    #[arg(long, default_value = "127.0.0.1:8080", requires = "web")]
    pub(crate) listen: std::net::SocketAddr,
}

/// `Debug` leaves out the client secret and the Redis URL (which may carry a password).
#[derive(Args)]
pub(crate) struct LoadArgs {
    /// Flows in all (sign request, polling, result).
    #[arg(long, default_value_t = 1000)]
    pub(crate) flows: usize,
    /// Flows in flight at once, over all processes.
    #[arg(long, default_value_t = 50)]
    pub(crate) concurrency: usize,
    /// Client processes to split the flows between.
    #[arg(long, default_value_t = 1)]
    pub(crate) processes: usize,
    /// Share the access token through this Redis (redis://host:port/).
    #[arg(long, value_name = "URL")]
    pub(crate) redis: Option<String>,
    /// An emulator already running (e.g. `tosscert emulator serve`) instead of an
    /// embedded one; give its --public-key too.
    #[arg(long, value_name = "URL", requires = "public_key")]
    pub(crate) base_url: Option<String>,
    /// The emulator's public key (base64 DER), with --base-url.
    #[arg(long)]
    pub(crate) public_key: Option<String>,
    /// The client id.
    #[arg(long, default_value = toss_emulator::DEFAULT_CLIENT_ID)]
    pub(crate) client_id: String,
    /// The client secret; better given as TOSS_CERT_CLIENT_SECRET, which no other local user
    /// can read, than on the command line, which they can (`ps`).
    #[arg(
        long,
        env = toss_sign::env::CLIENT_SECRET,
        hide_env_values = true,
        default_value = toss_emulator::DEFAULT_CLIENT_SECRET
    )]
    pub(crate) client_secret: String,
    /// Size of the embedded emulator's RSA key.
    #[arg(long, default_value_t = 4096)]
    pub(crate) rsa_bits: usize,
    /// The client's HTTP backend.
    #[arg(long, value_enum, default_value_t = TransportArg::Reqwest)]
    pub(crate) transport: TransportArg,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Seconds the whole run may take; then its workers are stopped and it fails.
    #[arg(long, default_value_t = 3600)]
    pub(crate) max_seconds: u64,
    /// Run as one worker of a multi-process run (internal): the worker reads its share,
    /// credentials included, as one JSON line on stdin, never from its command line.
    #[arg(long, hide = true)]
    pub(crate) worker: bool,
    /// The Redis key namespace shared by the workers (internal).
    #[arg(long, hide = true)]
    pub(crate) namespace: Option<String>,
    /// A transaction store for every worker: a SQLite file path or a postgres:// URL. Flows
    /// become idempotent (key `<key-prefix>-<i>`), and the run ends with an audit of the
    /// store against the emulator. The data key is TOSS_CERT_DATA_KEY, else one made for
    /// the run.
    #[arg(
        long,
        value_name = "LOCATION",
        env = toss_sign::env::STORE,
        hide_env_values = true
    )]
    pub(crate) store: Option<String>,
    /// The idempotency keys' prefix, with --store (default: a random run id). A run
    /// repeated with the same prefix is served from the store.
    #[arg(long, value_name = "PREFIX", requires = "store")]
    pub(crate) key_prefix: Option<String>,
    /// SIGKILL a random worker this many times during the run, each restarted with the same
    /// share (needs --store and --processes 2 or more).
    #[arg(long, value_name = "N", default_value_t = 0, requires = "store")]
    pub(crate) kill_workers: usize,
    /// With --store, the evidence collected after each result: `on` (the certificate check
    /// and the CRL, cached until its nextUpdate), `uncached` (the CRL fetched for every
    /// result) or `off`.
    #[arg(long, value_enum, default_value_t = EvidenceArg::On, requires = "store")]
    pub(crate) evidence: EvidenceArg,
    /// With --store, an RFC 3161 time-stamping authority that stamps every signature (the
    /// emulator's is `<base URL>/tsa`).
    #[arg(long, value_name = "URL", requires = "store")]
    pub(crate) tsa_url: Option<String>,
}

/// What `tosscert load` collects as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EvidenceArg {
    /// The certificate check and the CRL, cached until its nextUpdate.
    On,
    /// The certificate check and the CRL, fetched for every result.
    Uncached,
    /// None.
    Off,
}

impl std::fmt::Debug for LoadArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadArgs")
            .field("flows", &self.flows)
            .field("concurrency", &self.concurrency)
            .field("processes", &self.processes)
            .field("redis", &self.redis.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("public_key", &self.public_key.as_ref().map(String::len))
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("rsa_bits", &self.rsa_bits)
            .field("transport", &self.transport)
            .field("json", &self.json)
            .field("store", &self.store.as_ref().map(|_| "<redacted>"))
            .field("key_prefix", &self.key_prefix)
            .field("kill_workers", &self.kill_workers)
            .field("max_seconds", &self.max_seconds)
            .field("worker", &self.worker)
            .field("namespace", &self.namespace)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TransportArg {
    /// toss-transport's reqwest backend (the SDK's default).
    Reqwest,
    /// toss-transport's hyper backend.
    Hyper,
}

impl TransportArg {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Reqwest => "reqwest",
            Self::Hyper => "hyper",
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum EmulatorCommand {
    /// Serves the emulator until Ctrl-C; prints its base URL and public key.
    ///
    /// Point TOSS_CERT_API_BASE and TOSS_CERT_OAUTH_BASE at the base URL and
    /// TOSS_CERT_PUBLIC_KEY at the public key to drive it with `tosscert request` etc., or
    /// let --print-env write those lines.
    Serve(EmulatorServeArgs),
}

/// `tosscert emulator serve`: the emulator's options, and --print-env.
#[derive(Debug, Args)]
pub(crate) struct EmulatorServeArgs {
    #[command(flatten)]
    pub(crate) serve: toss_emulator::serve::ServeArgs,
    /// Print only `export TOSS_CERT_...=...` lines on stdout (the settings `tosscert
    /// request`, `status` and `result` need, the emulator's own test secret included) and
    /// the rest on stderr: `tosscert emulator serve --print-env > emulator.env &`, then
    /// `. ./emulator.env`. With --write-ca-cert it exports TOSS_CERT_TRUST_ANCHORS too.
    #[arg(long)]
    pub(crate) print_env: bool,
}

/// `Debug` leaves out the signer and the document text: personal data.
#[derive(Args)]
#[command(group(ArgGroup::new("signer").required(true).args(["name", "ci", "signer_file"])))]
#[command(group(ArgGroup::new("document").required(true).args(["doc_text", "doc_file", "html_file", "pdf_file"])))]
pub(crate) struct RequestArgs {
    /// The signer's name (with --phone and --birthday).
    #[arg(long, requires_all = ["phone", "birthday"])]
    pub(crate) name: Option<String>,
    /// The signer's mobile number: digits, hyphens and spaces.
    #[arg(long)]
    pub(crate) phone: Option<String>,
    /// The signer's birthday, YYYYMMDD.
    #[arg(long)]
    pub(crate) birthday: Option<String>,
    /// The signer's CI instead of name, phone and birthday.
    #[arg(long)]
    pub(crate) ci: Option<String>,
    /// The signer as JSON, from a file or `-` for stdin, instead of the options above (which
    /// other local users can read on the command line): `{"name": "…", "phone": "…",
    /// "birthday": "YYYYMMDD"}` or `{"ci": "…"}`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["phone", "birthday"])]
    pub(crate) signer_file: Option<PathBuf>,
    /// The document, as text.
    #[arg(long)]
    pub(crate) doc_text: Option<String>,
    /// The document, from a text file.
    #[arg(long, value_name = "FILE")]
    pub(crate) doc_file: Option<PathBuf>,
    /// The document, from an HTML file.
    #[arg(long, value_name = "FILE")]
    pub(crate) html_file: Option<PathBuf>,
    /// A PDF to sign (its SHA-256 is sent).
    #[arg(long, value_name = "FILE")]
    pub(crate) pdf_file: Option<PathBuf>,
    /// The title shown to the user.
    #[arg(long)]
    pub(crate) title: String,
    /// The service name shown to the user (at most 50 characters).
    #[arg(long)]
    pub(crate) service_name: String,
    /// Send the document encrypted.
    #[arg(long)]
    pub(crate) encrypt_doc: bool,
    /// Seconds until the request expires (1 to 1800).
    #[arg(long)]
    pub(crate) expire_secs: Option<u64>,
    /// Open the Toss app with the returned app scheme instead of a push.
    #[arg(long)]
    pub(crate) app_scheme: bool,
    /// The caller's idempotency key (needs a store): an order number or a random id, never
    /// personal data, as it is stored and shown as it is. Without one the SDK makes one.
    #[arg(long, value_name = "KEY")]
    pub(crate) idempotency_key: Option<String>,
    /// Wait for the signature (each status change on stderr), then fetch the result and
    /// print it as `tosscert result` does.
    #[arg(long)]
    pub(crate) wait: bool,
    #[command(flatten)]
    pub(crate) store: StoreArg,
}

impl std::fmt::Debug for RequestArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("RequestArgs")
            .field("name", &given(&self.name))
            .field("phone", &given(&self.phone))
            .field("birthday", &given(&self.birthday))
            .field("ci", &given(&self.ci))
            .field("signer_file", &self.signer_file)
            .field("doc_text", &given(&self.doc_text))
            .field("doc_file", &self.doc_file)
            .field("html_file", &self.html_file)
            .field("pdf_file", &self.pdf_file)
            .field("title", &self.title)
            .field("service_name", &self.service_name)
            .field("encrypt_doc", &self.encrypt_doc)
            .field("expire_secs", &self.expire_secs)
            .field("app_scheme", &self.app_scheme)
            .field("idempotency_key", &self.idempotency_key)
            .field("wait", &self.wait)
            .field("store", &self.store)
            .finish()
    }
}

#[derive(Debug, Args)]
pub(crate) struct TxArgs {
    /// The transaction id a sign request returned.
    #[arg(long)]
    pub(crate) tx_id: String,
    #[command(flatten)]
    pub(crate) store: StoreArg,
}

/// `--store`; `Debug` leaves the location out, as a PostgreSQL URL may carry a password.
#[derive(Args, Clone, Default)]
pub(crate) struct StoreArg {
    /// The transaction store: a SQLite file path or a postgres:// URL. Give a URL with a password as TOSS_CERT_STORE, which no other local user can read,
    /// rather than here, where they can (`ps`). Needs TOSS_CERT_DATA_KEY to seal personal
    /// data, except for `tx list`, `tx show` and `tx purge`.
    // The value is hidden in --help: a URL may carry a password.
    #[arg(
        long = "store",
        value_name = "LOCATION",
        env = toss_sign::env::STORE,
        hide_env_values = true
    )]
    pub(crate) location: Option<String>,
}

impl StoreArg {
    /// The location given, if any (`--store`, else TOSS_CERT_STORE); blank counts as none.
    pub(crate) fn location(&self) -> Option<&str> {
        self.location.as_deref().filter(|l| !l.trim().is_empty())
    }
}

impl std::fmt::Debug for StoreArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArg")
            .field("location", &self.location.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum TxCommand {
    /// Lists stored transactions, newest first: one line each, or a JSON array with --json.
    ///
    /// A line reads `<state> <txId or -> <key> fetches=<n> proof=<yes|no>`.
    List(TxListArgs),
    /// Shows one stored transaction: state, key, events, fetch count, stored result and
    /// proof (its hash, completion time, signedDoc length and verification report, without
    /// the signer's name); never the sealed bytes.
    Show(TxShowArgs),
    /// Finishes what was left unfinished (TOSS_CERT_* settings and TOSS_CERT_DATA_KEY):
    /// asks the provider about due transactions, fetches and stores the results of those
    /// signed, marks the expired ones; prints the counts as JSON.
    ///
    /// Without --watch it stops when nothing is due; with it, it goes on until Ctrl-C and
    /// prints each busy pass's counts to stderr.
    Resume(TxResumeArgs),
    /// Erases the sealed personal data of settled transactions older than --older-than-days,
    /// keeping their proof; prints `{"purged": <records>}`.
    Purge(TxPurgeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TxListArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,
    /// Print a JSON array instead of lines.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only records in this state (repeatable): intent, outcome_unknown, requested,
    /// in_progress, completed, expired, result_stored, failed.
    #[arg(long, value_name = "STATE", value_parser = tx_state)]
    pub(crate) state: Vec<toss_runtime::tx::TxState>,
    /// At most this many records.
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: u32,
}

/// A state by its stored name; `-` may stand for `_`.
fn tx_state(text: &str) -> Result<toss_runtime::tx::TxState, String> {
    let name = text.trim().to_ascii_lowercase().replace('-', "_");
    toss_runtime::tx::TxState::from_name(&name).ok_or_else(|| {
        let names: Vec<&str> = toss_runtime::tx::TxState::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        format!("not a state; one of {}", names.join(", "))
    })
}

#[derive(Debug, Args)]
pub(crate) struct TxShowArgs {
    /// The transaction id.
    pub(crate) tx_id: String,
    #[command(flatten)]
    pub(crate) store: StoreArg,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TxResumeArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,
    /// Go on until Ctrl-C instead of stopping when nothing is due.
    #[arg(long)]
    pub(crate) watch: bool,
    /// When to ask the provider about a transaction again: `polling` (the status on a
    /// backoff) or `notify` (the application reports returning users; polling is the
    /// fallback, seldom).
    #[arg(long, value_enum, default_value_t = ScheduleArg::Polling)]
    pub(crate) schedule: ScheduleArg,
    /// Status calls per second at most, over this process.
    #[arg(long, value_name = "CALLS_PER_SECOND", default_value_t = 50.0, value_parser = positive_rate)]
    pub(crate) budget: f64,
    /// Seconds after which an intent still without a txId is marked of unknown outcome
    /// [default: the client's send window].
    #[arg(long, value_name = "SECONDS")]
    pub(crate) intent_grace_seconds: Option<u64>,
}

/// A finite, positive rate.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a number of calls per second above 0"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScheduleArg {
    /// Poll every unfinished transaction on a backoff.
    Polling,
    /// Expect the application to report returning users; poll seldom.
    Notify,
}

#[derive(Debug, Args)]
pub(crate) struct TxPurgeArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,
    /// Purge transactions created more than this many days ago (0: all settled ones).
    #[arg(long, value_name = "DAYS")]
    pub(crate) older_than_days: u32,
}

#[derive(Debug, Args)]
pub(crate) struct ResultArgs {
    #[command(flatten)]
    pub(crate) tx: TxArgs,
    /// Fail (exit 1, before the result is fetched) unless TOSS_CERT_TRUST_ANCHORS names the
    /// CA certificates to check the signer certificate against.
    #[arg(long)]
    pub(crate) require_chain: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("expected").args(["doc_file", "content_file", "digest_b64"])))]
pub(crate) struct VerifyArgs {
    /// A file holding the base64 signedDoc (line breaks are ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) signed_doc_file: PathBuf,
    /// The document text the user saw (PKCS7): must equal the signed content byte for byte,
    /// so no trailing newline is trimmed.
    #[arg(long, value_name = "FILE")]
    pub(crate) doc_file: Option<PathBuf>,
    /// The signed bytes, e.g. the PDF (PKCS7_NO_CONTENT_WITH_ATTR).
    #[arg(long, value_name = "FILE")]
    pub(crate) content_file: Option<PathBuf>,
    /// The SHA-256 of the signed bytes, base64.
    #[arg(long, value_name = "BASE64")]
    pub(crate) digest_b64: Option<String>,
    /// A PEM file of trusted CA certificates (repeatable); with it, the signer certificate
    /// must chain to one of them. The provider publishes its own at
    /// https://ca.cert.toss.im/toss-ca1.pem and https://root-ca.cert.toss.im/toss-root-ca1.pem
    /// (give both).
    // The doc comment is `--help` text for a terminal, where <…> around a URL would show.
    #[allow(rustdoc::bare_urls)]
    #[arg(long, value_name = "PEM_FILE")]
    pub(crate) trust_anchor: Vec<PathBuf>,
    /// Fail (exit 1) unless the chain is checked: without --trust-anchor nothing verifies.
    #[arg(long)]
    pub(crate) require_chain: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EvidenceCommand {
    /// Writes a transaction's evidence bundle into --out: the signedDoc as received and
    /// timestamped (.p7s), the document, the signer certificate (PEM), the CRL, the
    /// timestamp token (.tsr), evidence.json, manifest.json (SHA-256 of every file, every
    /// verdict) and report.html (a certificate of completion in Korean). Needs only the
    /// store; prints a JSON summary.
    Export(EvidenceExportArgs),
    /// Re-checks a bundle offline, at the signing time: every file as the manifest lists
    /// it, the signature, the document, the chain (--trust-anchor), the revocation state
    /// from the CRL, the timestamp. Exits 0 only if every check holds; otherwise 1, naming
    /// the first that does not.
    Verify(EvidenceVerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct EvidenceExportArgs {
    /// The transaction.
    #[arg(long)]
    pub(crate) tx_id: String,
    #[command(flatten)]
    pub(crate) store: StoreArg,
    /// The directory to write (created; it must be empty if it exists).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// A PEM file of trusted CA certificates (repeatable; default: the file
    /// TOSS_CERT_TRUST_ANCHORS names). The verdicts in the manifest are reached with them,
    /// and `evidence verify` must be given the same.
    #[arg(long, value_name = "PEM_FILE")]
    pub(crate) trust_anchor: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct EvidenceVerifyArgs {
    /// The bundle's directory.
    pub(crate) dir: PathBuf,
    /// A PEM file of trusted CA certificates (repeatable): the signer's and the TSA's
    /// certificates must chain to one of them.
    #[arg(long, value_name = "PEM_FILE")]
    pub(crate) trust_anchor: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Makes a session; prints `{"sessionKey": "...", "session": "<serialized>"}`.
    New {
        /// The session's algorithm.
        #[arg(long, value_enum, default_value_t = AlgorithmArg::AesGcm)]
        algorithm: AlgorithmArg,
        /// The provider's RSA public key as base64 DER SubjectPublicKeyInfo
        /// [default: the provider's published key].
        #[arg(long, conflicts_with = "public_key_file")]
        public_key: Option<String>,
        /// A file holding the provider's RSA public key, PEM or base64 DER.
        #[arg(long, value_name = "FILE")]
        public_key_file: Option<PathBuf>,
    },
    /// Encrypts a plaintext with a serialized session; prints the `v1$` envelope.
    Encrypt {
        /// The serialized session, `<version>$<id>$<ALG>$<key>$<iv>`.
        #[arg(long)]
        session: String,
        /// The text to encrypt.
        #[arg(last = true, required = true)]
        plaintext: String,
    },
    /// Decrypts a `v1$` envelope with a serialized session; prints the plaintext.
    Decrypt {
        /// The serialized session, `<version>$<id>$<ALG>$<key>$<iv>`.
        #[arg(long)]
        session: String,
        /// The envelope to decrypt.
        #[arg(last = true, required = true)]
        envelope: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AlgorithmArg {
    /// AES-256-GCM (the provider's default).
    AesGcm,
    /// AES-256-CBC with HMAC-SHA256.
    AesCbc,
    /// AES-128-CBC with HMAC-SHA256.
    #[value(name = "aes-cbc-128")]
    AesCbc128,
}
