//! The optional chain check: from the signer certificate, through CA certificates included
//! in the SignedData, to a trust anchor the caller gives. None is embedded.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use crate::certificate::{DecodeError, ParsedCertificate};
use crate::error::{CertificateError, DerError, Error, TrustAnchorError};

/// The most CA certificates between the signer and an anchor.
const MAX_INTERMEDIATES: usize = 8;

const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const PEM_END: &str = "-----END CERTIFICATE-----";

/// Certificates the caller trusts to issue signer certificates, directly or through CA
/// certificates included in the signedDoc.
///
/// Anchors are trusted as given: their own signatures are not checked, but their validity
/// periods are.
#[derive(Clone, Default)]
pub struct TrustAnchors {
    certificates: Vec<ParsedCertificate>,
}

impl TrustAnchors {
    /// No anchors: every chain is untrusted.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every `-----BEGIN CERTIFICATE-----` block of `pem` (one or more; the base64 may be on
    /// one line or many).
    ///
    /// # Errors
    ///
    /// [`TrustAnchorError::NoCertificate`] without a block, [`TrustAnchorError::Malformed`]
    /// when a block is not a certificate.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let mut anchors = Self::new();
        anchors.add_pem(pem)?;
        Ok(anchors)
    }

    /// Adds every certificate of `pem`, as [`from_pem`](Self::from_pem).
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem); nothing is added then.
    pub fn add_pem(&mut self, pem: &str) -> Result<&mut Self, Error> {
        let mut added = Vec::new();
        let mut rest = pem;
        while let Some(start) = rest.find(PEM_BEGIN) {
            let after_begin = &rest[start + PEM_BEGIN.len()..];
            let end = after_begin.find(PEM_END).ok_or_else(malformed_pem)?;
            let body: String = after_begin[..end]
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let der = STANDARD.decode(body).map_err(|_| malformed_pem())?;
            added.push(parse_anchor(&der)?);
            rest = &after_begin[end + PEM_END.len()..];
        }
        if added.is_empty() {
            return Err(TrustAnchorError::NoCertificate.into());
        }
        self.certificates.extend(added);
        Ok(self)
    }

    /// Adds one DER certificate.
    ///
    /// # Errors
    ///
    /// [`TrustAnchorError::Malformed`] when it is not a certificate.
    pub fn add_der(&mut self, der: &[u8]) -> Result<&mut Self, Error> {
        self.certificates.push(parse_anchor(der)?);
        Ok(self)
    }

    /// How many anchors there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// The DER of each anchor, in the order given.
    pub fn certificates_der(&self) -> impl Iterator<Item = &[u8]> {
        self.certificates.iter().map(ParsedCertificate::der)
    }

    pub(crate) fn certificates(&self) -> &[ParsedCertificate] {
        &self.certificates
    }
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchors")
            .field("len", &self.certificates.len())
            .finish()
    }
}

fn malformed_pem() -> Error {
    TrustAnchorError::Malformed(DerError::new(der::Error::from(der::ErrorKind::Failed))).into()
}

fn parse_anchor(der: &[u8]) -> Result<ParsedCertificate, Error> {
    ParsedCertificate::from_der(der).map_err(|error| {
        let error = match error {
            DecodeError::Der(error) => error,
            DecodeError::Validity => der::ErrorKind::DateTime.into(),
        };
        TrustAnchorError::Malformed(DerError::new(error)).into()
    })
}

/// A chain found from the signer certificate to a trust anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    /// The anchor's subject.
    pub(crate) anchor: String,
    /// Certificates in the chain, the signer's and the anchor's included.
    pub(crate) length: usize,
}

/// Finds a chain from `signer` to one of `anchors` through the CA certificates among
/// `intermediates`, every certificate of it valid at `at`.
pub(crate) fn verify(
    signer: &ParsedCertificate,
    intermediates: &[ParsedCertificate],
    anchors: &TrustAnchors,
    at: OffsetDateTime,
) -> Result<Path, CertificateError> {
    if !signer.valid_at(at) {
        return Err(CertificateError::NotValidAtSigningTime);
    }
    let mut search = Search {
        intermediates,
        anchors: &anchors.certificates,
        at,
        used: Vec::new(),
        saw_invalid_period: false,
    };
    match search.from(signer) {
        Some(anchor) => Ok(Path {
            anchor: anchor.subject(),
            length: search.used.len() + 2 - usize::from(anchor.der() == signer.der()),
        }),
        None if search.saw_invalid_period => Err(CertificateError::ChainNotValidAtSigningTime),
        None => Err(CertificateError::Untrusted),
    }
}

struct Search<'a> {
    intermediates: &'a [ParsedCertificate],
    anchors: &'a [ParsedCertificate],
    at: OffsetDateTime,
    /// Indices into `intermediates` of the path so far.
    used: Vec<usize>,
    saw_invalid_period: bool,
}

impl<'a> Search<'a> {
    /// Depth first: the anchor reached from `certificate`, `used` then holding the path.
    fn from(&mut self, certificate: &ParsedCertificate) -> Option<&'a ParsedCertificate> {
        let anchors = self.anchors;
        if let Some(anchor) = anchors.iter().find(|a| a.der() == certificate.der()) {
            return Some(anchor);
        }
        for anchor in anchors {
            if certificate.is_issued_by(anchor) {
                if anchor.valid_at(self.at) {
                    return Some(anchor);
                }
                self.saw_invalid_period = true;
            }
        }
        if self.used.len() >= MAX_INTERMEDIATES {
            return None;
        }
        let intermediates = self.intermediates;
        for (index, candidate) in intermediates.iter().enumerate() {
            if self.used.contains(&index)
                || candidate.der() == certificate.der()
                || !candidate.is_ca()
                || !certificate.is_issued_by(candidate)
            {
                continue;
            }
            if !candidate.valid_at(self.at) {
                self.saw_invalid_period = true;
                continue;
            }
            self.used.push(index);
            if let Some(anchor) = self.from(candidate) {
                return Some(anchor);
            }
            self.used.pop();
        }
        None
    }
}
