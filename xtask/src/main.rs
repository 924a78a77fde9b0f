//! Developer tasks for the toss-cert workspace: `cargo xtask <task>`.
//!
//! - `ci`: every check CI makes (the one list; `.ci/run` and `.github/workflows/ci.yml` run it).
//! - `fuzz`: every cargo-fuzz target for a bounded time, from its committed corpus.
//! - `regen-fixtures`: rewrites the committed test fixtures made by independent tools.
//! - `bench-session`: session generation with our default backend against Node's `crypto`,
//!   alternately, in one sitting.
//! - `bench-peers`: `tosscert bench` against Node's `crypto`, Python's `cryptography` and
//!   `openssl speed`, alternately, in one sitting; writes the tables into
//!   `docs/PERFORMANCE.md`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench_peers;
mod bench_session;
mod ci;
mod fuzz;
mod paths;
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
    /// Every check CI makes: format, clippy, provider paths, tests of each crate and feature
    /// set, each feature alone, docs, `cargo publish --dry-run`.
    Ci,
    /// Every cargo-fuzz target for a bounded time, from its committed corpus (needs
    /// `cargo install cargo-fuzz`; nightly, or stable with RUSTC_BOOTSTRAP).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u32,
    },
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
    /// The six `tosscert bench` operations against Node's `crypto`, Python's `cryptography`
    /// and the physical limit (`openssl speed`), in one sitting; writes docs/PERFORMANCE.md.
    BenchPeers {
        /// Seconds per operation in each run (openssl takes whole seconds, rounded up).
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
        /// Alternating rounds of (ours, Node, Python, openssl); the best of them is reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Print the tables without writing docs/PERFORMANCE.md.
        #[arg(long)]
        no_write: bool,
    },
}

fn main() -> ExitCode {
    let result = match Xtask::parse().task {
        Task::Ci => ci::run(),
        Task::Fuzz { seconds } => fuzz::run(seconds),
        Task::RegenFixtures => regen::run(),
        Task::BenchSession { seconds, rounds } => bench_session::run(seconds, rounds),
        Task::BenchPeers {
            seconds,
            rounds,
            no_write,
        } => bench_peers::run(seconds, rounds, !no_write),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
