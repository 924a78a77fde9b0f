//! One process's share of the load: flows on a bounded number of tasks.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use time::macros::date;
use toss_emulator::Stats;
use toss_sign::{
    Client, DataKey, DataKeyRing, Document, Environment, PollPolicy, SignatureRequest, Signer,
    TokenStore, Trigger,
};
use toss_transport::{HttpRequest, HttpTransport};

use clap::ValueEnum as _;
use serde::{Deserialize, Serialize};

use super::report::{FlowOutcome, WorkerReport, error_kind};
use crate::backend::{choices, crypto_provider, transport_settings};
use crate::cli::{EvidenceArg, LoadArgs, TransportArg};
use toss_sign::HttpBackend;

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
    /// With a transaction store: where it is, under which keys, from which flow on.
    #[serde(default)]
    durable: Option<Durable>,
    /// The evidence collected after each result (with a store).
    evidence: EvidenceArg,
    /// The TSA that stamps each signature (with a store).
    #[serde(default)]
    tsa_url: Option<String>,
}

/// A worker's transaction store settings.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct Durable {
    /// A SQLite path or a postgres:// URL, which may carry a password.
    pub(super) location: String,
    /// Base64 data keys, the current one first: secrets, only ever on stdin.
    pub(super) data_keys: Vec<String>,
    pub(super) key_prefix: String,
    /// The global index of this share's first flow: keys stay the same across restarts.
    pub(super) first_flow: usize,
}

impl Durable {
    /// Flow `index`'s idempotency key.
    pub(super) fn key(&self, index: usize) -> String {
        format!("{}-{index}", self.key_prefix)
    }

    fn data_keys(&self) -> Result<DataKeyRing, Box<dyn Error>> {
        let mut keys = self.data_keys.iter();
        let current = keys.next().ok_or("a transaction store needs a data key")?;
        // toss-crypto's errors never quote the key.
        let mut ring = DataKeyRing::new(DataKey::from_base64_with_provider(
            current,
            crypto_provider(),
        )?);
        for previous in keys {
            ring = ring.with_previous(DataKey::from_base64_with_provider(
                previous,
                crypto_provider(),
            )?)?;
        }
        Ok(ring)
    }
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
            durable: None,
            evidence: args.evidence,
            tsa_url: args.tsa_url.clone(),
        }
    }

    /// With the transaction store settings of `durable` (the share's own `first_flow`).
    pub(super) fn with_durable(mut self, durable: Option<Durable>) -> Self {
        self.durable = durable;
        self
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
            .field("store", &self.durable.as_ref().map(|_| "<redacted>"))
            .field(
                "key_prefix",
                &self.durable.as_ref().map(|d| d.key_prefix.as_str()),
            )
            .finish()
    }
}

