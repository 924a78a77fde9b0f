//! `tosscert load`: many concurrent flows against an emulator, in one process or several
//! sharing a token through Redis; reports throughput, latency, errors, tokens and CPU.

mod report;
mod worker;

use std::error::Error;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt as _;
use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};

use self::report::{Summary, WorkerReport};
use self::worker::WorkerConfig;
use crate::cli::LoadArgs;

type CommandResult = Result<String, Box<dyn Error>>;

/// Where `--client-secret` is read from when it is not given (clap's `env`).
const CLIENT_SECRET_ENV: &str = "TOSS_CERT_CLIENT_SECRET";

pub(crate) async fn run(mut args: LoadArgs) -> CommandResult {
    if args.worker {
        let report = worker::run(&WorkerConfig::from_stdin().await?).await?;
        return Ok(serde_json::to_string(&report)?);
    }
    // The emulator lives as long as this function when it is embedded.
    let emulator = match &args.base_url {
        Some(_) => None,
        None => {
            let handle = Emulator::builder()
                .rsa_bits(args.rsa_bits)
                .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
                .client_credentials(args.client_id.clone(), args.client_secret.clone())
                .start()
                .await?;
            args.base_url = Some(handle.base_url().to_owned());
            args.public_key = Some(handle.public_key_base64().to_owned());
            Some(handle)
        }
    };
    if args.redis.is_some() && args.namespace.is_none() {
        args.namespace = Some(format!("load-{}", std::process::id()));
    }
    // An emulator running elsewhere may have served earlier runs: count this run's tokens.
    let tokens_before = tokens_issued(emulator.as_ref(), &args).await;
    let started = Instant::now();
    let flows = async {
        if args.processes <= 1 {
            let config = WorkerConfig::new(&args, args.flows, args.concurrency);
            Ok(vec![worker::run(&config).await?])
        } else {
            run_processes(&args).await
        }
    };
    // Dropping the flows on time-out kills the workers (`kill_on_drop`).
    let reports = tokio::time::timeout(Duration::from_secs(args.max_seconds), flows)
        .await
        .map_err(|_| {
            format!(
                "the run took longer than --max-seconds {}",
                args.max_seconds
            )
        })??;
    let wall = started.elapsed();
    let tokens_issued = tokens_issued(emulator.as_ref(), &args)
        .await
        .zip(tokens_before)
        .map(|(after, before)| after.saturating_sub(before));
    let summary = Summary::new(&args, &reports, wall, tokens_issued, emulator.is_some());
    if let Some(handle) = emulator {
        handle.shutdown().await?;
    }
    let output = if args.json {
        serde_json::to_string(&summary)?
    } else {
        summary.to_text()
    };
    if summary.succeeded() {
        Ok(output)
    } else {
        say!("{output}");
        Err(summary.failure_reason().into())
    }
}

/// Splits the flows between `processes` copies of this binary, run as workers. Each gets
/// its share on stdin: nothing but `load --worker` is on its command line.
async fn run_processes(args: &LoadArgs) -> Result<Vec<WorkerReport>, Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let processes = args.processes;
    let mut children = Vec::with_capacity(processes);
    for index in 0..processes {
        let flows = args.flows / processes + usize::from(index < args.flows % processes);
        let concurrency = (args.concurrency / processes).max(1);
        let mut config = serde_json::to_string(&WorkerConfig::new(args, flows, concurrency))?;
        config.push('\n');
        let mut child = tokio::process::Command::new(&exe)
            .args(["load", "--worker"])
            // The worker has the secret from stdin; an inherited copy would only widen
            // who can read it (/proc/<pid>/environ).
            .env_remove(CLIENT_SECRET_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let mut stdin = child.stdin.take().ok_or("a load worker has no stdin")?;
        stdin.write_all(config.as_bytes()).await?;
        // Closed: the worker reads one line.
        drop(stdin);
        children.push(child);
    }
    let mut reports = Vec::with_capacity(processes);
    for child in children {
        let output = child.wait_with_output().await?;
        if !output.status.success() {
            return Err(format!("a load worker failed ({})", output.status).into());
        }
        reports.push(serde_json::from_slice(&output.stdout)?);
    }
    Ok(reports)
}

/// From the embedded emulator, or the emulator's stats endpoint at the base URL.
async fn tokens_issued(emulator: Option<&EmulatorHandle>, args: &LoadArgs) -> Option<u64> {
    if let Some(handle) = emulator {
        return Some(handle.stats().tokens_issued);
    }
    worker::remote_stats(args.base_url.as_deref()?)
        .await
        .map(|stats| stats.tokens_issued)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn debug_leaves_out_the_secret_and_the_redis_password() {
        let cli = Cli::try_parse_from([
            "tosscert",
            "load",
            "--client-secret",
            "test_s3cret-of-this-test",
            "--redis",
            "redis://:redis-pa55word@127.0.0.1:6379/",
        ])
        .unwrap();
        let Command::Load(args) = cli.command else {
            panic!("not load")
        };
        let config = WorkerConfig::new(&args, 10, 2);
        for debug in [format!("{args:?}"), format!("{config:?}")] {
            assert!(!debug.contains("s3cret"), "{debug}");
            assert!(!debug.contains("pa55word"), "{debug}");
            assert!(debug.contains("<redacted>"), "{debug}");
        }
        // What a worker gets on stdin does carry them.
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("test_s3cret-of-this-test") && json.contains("pa55word"));
    }
}
