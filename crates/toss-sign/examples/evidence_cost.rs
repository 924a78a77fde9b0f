//! What the evidence step costs per flow: the certificate check, the CRL (cached until its
//! nextUpdate, or fetched every time) and a timestamp (or none), against an embedded
//! emulator over HTTP on 127.0.0.1; and what verifying with the evidence adds.
//!
//! Makes `--signed` completed results first (not measured), then for each configuration
//! collects evidence `--rounds` times, one at a time, round robin over the results, and
//! prints one JSON line per configuration: wall time per collection (mean, p50, p99) and
//! the process's CPU per collection (client and emulator together: both run here). Then the
//! CPU of `Client::verify` per result without evidence and with it (CRL signature,
//! revocation, timestamp token).
//!
//! ```text
//! cargo run --release -p toss-sign --example evidence_cost -- --rounds 2000
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
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        signed: 100,
        rounds: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value: usize = it
            .next()
            .ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|_| format!("{flag}: a number"))?;
        match flag.as_str() {
            "--signed" => args.signed = value.max(1),
            "--rounds" => args.rounds = value.max(1),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn builder(emulator: &EmulatorHandle) -> Result<ClientBuilder, Box<dyn Error>> {
    Ok(Client::builder()
        .client_id(emulator.client_id())
        .client_secret(emulator.client_secret())
        .environment(Environment::single_host(emulator.base_url()))
        .public_key(emulator.public_key_base64())
        .trust_anchors(TrustAnchors::from_pem(emulator.ca_certificate_pem())?))
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
    let emulator = Emulator::builder()
        .rsa_bits(2048)
        .user_behaviour(UserBehaviour::Manual)
        .retention(Duration::from_secs(7200))
        .start()
        .await?;
    let setup = builder(&emulator)?.build()?;
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
        emulator.complete(requested.tx_id.as_str())?;
        results.push(setup.result(&requested.tx_id).await?);
    }

    for (name, cache, tsa) in [
        ("crl cached, no timestamp", true, false),
        ("crl fetched, no timestamp", false, false),
        ("crl cached, timestamp", true, true),
        ("crl fetched, timestamp", false, true),
    ] {
        let mut builder = builder(&emulator)?.cache_crls(cache);
        if tsa {
            builder = builder.tsa_url(emulator.tsa_url());
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
    let client = builder(&emulator)?.tsa_url(emulator.tsa_url()).build()?;
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
    emulator.shutdown().await?;
    Ok(())
}
