//! Verification: the content against `messageDigest`, the signature against the signer
//! certificate's key, the certificate's validity at signing time, the expected document, and
//! optionally the chain.

use std::fmt;

use time::OffsetDateTime;

use crate::algorithm::DigestAlgorithm;
use crate::chain::{self, TrustAnchors};
use crate::crl::Crl;
use crate::error::{CertificateError, Error, Mismatch, TrustAnchorError};
use crate::parse::{Redacted, SignedDoc};
use crate::report::{Chain, Content, DocumentCheck, Report, Signer};
use crate::revocation;
use crate::timestamp::TimestampToken;

/// What the caller expects was signed.
///
/// `Debug` shows only which variant and a length, never the document.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Expected<'a> {
    /// The document text shown to the user. For PKCS7 (embedded content) it must equal the
    /// content byte for byte; for a detached signature its UTF-8 bytes must hash to
    /// `messageDigest`.
    Text(&'a str),
    /// The document bytes (e.g. the PDF of PKCS7_NO_CONTENT_WITH_ATTR): equal to the
    /// embedded content, or hashing to `messageDigest` when detached.
    Content(&'a [u8]),
    /// The SHA-256 of the document: must equal `messageDigest` (and the signer must have used
    /// SHA-256).
    Sha256([u8; 32]),
    /// Nothing: check the signature only and report what was signed. The content is then
    /// whatever the signer chose; compare it yourself.
    Nothing,
}

impl fmt::Debug for Expected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.debug_tuple("Text").field(&Redacted(text.len())).finish(),
            Self::Content(bytes) => f
                .debug_tuple("Content")
                .field(&Redacted(bytes.len()))
                .finish(),
            Self::Sha256(_) => f.write_str("Sha256(..)"),
            Self::Nothing => f.write_str("Nothing"),
        }
    }
}

/// Verifies [`SignedDoc`]s, optionally with a chain check against trust anchors.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use toss_signed_doc::{Expected, SignedDoc, TrustAnchors, Verifier};
///
/// // Once: the provider's CA certificates (Toss CA1 and Toss Root CA1, from
/// // https://ca.cert.toss.im/toss-ca1.pem and https://root-ca.cert.toss.im/toss-root-ca1.pem),
/// // fetched and checked out of band, in one PEM file.
/// let anchors = TrustAnchors::from_pem(&std::fs::read_to_string("toss-ca.pem")?)?;
/// let verifier = Verifier::new().trust_anchors(anchors);
///
/// let signed = SignedDoc::from_base64(&std::fs::read_to_string("signed_doc.b64")?)?;
/// // Fails closed if the verifier had no anchors.
/// let report = verifier.verify_trusted(&signed, Expected::Text("약관 본문"))?;
/// assert!(report.chain_checked);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    anchors: Option<TrustAnchors>,
    timestamp: Option<TimestampToken>,
    crls: Vec<Crl>,
    validation_time: Option<OffsetDateTime>,
    require_revocation: bool,
}

impl Verifier {
    /// A verifier without a chain check.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Also require a chain from the signer certificate to one of `anchors`, through CA
    /// certificates included in the signedDoc, each valid at the signing time (or now,
    /// without one).
    #[must_use]
    pub fn trust_anchors(mut self, anchors: TrustAnchors) -> Self {
        self.anchors = Some(anchors);
        self
    }

    /// Also check the signer certificate's revocation with `crl` (call again to give more,
    /// such as the several files a CA splits its CRL into): the newest CRL of the signer's
    /// issuer must be signed by that issuer and fresh at the
    /// [validation time](Self::validation_time), and must not list the certificate as
    /// revoked at or before the signing time. A revocation after the signing leaves the
    /// signature valid, and the report says when it happened.
    #[must_use]
    pub fn crl(mut self, crl: Crl) -> Self {
        self.crls.push(crl);
        self
    }

    /// Also check `token`, a timestamp kept beside the signedDoc rather than in it, as a
    /// signatureTimeStampToken would be: over this signature, by a certificate for time
    /// stamping. A token inside the signedDoc takes precedence.
    #[must_use]
    pub fn signature_timestamp(mut self, token: TimestampToken) -> Self {
        self.timestamp = Some(token);
        self
    }

