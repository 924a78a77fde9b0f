//! `tosscert evidence export | verify`: a transaction's evidence bundle, and its offline
//! re-verification.

use std::error::Error;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use toss_evidence::{Bundle, DocumentInfo, Evidence, Item, Verification};
use toss_sign::runtime::tx::TxId;

use crate::cli::{EvidenceCommand, EvidenceExportArgs, EvidenceVerifyArgs};
use crate::verify_cmd::read_trust_anchors;

type CommandResult = Result<String, Box<dyn Error>>;

pub(crate) async fn run(command: EvidenceCommand) -> CommandResult {
    match command {
        EvidenceCommand::Export(args) => export(args).await,
        EvidenceCommand::Verify(args) => verify(&args),
    }
}

async fn export(args: EvidenceExportArgs) -> CommandResult {
    let anchors = match read_trust_anchors(&args.trust_anchor)? {
        Some(anchors) => Some(anchors),
        None => match std::env::var_os(toss_sign::env::TRUST_ANCHORS).filter(|p| !p.is_empty()) {
            Some(path) => read_trust_anchors(&[path.into()])?,
            None => None,
        },
    };
    refuse_non_empty(&args.out)?;
    let store = crate::tx_cmd::open_store(&args.store).await?;
    let tx_id = TxId::new(args.tx_id.as_str()).map_err(|e| format!("--tx-id: {e}"))?;
    let record = store
        .get_by_tx_id(&tx_id)
        .await?
        .ok_or("the transaction store holds no transaction with this txId")?;
    let proof = record
        .proof
        .ok_or("no proof is stored for this transaction yet: fetch its result first")?;
    let signed_doc = STANDARD
        .decode(proof.signed_doc.trim())
        .map_err(|_| "the stored signedDoc is not base64")?;
    let evidence = match proof.evidence.as_deref() {
        Some(json) => Evidence::from_json(json)
            .map_err(|e| format!("the stored evidence is not an evidence record: {e}"))?,
        None => {
            // A proof kept before evidence was collected: the bundle says what is missing.
            let mut evidence = Evidence::new(
                tx_id.as_str(),
                record.created_at,
                proof.completed_at,
                DocumentInfo::new("PKCS7"),
                proof.completed_at,
            );
            for item in [Item::CertificateCheck, Item::Crl] {
                evidence.add_gap(item, "not collected: the proof was stored without evidence");
            }
            evidence
        }
    };
    let bundle = Bundle::assemble(&signed_doc, &evidence, anchors.as_ref())?;
    bundle.write_to(&args.out)?;
    let verification = bundle.verification();
    if let Some(failed) = verification.first_failure() {
        eprintln!(
            "tosscert: warning: the evidence does not hold: {}: {}",
            failed.check.name(),
            failed.detail
        );
    }
    Ok(json!({
        "txId": tx_id.as_str(),
        "out": args.out.display().to_string(),
        "files": bundle.names().collect::<Vec<_>>(),
        "holds": verification.holds(),
        "checks": verification.checks,
    })
    .to_string())
}

fn verify(args: &EvidenceVerifyArgs) -> CommandResult {
    let anchors = read_trust_anchors(&args.trust_anchor)?;
    let verification: Verification = toss_evidence::verify_dir(&args.dir, anchors.as_ref())?;
    Ok(json!({
        "holds": verification.holds(),
        "checks": verification.checks,
    })
    .to_string())
}

/// Refuses a directory with files in it: a bundle must hold only its own files, which
/// `evidence verify` checks.
fn refuse_non_empty(dir: &Path) -> Result<(), Box<dyn Error>> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "{} is not empty: give a new or empty directory for the bundle",
                    dir.display()
                )
                .into());
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!("{}: {error}", dir.display()).into()),
    }
}
