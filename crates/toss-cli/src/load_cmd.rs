//! `tosscert load`: many concurrent flows against an emulator, in one process or several
//! sharing a token through Redis; reports throughput, latency, errors, tokens and CPU.

mod report;
mod worker;

use std::error::Error;
use std::process::Stdio;
use std::time::{Duration, Instant};

use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};

use self::report::{Summary, WorkerReport};
use crate::cli::LoadArgs;

type CommandResult = Result<String, Box<dyn Error>>;

pub(crate) async fn run(mut args: LoadArgs) -> CommandResult {
    if args.worker {
        let report = worker::run(&args).await?;
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
    let reports = if args.processes <= 1 {
        vec![worker::run(&args).await?]
    } else {
        run_processes(&args).await?
    };
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

/// Splits the flows between `processes` copies of this binary, run as workers.
async fn run_processes(args: &LoadArgs) -> Result<Vec<WorkerReport>, Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let processes = args.processes;
    let mut children = Vec::with_capacity(processes);
    for index in 0..processes {
        let flows = args.flows / processes + usize::from(index < args.flows % processes);
        let concurrency = (args.concurrency / processes).max(1);
        let mut command = tokio::process::Command::new(&exe);
        command
            .arg("load")
            .arg("--worker")
            .args(["--flows", &flows.to_string()])
            .args(["--concurrency", &concurrency.to_string()])
            .args(["--client-id", &args.client_id])
            .args(["--client-secret", &args.client_secret])
            .args(["--transport", args.transport.name()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(base_url) = &args.base_url {
            command.args(["--base-url", base_url]);
        }
        if let Some(key) = &args.public_key {
            command.args(["--public-key", key]);
        }
        if let Some(redis) = &args.redis {
            command.args(["--redis", redis]);
        }
        if let Some(namespace) = &args.namespace {
            command.args(["--namespace", namespace]);
        }
        children.push(command.spawn()?);
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