    /// When the CRLs must have been fresh: the time they were collected, for a
    /// verification years later from kept evidence. By default, now.
    #[must_use]
    pub fn validation_time(mut self, at: OffsetDateTime) -> Self {
        self.validation_time = Some(at);
        self
    }

    /// Fail with [`RevocationError::NoCrl`](crate::RevocationError::NoCrl) unless a CRL was given: for callers that must not
    /// accept a signature whose revocation was not checked.
    #[must_use]
    pub fn require_revocation_check(mut self) -> Self {
        self.require_revocation = true;
        self
    }

    /// Verifies `signed` against what the caller `expected`.
    ///
    /// In order: the embedded content hashes to `messageDigest`; the RSA PKCS#1 v1.5
    /// signature over the DER of the signed attributes verifies with the signer
    /// certificate's key; the certificate was valid at the signing time; the expected
    /// document matches; the chain, when anchors were given.
    ///
    /// # Errors
    ///
    /// [`Mismatch::ContentDigest`], [`Error::SignatureInvalid`],
    /// [`CertificateError::NotValidAtSigningTime`], [`Mismatch::Document`],
    /// [`Mismatch::DetachedContent`], [`Mismatch::DigestAlgorithm`],
    /// [`CertificateError::Untrusted`] and [`CertificateError::ChainNotValidAtSigningTime`];
    /// a [`TimestampError`](crate::TimestampError) for a signature timestamp that does not hold, and a
    /// [`RevocationError`](crate::RevocationError) with CRLs.
    pub fn verify(&self, signed: &SignedDoc, expected: Expected<'_>) -> Result<Report, Error> {
        verify(signed, expected, &self.options(self.anchors.as_ref()))
    }

    fn options<'a>(&'a self, anchors: Option<&'a TrustAnchors>) -> Options<'a> {
        Options {
            anchors,
            timestamp: self.timestamp.as_ref(),
            crls: &self.crls,
            validation_time: self.validation_time,
            require_revocation: self.require_revocation,
        }
    }

    /// [`verify`](Self::verify), failing closed when this verifier has no trust anchors:
    /// for callers that act on the signer's identity (name, serial), which only a chain to
    /// the provider's CA proves. The report then always has `chain_checked` set.
    ///
    /// # Errors
    ///
    /// [`TrustAnchorError::Missing`] when no anchor (or an empty set) was given, before
    /// anything is checked; otherwise as [`verify`](Self::verify).
    pub fn verify_trusted(
        &self,
        signed: &SignedDoc,
        expected: Expected<'_>,
    ) -> Result<Report, Error> {
        let anchors = required(self.anchors.as_ref())?;
        verify(signed, expected, &self.options(Some(anchors)))
    }

    /// Whether trust anchors were given, at least one: whether
    /// [`verify_trusted`](Self::verify_trusted) can succeed.
    #[must_use]
    pub fn has_trust_anchors(&self) -> bool {
        self.anchors
            .as_ref()
            .is_some_and(|anchors| !anchors.is_empty())
    }
}

/// The anchors, unless there are none.
fn required(anchors: Option<&TrustAnchors>) -> Result<&TrustAnchors, Error> {
    anchors
        .filter(|anchors| !anchors.is_empty())
        .ok_or_else(|| TrustAnchorError::Missing.into())
}

/// What a verification checks besides the signature and the document.
#[derive(Default)]
struct Options<'a> {
    anchors: Option<&'a TrustAnchors>,
    timestamp: Option<&'a TimestampToken>,
    crls: &'a [Crl],
    validation_time: Option<OffsetDateTime>,
    require_revocation: bool,
}

