//! What a successful verification shows: who signed, when, with what, over which content.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use crate::algorithm::DigestAlgorithm;
use crate::certificate::ParsedCertificate;
use crate::parse::Redacted;

/// The result of a successful verification. Serializes (serde) to camelCase JSON, times in
/// RFC 3339.
///
/// `Debug` leaves out the subject, the common name and the content: they are personal data.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Report {
    /// The signer certificate.
    pub signer: Signer,
    /// The `signingTime` signed attribute: the signer's claim, covered by the signature but
    /// not a trusted timestamp.
    #[serde(with = "time::serde::rfc3339::option")]
    pub signing_time: Option<OffsetDateTime>,
    /// The digest algorithm of the content and of the signature.
    pub digest_algorithm: DigestAlgorithm,
    /// The signature algorithm, as `RSA PKCS#1 v1.5 with SHA-256`.
    pub signature_algorithm: String,
    /// The signed `messageDigest`: the digest of the content.
    #[serde(serialize_with = "hex")]
    pub message_digest: Vec<u8>,
    /// Whether the signer certificate was valid at the signing time; `None` without a
    /// signing time. A verification never succeeds with `Some(false)`.
    pub certificate_valid_at_signing_time: Option<bool>,
    /// What the signed content was checked against.
    pub document: DocumentCheck,
    /// The embedded content (PKCS7); `None` when detached.
    pub content: Option<Content>,
    /// Whether the signer certificate was checked against trust anchors: `true` exactly when
    /// [`chain`](Self::chain) is `Some`. When `false`, the signature is proven to be made
    /// with the key in the certificate, but nothing proves that the provider issued that
    /// certificate: anyone can make one with any name, serial and issuer in it, so
    /// [`signer`](Self::signer) is the signedDoc's own claim.
    pub chain_checked: bool,
    /// The chain to a trust anchor, when anchors were given.
    pub chain: Option<Chain>,
    /// The signer certificate's revocation state at the signing time, when CRLs were given.
    pub revocation: Option<Revocation>,
    /// The trusted timestamp over the signature (signatureTimeStampToken), when the
    /// signedDoc carries one.
    pub timestamp: Option<Timestamp>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("signer", &self.signer)
            .field("signing_time", &self.signing_time)
            .field("digest_algorithm", &self.digest_algorithm)
            .field("signature_algorithm", &self.signature_algorithm)
            .field(
                "certificate_valid_at_signing_time",
                &self.certificate_valid_at_signing_time,
            )
            .field("document", &self.document)
            .field("content", &self.content)
            .field("chain_checked", &self.chain_checked)
            .field("chain", &self.chain)
            .field("revocation", &self.revocation)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// The signer certificate's identity and validity, as the certificate states them: proven
/// to be the provider's only when the report's `chain_checked` is `true`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Signer {
    /// The subject as an RFC 4514 string (`CN=홍길동,OU=…,C=KR`), strings decoded.
    pub subject: String,
    /// The subject's common name (the person's name in a Toss Cert certificate).
    pub common_name: Option<String>,
    /// The serial number in decimal.
    pub serial_number: String,
    /// The serial number in lowercase hex.
    pub serial_number_hex: String,
    /// The issuer as an RFC 4514 string.
    pub issuer: String,
    /// Start of the validity period.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of the validity period.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

impl Signer {
    pub(crate) fn from_certificate(certificate: &ParsedCertificate) -> Self {
        let (subject, common_name) = certificate.subject_and_common_name();
        Self {
            subject,
            common_name,
            serial_number: certificate.serial_decimal(),
            serial_number_hex: certificate.serial_hex(),
            issuer: certificate.issuer(),
            not_before: certificate.not_before(),
            not_after: certificate.not_after(),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &"<redacted>")
            .field("serial_number", &self.serial_number)
            .field("issuer", &self.issuer)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// What the signed content was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum DocumentCheck {
    /// The expected text (UTF-8 bytes).
    Text,
    /// The expected content bytes (e.g. the PDF).
    Content,
    /// The expected SHA-256 of the content.
    Sha256,
    /// Nothing: the signature is valid, but over a content nobody compared.
    NotChecked,
}

/// The signed content embedded in a signedDoc. `Debug` shows only its length.
///
/// Serializes as `{"text": "…"}` when it is UTF-8, otherwise as `{"base64": "…"}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Content(Vec<u8>);

impl Content {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, if the bytes are UTF-8.
    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The bytes, owned.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Content")
            .field(&Redacted(self.0.len()))
            .finish()
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(1))?;
        match self.as_text() {
            Some(text) => map.serialize_entry("text", text)?,
            None => map.serialize_entry("base64", &STANDARD.encode(&self.0))?,
        }
        map.end()
    }
}

/// A chain from the signer certificate to a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Chain {
    /// The anchor's subject, as an RFC 4514 string.
    pub anchor: String,
    /// Certificates in the chain, the signer's and the anchor's included.
    pub length: usize,
    /// When every certificate of the chain was checked to be valid: the signing time, or
    /// the time of the verification without one.
    #[serde(with = "time::serde::rfc3339")]
    pub validated_at: OffsetDateTime,
}

/// The signer certificate's revocation state at the moment of signing, from a CRL of its
/// issuer whose signature and freshness were checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Revocation {
    /// Not revoked, or revoked only after the signature (a verification never succeeds
    /// with a revocation before it).
    pub status: RevocationStatus,
    /// The moment the state was judged at: the signing time, or the timestamp's time
    /// without one, or the validation time without either.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    /// When the CRL says the certificate was revoked, if it lists it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// The CRL's reason, in RFC 5280's lowerCamelCase (`keyCompromise`), if it lists it.
    pub reason: Option<String>,
    /// The CRL's issuer, as an RFC 4514 string.
    pub crl_issuer: String,
    /// The CRL's number, in decimal, when it has one.
    pub crl_number: Option<String>,
    /// When the CRL was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub crl_this_update: OffsetDateTime,
    /// When it stops being fresh.
    #[serde(with = "time::serde::rfc3339::option")]
    pub crl_next_update: Option<OffsetDateTime>,
    /// When the CRL was checked to be fresh: the time it was collected.
    #[serde(with = "time::serde::rfc3339")]
    pub validated_at: OffsetDateTime,
}

/// Whether the signer certificate was revoked, as of the moment of signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RevocationStatus {
    /// The CRL does not list it.
    NotRevoked,
    /// The CRL lists it, revoked after the signature: valid when it signed.
    RevokedAfterSigning,
}

/// A verified trusted timestamp (RFC 3161) over the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Timestamp {
    /// The time-stamping authority's time (`genTime`): the signature existed then.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The token's serial number, in lowercase hex.
    pub serial_number: String,
    /// The TSA's policy, as a dotted OID.
    pub policy: String,
    /// The TSA certificate's subject, as an RFC 4514 string.
    pub authority: String,
    /// The digest algorithm of the message imprint.
    pub digest_algorithm: DigestAlgorithm,
    /// Whether the TSA certificate was checked against the trust anchors.
    pub chain_checked: bool,
}

fn hex<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}
