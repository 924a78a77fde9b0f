//! The emulator as a command: the options of the `toss-emulator` binary and of
//! `tosscert emulator serve`, defined once.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, ValueEnum};
use zeroize::Zeroizing;

use crate::config::{
    ControlAccess, DEFAULT_BODY_LIMIT, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_CONCURRENCY_LIMIT, DEFAULT_EXPIRE_SECONDS, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETENTION, DEFAULT_RSA_BITS,
    DEFAULT_TOKEN_LIFETIME, EmulatorBuilder, UserBehaviour,
};
use crate::error::Error;
use crate::server::{Emulator, EmulatorHandle};

/// The environment variable `--client-secret` falls back to, so that a secret need not be
/// on the command line (where every local user can read it).
pub const CLIENT_SECRET_ENV: &str = "TOSS_EMULATOR_CLIENT_SECRET";

/// A secret given as an option: shown as `<redacted>` by `Debug`.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(Zeroizing::new(text.to_owned())))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A local Toss Cert general e-signature server (tokens, sign request/status/result,
/// certificate check) with a simulated user and its own test CA.
#[derive(Debug, Clone, Args)]
#[non_exhaustive]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:18080")]
    pub listen: SocketAddr,

    /// Size of the emulator's RSA key: 2048, 3072 or 4096.
    #[arg(long, default_value_t = DEFAULT_RSA_BITS)]
    pub rsa_bits: usize,

    /// Use this RSA private key (PKCS#8 PEM or base64 DER) instead of generating one, so the
    /// public key stays the same between runs.
    #[arg(long, value_name = "FILE")]
    pub private_key_file: Option<PathBuf>,

    /// How long access tokens live, in seconds.
    #[arg(long, default_value_t = DEFAULT_TOKEN_LIFETIME.as_secs())]
    pub token_lifetime_secs: u64,

    /// The client_id the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID, conflicts_with = "clients_file")]
    pub client_id: String,

    /// The client_secret of --client-id. Prefer the TOSS_EMULATOR_CLIENT_SECRET environment
    /// variable or --clients-file: a command line is visible to every local user. Defaults
    /// to the provider's published test secret.
    #[arg(long, value_name = "SECRET", conflicts_with = "clients_file")]
    pub client_secret: Option<Secret>,

    /// Accept the clients listed in this file ("-" reads standard input) instead of
    /// --client-id: one "client_id client_secret" per line; blank lines and lines starting
    /// with # are skipped. Each client sees only its own transactions.
    #[arg(long, value_name = "FILE")]
    pub clients_file: Option<PathBuf>,

    /// What the simulated user does with each request.
    #[arg(long, value_enum, default_value_t = UserMode::Completes)]
    pub user: UserMode,

    /// Per-signer behaviour and injected faults: a JSON scenario file (see the
    /// toss_emulator::scenario documentation). Signers it names follow it whatever --user
    /// says.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// With --user completes: milliseconds from the request until the user opens it.
    #[arg(long, default_value_t = 300)]
    pub open_after_ms: u64,

    /// With --user completes: milliseconds from the request until the user signs.
    #[arg(long, default_value_t = 600)]
    pub complete_after_ms: u64,

    /// expireSeconds for requests that give none.
    #[arg(long, default_value_t = DEFAULT_EXPIRE_SECONDS)]
    pub default_expire_secs: u32,

    /// Seconds a finished transaction (expired, both results served, or past the result
    /// window) is still remembered for status calls before it is freed.
    #[arg(long, default_value_t = DEFAULT_RETENTION.as_secs())]
    pub retention_seconds: u64,

    /// Who may use POST /emulator/v1/tx/{txId}/{action} and GET /emulator/v1/transactions.
    #[arg(long, value_enum, default_value_t = ControlMode::Loopback)]
    pub control: ControlMode,

    /// Turn the control endpoints and the transactions listing off (the same as --control
    /// off).
    #[arg(long)]
    pub no_control: bool,

    /// Accept a sessionKey that an earlier request already used (refused by default, as the
    /// API document requires a new session key for every request).
    #[arg(long)]
    pub allow_reused_session_keys: bool,

    /// Seconds a connection may take to send a request's headers, or sit idle between
    /// requests, before it is closed.
    #[arg(long, default_value_t = DEFAULT_HEADER_READ_TIMEOUT.as_secs())]
    pub header_read_timeout_secs: u64,

    /// Seconds one request may take, its body included (then HTTP 408).
    #[arg(long, default_value_t = DEFAULT_REQUEST_TIMEOUT.as_secs())]
    pub request_timeout_secs: u64,

    /// The largest request body accepted, in bytes (then HTTP 413, or 400 for a chunked body).
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,

    /// Connections served at once; more wait in the listen backlog.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Requests handled at once; more wait.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY_LIMIT)]
    pub concurrency_limit: usize,

    /// Issue user certificates from this CA certificate (PEM) instead of a generated CA.
    #[arg(long, value_name = "FILE", requires = "ca_key_file")]
    pub ca_cert_file: Option<PathBuf>,

    /// The PKCS#8 PEM private key of --ca-cert-file.
    #[arg(long, value_name = "FILE", requires = "ca_cert_file")]
    pub ca_key_file: Option<PathBuf>,

    /// Write the CA certificate (PEM) to this file instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub write_ca_cert: Option<PathBuf>,
}

