//! The evidence record: what was collected right after a signature, kept with its
//! transaction (as JSON) and exported with it.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The version of the record's JSON this crate writes and reads.
pub const FORMAT: u32 = 1;

/// What was collected about one signature, besides the signedDoc itself: the provider's
/// certificate-check answer, the issuer's CRL, and a trusted timestamp over the signature,
/// each with where and when it was obtained; and, for each that could not be had, why.
///
/// Serializes to camelCase JSON (binary values in base64): the form a transaction store
/// keeps. It holds no personal data: the signer's name is in the signedDoc's certificate,
/// and the document in the signedDoc.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Evidence {
    /// [`FORMAT`].
    pub format: u32,
    /// The transaction.
    pub tx_id: String,
    /// The version of the SDK that collected it.
    pub sdk_version: String,
    /// When the collection ended.
    #[serde(with = "time::serde::rfc3339")]
    pub collected_at: OffsetDateTime,
    /// When the signature was requested (the provider's `requestedDt`).
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// When the user completed it (the provider's `completedDt`).
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
    /// What was signed, as the request described it.
    pub document: DocumentInfo,
    /// The provider's certificate-check answer for the signer certificate.
    pub certificate_check: Option<CertificateCheck>,
    /// The CRL of the signer certificate's issuer, from its distribution point.
    pub crl: Option<CrlEvidence>,
    /// A trusted timestamp over the signature.
    pub timestamp: Option<TimestampEvidence>,
    /// What could not be collected, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

impl Evidence {
    /// A record of `tx_id` with nothing collected yet.
    #[must_use]
    pub fn new(
        tx_id: impl Into<String>,
        requested_at: OffsetDateTime,
        completed_at: OffsetDateTime,
        document: DocumentInfo,
        collected_at: OffsetDateTime,
    ) -> Self {
        Self {
            format: FORMAT,
            tx_id: tx_id.into(),
            sdk_version: env!("CARGO_PKG_VERSION").to_owned(),
            collected_at,
            requested_at,
            completed_at,
            document,
            certificate_check: None,
            crl: None,
            timestamp: None,
            gaps: Vec::new(),
        }
    }

    /// Notes that `item` could not be collected, for `reason` (an error message, which
    /// names no personal data).
    pub fn add_gap(&mut self, item: Item, reason: impl Into<String>) {
        self.gaps.push(Gap {
            item,
            reason: reason.into(),
        });
    }

    /// `signed_doc` (DER, as received) with this record's timestamp added as the unsigned
    /// attribute signatureTimeStampToken (CAdES-T), the signer's signature untouched; `None`
    /// without a timestamp.
    ///
    /// # Errors
    ///
    /// When the signedDoc or the token cannot be read, the token is over another
    /// signature, or the signedDoc is not canonical DER (see
    /// `toss_signed_doc::SignedDoc::with_signature_timestamp`).
    pub fn timestamped(
        &self,
        signed_doc: &[u8],
    ) -> Result<Option<Vec<u8>>, toss_signed_doc::Error> {
        let Some(timestamp) = &self.timestamp else {
            return Ok(None);
        };
        let token = toss_signed_doc::TimestampToken::from_der(&timestamp.token)?;
        toss_signed_doc::SignedDoc::from_der(signed_doc)?
            .with_signature_timestamp(&token)
            .map(Some)
    }

    /// The record as the JSON a store keeps.
    ///
    /// # Errors
    ///
    /// Only if serialization fails, which it does not for a record built by this crate.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// A record from the JSON [`to_json`](Self::to_json) wrote.
    ///
    /// # Errors
    ///
    /// When it is not such a record (unknown fields are refused).
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evidence")
            .field("tx_id", &self.tx_id)
            .field("collected_at", &self.collected_at)
            .field("certificate_check", &self.certificate_check)
            .field("crl", &self.crl)
            .field("timestamp", &self.timestamp)
            .field("gaps", &self.gaps)
            .finish_non_exhaustive()
    }
}

/// What was signed, as the request described it; `None` where the transaction was
/// requested elsewhere and the request is not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct DocumentInfo {
    /// `TEXT`, `HTML` or `PDF`.
    pub doc_type: Option<String>,
    /// The provider's signature type (`PKCS7`, `PKCS7_NO_CONTENT_WITH_ATTR`).
    pub signature_type: String,
    /// The service name shown to the user.
    pub service_name: Option<String>,
    /// The document title shown to the user.
    pub title: Option<String>,
}

impl DocumentInfo {
    /// A description of a document signed with `signature_type`.
    #[must_use]
    pub fn new(signature_type: impl Into<String>) -> Self {
        Self {
            signature_type: signature_type.into(),
            ..Self::default()
        }
    }

    /// With the request's document type, service name and title.
    #[must_use]
    pub fn described(
        mut self,
        doc_type: impl Into<String>,
        service_name: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        self.doc_type = Some(doc_type.into());
        self.service_name = Some(service_name.into());
        self.title = Some(title.into());
        self
    }

