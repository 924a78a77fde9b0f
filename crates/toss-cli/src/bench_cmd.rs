//! `tosscert bench`: nanoseconds per operation of the SDK's hot paths, in this process.
//!
//! Each operation runs for a warm-up, then in batches of about [`BATCH_TARGET`] until its
//! time is up; the figure is the median of the batches' nanoseconds per operation, which a
//! busy neighbour on a shared machine moves less than a mean. `cargo xtask bench-peers` runs
//! the same operations with Node's `crypto` and Python's `cryptography`
//! (`xtask/peers/node_bench.js`, `xtask/peers/python_bench.py`): change them together.

use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::Serialize;
use time::macros::date;
use toss_crypto::{Session, SessionGenerator};
use toss_sign::{Document, ResultResponse, SignatureRequest, SignedDocument, Signer};

use crate::backend::crypto_provider;
use crate::cli::BenchArgs;

/// The real signedDoc of a Toss Cert sign result (RSA-2048, SHA-256, document embedded).
const SIGNED_DOC_B64: &str = include_str!("bench_cmd/seed_sign_result.signed_doc.b64");
/// The document that signedDoc signs, byte for byte.
const SIGNED_DOC_TEXT: &str = include_str!("bench_cmd/seed_sign_result.doc.txt");

/// A realistic CI: the base64 of 64 bytes, 88 characters.
const CI: &str =
    "y7JJr0BcDnVTVdOu4LXhiJRuBihV2Vp9NOzbox7WHxpiQa0PRyCVcyWgFVan7BJIg6pJ4QxdPEs2BX4XXkbVFw==";
/// A realistic DI: the base64 of 48 bytes, 64 characters.
const DI: &str = "CNxKLhUklY+cfAggWGRLRo8C2/gnLOV3tZNszSEBVwubHsdx1ndZ02KY5/bD3DaL";
/// A Korean name of three syllables, as most are.
const NAME: &str = "김토스";

/// The batches aim at this long each: long enough that the clock's cost vanishes, short
/// enough that there are many to take the median of.
const BATCH_TARGET: Duration = Duration::from_millis(5);

/// The operations, in the order they run and print.
const OPERATIONS: [&str; 6] = [
    "session_new",
    "encrypt_name",
    "decrypt_ci",
    "prepare_sign_request",
    "open_result",
    "verify_signed_doc",
];

type BoxError = Box<dyn Error>;

/// One operation's figure.
#[derive(Debug, Clone, Copy, Serialize)]
struct Measurement {
    ns_per_op: f64,
    ops: u64,
}

/// The JSON output: each operation measured, by name, in the order they ran.
struct Report<'a> {
    names: &'a [&'static str],
    measured: &'a [Measurement],
}

impl Serialize for Report<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.names.iter().zip(self.measured))
    }
}

pub(crate) fn run(args: &BenchArgs) -> Result<String, BoxError> {
    let budget = Duration::from_secs_f64(args.seconds);
    let fixtures = Fixtures::new()?;
    let names = match &args.only {
        Some(only) => vec![
            OPERATIONS
                .into_iter()
                .find(|name| name == only)
                .ok_or_else(|| format!("no operation {only}; one of {}", OPERATIONS.join(", ")))?,
        ],
        None => OPERATIONS.to_vec(),
    };
    // Every operation runs once before any is timed, so a broken one fails fast.
    for name in &names {
        fixtures.run(name)?;
    }
    let mut measured = Vec::with_capacity(names.len());
    for name in &names {
        measured.push(measure(budget, || fixtures.run(name))?);
    }
    if args.json {
        let report = Report {
            names: &names,
            measured: &measured,
        };
        return Ok(serde_json::to_string(&report)?);
    }
    Ok(table(args.seconds, &names, &measured))
}

/// What the operations work on, made once.
struct Fixtures {
    generator: SessionGenerator,
    session: Session,
    ci_envelope: String,
    request: SignatureRequest,
    result: ResultResponse,
    /// The signedDoc's DER, as `SignedDocument::open` leaves it.
    signed_doc_der: Vec<u8>,
}

impl Fixtures {
    fn new() -> Result<Self, BoxError> {
        let generator = SessionGenerator::builder()
            .crypto_provider(crypto_provider())
            .build()?;
        let session = generator.generate()?.into_session();
        let ci_envelope = session.encrypt(CI)?;
        let request = SignatureRequest::builder()
            .signer(Signer::personal(
                NAME,
                "010-1234-5678",
                date!(1993 - 03 - 24),
            )?)
            .document(Document::text(SIGNED_DOC_TEXT)?)
            .service_name("토스 출금이체")
            .title("출금이체 동의문")
            .build()?;
        let result = result_response(&session)?;
        let signed_doc_der = SignedDocument::open(&result, &session)?.signed_doc.der;
        Ok(Self {
            generator,
            session,
            ci_envelope,
            request,
            result,
            signed_doc_der,
        })
    }

