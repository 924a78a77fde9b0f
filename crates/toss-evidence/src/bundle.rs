//! The evidence bundle: a directory of standard files an auditor can check with OpenSSL, a
//! manifest that binds them, and a report a person reads; and its offline re-verification.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use toss_signed_doc::{Expected, SignedDoc, TrustAnchors};

use crate::check::{self, Check, Verification};
use crate::error::BundleError;
use crate::record::Evidence;
use crate::report;
use crate::time_text::rfc3339;

/// The signedDoc as received (DER CMS, `openssl cms -verify -inform DER`).
pub const SIGNED_DOC: &str = "signed-doc.p7s";
/// The signedDoc with the timestamp added as an unsigned attribute (CAdES-T).
pub const SIGNED_DOC_TIMESTAMPED: &str = "signed-doc-timestamped.p7s";
/// The document signed, when it was text.
pub const DOCUMENT_TEXT: &str = "document.txt";
/// The document signed, when it was HTML.
pub const DOCUMENT_HTML: &str = "document.html";
/// The base64 SHA-256 of the PDF signed (what the provider signs for a PDF).
pub const DOCUMENT_PDF_HASH: &str = "document-sha256.txt";
/// The signer certificate, PEM.
pub const SIGNER_CERTIFICATE: &str = "signer-certificate.pem";
/// The issuer's CRL, DER.
pub const CRL: &str = "crl.crl";
/// The timestamp token (`openssl ts -verify -token_in`).
pub const TIMESTAMP: &str = "timestamp.tsr";
/// The evidence record.
pub const EVIDENCE: &str = "evidence.json";
/// The manifest: every file's SHA-256 and every verdict.
pub const MANIFEST: &str = "manifest.json";
/// The certificate of completion, in Korean.
pub const REPORT: &str = "report.html";

/// A bundle's files by name.
type Files = BTreeMap<&'static str, Vec<u8>>;

/// The manifest's format.
const MANIFEST_FORMAT: &str = "toss-cert-evidence-bundle/1";

/// An evidence bundle in memory: its files by name, and the verification they show.
#[derive(Debug, Clone)]
pub struct Bundle {
    files: Files,
    verification: Verification,
}

impl Bundle {
    /// The bundle of `signed_doc` (DER, as received) and its `evidence`, its verdicts
    /// given by a verification with `anchors`. A bundle whose checks fail is made all the
    /// same, its manifest and report saying which.
    ///
    /// # Errors
    ///
    /// [`BundleError::SignedDoc`] when `signed_doc` cannot be read at all (nothing of it
    /// can then be exported); [`BundleError::Encode`] should serialization fail.
    pub fn assemble(
        signed_doc: &[u8],
        evidence: &Evidence,
        anchors: Option<&TrustAnchors>,
    ) -> Result<Self, BundleError> {
        let (mut files, verification, signed) = Self::parts(signed_doc, evidence, anchors)?;
        files.insert(
            REPORT,
            report::render(evidence, &signed, &verification).into_bytes(),
        );
        let manifest = manifest_json(evidence, &files, &verification, anchors)?;
        files.insert(MANIFEST, manifest);
        Ok(Self {
            files,
            verification,
        })
    }

