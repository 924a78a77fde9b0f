//! `cargo xtask bench-peers`: `tosscert bench` against the same six operations in Node's
//! `crypto` and Python's `cryptography`, and against the physical limit measured with
//! `openssl speed`, each in turn, round after round, in one sitting; then writes the tables
//! into `docs/PERFORMANCE.md` between its markers.
//!
//! A missing peer (node, python3 with `cryptography`, openssl) is skipped with a note.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::process::Command;

use serde_json::Value;

use crate::run::{output, root, run as run_cmd, target_dir};

/// The operations, in the order `tosscert bench` prints them.
const OPERATIONS: [&str; 6] = [
    "session_new",
    "encrypt_name",
    "decrypt_ci",
    "prepare_sign_request",
    "open_result",
    "verify_signed_doc",
];

const FIXTURES: &str = "crates/toss-cli/src/bench_cmd";
const DOC: &str = "docs/PERFORMANCE.md";
const START: &str = "<!-- bench-peers:start (written by `cargo xtask bench-peers`) -->";
const END: &str = "<!-- bench-peers:end -->";

/// One implementation's figures over the rounds: ns per operation, by operation.
#[derive(Debug, Default)]
struct Runs {
    rounds: BTreeMap<&'static str, Vec<f64>>,
}

impl Runs {
    fn add(&mut self, json: &str) -> Result<(), String> {
        let value: Value =
            serde_json::from_str(json.trim()).map_err(|e| format!("not JSON ({e}): {json}"))?;
        for op in OPERATIONS {
            let ns = value
                .get(op)
                .and_then(|m| m.get("ns_per_op"))
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("no {op} in {json}"))?;
            self.rounds.entry(op).or_default().push(ns);
        }
        Ok(())
    }

    fn best(&self, op: &str) -> Option<f64> {
        self.rounds.get(op).map(|v| min(v))
    }
}

/// A peer: how to run it, or why it is skipped.
struct Peer {
    name: String,
    command: Option<(String, Vec<String>)>,
    note: Option<String>,
    runs: Runs,
}

/// What `openssl speed` measured, by round.
#[derive(Debug, Default)]
struct Limits {
    rsa2048_verify_ns: Vec<f64>,
    rsa4096_public_ns: Vec<f64>,
    sha256_content_ns: Vec<f64>,
    sha256_attributes_ns: Vec<f64>,
}

pub(crate) fn run(seconds: f64, rounds: u32, write: bool) -> Result<(), String> {
    if !(seconds.is_finite() && seconds > 0.0) || rounds == 0 {
        return Err("--seconds must be above 0 and --rounds at least 1".into());
    }
    run_cmd("cargo", &["build", "--release", "-p", "toss-cli"], &[])?;
    let tosscert = target_dir().join("release/tosscert");
    let secs = format!("{seconds}");
    let fixtures = root().join(FIXTURES);
    let content_len = fs::read(fixtures.join("seed_sign_result.doc.txt"))
        .map_err(|e| format!("cannot read the fixture: {e}"))?
        .len();
    let attributes_len = signed_attributes_len(&fixtures)?;

    let mut ours = Runs::default();
    let mut peers = vec![node_peer(&secs), python_peer(&secs)];
    // "OpenSSL 3.0.19 27 Jan 2026 (Library: ...)": the name and version.
    let openssl = version("openssl", &["version"])
        .map(|v| v.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
    let speed_secs = seconds.ceil().max(1.0).to_string();
    let mut limits = Limits::default();

    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}");
        eprintln!("  tosscert bench");
        ours.add(&output(
            &tosscert.display().to_string(),
            &["bench", "--seconds", &secs, "--json"],
        )?)?;
        for peer in &mut peers {
            if let Some((program, args)) = &peer.command {
                eprintln!("  {}", peer.name);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                peer.runs.add(&output(program, &args)?)?;
            }
        }
        if openssl.is_some() {
            eprintln!("  openssl speed");
            openssl_round(&speed_secs, content_len, attributes_len, &mut limits)?;
        }
    }

    let markdown = report(&ReportInput {
        seconds,
        rounds,
        ours: &ours,
        peers: &peers,
        openssl: openssl.as_deref(),
        limits: &limits,
        content_len,
        attributes_len,
    });
    println!("{markdown}");
    if write {
        write_doc(&markdown)?;
        eprintln!("wrote {DOC}");
    }
    Ok(())
}

