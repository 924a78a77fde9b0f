//! `tosscert load`: many concurrent flows against an emulator, in one process or several
//! sharing a token through Redis; reports throughput, latency, errors, tokens and CPU.
//! With a transaction store, workers can be killed and restarted mid-run, and the run
//! ends with an audit of the store against the emulator.

mod audit;
mod report;
mod worker;

use std::error::Error;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;
use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};
use toss_sign::DataKey;

use self::report::{Summary, WorkerReport};
use self::worker::{Durable, WorkerConfig};
use crate::backend::crypto_provider;
use crate::cli::LoadArgs;

type CommandResult = Result<String, Box<dyn Error>>;

/// Where `--client-secret` is read from when it is not given (clap's `env`).
const CLIENT_SECRET_ENV: &str = toss_sign::env::CLIENT_SECRET;

/// The data key (and older ones, comma-separated) a store run seals personal data with.
const DATA_KEY_ENV: &str = toss_sign::env::DATA_KEY;
const DATA_KEY_PREVIOUS_ENV: &str = toss_sign::env::DATA_KEY_PREVIOUS;
/// Where `--store` is read from when it is not given.
const STORE_ENV: &str = toss_sign::env::STORE;

/// How long the embedded emulator remembers finished transactions in a store run: longer
/// than any run, so that the audit sees every one.
const AUDIT_RETENTION: Duration = Duration::from_secs(7200);

/// The pause between two kills is drawn from this range, in milliseconds.
const KILL_PAUSE_MS: std::ops::Range<u64> = 300..1500;

