//! Evidence end to end against `toss-emulator` over real HTTP: after a result the client
//! collects the certificate-check answer, the CA's CRL and a timestamp from the emulator's
//! TSA, stores them with the proof, and verifies with them; a bundle of it re-verifies
//! offline and refuses every alteration with its reason.

#![cfg(any(feature = "reqwest", feature = "hyper"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use e2e::*;
use time::OffsetDateTime;
use toss_emulator::{EmulatorHandle, RevocationReason, UserBehaviour};
use toss_evidence::{Bundle, BundleError, CheckId, Evidence, Outcome};
use toss_sign::runtime::tx::TxStore;
use toss_sign::tx_store::MemoryTxStore;
use toss_sign::{Client, DataKey, DataKeyRing, Error, SignedDocument, TrustAnchors, TxId};
use toss_signed_doc::{Expected, RevocationError, RevocationStatus, TimestampError};

struct Setup {
    handle: EmulatorHandle,
    client: Client,
    store: Arc<dyn TxStore>,
    anchors: TrustAnchors,
}

async fn start_setup() -> Setup {
    let handle = start(emulator_builder().user_behaviour(UserBehaviour::Manual)).await;
    let store: Arc<dyn TxStore> = Arc::new(MemoryTxStore::new());
    let anchors = TrustAnchors::from_pem(handle.ca_certificate_pem()).unwrap();
    let client = builder_for(&handle)
        .store(store.clone())
        .data_key(DataKeyRing::new(
            DataKey::generate_with_provider(crypto()).unwrap(),
        ))
        .trust_anchors(anchors.clone())
        .tsa_url(handle.tsa_url())
        .build()
        .unwrap();
    Setup {
        handle,
        client,
        store,
        anchors,
    }
}

/// A transaction the user signed just now.
async fn signed_tx(setup: &Setup, text: &str) -> TxId {
    let requested = setup
        .client
        .request_signature(&text_request(text))
        .await
        .unwrap();
    setup.handle.complete(requested.tx_id.as_str()).unwrap();
    requested.tx_id
}

fn evidence_in(signed: &SignedDocument) -> &Evidence {
    signed.evidence.as_ref().expect("evidence collected")
}

fn expected(signed: &SignedDocument) -> Expected<'_> {
    Expected::Text(signed.doc.as_str())
}