fn node_peer(seconds: &str) -> Peer {
    let script = root()
        .join("xtask/peers/node_bench.js")
        .display()
        .to_string();
    match version("node", &["--version"]) {
        Some(v) => Peer {
            name: format!("Node {} `crypto`", v.trim_start_matches('v')),
            command: Some(("node".into(), vec![script, seconds.into()])),
            note: None,
            runs: Runs::default(),
        },
        None => Peer {
            name: "Node `crypto`".into(),
            command: None,
            note: Some("node was not found: Node skipped".into()),
            runs: Runs::default(),
        },
    }
}

fn python_peer(seconds: &str) -> Peer {
    let script = root()
        .join("xtask/peers/python_bench.py")
        .display()
        .to_string();
    let probe =
        "import cryptography, platform; print(platform.python_version(), cryptography.__version__)";
    match version("python3", &["-c", probe]) {
        Some(v) => {
            let mut parts = v.split_whitespace();
            let python = parts.next().unwrap_or("3");
            let cryptography = parts.next().unwrap_or("?");
            Peer {
                name: format!("Python {python} `cryptography` {cryptography}"),
                command: Some(("python3".into(), vec![script, seconds.into()])),
                note: None,
                runs: Runs::default(),
            }
        }
        None => Peer {
            name: "Python `cryptography`".into(),
            command: None,
            note: Some(
                "python3 with `cryptography` was not found (`pip install cryptography`): \
                 Python skipped"
                    .into(),
            ),
            runs: Runs::default(),
        },
    }
}

/// The first line a tool prints for `args`, or `None` when it cannot run.
fn version(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
}

/// One RSA-2048 verify and one RSA-4096 public operation (`+F2:<i>:<bits>:<sign/s>:<verify/s>`
/// in `-mr` output; OpenSSL 3.2+ adds encrypt/s and decrypt/s after them), and SHA-256 of
/// the content and of the signed attributes, each at its exact length (`-bytes`).
fn openssl_round(
    seconds: &str,
    content_len: usize,
    attributes_len: usize,
    limits: &mut Limits,
) -> Result<(), String> {
    let rsa = output(
        "openssl",
        &["speed", "-mr", "-seconds", seconds, "rsa2048", "rsa4096"],
    )?;
    for line in rsa.lines().filter(|l| l.starts_with("+F2:")) {
        let fields: Vec<&str> = line.split(':').collect();
        let bits = fields.get(2).copied().unwrap_or_default();
        let verify_per_s: f64 = fields
            .get(4)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("unexpected openssl output: {line}"))?;
        let ns = 1e9 / verify_per_s;
        match bits {
            "2048" => limits.rsa2048_verify_ns.push(ns),
            "4096" => limits.rsa4096_public_ns.push(ns),
            _ => {}
        }
    }
    limits
        .sha256_content_ns
        .push(sha256_ns(content_len, seconds)?);
    limits
        .sha256_attributes_ns
        .push(sha256_ns(attributes_len, seconds)?);
    Ok(())
}

/// Nanoseconds for one SHA-256 of `len` bytes (`+F:<i>:sha256:<bytes/s>`).
fn sha256_ns(len: usize, seconds: &str) -> Result<f64, String> {
    let out = output(
        "openssl",
        &[
            "speed",
            "-mr",
            "-seconds",
            seconds,
            "-bytes",
            &len.to_string(),
            "-evp",
            "sha256",
        ],
    )?;
    let bytes_per_s: f64 = out
        .lines()
        .find(|l| l.starts_with("+F:"))
        .and_then(|l| l.rsplit(':').next())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("unexpected openssl output: {out}"))?;
    Ok(len as f64 * 1e9 / bytes_per_s)
}

/// The length of the signed attributes (`[0] IMPLICIT`, whole) of the fixture's only
/// SignerInfo: what the signature hashes.
fn signed_attributes_len(fixtures: &std::path::Path) -> Result<usize, String> {
    let text = fs::read_to_string(fixtures.join("seed_sign_result.signed_doc.b64"))
        .map_err(|e| format!("cannot read the fixture: {e}"))?;
    let der = base64_decode(text.trim()).ok_or("the fixture is not base64")?;
    let malformed = || "the fixture is not a SignedData".to_owned();
    let content_info = tlv(&der, 0).ok_or_else(malformed)?;
    let explicit = children(&der, content_info)
        .get(1)
        .copied()
        .ok_or_else(malformed)?;
    let signed_data = tlv(&der, explicit.1).ok_or_else(malformed)?;
    let signer_infos = children(&der, signed_data)
        .last()
        .copied()
        .ok_or_else(malformed)?;
    let signer_info = children(&der, signer_infos)
        .first()
        .copied()
        .ok_or_else(malformed)?;
    let attributes = children(&der, signer_info)
        .get(3)
        .copied()
        .ok_or_else(malformed)?;
    Ok(attributes.2 - attributes.0)
}