fn verify(
    signed: &SignedDoc,
    expected: Expected<'_>,
    options: &Options<'_>,
) -> Result<Report, Error> {
    let anchors = options.anchors;
    let digest_algorithm = signed.digest_algorithm();
    let message_digest = signed.message_digest();
    check_signature(signed)?;
    let hash = signed.signature_hash();

    let certificate = signed.signer_certificate();
    let signing_time = signed.signing_time();
    if let Some(time) = signing_time
        && !certificate.valid_at(time)
    {
        return Err(CertificateError::NotValidAtSigningTime.into());
    }

    let document = check_expected(signed, expected)?;

    let chain = match anchors {
        None => None,
        Some(anchors) => {
            let at = signing_time.unwrap_or_else(OffsetDateTime::now_utc);
            let path = chain::verify(certificate, signed.certificates(), anchors, at)?;
            Some(Chain {
                anchor: path.anchor,
                length: path.length,
                validated_at: at,
            })
        }
    };

    let embedded = signed
        .signature_timestamp_der()
        .map(TimestampToken::from_der)
        .transpose()?;
    let timestamp = match embedded.as_ref().or(options.timestamp) {
        None => None,
        Some(token) => Some(token.verify(signed, anchors)?),
    };

    let validated_at = options
        .validation_time
        .unwrap_or_else(OffsetDateTime::now_utc);
    let revocation = if options.crls.is_empty() && !options.require_revocation {
        None
    } else {
        let as_of = signing_time
            .or(timestamp.as_ref().map(|t| t.time))
            .unwrap_or(validated_at);
        let candidates = anchors
            .map(TrustAnchors::certificates)
            .unwrap_or_default()
            .iter()
            .chain(signed.certificates());
        Some(revocation::check(
            certificate,
            candidates,
            options.crls,
            as_of,
            validated_at,
        )?)
    };

    Ok(Report {
        signer: Signer::from_certificate(certificate),
        signing_time,
        digest_algorithm,
        signature_algorithm: format!("RSA PKCS#1 v1.5 with {hash}"),
        message_digest: message_digest.to_vec(),
        certificate_valid_at_signing_time: signing_time.map(|_| true),
        document,
        content: signed.content().map(|c| Content::new(c.to_vec())),
        chain_checked: chain.is_some(),
        chain,
        revocation,
        timestamp,
    })
}

/// That the embedded content, if any, hashes to `messageDigest`, and that the signature
/// over the signed attributes verifies with the signer certificate's key.
pub(crate) fn check_signature(signed: &SignedDoc) -> Result<(), Error> {
    if let Some(content) = signed.content()
        && signed.digest_algorithm().digest(content) != signed.message_digest()
    {
        return Err(Mismatch::ContentDigest.into());
    }
    if !signed
        .signer_key()
        .verify(signed.signed_attributes_der(), signed.signature_value())
    {
        return Err(Error::SignatureInvalid);
    }
    Ok(())
}

fn check_expected(signed: &SignedDoc, expected: Expected<'_>) -> Result<DocumentCheck, Error> {
    let algorithm = signed.digest_algorithm();
    let message_digest = signed.message_digest();
    let (check, bytes) = match expected {
        Expected::Nothing => return Ok(DocumentCheck::NotChecked),
        Expected::Sha256(digest) => {
            if algorithm != DigestAlgorithm::Sha256 {
                return Err(Mismatch::DigestAlgorithm {
                    signed_with: algorithm,
                }
                .into());
            }
            // The embedded content, if any, was checked against `messageDigest` already.
            if digest.as_slice() != message_digest {
                return Err(if signed.is_detached() {
                    Mismatch::DetachedContent
                } else {
                    Mismatch::Document
                }
                .into());
            }
            return Ok(DocumentCheck::Sha256);
        }
        Expected::Text(text) => (DocumentCheck::Text, text.as_bytes()),
        Expected::Content(bytes) => (DocumentCheck::Content, bytes),
    };
    match signed.content() {
        Some(content) if content == bytes => Ok(check),
        Some(_) => Err(Mismatch::Document.into()),
        None if algorithm.digest(bytes) == message_digest => Ok(check),
        None => Err(Mismatch::DetachedContent.into()),
    }
}

impl SignedDoc {
    /// Verifies this signedDoc against what the caller `expected`, without a chain check:
    /// the same as `Verifier::new().verify(self, expected)`.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`].
    pub fn verify(&self, expected: Expected<'_>) -> Result<Report, Error> {
        verify(self, expected, &Options::default())
    }

    /// Verifies this signedDoc and its chain to one of `anchors`: the same as
    /// `Verifier::new().trust_anchors(anchors).verify_trusted(self, expected)`, without
    /// copying the anchors.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify_trusted`]: [`TrustAnchorError::Missing`] when `anchors` is
    /// empty.
    pub fn verify_trusted(
        &self,
        expected: Expected<'_>,
        anchors: &TrustAnchors,
    ) -> Result<Report, Error> {
        let anchors = required(Some(anchors))?;
        verify(
            self,
            expected,
            &Options {
                anchors: Some(anchors),
                ..Options::default()
            },
        )
    }
}
