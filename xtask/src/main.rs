//! Developer tasks for the toss-cert workspace: `cargo xtask <task>`.
//!
//! - `ci`: what `.github/workflows/ci.yml` runs, in the same order, on this machine.
//! - `regen-fixtures`: rewrites the committed test fixtures made by independent tools.
//! - `bench-session`: session generation with our default backend against Node's `crypto`,
//!   alternately, in one sitting.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench_session;
mod ci;
mod regen;
mod run;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "toss-cert developer tasks")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Format check, clippy, tests for each crypto backend, and docs, as CI runs them.
    Ci,
    /// Rewrites fixtures made by independent tools (Python `cryptography`, OpenSSL).
    RegenFixtures,
    /// Session generation: our default backend against Node's `crypto`, in one sitting.
    BenchSession {
        /// Seconds per Node measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u32,
        /// Alternating rounds of (Node, Rust).
        #[arg(long, default_value_t = 2)]
        rounds: u32,
    },
}

fn main() -> ExitCode {
    let result = match Xtask::parse().task {
        Task::Ci => ci::run(),
        Task::RegenFixtures => regen::run(),
        Task::BenchSession { seconds, rounds } => bench_session::run(seconds, rounds),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
