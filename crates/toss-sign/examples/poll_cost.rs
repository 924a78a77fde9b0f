//! What polling costs: status calls per completed flow, and the delay between the user
//! signing and the proof being stored, for users who sign 20–60 s after the request.
//!
//! Runs an embedded emulator whose users do nothing by themselves; for each of `--users`
//! requests (spread over the first 10 s) the driver signs for the user at a uniformly random
//! moment 20–60 s after the request, the way a person does in the Toss app. Then one of:
//!
//! - `--mode wait`: every flow runs `sign_and_wait` with the default `PollPolicy` (today's
//!   way: a task per waiting user);
//! - `--mode reconciler`: requests are written ahead to a SQLite store and one
//!   [`Reconciler`] with [`Schedule::polling`] finds completions by polling;
//! - `--mode notify`: the same with [`Schedule::with_notify`], the driver calling
//!   `notify_returned` the moment the user has signed (the successCallbackUrl).
//!
//! The store is a SQLite file in a temporary directory, or with `--store memory` the
//! in-memory one (to tell the store's share of the delay from the schedule's).
//!
//! Prints one JSON line: status calls per completed flow, and the added delay (from the
//! user's signature to the stored proof) at p50, p99 and max.
//!
//! ```text
//! cargo run --release -p toss-sign --example poll_cost -- --mode notify --users 1000
//! ```

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::date;
use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};
use toss_sign::runtime::tx::TxStore;
use toss_sign::tx_store::{MemoryTxStore, SqliteTxStore};
use toss_sign::{
    Client, ClientBuilder, DataKey, Document, Environment, PollPolicy, Reconciler, Schedule,
    SignatureRequest, Signer,
};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Wait,
    Reconciler,
    Notify,
}

struct Args {
    mode: Mode,
    users: usize,
    budget: f64,
    memory: bool,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        mode: Mode::Reconciler,
        users: 1000,
        budget: 200.0,
        memory: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--mode" => {
                args.mode = match value.as_str() {
                    "wait" => Mode::Wait,
                    "reconciler" => Mode::Reconciler,
                    "notify" => Mode::Notify,
                    other => return Err(format!("unknown mode {other}")),
                }
            }
            "--users" => args.users = value.parse().map_err(|_| "--users: a number")?,
            "--budget" => args.budget = value.parse().map_err(|_| "--budget: a number")?,
            "--store" => args.memory = value == "memory",
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn request(i: usize, keyed: bool) -> Result<SignatureRequest, toss_sign::Error> {
    let builder = SignatureRequest::builder()
        .signer(Signer::personal(
            "김토스",
            "01012345678",
            date!(1993 - 03 - 24),
        )?)
        .document(Document::text(format!("동의서 {i}"))?)
        .service_name("poll cost")
        .title(format!("poll cost {i}"))
        .expires_in(Duration::from_secs(600));
    if keyed {
        builder.idempotency_key(format!("poll-{i}")).build()
    } else {
        builder.build()
    }
}