    /// Every file but the report and the manifest, the verification, and the signedDoc
    /// parsed.
    fn parts(
        signed_doc: &[u8],
        evidence: &Evidence,
        anchors: Option<&TrustAnchors>,
    ) -> Result<(Files, Verification, SignedDoc), BundleError> {
        let signed = SignedDoc::from_der(signed_doc).map_err(BundleError::SignedDoc)?;
        let mut files = BTreeMap::new();
        files.insert(SIGNED_DOC, signed_doc.to_vec());
        let digest;
        let expected = match signed.content() {
            Some(content) => {
                let name = if evidence.document.is_html() {
                    DOCUMENT_HTML
                } else {
                    DOCUMENT_TEXT
                };
                files.insert(name, content.to_vec());
                Expected::Content(content)
            }
            None => {
                files.insert(
                    DOCUMENT_PDF_HASH,
                    STANDARD.encode(signed.message_digest()).into_bytes(),
                );
                match <[u8; 32]>::try_from(signed.message_digest()) {
                    Ok(sha256) => {
                        digest = sha256;
                        Expected::Sha256(digest)
                    }
                    Err(_) => Expected::Nothing,
                }
            }
        };
        let verification = check::verify(signed_doc, expected, evidence, anchors);
        files.insert(
            SIGNER_CERTIFICATE,
            signed.signer_certificate_pem().into_bytes(),
        );
        if let Some(crl) = &evidence.crl {
            files.insert(CRL, crl.der.clone());
        }
        if let Some(timestamp) = &evidence.timestamp {
            files.insert(TIMESTAMP, timestamp.token.clone());
            // A token that cannot be added is left out; the timestamp check says why.
            if let Ok(Some(timestamped)) = evidence.timestamped(signed_doc) {
                files.insert(SIGNED_DOC_TIMESTAMPED, timestamped);
            }
        }
        let mut json = serde_json::to_vec_pretty(evidence).map_err(BundleError::Encode)?;
        json.push(b'\n');
        files.insert(EVIDENCE, json);
        Ok((files, verification, signed))
    }

    /// The verification the bundle's verdicts come from.
    #[must_use]
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// A file's bytes.
    #[must_use]
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// The files' names.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.files.keys().copied()
    }

    /// Writes every file into `dir`, created if needed; a file there already is replaced.
    ///
    /// # Errors
    ///
    /// [`BundleError::Io`] naming the path.
    pub fn write_to(&self, dir: &Path) -> Result<(), BundleError> {
        fs::create_dir_all(dir).map_err(|e| BundleError::io(dir, e))?;
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            fs::write(&path, bytes).map_err(|e| BundleError::io(&path, e))?;
        }
        Ok(())
    }
}

/// The manifest: what was exported, and the verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Manifest {
    format: String,
    tx_id: String,
    sdk_version: String,
    signing_time: Option<String>,
    completed_at: String,
    collected_at: String,
    /// The SHA-256 of each trust anchor the verdicts were reached with.
    trust_anchors: Vec<String>,
    holds: bool,
    checks: Vec<Check>,
    files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileEntry {
    name: String,
    sha256: String,
    bytes: usize,
}

fn manifest_json(
    evidence: &Evidence,
    files: &Files,
    verification: &Verification,
    anchors: Option<&TrustAnchors>,
) -> Result<Vec<u8>, BundleError> {
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        tx_id: evidence.tx_id.clone(),
        sdk_version: evidence.sdk_version.clone(),
        signing_time: verification
            .report
            .as_ref()
            .and_then(|r| r.signing_time)
            .map(rfc3339),
        completed_at: rfc3339(evidence.completed_at),
        collected_at: rfc3339(evidence.collected_at),
        trust_anchors: anchor_digests(anchors),
        holds: verification.holds(),
        checks: verification.checks.clone(),
        files: files
            .iter()
            .filter(|(name, _)| **name != MANIFEST)
            .map(|(name, bytes)| FileEntry {
                name: (*name).to_owned(),
                sha256: hex::encode(Sha256::digest(bytes)),
                bytes: bytes.len(),
            })
            .collect(),
    };
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(BundleError::Encode)?;
    json.push(b'\n');
    Ok(json)
}

