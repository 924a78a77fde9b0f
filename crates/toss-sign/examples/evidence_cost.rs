//! What the evidence step costs per flow: the certificate check, the CRL (cached until its
//! nextUpdate, or fetched every time) and a timestamp (or none), against an embedded
//! emulator over HTTP on 127.0.0.1; and what verifying with the evidence adds.
//!
//! Makes `--signed` completed results first (not measured), then for each configuration
//! collects evidence `--rounds` times, one at a time, round robin over the results, and
//! prints one JSON line per configuration: wall time per collection (mean, p50, p99) and
//! the process's CPU per collection. Then the CPU of `Client::verify` per result without
//! evidence and with it (CRL signature, revocation, timestamp token).
//!
//! The emulator runs in this process (its CPU then counts too), or in its own with
//! `--base-url`, `--public-key` and `--ca-file` (a `tosscert emulator serve` whose users
//! sign at once, `--write-ca-cert` giving the file): then only the client's CPU counts.
//!
//! ```text
//! cargo run --release -p toss-sign --example evidence_cost -- --rounds 2000
//! tosscert emulator serve --listen 127.0.0.1:18957 --open-after-ms 0 --complete-after-ms 0 --write-ca-cert /tmp/ca.pem &
//! cargo run --release -p toss-sign --example evidence_cost -- --rounds 2000 \
//!     --base-url http://127.0.0.1:18957 --public-key <the key it printed> --ca-file /tmp/ca.pem
//! ```

use std::error::Error;
use std::time::{Duration, Instant};

use time::macros::date;
use toss_emulator::{Emulator, EmulatorHandle, UserBehaviour};
use toss_sign::{
    Client, ClientBuilder, Document, Environment, SignatureRequest, SignedDocument, Signer,
    TrustAnchors,
};

struct Args {
    signed: usize,
    rounds: usize,
    /// An emulator in another process: its base URL, public key and CA certificate file.
    external: Option<(String, String, String)>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        signed: 100,
        rounds: 2000,
        external: None,
    };
    let (mut base_url, mut public_key, mut ca_file) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: a number"))
        };
        match flag.as_str() {
            "--signed" => args.signed = number()?.max(1),
            "--rounds" => args.rounds = number()?.max(1),
            "--base-url" => base_url = Some(value),
            "--public-key" => public_key = Some(value),
            "--ca-file" => ca_file = Some(value),
            other => return Err(format!("unknown option {other}")),
        }
    }
    args.external = match (base_url, public_key, ca_file) {
        (Some(url), Some(key), Some(ca)) => Some((url, key, ca)),
        (None, None, None) => None,
        _ => return Err("--base-url, --public-key and --ca-file go together".into()),
    };
    Ok(args)
}

/// Where the emulator is and what a client of it needs.
struct Target {
    base_url: String,
    public_key: String,
    ca_pem: String,
}

impl Target {
    fn builder(&self) -> Result<ClientBuilder, Box<dyn Error>> {
        Ok(Client::builder()
            .client_id(toss_emulator::DEFAULT_CLIENT_ID)
            .client_secret(toss_emulator::DEFAULT_CLIENT_SECRET)
            .environment(Environment::single_host(self.base_url.as_str()))
            .public_key(self.public_key.as_str())
            .trust_anchors(TrustAnchors::from_pem(&self.ca_pem)?))
    }

    fn tsa_url(&self) -> String {
        format!("{}/tsa", self.base_url.trim_end_matches('/'))
    }
}

