//! The emulator as a command: the options of the `toss-emulator` binary and of
//! `tosscert emulator serve`, defined once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_EXPIRE_SECONDS, DEFAULT_RSA_BITS,
    DEFAULT_TOKEN_LIFETIME, EmulatorBuilder, UserBehaviour,
};
use crate::error::Error;
use crate::server::Emulator;

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
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,

    /// The client_secret the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,

    /// What the simulated user does with each request.
    #[arg(long, value_enum, default_value_t = UserMode::Completes)]
    pub user: UserMode,

    /// With --user completes: milliseconds from the request until the user opens it.
    #[arg(long, default_value_t = 300)]
    pub open_after_ms: u64,

    /// With --user completes: milliseconds from the request until the user signs.
    #[arg(long, default_value_t = 600)]
    pub complete_after_ms: u64,

    /// expireSeconds for requests that give none.
    #[arg(long, default_value_t = DEFAULT_EXPIRE_SECONDS)]
    pub default_expire_secs: u32,

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

/// The simulated user's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[non_exhaustive]
pub enum UserMode {
    /// Opens and signs after --open-after-ms and --complete-after-ms.
    Completes,
    /// Never opens the request; it expires.
    NeverAnswers,
    /// Waits for POST /emulator/v1/tx/{txId}/{open|complete|expire}.
    Manual,
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
            UserMode::Manual => UserBehaviour::Manual,
        };
        let mut builder = Emulator::builder()
            .listen(self.listen)
            .rsa_bits(self.rsa_bits)
            .token_lifetime(Duration::from_secs(self.token_lifetime_secs))
            .client_credentials(self.client_id.clone(), self.client_secret.clone())
            .user_behaviour(behaviour)
            .default_expire_seconds(self.default_expire_secs);
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
/// key, client id, CA certificate) and serves until Ctrl-C.
///
/// # Errors
///
/// [`ServeError`] when a file cannot be read or written, the emulator cannot start, or
/// Ctrl-C cannot be awaited.
pub async fn serve_until_interrupted(args: &ServeArgs) -> Result<(), ServeError> {
    let emulator = args.builder()?.start().await?;
    say(format_args!(
        "toss-emulator {} listening",
        env!("CARGO_PKG_VERSION")
    ));
    say(format_args!("base URL:   {}", emulator.base_url()));
    say(format_args!("public key: {}", emulator.public_key_base64()));
    say(format_args!("client_id:  {}", emulator.client_id()));
    match &args.write_ca_cert {
        Some(path) => {
            std::fs::write(path, emulator.ca_certificate_pem()).map_err(|source| {
                ServeError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
            say(format_args!("CA certificate written to {}", path.display()));
        }
        None => say(format_args!(
            "CA certificate:\n{}",
            emulator.ca_certificate_pem().trim_end()
        )),
    }
    tokio::signal::ctrl_c().await.map_err(ServeError::Signal)?;
    emulator.shutdown().await?;
    Ok(())
}

/// Prints a line; a closed stdout (the reader went away) must not stop the server, as
/// `println!` would by panicking.
fn say(line: std::fmt::Arguments<'_>) {
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