async fn stored_report(store: &dyn TxStore, tx: &TxId) -> serde_json::Value {
    let record = store
        .get_by_tx_id(&toss_sign::runtime::tx::TxId::new(tx.as_str()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let proof = record.proof.expect("a proof");
    let stored = Evidence::from_json(proof.evidence.as_deref().expect("evidence stored")).unwrap();
    assert!(stored.crl.is_some() && stored.timestamp.is_some());
    serde_json::from_str(&proof.verification_report).unwrap()
}

fn write_bundle(
    signed: &SignedDocument,
    evidence: &Evidence,
    anchors: &TrustAnchors,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Bundle::assemble(&signed.signed_doc.der, evidence, Some(anchors))
        .unwrap()
        .write_to(dir.path())
        .unwrap();
    dir
}

fn failed_check(dir: &Path, anchors: &TrustAnchors) -> toss_evidence::Check {
    match toss_evidence::verify_dir(dir, Some(anchors)) {
        Err(BundleError::CheckFailed(check)) => check,
        other => panic!("expected a failed check, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_revoked_before_the_signing_fails_the_result_and_the_bundle() {
    let setup = start_setup().await;
    let tx = signed_tx(&setup, "출금이체에 동의합니다.").await;
    let before = OffsetDateTime::now_utc() - time::Duration::hours(1);
    setup
        .handle
        .revoke(tx.as_str(), RevocationReason::KeyCompromise, Some(before))
        .unwrap();

    let signed = setup.client.result(&tx).await.unwrap();
    let evidence = evidence_in(&signed);
    assert!(evidence.gaps.is_empty(), "{:?}", evidence.gaps);
    let check = evidence.certificate_check.unwrap();
    assert!(
        !check.valid,
        "the provider's check answers for now: revoked"
    );

    match setup.client.verify(&signed).unwrap_err() {
        Error::Verification {
            source:
                toss_signed_doc::Error::Revocation(RevocationError::Revoked {
                    reason,
                    revoked_at,
                    signed_at,
                }),
            ..
        } => {
            assert_eq!(reason, "keyCompromise");
            assert_eq!(revoked_at.unix_timestamp(), before.unix_timestamp());
            assert!(revoked_at < signed_at);
        }
        other => panic!("expected a revocation, got {other:?}"),
    }
    let report = stored_report(setup.store.as_ref(), &tx).await;
    assert_eq!(report["verified"], false);
    assert!(
        report["error"].as_str().unwrap().contains("revoked"),
        "{report}"
    );

    let dir = write_bundle(&signed, evidence, &setup.anchors);
    let check = failed_check(dir.path(), &setup.anchors);
    assert_eq!(check.check, CheckId::Revocation);
    assert!(check.detail.contains("revoked at"), "{}", check.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_revoked_after_the_signing_passes_and_says_when() {
    let setup = start_setup().await;
    let tx = signed_tx(&setup, "대출 약정에 동의합니다.").await;
    // Seconds after the signing: a CRL holds whole seconds, and a revocation in the same
    // second as the signing cannot be shown to come after it.
    let after = OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let revocation = setup
        .handle
        .revoke(tx.as_str(), RevocationReason::Superseded, Some(after))
        .unwrap();

    let signed = setup.client.result(&tx).await.unwrap();
    let report = setup.client.verify(&signed).unwrap();
    let revoked = report.revocation.as_ref().expect("revocation checked");
    assert_eq!(revoked.status, RevocationStatus::RevokedAfterSigning);
    assert_eq!(revoked.reason.as_deref(), Some("superseded"));
    assert_eq!(revoked.revoked_at.unwrap(), revocation.revoked_at);
    let stamp = report.timestamp.as_ref().expect("timestamped");
    assert!(stamp.chain_checked);
    assert!(stamp.time >= report.signing_time.unwrap());

    let stored = stored_report(setup.store.as_ref(), &tx).await;
    assert_eq!(stored["verified"], true);
    assert_eq!(stored["revocation"]["status"], "revokedAfterSigning");

    let dir = write_bundle(&signed, evidence_in(&signed), &setup.anchors);
    let verification = toss_evidence::verify_dir(dir.path(), Some(&setup.anchors)).unwrap();
    assert!(verification.holds());
    let check = verification.check(CheckId::Revocation).unwrap();
    assert!(check.detail.contains("revoked later"), "{}", check.detail);
    assert_eq!(
        verification
            .check(CheckId::CertificateCheck)
            .unwrap()
            .outcome,
        Outcome::Pass,
        "collected before the revocation took effect: the provider still said valid"
    );
    openssl_accepts(dir.path(), &setup.handle, &signed);
}

/// `openssl cms -verify` accepts both signedDocs and `openssl ts -verify` the token.
fn openssl_accepts(dir: &Path, handle: &EmulatorHandle, signed: &SignedDocument) {
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), handle.ca_certificate_pem()).unwrap();
    let ca = ca_file.path();
    for p7s in [
        toss_evidence::SIGNED_DOC,
        toss_evidence::SIGNED_DOC_TIMESTAMPED,
    ] {
        let output = Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-purpose", "any", "-in"])
            .arg(dir.join(p7s))
            .arg("-CAfile")
            .arg(ca)
            .args(["-out", "/dev/null"])
            .output()
            .expect("openssl is installed");
        assert!(
            output.status.success(),
            "openssl cms -verify {p7s}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let parsed = toss_signed_doc::SignedDoc::from_der(&signed.signed_doc.der).unwrap();
    let digest =
        hex::encode(toss_signed_doc::DigestAlgorithm::Sha256.digest(parsed.signature_value()));
    let output = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(dir.join(toss_evidence::TIMESTAMP))
        .args(["-digest", &digest, "-CAfile"])
        .arg(ca)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("OK"),
        "openssl ts -verify: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crl_is_cached_until_its_next_update() {
    let setup = start_setup().await;
    let first = signed_tx(&setup, "첫 번째 동의서").await;
    let second = signed_tx(&setup, "두 번째 동의서").await;
    let first = setup.client.result(&first).await.unwrap();
    let second = setup.client.result(&second).await.unwrap();
    let (a, b) = (
        evidence_in(&first).crl.as_ref().unwrap(),
        evidence_in(&second).crl.as_ref().unwrap(),
    );
    assert_eq!(a.fetched_at, b.fetched_at, "the second came from the cache");
    assert_eq!(a.der, b.der);
    let report = setup.client.verify(&second).unwrap();
    assert_eq!(
        report.revocation.unwrap().status,
        RevocationStatus::NotRevoked
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crl_signed_by_another_key_is_refused() {
    let setup = start_setup().await;
    let other = start_setup().await;
    let tx = signed_tx(&setup, "동의서").await;
    let other_tx = signed_tx(&other, "다른 CA의 동의서").await;
    let signed = setup.client.result(&tx).await.unwrap();
    let foreign = other.client.result(&other_tx).await.unwrap();

    let mut evidence = evidence_in(&signed).clone();
    // The same CA name, another key: only the signature tells them apart.
    evidence.crl = evidence_in(&foreign).crl.clone();
    let error = toss_evidence::verify_signed(
        &signed.signed_doc.der,
        expected(&signed),
        &evidence,
        Some(&setup.anchors),
    )
    .unwrap_err();
    assert_eq!(error, RevocationError::CrlSignatureInvalid.into());

    let dir = write_bundle(&signed, &evidence, &setup.anchors);
    let check = failed_check(dir.path(), &setup.anchors);
    assert_eq!(check.check, CheckId::Revocation);
    assert_eq!(
        check.detail,
        RevocationError::CrlSignatureInvalid.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_crl_is_refused() {
    let setup = start_setup().await;
    let tx = signed_tx(&setup, "동의서").await;
    let signed = setup.client.result(&tx).await.unwrap();
    let mut evidence = evidence_in(&signed).clone();
    let crl = toss_signed_doc::Crl::from_der(&evidence.crl.as_ref().unwrap().der).unwrap();
    let next_update = crl.next_update().unwrap();
    evidence.crl.as_mut().unwrap().fetched_at = next_update + time::Duration::minutes(1);

    match toss_evidence::verify_signed(
        &signed.signed_doc.der,
        expected(&signed),
        &evidence,
        Some(&setup.anchors),
    ) {
        Err(toss_signed_doc::Error::Revocation(RevocationError::CrlStale {
            next_update: n,
            ..
        })) => {
            assert_eq!(n, next_update);
        }
        other => panic!("expected a stale CRL, got {other:?}"),
    }
    let dir = write_bundle(&signed, &evidence, &setup.anchors);
    let check = failed_check(dir.path(), &setup.anchors);
    assert_eq!(check.check, CheckId::Revocation);
    assert!(check.detail.contains("stale"), "{}", check.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_over_another_signature_is_refused() {
    let setup = start_setup().await;
    let first = signed_tx(&setup, "첫 번째 동의서").await;
    let second = signed_tx(&setup, "두 번째 동의서").await;
    let first = setup.client.result(&first).await.unwrap();
    let second = setup.client.result(&second).await.unwrap();

    let mut evidence = evidence_in(&first).clone();
    evidence.timestamp = evidence_in(&second).timestamp.clone();
    let error = toss_evidence::verify_signed(
        &first.signed_doc.der,
        expected(&first),
        &evidence,
        Some(&setup.anchors),
    )
    .unwrap_err();
    assert_eq!(error, TimestampError::ImprintMismatch.into());

    let dir = write_bundle(&first, &evidence, &setup.anchors);
    let check = failed_check(dir.path(), &setup.anchors);
    assert_eq!(check.check, CheckId::Timestamp);
    assert_eq!(check.detail, TimestampError::ImprintMismatch.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_of_a_bundle_changed_by_one_byte_is_refused() {
    let setup = start_setup().await;
    let tx = signed_tx(&setup, "계좌 개설에 동의합니다.").await;
    let signed = setup.client.result(&tx).await.unwrap();
    let dir = write_bundle(&signed, evidence_in(&signed), &setup.anchors);
    toss_evidence::verify_dir(dir.path(), Some(&setup.anchors)).unwrap();

    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 9, "{names:?}");
    for name in &names {
        let path = dir.path().join(name);
        let original = std::fs::read(&path).unwrap();
        // A byte in the middle, and the first and the last: each must be refused.
        for at in [original.len() / 2, 0, original.len() - 1] {
            let mut changed = original.clone();
            changed[at] ^= 0x01;
            std::fs::write(&path, &changed).unwrap();
            let error = toss_evidence::verify_dir(dir.path(), Some(&setup.anchors))
                .expect_err(&format!("{name} changed at byte {at} was accepted"));
            let message = error.to_string();
            assert!(!message.is_empty());
            if name != toss_evidence::MANIFEST {
                assert!(message.contains(name.as_str()), "{name}: {message}");
            } else {
                assert!(message.contains("manifest.json"), "{name}: {message}");
            }
        }
        std::fs::write(&path, &original).unwrap();
    }
    toss_evidence::verify_dir(dir.path(), Some(&setup.anchors)).unwrap();

    // Other trust anchors than the export's: refused, and said so.
    let other = TrustAnchors::from_pem(start_setup().await.handle.ca_certificate_pem()).unwrap();
    assert!(toss_evidence::verify_dir(dir.path(), Some(&other)).is_err());
    // A file added: refused.
    std::fs::write(dir.path().join("extra.txt"), b"x").unwrap();
    assert!(matches!(
        toss_evidence::verify_dir(dir.path(), Some(&setup.anchors)),
        Err(BundleError::UnexpectedFile(name)) if name == "extra.txt"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdf_and_html_documents_are_exported_as_what_was_signed() {
    let setup = start_setup().await;
    let pdf = b"%PDF-1.7 a contract";
    let html = "<p>본인은 <b>약관</b>에 동의합니다.</p>";
    for (document, file, expected) in [
        (
            toss_sign::Document::pdf(pdf),
            toss_evidence::DOCUMENT_PDF_HASH,
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                toss_signed_doc::DigestAlgorithm::Sha256.digest(pdf),
            )
            .into_bytes(),
        ),
        (
            toss_sign::Document::html(html).unwrap(),
            toss_evidence::DOCUMENT_HTML,
            html.as_bytes().to_vec(),
        ),
    ] {
        let request = request(personal(), toss_sign::Trigger::Push, document);
        let requested = setup.client.request_signature(&request).await.unwrap();
        setup.handle.complete(requested.tx_id.as_str()).unwrap();
        let signed = setup.client.result(&requested.tx_id).await.unwrap();
        let evidence = evidence_in(&signed);
        setup.client.verify(&signed).unwrap();
        let timestamped = evidence
            .timestamped(&signed.signed_doc.der)
            .unwrap()
            .unwrap();
        let reparsed = toss_signed_doc::SignedDoc::from_der(&timestamped).unwrap();
        assert!(reparsed.signature_timestamp_der().is_some());

        let dir = write_bundle(&signed, evidence, &setup.anchors);
        assert_eq!(
            std::fs::read(dir.path().join(file)).unwrap(),
            expected,
            "{file}"
        );
        let verification = toss_evidence::verify_dir(dir.path(), Some(&setup.anchors)).unwrap();
        assert!(
            verification.holds(),
            "{file}: {:?}",
            verification.first_failure()
        );
    }
}