/// The most a bundle file may weigh: far above any signedDoc, CRL or report, so that a
/// wrong directory is refused rather than read into memory.
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// Re-checks the bundle in `dir` offline, with `anchors`: every file is the one the
/// manifest lists, the files agree with the evidence record, every check holds (at the
/// signing time, with the CRL as fresh when it was fetched), and the manifest is exactly
/// the one these files and anchors give.
///
/// # Errors
///
/// The first thing that does not hold, as a [`BundleError`] naming it:
/// [`BundleError::Io`], [`BundleError::MissingFile`], [`BundleError::UnexpectedFile`],
/// [`BundleError::Manifest`], [`BundleError::FileAltered`], [`BundleError::Evidence`],
/// [`BundleError::FileDisagrees`], [`BundleError::CheckFailed`] and
/// [`BundleError::ManifestDisagrees`].
pub fn verify_dir(dir: &Path, anchors: Option<&TrustAnchors>) -> Result<Verification, BundleError> {
    let on_disk = read_dir(dir)?;
    let file = |name: &'static str| on_disk.get(name).ok_or(BundleError::MissingFile(name));

    let manifest_bytes = file(MANIFEST)?;
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| BundleError::Manifest(format!("not a bundle manifest: {e}")))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(BundleError::Manifest(format!(
            "unknown format {:?}",
            manifest.format
        )));
    }
    for name in on_disk.keys() {
        if name != MANIFEST && !manifest.files.iter().any(|f| &f.name == name) {
            return Err(BundleError::UnexpectedFile(name.clone()));
        }
    }
    for entry in &manifest.files {
        let bytes = on_disk.get(&entry.name).ok_or_else(|| {
            BundleError::Manifest(format!("{} is listed but missing", entry.name))
        })?;
        if hex::encode(Sha256::digest(bytes)) != entry.sha256 || bytes.len() != entry.bytes {
            return Err(BundleError::FileAltered(entry.name.clone()));
        }
    }

    let evidence: Evidence = serde_json::from_slice(file(EVIDENCE)?)
        .map_err(|e| BundleError::Evidence(e.to_string()))?;
    let (mut expected, verification, _) = Bundle::parts(file(SIGNED_DOC)?, &evidence, anchors)?;
    for (name, bytes) in &expected {
        match on_disk.get(*name) {
            Some(found) if found == bytes => {}
            Some(_) => return Err(BundleError::FileDisagrees(name)),
            None => return Err(BundleError::MissingFile(name)),
        }
    }
    if let Some(failed) = verification.first_failure() {
        return Err(BundleError::CheckFailed(failed.clone()));
    }
    expected.insert(REPORT, file(REPORT)?.clone());
    let regenerated = manifest_json(&evidence, &expected, &verification, anchors)?;
    if regenerated != *manifest_bytes {
        let reason = if anchor_digests(anchors) == manifest.trust_anchors {
            first_difference(manifest_bytes, &regenerated)
        } else {
            "it was made with other trust anchors than these (it lists their SHA-256)".to_owned()
        };
        return Err(BundleError::ManifestDisagrees(reason));
    }
    Ok(verification)
}

/// The SHA-256 of each trust anchor, in order, as the manifest lists them.
fn anchor_digests(anchors: Option<&TrustAnchors>) -> Vec<String> {
    anchors.map_or_else(Vec::new, |anchors| {
        anchors
            .certificates_der()
            .map(|der| hex::encode(Sha256::digest(der)))
            .collect()
    })
}

/// The first line where `found` and `expected` differ, for the message.
fn first_difference(found: &[u8], expected: &[u8]) -> String {
    let found = String::from_utf8_lossy(found);
    let expected = String::from_utf8_lossy(expected);
    let line = found
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| found.lines().count().min(expected.lines().count()));
    format!("line {} is not what the evidence gives", line + 1)
}

fn read_dir(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).map_err(|e| BundleError::io(dir, e))? {
        let entry = entry.map_err(|e| BundleError::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let metadata = entry.metadata().map_err(|e| BundleError::io(&path, e))?;
        if !metadata.is_file() || metadata.len() > MAX_FILE {
            return Err(BundleError::UnexpectedFile(name));
        }
        let bytes = fs::read(&path).map_err(|e| BundleError::io(&path, e))?;
        files.insert(name, bytes);
    }
    Ok(files)
}