/// Who may use the control endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[non_exhaustive]
pub enum ControlMode {
    /// Peers on a loopback address only.
    Loopback,
    /// Any peer (an emulator reached from another container).
    Anyone,
    /// Nobody.
    Off,
}

/// The simulated user's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[non_exhaustive]
pub enum UserMode {
    /// Opens and signs after --open-after-ms and --complete-after-ms.
    Completes,
    /// Never opens the request; it expires.
    NeverAnswers,
    /// Waits for POST /emulator/v1/tx/{txId}/{open|complete|decline|expire} or the app
    /// screen.
    Manual,
    /// A person signs in a browser: the app links and the inbox lead to the emulator's
    /// Toss app screen (서명하기 / 취소); nothing happens by itself.
    Browser,
}

impl ServeArgs {
    /// The emulator these options describe.
    ///
    /// # Errors
    ///
    /// [`ServeError::Read`] when a key or certificate file cannot be read.
    pub fn builder(&self) -> Result<EmulatorBuilder, ServeError> {
        let behaviour = match self.user {
            UserMode::Completes => UserBehaviour::completes(
                Duration::from_millis(self.open_after_ms),
                Duration::from_millis(self.complete_after_ms),
            ),
            UserMode::NeverAnswers => UserBehaviour::NeverAnswers,
            UserMode::Manual | UserMode::Browser => UserBehaviour::Manual,
        };
        let control = match (self.no_control, self.control) {
            (true, _) | (false, ControlMode::Off) => ControlAccess::Off,
            (false, ControlMode::Loopback) => ControlAccess::LoopbackOnly,
            (false, ControlMode::Anyone) => ControlAccess::Anyone,
        };
        let mut builder = Emulator::builder()
            .listen(self.listen)
            .rsa_bits(self.rsa_bits)
            .token_lifetime(Duration::from_secs(self.token_lifetime_secs))
            .user_behaviour(behaviour)
            .default_expire_seconds(self.default_expire_secs)
            .retention(Duration::from_secs(self.retention_seconds))
            .control_endpoints(control)
            .refuse_reused_session_keys(!self.allow_reused_session_keys)
            .header_read_timeout(Duration::from_secs(self.header_read_timeout_secs))
            .request_timeout(Duration::from_secs(self.request_timeout_secs))
            .body_limit(self.body_limit)
            .max_connections(self.max_connections)
            .concurrency_limit(self.concurrency_limit);
        match &self.clients_file {
            Some(path) => {
                let text = if path.as_os_str() == "-" {
                    read_stdin()?
                } else {
                    Zeroizing::new(read(path)?)
                };
                let clients = parse_clients(&text).map_err(|line| match line {
                    0 => ServeError::NoClients { path: path.clone() },
                    line => ServeError::Clients {
                        path: path.clone(),
                        line,
                    },
                })?;
                for (id, secret) in clients {
                    builder = builder.client_credentials(id, secret.as_str());
                }
            }
            None => {
                let secret = match &self.client_secret {
                    Some(secret) => Zeroizing::new(secret.expose().to_owned()),
                    None => Zeroizing::new(
                        std::env::var(CLIENT_SECRET_ENV)
                            .unwrap_or_else(|_| DEFAULT_CLIENT_SECRET.to_owned()),
                    ),
                };
                builder = builder.client_credentials(self.client_id.clone(), secret.as_str());
            }
        }
        if let Some(path) = &self.scenario {
            let scenario =
                crate::scenario::Scenario::from_json(&read(path)?).map_err(|source| {
                    ServeError::Scenario {
                        path: path.clone(),
                        source,
                    }
                })?;
            builder = builder.scenario(scenario);
        }
        if let Some(path) = &self.private_key_file {
            builder = builder.provider_private_key(read(path)?);
        }
        if let (Some(cert), Some(key)) = (&self.ca_cert_file, &self.ca_key_file) {
            builder = builder.ca_from_pem(read(cert)?, read(key)?);
        }
        Ok(builder)
    }
}