    /// Whether the document is a PDF signed by its hash.
    #[must_use]
    pub fn is_pdf(&self) -> bool {
        self.doc_type.as_deref() == Some("PDF")
            || self.signature_type == "PKCS7_NO_CONTENT_WITH_ATTR"
    }

    /// Whether the document is HTML.
    #[must_use]
    pub fn is_html(&self) -> bool {
        self.doc_type.as_deref() == Some("HTML")
    }
}

/// The provider's certificate-check answer: about the certificate at the time asked, not
/// at the signing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct CertificateCheck {
    /// When the answer came.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// `valid` as answered.
    pub valid: bool,
    /// `enabled` as answered.
    pub enabled: bool,
}

impl CertificateCheck {
    /// An answer received at `checked_at`.
    #[must_use]
    pub fn new(checked_at: OffsetDateTime, valid: bool, enabled: bool) -> Self {
        Self {
            checked_at,
            valid,
            enabled,
        }
    }
}

/// A CRL as fetched.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct CrlEvidence {
    /// The distribution point it came from.
    pub url: String,
    /// When it was fetched (from the network, or from a cache holding it since): the
    /// validation time its freshness is judged at.
    #[serde(with = "time::serde::rfc3339")]
    pub fetched_at: OffsetDateTime,
    /// The DER, as served.
    #[serde(with = "base64_bytes")]
    pub der: Vec<u8>,
}

impl CrlEvidence {
    /// A CRL fetched from `url` at `fetched_at`.
    #[must_use]
    pub fn new(url: impl Into<String>, fetched_at: OffsetDateTime, der: Vec<u8>) -> Self {
        Self {
            url: url.into(),
            fetched_at,
            der,
        }
    }
}

impl fmt::Debug for CrlEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrlEvidence")
            .field("url", &self.url)
            .field("fetched_at", &self.fetched_at)
            .field("len", &self.der.len())
            .finish()
    }
}

/// A timestamp token (RFC 3161) over the signature, as the TSA answered.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct TimestampEvidence {
    /// The time-stamping authority asked.
    pub url: String,
    /// The DER TimeStampToken.
    #[serde(with = "base64_bytes")]
    pub token: Vec<u8>,
}

impl TimestampEvidence {
    /// A token from the TSA at `url`.
    #[must_use]
    pub fn new(url: impl Into<String>, token: Vec<u8>) -> Self {
        Self {
            url: url.into(),
            token,
        }
    }
}

impl fmt::Debug for TimestampEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimestampEvidence")
            .field("url", &self.url)
            .field("len", &self.token.len())
            .finish()
    }
}

/// Something that could not be collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Gap {
    /// What.
    pub item: Item,
    /// Why: an error message.
    pub reason: String,
}

/// An item of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Item {
    /// The provider's certificate-check answer.
    CertificateCheck,
    /// The issuer's CRL.
    Crl,
    /// The trusted timestamp.
    Timestamp,
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Evidence {
        let at = OffsetDateTime::from_unix_timestamp(1_765_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let mut evidence = Evidence::new(
            "tx-1",
            at,
            at,
            DocumentInfo::new("PKCS7").described("TEXT", "토스증권", "동의서"),
            at,
        );
        evidence.crl = Some(CrlEvidence::new(
            "http://ca.example/crl",
            at,
            vec![0x30, 0x00],
        ));
        evidence.timestamp = Some(TimestampEvidence::new("http://tsa.example", vec![1, 2, 3]));
        evidence.certificate_check = Some(CertificateCheck::new(at, true, true));
        evidence.add_gap(Item::Timestamp, "only a test");
        evidence
    }

    #[test]
    fn round_trips_as_json_and_refuses_unknown_fields() {
        let evidence = record();
        let json = evidence.to_json().unwrap();
        assert!(json.contains("\"der\":\"MAA=\""), "{json}");
        assert_eq!(Evidence::from_json(&json).unwrap(), evidence);
        let extra = json.replacen('{', "{\"surprise\":1,", 1);
        assert!(Evidence::from_json(&extra).is_err());
        assert!(Evidence::from_json("{}").is_err());
    }

    #[test]
    fn debug_shows_lengths_not_bytes() {
        let debug = format!("{:?}", record());
        assert!(
            debug.contains("len: 2") && debug.contains("len: 3"),
            "{debug}"
        );
        assert!(!debug.contains("[48, 0]"), "{debug}");
    }

    #[test]
    fn document_kinds() {
        assert!(DocumentInfo::new("PKCS7_NO_CONTENT_WITH_ATTR").is_pdf());
        assert!(
            DocumentInfo::new("PKCS7")
                .described("HTML", "s", "t")
                .is_html()
        );
        assert!(!DocumentInfo::new("PKCS7").is_pdf());
    }
}