pub(crate) async fn run(mut args: LoadArgs) -> CommandResult {
    if args.worker {
        let report = worker::run(&WorkerConfig::from_stdin().await?).await?;
        return Ok(serde_json::to_string(&report)?);
    }
    if args.kill_workers > 0 && (args.processes < 2 || args.store.is_none()) {
        return Err("--kill-workers needs --store and --processes 2 or more".into());
    }
    let durable = match &args.store {
        Some(location) => Some(durable(location, args.key_prefix.as_deref(), args.flows)?),
        None => None,
    };
    // The emulator lives as long as this function when it is embedded.
    let emulator = match &args.base_url {
        Some(_) => None,
        None => {
            let mut builder = Emulator::builder()
                .rsa_bits(args.rsa_bits)
                .user_behaviour(UserBehaviour::completes(Duration::ZERO, Duration::ZERO))
                .client_credentials(args.client_id.clone(), args.client_secret.clone());
            if durable.is_some() {
                builder = builder.retention(AUDIT_RETENTION);
            }
            let handle = builder.start().await?;
            args.base_url = Some(handle.base_url().to_owned());
            args.public_key = Some(handle.public_key_base64().to_owned());
            Some(handle)
        }
    };
    if args.redis.is_some() && args.namespace.is_none() {
        args.namespace = Some(format!("load-{}", std::process::id()));
    }
    // The parent's own client, for the audit; opening its store first creates the schema
    // once, before the workers race to.
    let auditor = match &durable {
        Some(durable) => {
            let config = WorkerConfig::new(&args, 0, 1).with_durable(Some(durable.clone()));
            let client = worker::client(&config).await?;
            client.tx_store().await?;
            Some(client)
        }
        None => None,
    };
    // An emulator running elsewhere may have served earlier runs: count this run's tokens.
    let tokens_before = tokens_issued(emulator.as_ref(), &args).await;
    let started = Instant::now();
    let kills = Arc::new(AtomicU64::new(0));
    let flows = async {
        if args.processes <= 1 {
            let config = WorkerConfig::new(&args, args.flows, args.concurrency)
                .with_durable(durable.clone());
            Ok(vec![worker::run(&config).await?])
        } else {
            run_processes(&args, durable.as_ref(), &kills).await
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
    let mut summary = Summary::new(&args, &reports, wall, tokens_issued, emulator.is_some());
    if let (Some(client), Some(durable)) = (auditor, &durable) {
        let run = audit::Run {
            key_prefix: &durable.key_prefix,
            flows: args.flows,
            kills: kills.load(Ordering::SeqCst),
            third_fetch_errors: summary.third_fetch_errors(),
            deadline: (started + Duration::from_secs(args.max_seconds)).into(),
        };
        let base_url = args.base_url.clone().unwrap_or_default();
        let listing = || async {
            match emulator.as_ref() {
                Some(handle) => Ok(handle.transactions()),
                None => worker::remote_transactions(&base_url).await,
            }
        };
        summary.set_audit(audit::audit(client, &run, listing).await?);
    }
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

/// The store settings of a run at `location`: the data key from the environment, else one
/// made for the run, and the keys' prefix.
fn durable(location: &str, prefix: Option<&str>, flows: usize) -> Result<Durable, Box<dyn Error>> {
    let mut data_keys = Vec::new();
    match std::env::var(DATA_KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        Some(current) => {
            // Checked here, once, rather than in every worker; the error never quotes it.
            DataKey::from_base64_with_provider(current.trim(), crypto_provider())?;
            data_keys.push(current.trim().to_owned());
            if let Ok(previous) = std::env::var(DATA_KEY_PREVIOUS_ENV) {
                for key in previous.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                    DataKey::from_base64_with_provider(key, crypto_provider())?;
                    data_keys.push(key.to_owned());
                }
            }
        }
        None => data_keys.push(
            DataKey::generate_with_provider(crypto_provider())?
                .to_base64()
                .as_str()
                .to_owned(),
        ),
    }
    let key_prefix = match prefix {
        Some(prefix) => prefix.to_owned(),
        None => format!("load-{:012x}", random_u64() >> 16),
    };
    // The longest key of the run, checked before anything is sent.
    toss_sign::runtime::tx::IdempotencyKey::new(format!("{key_prefix}-{flows}"))
        .map_err(|e| format!("--key-prefix makes keys that are not valid: {e}"))?;
    Ok(Durable {
        location: location.to_owned(),
        data_keys,
        key_prefix,
        first_flow: 0,
    })
}

/// Splits the flows between `processes` copies of this binary, run as workers. Each gets
/// its share on stdin: nothing but `load --worker` is on its command line. With
/// `--kill-workers`, random workers are killed during the run and restarted with the same
/// share; a restarted worker's report stands for its share.
async fn run_processes(
    args: &LoadArgs,
    durable: Option<&Durable>,
    kills: &Arc<AtomicU64>,
) -> Result<Vec<WorkerReport>, Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let processes = args.processes;
    let mut first_flow = 0;
    let mut supervisors = tokio::task::JoinSet::new();
    let mut killers = Vec::with_capacity(processes);
    for index in 0..processes {
        let flows = args.flows / processes + usize::from(index < args.flows % processes);
        let concurrency = (args.concurrency / processes).max(1);
        let share = durable.map(|d| Durable {
            first_flow,
            ..d.clone()
        });
        first_flow += flows;
        let mut config = serde_json::to_string(
            &WorkerConfig::new(args, flows, concurrency).with_durable(share),
        )?;
        config.push('\n');
        let (kill, killed) = mpsc::channel(1);
        killers.push(kill);
        let (exe, kills) = (exe.clone(), kills.clone());
        supervisors.spawn(async move {
            // Only the message crosses the task: the error itself need not be `Send`.
            let report = supervise(&exe, &config, killed, &kills)
                .await
                .map_err(|e| e.to_string());
            (index, report)
        });
    }
    let killing = kill_randomly(killers, args.kill_workers);
    let collecting = async {
        let mut reports: Vec<Option<WorkerReport>> = (0..processes).map(|_| None).collect();
        while let Some(joined) = supervisors.join_next().await {
            let (index, report) = joined?;
            reports[index] = Some(report?);
        }
        Ok::<_, Box<dyn Error>>(reports.into_iter().flatten().collect())
    };
    // The killer stops by itself once every worker is done (their channels closed).
    let ((), reports) = tokio::join!(killing, collecting);
    reports
}

/// Runs one worker with `config` until it reports; a message on `killed` SIGKILLs it and
/// starts it again with the same share.
async fn supervise(
    exe: &std::path::Path,
    config: &str,
    mut killed: mpsc::Receiver<()>,
    kills: &AtomicU64,
) -> Result<WorkerReport, Box<dyn Error>> {
    loop {
        let mut child = tokio::process::Command::new(exe)
            .args(["load", "--worker"])
            // The worker has its secrets from stdin; inherited copies would only widen who
            // can read them (/proc/<pid>/environ).
            .env_remove(CLIENT_SECRET_ENV)
            .env_remove(DATA_KEY_ENV)
            .env_remove(DATA_KEY_PREVIOUS_ENV)
            .env_remove(STORE_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let mut stdin = child.stdin.take().ok_or("a load worker has no stdin")?;
        stdin.write_all(config.as_bytes()).await?;
        // Closed: the worker reads one line.
        drop(stdin);
        let mut stdout = child.stdout.take().ok_or("a load worker has no stdout")?;
        // Read while the worker runs, so that a long report never fills the pipe.
        let reading = tokio::spawn(async move {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).await.map(|_| out)
        });
        tokio::select! {
            // A worker that has exited is not killed: its report stands.
            biased;
            status = child.wait() => {
                let status = status?;
                if !status.success() {
                    return Err(format!("a load worker failed ({status})").into());
                }
                let out = reading.await??;
                return Ok(serde_json::from_slice(&out)?);
            }
            Some(()) = killed.recv() => {
                child.start_kill()?;
                child.wait().await?;
                // What a killed worker printed, if anything, is not its share's report.
                reading.abort();
                kills.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// Sends `kills` kill orders, each after a random pause, each to a random worker still
/// running; stops early when none is.
async fn kill_randomly(mut workers: Vec<mpsc::Sender<()>>, kills: usize) {
    for _ in 0..kills {
        let pause = KILL_PAUSE_MS.start + random_u64() % (KILL_PAUSE_MS.end - KILL_PAUSE_MS.start);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        loop {
            workers.retain(|worker| !worker.is_closed());
            if workers.is_empty() {
                return;
            }
            let pick = usize::try_from(random_u64() % workers.len() as u64).unwrap_or(0);
            // A full channel: that worker has an order it has not acted on yet.
            if workers[pick].try_send(()).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A random number from std's per-process hasher keys, the time and a counter: enough for
/// when to kill whom and for a run id, no secret.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
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
            "--store",
            "postgres://app:pg-pa55word@127.0.0.1:5432/tx",
        ])
        .unwrap();
        let Command::Load(args) = cli.command else {
            panic!("not load")
        };
        let location = args.store.as_deref().unwrap();
        let durable = durable(location, Some("run-1"), 10).unwrap();
        let data_key = durable.data_keys[0].clone();
        let config = WorkerConfig::new(&args, 10, 2).with_durable(Some(durable));
        for debug in [format!("{args:?}"), format!("{config:?}")] {
            assert!(!debug.contains("s3cret"), "{debug}");
            assert!(!debug.contains("pa55word"), "{debug}");
            assert!(!debug.contains(&data_key), "{debug}");
            assert!(debug.contains("<redacted>"), "{debug}");
        }
        // What a worker gets on stdin does carry them.
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("test_s3cret-of-this-test") && json.contains("redis-pa55word"));
        assert!(json.contains("pg-pa55word") && json.contains(&data_key));
    }

    #[test]
    fn a_store_run_keys_its_flows_by_prefix() {
        let keyed = durable("fleet.sqlite", Some("order"), 3).unwrap();
        assert_eq!(keyed.key(0), "order-0");
        let generated = durable("fleet.sqlite", None, 3).unwrap();
        assert!(
            generated.key_prefix.starts_with("load-"),
            "{}",
            generated.key_prefix
        );
        assert!(durable("fleet.sqlite", Some("has space"), 3).is_err());
    }
}
