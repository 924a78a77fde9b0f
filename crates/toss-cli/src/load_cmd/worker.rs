//! One process's share of the load: flows on a bounded number of tasks.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use time::macros::date;
use toss_emulator::Stats;
use toss_sign::{
    Client, Document, Environment, PollPolicy, SignatureRequest, Signer, TokenStore, Trigger,
};
use toss_transport::{HttpRequest, HttpTransport, TransportSettings};

use clap::ValueEnum as _;
use serde::{Deserialize, Serialize};

use super::report::{FlowOutcome, WorkerReport, error_kind};
use crate::backend::crypto_provider;
use crate::cli::{LoadArgs, TransportArg};

/// What one worker runs. A worker process gets it as one JSON line on stdin, so that the
/// client secret (and a Redis URL that may carry a password) never appear on a command
/// line, which every local user can read in `/proc/<pid>/cmdline`.
#[derive(Serialize, Deserialize)]
pub(super) struct WorkerConfig {
    pub(super) flows: usize,
    pub(super) concurrency: usize,
    client_id: String,
    client_secret: String,
    /// [`TransportArg`]'s name.
    transport: String,
    base_url: Option<String>,
    public_key: Option<String>,
    redis: Option<String>,
    namespace: Option<String>,
}

impl WorkerConfig {
    /// The whole run of `args`, or a worker's `flows` at `concurrency` of it.
    pub(super) fn new(args: &LoadArgs, flows: usize, concurrency: usize) -> Self {
        Self {
            flows,
            concurrency,
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
            transport: args.transport.name().to_owned(),
            base_url: args.base_url.clone(),
            public_key: args.public_key.clone(),
            redis: args.redis.clone(),
            namespace: args.namespace.clone(),
        }
    }

    /// Reads the configuration the parent writes on stdin, waiting at most 30 s for it.
    pub(super) async fn from_stdin() -> Result<Self, Box<dyn Error>> {
        let read = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        });
        // The thread is left to the process's exit if nothing comes.
        let line = tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .map_err(|_| "a load worker reads its configuration on stdin: none came in 30 s")???;
        // serde_json's message may quote the value it refused, a secret among them: only
        // the place is said.
        Ok(serde_json::from_str(&line).map_err(|e| {
            format!(
                "a load worker's configuration on stdin is not valid (line {}, column {})",
                e.line(),
                e.column()
            )
        })?)
    }

    fn transport(&self) -> Result<TransportArg, String> {
        TransportArg::from_str(&self.transport, false)
    }
}

impl fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("flows", &self.flows)
            .field("concurrency", &self.concurrency)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("transport", &self.transport)
            .field("base_url", &self.base_url)
            .field("public_key", &self.public_key.as_ref().map(String::len))
            .field("redis", &self.redis.as_ref().map(|_| "<redacted>"))
            .field("namespace", &self.namespace)
            .finish()
    }
}

pub(super) async fn run(args: &WorkerConfig) -> Result<WorkerReport, Box<dyn Error>> {
    let client = client(args).await?;
    let request = Arc::new(
        SignatureRequest::builder()
            .signer(Signer::personal(
                "홍길동",
                "010-0000-0000",
                date!(1990 - 01 - 01),
            ))
            .trigger(Trigger::Push)
            .document(Document::text("부하 시험용 동의서"))
            .service_name("toss-cert load")
            .title("동의서")
            .build()?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1).min(args.flows.max(1)) {
        let (client, request, next) = (client.clone(), request.clone(), next.clone());
        let flows = args.flows;
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            while next.fetch_add(1, Ordering::SeqCst) < flows {
                outcomes.push(flow(&client, &request).await);
            }
            outcomes
        });
    }
    let mut outcomes = Vec::with_capacity(args.flows);
    while let Some(joined) = tasks.join_next().await {
        outcomes.extend(joined?);
    }
    Ok(WorkerReport::new(
        outcomes,
        started.elapsed(),
        cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before),
    ))
}

async fn flow(client: &Client, request: &SignatureRequest) -> FlowOutcome {
    let started = Instant::now();
    let policy = PollPolicy::new()
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(120));
    let result = async {
        let requested = client.request_signature(request).await?;
        client.wait(&requested.tx_id, &policy, |_| {}).await?;
        client.result(&requested.tx_id).await
    }
    .await;
    match result {
        Ok(signed) => FlowOutcome::Completed {
            tx_id: signed.tx_id.as_str().to_owned(),
            latency: started.elapsed(),
        },
        Err(error) => FlowOutcome::Failed(error_kind(&error)),
    }
}

async fn client(args: &WorkerConfig) -> Result<Client, Box<dyn Error>> {
    let base_url = args.base_url.as_deref().ok_or("--base-url is required")?;
    let mut builder = Client::builder()
        .client_id(args.client_id.as_str())
        .client_secret(args.client_secret.as_str())
        .environment(Environment::single_host(base_url))
        .crypto_provider(crypto_provider());
    if let Some(key) = &args.public_key {
        builder = builder.public_key(key.as_str());
    }
    if args.transport()? == TransportArg::Hyper {
        builder = builder.transport(toss_transport::HyperTransport::new(
            &TransportSettings::default(),
        )?);
    }
    if let Some(url) = &args.redis {
        let namespace = args.namespace.clone().unwrap_or_else(|| "load".into());
        let store = toss_token_redis::RedisTokenStore::builder(url.as_str())
            .namespace(namespace)
            .connect()
            .await?;
        builder = builder.token_store(Arc::new(store) as Arc<dyn TokenStore>);
    }
    Ok(builder.build()?)
}

/// `GET /emulator/v1/stats` of an emulator running elsewhere; none if it is not one.
pub(super) async fn remote_stats(base_url: &str) -> Option<Stats> {
    let transport = toss_transport::default_transport(&TransportSettings::default()).ok()?;
    let url = format!("{}/emulator/v1/stats", base_url.trim_end_matches('/'));
    let response = transport
        .send(HttpRequest::get(&url).build().ok()?)
        .await
        .ok()?;
    serde_json::from_slice(response.body()).ok()
}

/// User plus system CPU time of every thread of this process so far, to the nanosecond.
#[cfg(unix)]
fn cpu_seconds() -> Option<f64> {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Some(now.tv_sec as f64 + now.tv_nsec as f64 / 1e9)
}

/// Not measured where there is no process CPU clock.
#[cfg(not(unix))]
fn cpu_seconds() -> Option<f64> {
    None
}