pub(super) async fn run(args: &WorkerConfig) -> Result<WorkerReport, Box<dyn Error>> {
    let client = client(args).await?;
    let request = Arc::new(load_request(None)?);
    let durable = Arc::new(args.durable.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1).min(args.flows.max(1)) {
        let (client, request, next) = (client.clone(), request.clone(), next.clone());
        let durable = durable.clone();
        let flows = args.flows;
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= flows {
                    break;
                }
                let outcome = match durable.as_ref() {
                    // Each flow its own key, also in the title, where the emulator's
                    // listing shows it.
                    Some(durable) => {
                        match load_request(Some(&durable.key(durable.first_flow + index))) {
                            Ok(keyed) => flow(&client, &keyed).await,
                            Err(error) => FlowOutcome::Failed(error_kind(&error)),
                        }
                    }
                    None => flow(&client, &request).await,
                };
                outcomes.push(outcome);
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

/// The load's sign request; with an idempotency key, keyed and titled `load <key>`.
fn load_request(key: Option<&str>) -> Result<SignatureRequest, toss_sign::Error> {
    let mut builder = SignatureRequest::builder()
        .signer(Signer::personal(
            "홍길동",
            "010-0000-0000",
            date!(1990 - 01 - 01),
        )?)
        .trigger(Trigger::Push)
        .document(Document::text("부하 시험용 동의서")?)
        .service_name("toss-cert load");
    builder = match key {
        Some(key) => builder.title(format!("load {key}")).idempotency_key(key),
        None => builder.title("동의서"),
    };
    builder.build()
}

/// How often a flow asks again for a result another process's lease holds: that lease
/// lapses by itself when its holder was killed.
const RESULT_BUSY_RETRIES: u32 = 3;

async fn flow(client: &Client, request: &SignatureRequest) -> FlowOutcome {
    let started = Instant::now();
    let policy = PollPolicy::new()
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(120));
    let result = async {
        let requested = client.request_signature(request).await?;
        // A flow a killed predecessor finished returns from the store: no status call.
        client.wait(&requested.tx_id, &policy, |_| {}).await?;
        let mut attempt = 0;
        loop {
            match client.result(&requested.tx_id).await {
                Err(toss_sign::Error::ResultBusy { .. }) if attempt < RESULT_BUSY_RETRIES => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
    .await;
    match result {
        Ok(signed) => FlowOutcome::Completed {
            tx_id: signed.tx_id.as_str().to_owned(),
            latency: started.elapsed(),
        },
        // Only a killed predecessor leaves an intent under this share's keys (the shares'
        // keys are disjoint): like a send of unknown outcome, it is the reconciler's to
        // mark, and is never sent again.
        Err(toss_sign::Error::OutcomeUnknown { .. } | toss_sign::Error::RequestInFlight { .. }) => {
            FlowOutcome::OutcomeUnknown
        }
        Err(error) => FlowOutcome::Failed(error_kind(&error)),
    }
}

/// The result lease with a store: a killed worker's lease then lapses within a run, not
/// half a minute later (the emulator answers in milliseconds).
const DURABLE_RESULT_LEASE: Duration = Duration::from_secs(5);

pub(super) async fn client(args: &WorkerConfig) -> Result<Client, Box<dyn Error>> {
    let base_url = args.base_url.as_deref().ok_or("--base-url is required")?;
    let backend = match args.transport()? {
        TransportArg::Hyper => HttpBackend::Hyper,
        _ => HttpBackend::Reqwest,
    };
    let mut builder = choices(Client::builder(), backend)
        .client_id(args.client_id.as_str())
        .client_secret(args.client_secret.as_str())
        .environment(Environment::single_host(base_url));
    if let Some(key) = &args.public_key {
        builder = builder.public_key(key.as_str());
    }
    if let Some(url) = &args.redis {
        let namespace = args.namespace.clone().unwrap_or_else(|| "load".into());
        let store = toss_token_redis::RedisTokenStore::builder(url.as_str())
            .namespace(namespace)
            .connect()
            .await?;
        builder = builder.token_store(Arc::new(store) as Arc<dyn TokenStore>);
    }
    if let Some(durable) = &args.durable {
        builder = builder
            .store_location(durable.location.as_str())
            .data_key(durable.data_keys()?)
            .result_lease_ttl(DURABLE_RESULT_LEASE)
            .collect_evidence(args.evidence != EvidenceArg::Off)
            .cache_crls(args.evidence != EvidenceArg::Uncached);
        if let Some(url) = &args.tsa_url {
            builder = builder.tsa_url(url.as_str());
        }
    }
    Ok(builder.build()?)
}

/// `GET /emulator/v1/stats` of an emulator running elsewhere; none if it is not one.
pub(super) async fn remote_stats(base_url: &str) -> Option<Stats> {
    let transport = toss_transport::default_transport(&transport_settings().build()).ok()?;
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

/// `GET /emulator/v1/transactions` of an emulator running elsewhere.
pub(super) async fn remote_transactions(
    base_url: &str,
) -> Result<toss_emulator::TransactionList, Box<dyn Error>> {
    // Every transaction the emulator remembers, about 300 bytes each: far above the 1 MiB
    // a provider answer may take, after a few runs against one emulator.
    const LISTING_LIMIT: usize = 512 * 1024 * 1024;
    let settings = transport_settings()
        .max_response_body(LISTING_LIMIT)
        .request_timeout(Duration::from_secs(120))
        .build();
    let transport = toss_transport::default_transport(&settings)?;
    let url = format!(
        "{}/emulator/v1/transactions",
        base_url.trim_end_matches('/')
    );
    let response = transport.send(HttpRequest::get(&url).build()?).await?;
    if !response.status().is_success() {
        return Err(format!(
            "the emulator's transaction list answered HTTP {}",
            response.status().as_u16()
        )
        .into());
    }
    Ok(serde_json::from_slice(response.body())?)
}
