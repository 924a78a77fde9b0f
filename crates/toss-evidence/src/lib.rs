//! Evidence that a Toss Cert (토스인증) signature holds up years later.
//!
//! A signedDoc proves that a key signed a document. Years later, an auditor also asks
//! whether the signer's certificate was revoked when it signed (the provider revokes within
//! a business day of a PIN reset, and its certificate-check endpoint answers only for
//! "now"), and when the signature existed (the `signingTime` inside is the signer's own
//! claim). This crate keeps the answers: an [`Evidence`] record collected right after the
//! result (the provider's certificate-check answer, the issuer's CRL, an RFC 3161
//! timestamp over the signature), [`verify`] to judge a signedDoc with it offline, and a
//! [`Bundle`] to hand an auditor: standard files OpenSSL checks, a manifest binding them,
//! and `report.html`, a one-page certificate of completion in Korean.
//!
//! `toss-sign` collects the record and keeps it with the transaction; `tosscert evidence
//! export` and `tosscert evidence verify` write and re-check bundles.
//!
//! # Verifying a bundle
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use toss_evidence::verify_dir;
//! use toss_signed_doc::TrustAnchors;
//!
//! let anchors = TrustAnchors::from_pem(&std::fs::read_to_string("toss-ca.pem")?)?;
//! let verification = verify_dir("evidence/tx-123".as_ref(), Some(&anchors))?;
//! assert!(verification.holds());
//! # Ok(()) }
//! ```
//!
//! # What a bundle holds, and what binds it
//!
//! | file | what |
//! |---|---|
//! | `signed-doc.p7s` | the signedDoc as received (DER CMS) |
//! | `signed-doc-timestamped.p7s` | the same with the timestamp as the unsigned attribute signatureTimeStampToken (CAdES-T); the user's signature untouched |
//! | `document.txt` / `document.html` / `document-sha256.txt` | the document signed, or the PDF's SHA-256 |
//! | `signer-certificate.pem` | the signer certificate |
//! | `crl.crl` | the issuer's CRL, as fetched (DER) |
//! | `timestamp.tsr` | the RFC 3161 TimeStampToken |
//! | `evidence.json` | the [`Evidence`] record |
//! | `manifest.json` | the SHA-256 and size of every other file, the trust anchors' SHA-256 and every verdict |
//! | `report.html` | the certificate of completion |
//!
//! [`verify_dir`] refuses a file not listed or whose SHA-256 differs; files that do not
//! follow from the signedDoc and the record (a CRL or a certificate swapped in); a check
//! that fails, naming it; and a manifest other than the one the files give. Nothing in
//! the bundle is signed by the exporter: a bundle rewritten whole and consistently (its
//! record, files and manifest) is caught only by the checks themselves — signatures of
//! the signer, the CA and the TSA, which a rewrite cannot make.
//!
//! # Personal data
//!
//! The record holds none, and `Debug` of every type shows ids, times and lengths only. A
//! bundle does: the signer's name is in the signer certificate (and so in the `.p7s` files
//! and the PEM) and in `report.html`, and the document may be personal too. Keep exported
//! bundles as you keep the signed documents themselves. `document.html` is the document
//! exactly as signed: open it where its scripts cannot run.
//!
//! # Why these dependencies
//!
//! `toss-signed-doc` for CMS, CRLs and timestamps; `serde`/`serde_json` for the record and
//! manifest; `sha2` and `hex` for file digests, `base64` for binary values in JSON;
//! `html-escape` so that no value reaches the report unescaped; `time`, `thiserror`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bundle;
mod check;
mod error;
mod record;
mod report;
mod time_text;

pub use bundle::{
    Bundle, CRL, DOCUMENT_HTML, DOCUMENT_PDF_HASH, DOCUMENT_TEXT, EVIDENCE, MANIFEST, REPORT,
    SIGNED_DOC, SIGNED_DOC_TIMESTAMPED, SIGNER_CERTIFICATE, TIMESTAMP, verify_dir,
};
pub use check::{Check, CheckId, Outcome, Verification, verify, verify_signed};
pub use error::BundleError;
pub use record::{
    CertificateCheck, CrlEvidence, DocumentInfo, Evidence, FORMAT, Gap, Item, TimestampEvidence,
};
