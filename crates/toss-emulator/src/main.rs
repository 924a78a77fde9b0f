//! `toss-emulator`: a local Toss Cert (토스인증) server for demos, manual testing and CI.
//!
//! Prints the base URL (for both the OAuth and the API host), the public key to give a
//! client in place of the provider's, and the test CA certificate, then serves until
//! interrupted (Ctrl-C).
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use toss_emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_EXPIRE_SECONDS, DEFAULT_RSA_BITS,
    DEFAULT_TOKEN_LIFETIME, Emulator, UserBehaviour,
};

/// A local Toss Cert general e-signature server (tokens, sign request/status/result,
/// certificate check) with a simulated user and its own test CA.
#[derive(Debug, Parser)]
#[command(name = "toss-emulator", version)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:18080")]
    listen: SocketAddr,

    /// Size of the emulator's RSA key: 2048, 3072 or 4096.
    #[arg(long, default_value_t = DEFAULT_RSA_BITS)]
    rsa_bits: usize,

    /// Use this RSA private key (PKCS#8 PEM or base64 DER) instead of generating one, so the
    /// public key stays the same between runs.
    #[arg(long, value_name = "FILE")]
    private_key_file: Option<PathBuf>,

    /// How long access tokens live, in seconds.
    #[arg(long, default_value_t = DEFAULT_TOKEN_LIFETIME.as_secs())]
    token_lifetime_secs: u64,

    /// The client_id the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    client_id: String,

    /// The client_secret the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    client_secret: String,

    /// What the simulated user does with each request.
    #[arg(long, value_enum, default_value_t = UserMode::Completes)]
    user: UserMode,

    /// With --user completes: milliseconds from the request until the user opens it.
    #[arg(long, default_value_t = 300)]
    open_after_ms: u64,

    /// With --user completes: milliseconds from the request until the user signs.
    #[arg(long, default_value_t = 600)]
    complete_after_ms: u64,

    /// expireSeconds for requests that give none.
    #[arg(long, default_value_t = DEFAULT_EXPIRE_SECONDS)]
    default_expire_secs: u32,

    /// Issue user certificates from this CA certificate (PEM) instead of a generated CA.
    #[arg(long, value_name = "FILE", requires = "ca_key_file")]
    ca_cert_file: Option<PathBuf>,

    /// The PKCS#8 PEM private key of --ca-cert-file.
    #[arg(long, value_name = "FILE", requires = "ca_cert_file")]
    ca_key_file: Option<PathBuf>,

    /// Write the CA certificate (PEM) to this file instead of printing it.
    #[arg(long, value_name = "FILE")]
    write_ca_cert: Option<PathBuf>,
}

/// The simulated user's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum UserMode {
    /// Opens and signs after --open-after-ms and --complete-after-ms.
    Completes,
    /// Never opens the request; it expires.
    NeverAnswers,
    /// Waits for POST /emulator/v1/tx/{txId}/{open|complete|expire}.
    Manual,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("toss-emulator: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("toss-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let behaviour = match args.user {
        UserMode::Completes => UserBehaviour::completes(
            Duration::from_millis(args.open_after_ms),
            Duration::from_millis(args.complete_after_ms),
        ),
        UserMode::NeverAnswers => UserBehaviour::NeverAnswers,
        UserMode::Manual => UserBehaviour::Manual,
    };
    let mut builder = Emulator::builder()
        .listen(args.listen)
        .rsa_bits(args.rsa_bits)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .client_credentials(args.client_id, args.client_secret)
        .user_behaviour(behaviour)
        .default_expire_seconds(args.default_expire_secs);
    if let Some(path) = &args.private_key_file {
        builder = builder.provider_private_key(read(path)?);
    }
    if let (Some(cert), Some(key)) = (&args.ca_cert_file, &args.ca_key_file) {
        builder = builder.ca_from_pem(read(cert)?, read(key)?);
    }
    let emulator = builder.start().await.map_err(|error| error_chain(&error))?;

    println!("toss-emulator {} listening", env!("CARGO_PKG_VERSION"));
    println!("base URL:   {}", emulator.base_url());
    println!("public key: {}", emulator.public_key_base64());
    println!("client_id:  {}", emulator.client_id());
    match &args.write_ca_cert {
        Some(path) => {
            std::fs::write(path, emulator.ca_certificate_pem())
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            println!("CA certificate written to {}", path.display());
        }
        None => print!("CA certificate:\n{}", emulator.ca_certificate_pem()),
    }

    tokio::signal::ctrl_c()
        .await
        .map_err(|error| format!("cannot wait for Ctrl-C: {error}"))?;
    emulator
        .shutdown()
        .await
        .map_err(|error| error_chain(&error))
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// The error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
