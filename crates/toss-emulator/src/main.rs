//! `toss-emulator`: a local Toss Cert (토스인증) server for demos, manual testing and CI.
//!
//! Prints the base URL (for both the OAuth and the API host), the public key to give a
//! client in place of the provider's, and the test CA certificate, then serves until
//! interrupted (Ctrl-C).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use toss_emulator::serve::{ServeArgs, serve_until_interrupted};

/// A local Toss Cert general e-signature server (tokens, sign request/status/result,
/// certificate check) with a simulated user and its own test CA.
#[derive(Debug, Parser)]
#[command(name = "toss-emulator", version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    match runtime.block_on(serve_until_interrupted(&cli.serve)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("toss-emulator: {}", error_chain(&error));
            ExitCode::FAILURE
        }
    }
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
