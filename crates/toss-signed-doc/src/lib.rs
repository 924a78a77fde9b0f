//! Offline verification of Toss Cert (토스인증) `signedDoc`s and their signer certificates.
//!
//! A signedDoc is the legal proof of a user's consent: a CMS `SignedData` (RFC 5652,
//! "PKCS#7") made with the user's Toss Cert certificate. This crate shows, now and years
//! later, that it is a valid signature over exactly the document the user saw, by whom and
//! when, without calling the provider.
//!
//! # Quick start
//!
//! ```
//! use toss_signed_doc::{Error, Expected, SignedDoc};
//!
//! # fn check(signed_doc_b64: &str, document_text: &str) -> Result<(), Error> {
//! // The `signedDoc` of the provider's result, and the text the user was shown.
//! let signed = SignedDoc::from_base64(signed_doc_b64)?;
//! let report = signed.verify(Expected::Text(document_text))?;
//! println!(
//!     "signed by serial {} at {:?}",
//!     report.signer.serial_number, report.signing_time
//! );
//! // The provider's certificate-check endpoint takes the signer certificate as PEM.
//! let pem = signed.signer_certificate_pem();
//! # let _ = pem;
//! # Ok(()) }
//! // Garbage is refused with a typed error, never a panic.
//! assert_eq!(SignedDoc::from_base64("not base64!").unwrap_err(), Error::NotBase64);
//! assert_eq!(SignedDoc::from_der(&[0x30, 0x82, 0x01]).unwrap_err(), Error::Truncated);
//! ```
//!
//! # What is checked
//!
//! [`SignedDoc::from_base64`] / [`SignedDoc::from_der`] parse and check the structure:
//! exactly one signer, signed attributes with `contentType` (equal to the encapsulated
//! content type) and `messageDigest`, RSA PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512 and a
//! key of 2048 to 4096 bits (anything else — RSASSA-PSS, ECDSA, SHA-1 — is refused by name
//! with [`Error::Unsupported`]), and the signer certificate present among the SignedData's
//! certificates, found by the `issuerAndSerialNumber` or `subjectKeyIdentifier` the
//! SignerInfo names.
//!
//! [`SignedDoc::verify`] (or a [`Verifier`] with [`TrustAnchors`]) then checks that:
//!
//! 1. the embedded content, if any, hashes to `messageDigest`;
//! 2. the signature over the DER of the signed attributes — the `[0] IMPLICIT` field
//!    re-tagged as a `SET OF` (RFC 5652 §5.4), taken verbatim from the input rather than
//!    re-encoded — verifies with the signer certificate's key;
//! 3. the signing time, if present, is within the certificate's validity period;
//! 4. the [`Expected`] document matches: [`Expected::Text`] equals the embedded content
//!    byte for byte (PKCS7), [`Expected::Content`] (the PDF) or [`Expected::Sha256`] matches
//!    `messageDigest` (PKCS7_NO_CONTENT_WITH_ATTR), or [`Expected::Nothing`] to report only;
//! 5. with trust anchors, that a chain leads from the signer certificate to one of them
//!    through CA certificates included in the signedDoc, each valid at the signing time
//!    and each signature of the chain verified.
//!
//! The result is a [`Report`]: the [`Signer`] (subject with its Korean common name decoded,
//! serial number, issuer, validity), signing time, digest algorithm, the content when
//! embedded, and [`chain_checked`](Report::chain_checked): whether step 5 ran. It
//! serializes with serde.
//!
//! 6. with [`Crl`]s ([`Verifier::crl`]), the signer certificate's revocation state as of
//!    the signing time: the newest CRL of its issuer must be signed by the issuer's key
//!    and fresh at the [validation time](Verifier::validation_time) (the time it was
//!    collected, for evidence kept years); a revocation at or before the signing refuses
//!    the signature ([`RevocationError::Revoked`]), one after it is reported
//!    ([`Report::revocation`]);
//! 7. when the SignerInfo carries a signatureTimeStampToken (RFC 3161, CAdES-T), that the
//!    token is over this signature, signed by a certificate for time stamping valid at its
//!    time (and chaining to the anchors when given), and not before the claimed signing
//!    time ([`Report::timestamp`]).
//!
//! [`TimestampRequest`] asks a time-stamping authority for such a token, and
//! [`SignedDoc::with_signature_timestamp`] adds it as an unsigned attribute without
//! touching what the signer signed.
//!
//! Not checked: OCSP, certificate policies and key usage. Without a timestamp, the signing
//! time is the signer's claim.
//!
//! # Trust anchors: what proves the signer's name
//!
//! Without trust anchors a report proves that the signature was made with the key of the
//! certificate inside the signedDoc, over this document, and nothing about who holds that
//! key: a forged certificate with another person's name (or a real one edited, whose own
//! signature then breaks) verifies just as well, and only the chain check refuses it. Such
//! a report has `chain_checked: false` (`"chainChecked": false` in JSON); act on the
//! signer's name or serial only after [`Verifier::verify_trusted`] or
//! [`SignedDoc::verify_trusted`], which fail with [`TrustAnchorError::Missing`] instead of
//! verifying without anchors.
//!
//! No trust anchor is embedded in this crate. The provider publishes its CA certificates at
//! <https://ca.cert.toss.im/toss-ca1.pem> (Toss CA1, the issuer of users' certificates)
//! and <https://root-ca.cert.toss.im/toss-root-ca1.pem> (Toss Root CA1, its issuer):
//! fetch them once, check them out of band, and give both to [`TrustAnchors::from_pem`]
//! (one PEM file may hold both). Both, because the provider's signedDocs carry the signer
//! certificate only, no intermediate, so the chain ends at Toss CA1.
//!
//! # Errors and personal data
//!
//! Every failure is a typed [`Error`], with its own variant for each way a signedDoc can be
//! wrong (see [`Malformed`], [`Unsupported`], [`Mismatch`], [`CertificateError`]); nothing
//! panics on input. A signer's name is personal data and a document may be too: errors
//! never contain either, and `Debug` of [`SignedDoc`], [`Report`], [`Content`] and
//! [`Expected`] leaves them out.
//!
//! # Crate features
//!
//! - `aws-lc` (**default**): RSA PKCS#1 v1.5 verification with aws-lc-rs (AWS-LC, C and
//!   assembly). The RSA-2048 signature is most of the cost of a verification: a parsed
//!   signedDoc of the provider verifies in about 15 µs with AWS-LC, on a par with OpenSSL,
//!   and in about 115 µs with the pure Rust `rsa` crate (see `docs/PERFORMANCE.md`), and a
//!   service that verifies every result it receives pays that on each one.
//! - Without it (`--no-default-features`), the pure Rust `rsa` crate verifies, for targets
//!   without a C toolchain. Both backends accept and refuse the same signatures: the key
//!   size (2048 to 4096 bits) is checked here, before either runs, and the test suite runs
//!   under both.
//!
//! # Why these dependencies
//!
//! The RustCrypto crates of one generation, pure Rust: `cms` 0.2 (the ContentInfo, the
//! SignedData's fields, each SignerInfo with its signed attributes), `x509-cert` 0.2 (each
//! certificate: names, validity, the basicConstraints, subjectKeyIdentifier, extended key
//! usage, CRL distribution points and authority information access extensions; and
//! CertificateLists), `x509-tsp` 0.1 (RFC 3161's TimeStampReq, TimeStampResp and TSTInfo,
//! of the same RustCrypto generation as `cms` 0.2), `der` 0.7 (the strict DER under both), `const-oid` (OIDs and their
//! names), `rsa` 0.9 (PKCS#1 v1.5 verification without `aws-lc`, and the PKCS#1 key syntax;
//! its known timing issue concerns decryption with a private key, never done here) and
//! `sha2`; `aws-lc-rs` for RSA with the `aws-lc` feature. `base64` for the provider's
//! encoding, `hex` for serial numbers and digests (the encoder the rest of the workspace
//! uses), `time` for dates, `serde` for the report, `thiserror` for the errors.
//!
//! Signatures are checked over the input's own bytes, never a re-encoding: `der` sorts a SET
//! OF as it decodes it, so the signed attributes (the `[0] IMPLICIT` field, re-tagged) and
//! each certificate's `tbsCertificate` are taken from the input once `cms` and `x509-cert`
//! have decoded them from it. For that the SignedData's fields are decoded one by one with
//! `cms`'s types, each certificate and SignerInfo once, from its own bytes. On top of these
//! crates, this crate refuses what `der` 0.7 lets through and DER does not: a
//! context-specific field that `der` passes over on its way to a later optional one (in a
//! SignedData, a SignerInfo or a TBSCertificate), and a repeated digest algorithm. It reads
//! the two `other` formats of certificates and revocation information as RFC 5652 §10.2 has
//! them, where `cms` 0.2 does not. How this was checked against the hand-written DER walk
//! it replaced (a differential fuzz), and what it costs, is in `docs/PERFORMANCE.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod attributes;
mod certificate;
mod chain;
mod crl;
mod error;
mod parse;
mod report;
mod revocation;
mod timestamp;
mod tlv;
mod verify;

pub use algorithm::DigestAlgorithm;
pub use chain::TrustAnchors;
pub use crl::Crl;
pub use error::{
    CertificateError, DerError, Error, Malformed, Mismatch, RevocationError, TimestampError,
    TrustAnchorError, Unsupported,
};
pub use parse::SignedDoc;
pub use report::{
    Chain, Content, DocumentCheck, Report, Revocation, RevocationStatus, Signer, Timestamp,
};
pub use timestamp::{TimestampRequest, TimestampToken};
pub use verify::{Expected, Verifier};