fn builder(emulator: &EmulatorHandle) -> ClientBuilder {
    Client::builder()
        .client_id(emulator.client_id())
        .client_secret(emulator.client_secret())
        .environment(Environment::single_host(emulator.base_url()))
        .public_key(emulator.public_key_base64())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    let emulator = Arc::new(
        Emulator::builder()
            .rsa_bits(2048)
            .user_behaviour(UserBehaviour::Manual)
            .retention(Duration::from_secs(7200))
            .start()
            .await?,
    );
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn TxStore> = if args.memory {
        Arc::new(MemoryTxStore::new())
    } else {
        Arc::new(SqliteTxStore::open(dir.path().join("tx.db").to_str().ok_or("path")?).await?)
    };
    let client = if args.mode == Mode::Wait {
        builder(&emulator).build()?
    } else {
        builder(&emulator)
            .store(store.clone())
            .data_key(DataKey::generate()?)
            .build()?
    };
    let reconciler = match args.mode {
        Mode::Wait => None,
        Mode::Reconciler => Some(Schedule::polling()),
        Mode::Notify => Some(Schedule::with_notify()),
    }
    .map(|schedule| {
        Reconciler::builder(client.clone())
            .schedule(schedule)
            .status_budget(args.budget)
            .idle_interval(Duration::from_millis(200))
            .build()
    })
    .transpose()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = reconciler.clone().map(|r| {
        tokio::spawn(async move {
            let _ = r.run(stopped).await;
        })
    });

    let started = Instant::now();
    let spread = Duration::from_secs(10);
    let mut flows = tokio::task::JoinSet::new();
    for i in 0..args.users {
        let client = client.clone();
        let emulator = emulator.clone();
        let reconciler = reconciler.clone();
        let notify = args.mode == Mode::Notify;
        let offset = spread.mul_f64(i as f64 / args.users as f64);
        let sign_after = Duration::from_secs_f64(20.0 + 40.0 * fastrand::f64());
        flows.spawn(async move {
            tokio::time::sleep_until((started + offset).into()).await;
            let requested = client
                .request_signature(&request(i, reconciler.is_some())?)
                .await?;
            let tx = requested.tx_id.clone();
            let waiter = (reconciler.is_none()).then(|| {
                let client = client.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    client.wait(&tx, &PollPolicy::default(), |_| {}).await?;
                    client.result(&tx).await?;
                    Ok::<_, toss_sign::Error>(OffsetDateTime::now_utc())
                })
            });
            tokio::time::sleep(sign_after).await;
            emulator.complete(tx.as_str())?;
            let signed_at = OffsetDateTime::now_utc();
            if let Some(reconciler) = reconciler.as_ref().filter(|_| notify) {
                reconciler.notify_returned(&tx).await?;
            }
            let done_at = match waiter {
                Some(waiter) => Some(waiter.await??),
                None => None,
            };
            Ok::<_, Box<dyn Error + Send + Sync>>((tx, signed_at, done_at))
        });
    }
    let mut signed = Vec::with_capacity(args.users);
    while let Some(flow) = flows.join_next().await {
        let flow: Result<_, Box<dyn Error>> = flow?.map_err(|e| e as Box<dyn Error>);
        signed.push(flow?);
    }
    if reconciler.is_some() {
        wait_for_results(store.as_ref(), args.users).await?;
    }
    let mut delays = Vec::with_capacity(args.users);
    for (tx, signed_at, done_at) in signed {
        let done_at = match done_at {
            Some(at) => at,
            None => result_stored_at(store.as_ref(), tx.as_str()).await?,
        };
        delays.push((done_at - signed_at).as_seconds_f64());
    }
    let _ = stop.send(());
    if let Some(running) = running {
        let _ = running.await;
    }
    delays.sort_by(f64::total_cmp);
    let pick = |q: f64| delays[((delays.len() - 1) as f64 * q).round() as usize];
    let stats = emulator.stats();
    println!(
        "{}",
        serde_json::json!({
            "mode": match args.mode { Mode::Wait => "wait", Mode::Reconciler => "reconciler", Mode::Notify => "notify" },
            "users": args.users,
            "completed": delays.len(),
            "statusCalls": stats.status_calls,
            "statusCallsPerFlow": stats.status_calls as f64 / delays.len() as f64,
            "results": stats.results,
            "addedDelaySeconds": {"p50": pick(0.5), "p99": pick(0.99), "max": pick(1.0)},
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
    Ok(())
}

/// Waits (at most 10 minutes) until the store holds `users` results, looking twice a
/// second with one query, so that watching costs the store next to nothing.
async fn wait_for_results(store: &dyn TxStore, users: usize) -> Result<(), Box<dyn Error>> {
    let filter = toss_sign::runtime::tx::ListFilter::new()
        .state(toss_sign::runtime::tx::TxState::ResultStored)
        .limit(u32::try_from(users)?);
    let deadline = Instant::now() + Duration::from_secs(600);
    while store.list(&filter).await?.len() < users {
        if Instant::now() > deadline {
            return Err("not every result was stored within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

/// When the result of `tx` was stored: its `result_stored` event (the store's clock is the
/// wall clock).
async fn result_stored_at(store: &dyn TxStore, tx: &str) -> Result<OffsetDateTime, Box<dyn Error>> {
    let id = toss_sign::runtime::tx::TxId::new(tx)?;
    let record = store
        .get_by_tx_id(&id)
        .await?
        .ok_or("a record is missing")?;
    record
        .events
        .iter()
        .find(|event| event.state == toss_sign::runtime::tx::TxState::ResultStored)
        .map(|event| event.at)
        .ok_or_else(|| "a result was not stored".into())
}
