//! `cargo xtask bench-session`: `session_new` with the default backend against Node's
//! `crypto`, alternately in one sitting, so machine noise hits both alike.

use std::fs;

use crate::run::{output, root, run as run_cmd};

const CRITERION_ID: &str = "session_new/aws-lc/aes-gcm";

pub(crate) fn run(seconds: u32, rounds: u32) -> Result<(), String> {
    let mut node = Vec::new();
    let mut rust = Vec::new();
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}");
        node.push(node_ns(seconds)?);
        rust.push(rust_ns(seconds)?);
    }
    let node_best = min(&node);
    let rust_best = min(&rust);
    println!("session_new (AES_GCM, provider RSA-4096 key), best of {rounds} alternating rounds:");
    println!(
        "  toss-crypto aws-lc  {:>10.0} ns/op   (rounds: {})",
        rust_best,
        list(&rust)
    );
    println!(
        "  node crypto         {:>10.0} ns/op   (rounds: {})",
        node_best,
        list(&node)
    );
    println!("  ratio rust/node     {:>10.3}", rust_best / node_best);
    Ok(())
}

fn node_ns(seconds: u32) -> Result<f64, String> {
    let script = root().join("xtask/peers/node_session.js");
    let line = output(
        "node",
        &[&script.display().to_string(), &seconds.to_string()],
    )?;
    let value: f64 = line
        .split("\"ns_per_op\":")
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("unexpected node output: {line}"))?;
    Ok(value)
}

fn rust_ns(seconds: u32) -> Result<f64, String> {
    let time = seconds.to_string();
    run_cmd(
        "cargo",
        &[
            "bench",
            "-p",
            "toss-crypto",
            "--bench",
            "session",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            &time,
            "--noplot",
            CRITERION_ID,
        ],
        &[],
    )?;
    let estimates = root()
        .join("target/criterion")
        .join(CRITERION_ID)
        .join("new/estimates.json");
    let text = fs::read_to_string(&estimates)
        .map_err(|e| format!("cannot read {}: {e}", estimates.display()))?;
    text.split("\"median\":")
        .nth(1)
        .and_then(|rest| rest.split("\"point_estimate\":").nth(1))
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no median in {}", estimates.display()))
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn list(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}