    fn run(&self, operation: &str) -> Result<(), BoxError> {
        match operation {
            // A new AES_GCM session sealed with the provider's RSA-4096 key.
            "session_new" => {
                black_box(self.generator.generate()?);
            }
            "encrypt_name" => {
                black_box(self.session.encrypt(black_box(NAME))?);
            }
            "decrypt_ci" => {
                black_box(self.session.decrypt(black_box(&self.ci_envelope))?);
            }
            // What a sign request costs before it is sent: a session, three encrypted
            // fields and the JSON body.
            "prepare_sign_request" => {
                let session = self.generator.generate()?;
                black_box(self.request.seal(&session)?);
            }
            // A result's personal data decrypted, and its signedDoc decoded from base64.
            "open_result" => {
                black_box(SignedDocument::open(
                    black_box(&self.result),
                    &self.session,
                )?);
            }
            // The real signedDoc parsed and verified against its document, as
            // `SignedDocument::verify` does: from the DER that `open_result` decoded.
            "verify_signed_doc" => {
                let signed = toss_signed_doc::SignedDoc::from_der(black_box(&self.signed_doc_der))?;
                black_box(signed.verify(toss_signed_doc::Expected::Text(SIGNED_DOC_TEXT))?);
            }
            other => return Err(format!("internal: no operation {other}").into()),
        }
        Ok(())
    }
}

/// A completed result as the provider sends it, its personal data encrypted with `session`.
fn result_response(session: &Session) -> Result<ResultResponse, BoxError> {
    let json = serde_json::json!({
        "txId": "0ea2b1f1-3c6a-4d5e-9f8a-7b6c5d4e3f2a",
        "status": "COMPLETED",
        "doc": SIGNED_DOC_TEXT,
        "signedDoc": SIGNED_DOC_B64.trim(),
        "signatureType": "PKCS7",
        "docEncrypted": false,
        "randomValue": null,
        "userCiToken": null,
        "completedDt": "2026-11-25T09:01:00+09:00",
        "requestedDt": "2026-11-25T09:00:00+09:00",
        "personalData": {
            "ci": session.encrypt(CI)?,
            "di": session.encrypt(DI)?,
            "name": session.encrypt(NAME)?,
            "birthday": session.encrypt("19930324")?,
            "gender": session.encrypt("MALE")?,
            "nationality": session.encrypt("LOCAL")?,
        },
    });
    Ok(serde_json::from_value(json)?)
}

/// Runs `op` for a fifth of `budget` to warm up, then in batches for `budget`.
fn measure(
    budget: Duration,
    mut op: impl FnMut() -> Result<(), BoxError>,
) -> Result<Measurement, BoxError> {
    let warm_up = Instant::now();
    let mut warm_ops: u32 = 0;
    while warm_ops < 2 || warm_up.elapsed() < budget / 5 {
        op()?;
        warm_ops = warm_ops.saturating_add(1);
    }
    // Batches of about BATCH_TARGET, and at least ten of them.
    let per_op = warm_up.elapsed() / warm_ops;
    let target = BATCH_TARGET.min(budget / 10);
    let batch = u32::try_from(target.as_nanos() / per_op.as_nanos().max(1))
        .unwrap_or(u32::MAX)
        .max(1);

    let mut batches: Vec<f64> = Vec::new();
    let mut ops: u64 = 0;
    let start = Instant::now();
    while batches.is_empty() || start.elapsed() < budget {
        let begin = Instant::now();
        for _ in 0..batch {
            op()?;
        }
        batches.push(begin.elapsed().as_secs_f64() * 1e9 / f64::from(batch));
        ops += u64::from(batch);
    }
    batches.sort_by(f64::total_cmp);
    let mid = batches.len() / 2;
    let median = if batches.len() % 2 == 1 {
        batches[mid]
    } else {
        f64::midpoint(batches[mid - 1], batches[mid])
    };
    Ok(Measurement {
        ns_per_op: median,
        ops,
    })
}

fn table(seconds: f64, names: &[&str], measured: &[Measurement]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tosscert bench: median of batches over {seconds} s per operation, after warm-up"
    );
    let _ = writeln!(out, "{:<22} {:>14} {:>12}", "operation", "ns/op", "ops");
    for (name, m) in names.iter().zip(measured) {
        let _ = writeln!(
            out,
            "{:<22} {:>14} {:>12}",
            name,
            group_digits(&format!("{:.0}", m.ns_per_op)),
            group_digits(&m.ops.to_string())
        );
    }
    out.truncate(out.trim_end().len());
    out
}

/// `1234567` as `1,234,567`.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped_by_three() {
        assert_eq!(group_digits("7"), "7");
        assert_eq!(group_digits("123"), "123");
        assert_eq!(group_digits("1234"), "1,234");
        assert_eq!(group_digits("1234567"), "1,234,567");
    }

    #[test]
    fn fixtures_are_realistic() {
        assert_eq!(CI.len(), 88);
        assert_eq!(DI.len(), 64);
    }
}