/// The process's CPU time (user and system, every thread), from /proc in clock ticks of
/// 10 ms: fine over the seconds a configuration runs.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    // After the command name: state is field 3, utime 14 and stime 15 (1-based).
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(14) + ticks(15)) * 10)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    let embedded: Option<EmulatorHandle> = match args.external {
        Some(_) => None,
        None => Some(
            Emulator::builder()
                .rsa_bits(2048)
                .user_behaviour(UserBehaviour::Manual)
                .retention(Duration::from_secs(7200))
                .start()
                .await?,
        ),
    };
    let target = match (&embedded, &args.external) {
        (Some(emulator), _) => Target {
            base_url: emulator.base_url().to_owned(),
            public_key: emulator.public_key_base64().to_owned(),
            ca_pem: emulator.ca_certificate_pem().to_owned(),
        },
        (None, Some((base_url, public_key, ca_file))) => Target {
            base_url: base_url.clone(),
            public_key: public_key.clone(),
            ca_pem: std::fs::read_to_string(ca_file)?,
        },
        (None, None) => return Err("no emulator".into()),
    };
    let setup = target.builder()?.build()?;
    let mut results: Vec<SignedDocument> = Vec::with_capacity(args.signed);
    for i in 0..args.signed {
        let request = SignatureRequest::builder()
            .signer(Signer::personal(
                "김토스",
                "01012345678",
                date!(1993 - 03 - 24),
            )?)
            .document(Document::text(format!("동의서 {i}"))?)
            .service_name("evidence cost")
            .title(format!("evidence cost {i}"))
            .build()?;
        let requested = setup.request_signature(&request).await?;
        match &embedded {
            Some(emulator) => {
                emulator.complete(requested.tx_id.as_str())?;
            }
            None => {
                setup
                    .wait(&requested.tx_id, &toss_sign::PollPolicy::default(), |_| {})
                    .await?;
            }
        }
        results.push(setup.result(&requested.tx_id).await?);
    }

    for (name, cache, tsa) in [
        ("crl cached, no timestamp", true, false),
        ("crl fetched, no timestamp", false, false),
        ("crl cached, timestamp", true, true),
        ("crl fetched, timestamp", false, true),
    ] {
        let mut builder = target.builder()?.cache_crls(cache);
        if tsa {
            builder = builder.tsa_url(target.tsa_url());
        }
        let client = builder.build()?;
        // Warm: a token, connections, the cached CRL.
        client.collect_evidence(&results[0]).await?;
        let mut times = Vec::with_capacity(args.rounds);
        let cpu_before = cpu();
        let started = Instant::now();
        for round in 0..args.rounds {
            let signed = &results[round % results.len()];
            let at = Instant::now();
            let evidence = client.collect_evidence(signed).await?;
            times.push(at.elapsed());
            if !evidence.gaps.is_empty() || evidence.timestamp.is_some() != tsa {
                return Err(format!("{name}: incomplete evidence {:?}", evidence.gaps).into());
            }
        }
        let wall = started.elapsed();
        let cpu_used = cpu().saturating_sub(cpu_before);
        times.sort();
        println!(
            "{}",
            serde_json::json!({
                "config": name,
                "collections": args.rounds,
                "wall_ms_mean": wall.as_secs_f64() * 1e3 / args.rounds as f64,
                "wall_ms_p50": percentile(&times, 0.5),
                "wall_ms_p99": percentile(&times, 0.99),
                "cpu_ms_per_collection": cpu_used.as_secs_f64() * 1e3 / args.rounds as f64,
            })
        );
    }

    // Verification, offline: without evidence, and with a CRL and a timestamp.
    let client = target.builder()?.tsa_url(target.tsa_url()).build()?;
    let mut with_evidence = Vec::with_capacity(results.len());
    for signed in &results {
        let mut signed = signed.clone();
        signed.evidence = Some(client.collect_evidence(&signed).await?);
        with_evidence.push(signed);
    }
    for (name, set) in [
        ("verify", &results),
        ("verify with evidence", &with_evidence),
    ] {
        let rounds = args.rounds * 5;
        let cpu_before = cpu();
        for round in 0..rounds {
            client.verify(&set[round % set.len()])?;
        }
        let cpu_used = cpu().saturating_sub(cpu_before);
        println!(
            "{}",
            serde_json::json!({
                "config": name,
                "verifications": rounds,
                "cpu_us_per_verification": cpu_used.as_secs_f64() * 1e6 / rounds as f64,
            })
        );
    }
    if let Some(emulator) = embedded {
        emulator.shutdown().await?;
    }
    Ok(())
}