/// Starts the emulator these options describe, prints where it listens (base URL, public
/// key, client id, CA certificate, the app screen) and serves until Ctrl-C.
///
/// # Errors
///
/// [`ServeError`] when a file cannot be read or written, the emulator cannot start, or
/// Ctrl-C cannot be awaited.
pub async fn serve_until_interrupted(args: &ServeArgs) -> Result<(), ServeError> {
    let emulator = start(args).await?;
    say(format_args!("{}", banner(&emulator, args)));
    run_until_interrupted(emulator).await
}

/// Starts the emulator these options describe (raising the open-file limit first) and
/// writes its CA certificate where `--write-ca-cert` says.
///
/// # Errors
///
/// [`ServeError`] when a file cannot be read or written or the emulator cannot start.
pub async fn start(args: &ServeArgs) -> Result<EmulatorHandle, ServeError> {
    raise_open_file_limit();
    let emulator = args.builder()?.start().await?;
    if let Some(path) = &args.write_ca_cert {
        std::fs::write(path, emulator.ca_certificate_pem()).map_err(|source| {
            ServeError::Write {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(emulator)
}

/// What a started emulator tells the person who started it: where it listens, its public
/// key and client id, the CRL, TSA and app screen URLs, and its CA certificate (or where
/// it was written). Never the client secret.
#[must_use]
pub fn banner(emulator: &EmulatorHandle, args: &ServeArgs) -> String {
    let mut lines = vec![
        format!("toss-emulator {} listening", env!("CARGO_PKG_VERSION")),
        format!("base URL:   {}", emulator.base_url()),
        format!("public key: {}", emulator.public_key_base64()),
        format!("client_id:  {}", emulator.client_ids().join(", ")),
        format!("CRL:        {}", emulator.crl_url()),
        format!("TSA:        {}", emulator.tsa_url()),
        format!(
            "Toss app:   {} (push requests per signer)",
            emulator.app_inbox_url()
        ),
    ];
    if args.user == UserMode::Browser {
        lines.push(
            "user:       browser: open the app links (or the inbox) and press 서명하기 or 취소"
                .to_owned(),
        );
    }
    match &args.write_ca_cert {
        Some(path) => lines.push(format!("CA certificate written to {}", path.display())),
        None => lines.push(format!(
            "CA certificate:\n{}",
            emulator.ca_certificate_pem().trim_end()
        )),
    }
    lines.join("\n")
}

/// Serves until Ctrl-C, then stops gracefully.
///
/// # Errors
///
/// [`ServeError::Signal`] when Ctrl-C cannot be awaited, [`ServeError::Emulator`] when the
/// server failed.
pub async fn run_until_interrupted(emulator: EmulatorHandle) -> Result<(), ServeError> {
    tokio::signal::ctrl_c().await.map_err(ServeError::Signal)?;
    emulator.shutdown().await?;
    Ok(())
}

/// Prints a line; a closed stdout (the reader went away) must not stop the server, as
/// `println!` would by panicking.
fn say(line: fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// Why [`serve_until_interrupted`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A key or certificate file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CA certificate could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line of the clients file is not "client_id client_secret".
    #[error("line {line} of {} is not \"client_id client_secret\"", path.display())]
    Clients {
        /// The file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
    },
    /// The scenario file is not a valid scenario.
    #[error("{} is not a valid scenario", path.display())]
    Scenario {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: crate::scenario::ScenarioError,
    },
    /// The clients file names no client.
    #[error("{} names no client", path.display())]
    NoClients {
        /// The file.
        path: PathBuf,
    },
    /// The emulator failed.
    #[error(transparent)]
    Emulator(#[from] Error),
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C")]
    Signal(#[source] std::io::Error),
}

fn read(path: &Path) -> Result<String, ServeError> {
    std::fs::read_to_string(path).map_err(|source| ServeError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_stdin() -> Result<Zeroizing<String>, ServeError> {
    use std::io::Read as _;
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| ServeError::Read {
            path: PathBuf::from("-"),
            source,
        })?;
    Ok(text)
}

/// The clients of a clients file; the number of the first line that is not
/// `client_id client_secret` otherwise. The line itself is never repeated: it holds a
/// secret.
fn parse_clients(text: &str) -> Result<Vec<(String, Zeroizing<String>)>, usize> {
    let mut clients = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(id), Some(secret), None) => {
                clients.push((id.to_owned(), Zeroizing::new(secret.to_owned())));
            }
            _ => return Err(index + 1),
        }
    }
    if clients.is_empty() {
        return Err(0);
    }
    Ok(clients)
}

/// The soft limit on open files asked for when the hard limit is unlimited (macOS, the
/// BSDs): an unlimited soft limit is refused, and this is Linux's default `fs.nr_open`.
const OPEN_FILES_WHEN_UNLIMITED: u64 = 1 << 20;

/// Raises the soft limit on open files to the hard limit (or to
/// [`OPEN_FILES_WHEN_UNLIMITED`] when that is unlimited), so that the emulator can hold as
/// many connections as `--max-connections` allows (the soft limit is often 1,024). A
/// failure only leaves the limit where it was.
fn raise_open_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(mut wanted) = raised_open_files(limit.current, limit.maximum) else {
        return;
    };
    // The kernel may cap the soft limit below the hard one (macOS at kern.maxfilesperproc):
    // then half as much, down to what it already is (about ten tries at most).
    loop {
        let raised = Rlimit {
            current: Some(wanted),
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return;
        }
        wanted /= 2;
        if limit.current.is_none_or(|current| wanted <= current) {
            return;
        }
    }
}

/// The soft limit to ask for, given the current soft and hard limits (`None` is unlimited);
/// `None` when the soft limit is already that high.
fn raised_open_files(current: Option<u64>, maximum: Option<u64>) -> Option<u64> {
    let wanted = maximum.unwrap_or(OPEN_FILES_WHEN_UNLIMITED);
    match current {
        Some(current) if current < wanted => Some(wanted),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn the_secret_is_redacted_in_debug() {
        let cli = Cli::parse_from(["serve", "--client-secret", "s3cr3t-value"]);
        let debug = format!("{cli:?}");
        assert!(!debug.contains("s3cr3t-value"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert_eq!(
            cli.serve.client_secret.as_ref().map(Secret::expose),
            Some("s3cr3t-value")
        );
    }

    #[test]
    fn clients_files() {
        let clients = parse_clients("# test clients\n\nalpha  secret-a\nbeta secret-b\n").unwrap();
        let ids: Vec<_> = clients.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["alpha", "beta"]);
        assert_eq!(clients[1].1.as_str(), "secret-b");
        assert_eq!(parse_clients("alpha\n"), Err(1));
        assert_eq!(parse_clients("alpha a\nbeta b c\n"), Err(2));
        assert_eq!(parse_clients("# none\n"), Err(0));
    }

    #[test]
    fn a_clients_file_conflicts_with_a_single_client() {
        for single in [["--client-id", "alpha"], ["--client-secret", "secret-a"]] {
            let parsed = Cli::try_parse_from(
                ["serve", "--clients-file", "clients.txt"]
                    .into_iter()
                    .chain(single),
            );
            let error = parsed.expect_err("a clients file and a single client conflict");
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{single:?}"
            );
        }
        assert!(Cli::try_parse_from(["serve", "--clients-file", "clients.txt"]).is_ok());
        assert!(
            Cli::try_parse_from(["serve", "--client-id", "alpha", "--client-secret", "a"]).is_ok()
        );
    }

    #[test]
    fn the_open_file_limit_is_raised_to_a_finite_value() {
        // An unlimited hard limit: a large finite soft limit, never "unlimited".
        assert_eq!(
            raised_open_files(Some(1024), None),
            Some(OPEN_FILES_WHEN_UNLIMITED)
        );
        assert_eq!(
            raised_open_files(Some(OPEN_FILES_WHEN_UNLIMITED), None),
            None
        );
        assert_eq!(raised_open_files(None, None), None);
        // A finite hard limit: up to it, and never down.
        assert_eq!(raised_open_files(Some(1024), Some(524_288)), Some(524_288));
        assert_eq!(raised_open_files(Some(524_288), Some(524_288)), None);
        assert_eq!(
            raised_open_files(Some(1024), Some(4 * OPEN_FILES_WHEN_UNLIMITED)),
            Some(4 * OPEN_FILES_WHEN_UNLIMITED)
        );
    }

    #[test]
    fn no_control_wins() {
        let cli = Cli::parse_from(["serve", "--control", "anyone", "--no-control"]);
        let config = cli.serve.builder().unwrap().build();
        assert_eq!(config.control, ControlAccess::Off);
        let cli = Cli::parse_from(["serve"]);
        let config = cli.serve.builder().unwrap().build();
        assert_eq!(config.control, ControlAccess::LoopbackOnly);
        assert!(config.refuse_reused_session_keys);
    }
}