/// (offset, value start, value end) of the DER TLV at `offset`.
fn tlv(der: &[u8], offset: usize) -> Option<(usize, usize, usize)> {
    let first = *der.get(offset + 1)?;
    let (len, header) = if first & 0x80 == 0 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        let bytes = der.get(offset + 2..offset + 2 + count)?;
        (
            bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b)),
            2 + count,
        )
    };
    let start = offset + header;
    (start + len <= der.len()).then_some((offset, start, start + len))
}

fn children(der: &[u8], parent: (usize, usize, usize)) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = parent.1;
    while at < parent.2 {
        let Some(child) = tlv(der, at) else { break };
        at = child.2;
        out.push(child);
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
    {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

struct ReportInput<'a> {
    seconds: f64,
    rounds: u32,
    ours: &'a Runs,
    peers: &'a [Peer],
    openssl: Option<&'a str>,
    limits: &'a Limits,
    content_len: usize,
    attributes_len: usize,
}

fn report(input: &ReportInput<'_>) -> String {
    let ReportInput {
        seconds,
        rounds,
        ours,
        peers,
        openssl,
        limits,
        content_len,
        attributes_len,
    } = input;
    let mut md = String::new();
    let _ = writeln!(md, "{START}");
    let date = version("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    let _ = writeln!(
        md,
        "## `tosscert bench` against Node, Python and the physical limit ({date})\n"
    );
    let _ = writeln!(
        md,
        "In-process, release build, on this machine: each implementation in turn, round after \
         round, in one sitting, so machine noise hits all alike. A figure is the median of one \
         run's batches (after a warm-up), best of {rounds} rounds of {seconds} s per operation. \
         Same inputs everywhere: the provider's RSA-4096 key, a 3-syllable name, an \
         88-character CI, the real seed signedDoc (RSA-2048, SHA-256) and its document. \
         `session_new` is a session sealed for the provider (AES_GCM); `prepare_sign_request` \
         a session, three encrypted fields and the JSON body; `open_result` the six personal \
         fields of a result decrypted and its signedDoc decoded from base64; \
         `verify_signed_doc` that DER parsed and verified against the document, as \
         `SignedDocument::verify` does (the base64 is not decoded twice).\n"
    );
    let _ = write!(md, "| operation | toss-cert (Rust, aws-lc) |");
    let active: Vec<&Peer> = peers.iter().filter(|p| p.command.is_some()).collect();
    for peer in &active {
        let _ = write!(md, " {} |", peer.name);
    }
    for peer in &active {
        let _ = write!(md, " ours / {} |", short(&peer.name));
    }
    let _ = writeln!(md);
    let _ = write!(md, "|---|---:|");
    for _ in 0..active.len() * 2 {
        let _ = write!(md, "---:|");
    }
    let _ = writeln!(md);
    for op in OPERATIONS {
        let note = if op == "verify_signed_doc" { " ¹" } else { "" };
        let ours_ns = ours.best(op);
        let _ = write!(md, "| `{op}`{note} | {} |", ns(ours_ns));
        for peer in &active {
            let _ = write!(md, " {} |", ns(peer.runs.best(op)));
        }
        for peer in &active {
            let ratio = match (ours_ns, peer.runs.best(op)) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                _ => "—".into(),
            };
            let ratio = if op == "session_new" {
                format!("**{ratio}**")
            } else {
                ratio
            };
            let _ = write!(md, " {ratio} |");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(
        md,
        "\n¹ Not like for like: neither Node nor `cryptography` can verify CMS, so the peers \
         walk the DER just far enough to find the signed attributes, the signature and the \
         certificate, parse the certificate, and check the content digest, the validity at the \
         signing time and the RSA signature; they name the signer by position and check no \
         algorithm identifiers. `toss-signed-doc` checks the whole structure (strict DER, every \
         certificate field, the signer by issuer and serial number) and builds the report. \
         Judge it against the physical limit below.\n"
    );
    for peer in *peers {
        if let Some(note) = &peer.note {
            let _ = writeln!(md, "- {note}.\n");
        }
    }
    let _ = writeln!(md, "### The physical limit\n");
    match openssl {
        None => {
            let _ = writeln!(md, "openssl was not found: the limit was not measured.\n");
        }
        Some(openssl) => {
            let rsa2048 = min(&limits.rsa2048_verify_ns);
            let rsa4096 = min(&limits.rsa4096_public_ns);
            let sha_content = min(&limits.sha256_content_ns);
            let sha_attributes = min(&limits.sha256_attributes_ns);
            let verify_limit = rsa2048 + sha_content + sha_attributes;
            let _ = writeln!(
                md,
                "`openssl speed` ({openssl}), best of the same rounds: one RSA public-key \
                 operation is the floor of each operation that makes one.\n"
            );
            let _ = writeln!(md, "| limit | ns | ours | ns | ours / limit |");
            let _ = writeln!(md, "|---|---:|---|---:|---:|");
            let rows = [
                (
                    "one RSA-4096 public operation (`openssl speed rsa4096`, verify/s)".to_owned(),
                    rsa4096,
                    "session_new",
                ),
                (
                    format!(
                        "one RSA-2048 verify (`openssl speed rsa2048`) + SHA-256 of the content \
                         ({content_len} B) and of the signed attributes ({attributes_len} B) \
                         (`openssl speed -evp sha256 -bytes N`): {} + {} + {}",
                        ns(Some(rsa2048)),
                        ns(Some(sha_content)),
                        ns(Some(sha_attributes))
                    ),
                    verify_limit,
                    "verify_signed_doc",
                ),
            ];
            for (what, limit, op) in rows {
                let ours_ns = ours.best(op);
                let ratio = ours_ns.map_or("—".into(), |o| format!("**{:.2}**", o / limit));
                let _ = writeln!(
                    md,
                    "| {what} | {} | `{op}` | {} | {ratio} |",
                    ns(Some(limit)),
                    ns(ours_ns)
                );
            }
        }
    }
    let _ = writeln!(md, "\nEvery round, ns per operation:\n");
    let _ = writeln!(md, "```text");
    for op in OPERATIONS {
        let _ = writeln!(md, "{op}");
        let _ = writeln!(md, "  {:<40} {}", "toss-cert", list(ours.rounds.get(op)));
        for peer in &active {
            let _ = writeln!(md, "  {:<40} {}", peer.name, list(peer.runs.rounds.get(op)));
        }
    }
    if openssl.is_some() {
        let _ = writeln!(
            md,
            "openssl rsa2048 verify  {}",
            list(Some(&limits.rsa2048_verify_ns))
        );
        let _ = writeln!(
            md,
            "openssl rsa4096 public  {}",
            list(Some(&limits.rsa4096_public_ns))
        );
    }
    let _ = writeln!(md, "```\n");
    let _ = writeln!(md, "```sh");
    let _ = writeln!(
        md,
        "cargo xtask bench-peers --seconds {seconds} --rounds {rounds}"
    );
    let _ = writeln!(md, "```");
    let _ = write!(md, "{END}");
    md
}

/// "Node 20.1 `crypto`" → "Node".
fn short(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

fn ns(value: Option<f64>) -> String {
    match value {
        None => "—".into(),
        Some(v) => group(v.round()),
    }
}

fn group(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn list(values: Option<&Vec<f64>>) -> String {
    values.map_or_else(String::new, |v| {
        v.iter()
            .map(|x| group(x.round()))
            .collect::<Vec<_>>()
            .join(" / ")
    })
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Replaces the section between the markers, or puts it before the first section.
fn write_doc(section: &str) -> Result<(), String> {
    let path = root().join(DOC);
    let text = fs::read_to_string(&path).unwrap_or_else(|_| "# Performance\n".into());
    let updated = match (text.find(START), text.find(END)) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{section}{}", &text[..start], &text[end + END.len()..])
        }
        _ => match text.find("\n## ") {
            Some(at) => format!("{}\n{section}\n{}", &text[..=at], &text[at + 1..]),
            None => format!("{text}\n{section}\n"),
        },
    };
    fs::write(&path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
