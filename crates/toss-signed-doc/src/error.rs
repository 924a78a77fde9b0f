//! Every way a signedDoc can fail to parse or verify, as one typed [`Error`].
//!
//! Messages name what was wrong and never quote the input: no document content, no subject
//! name (a signer's name is personal data), no base64.

use std::fmt;

use time::OffsetDateTime;

use crate::algorithm::DigestAlgorithm;

/// Why a signedDoc was refused.
///
/// Larger categories have their own enums ([`Malformed`], [`Unsupported`], [`Mismatch`],
/// [`CertificateError`], [`TrustAnchorError`]), which display as themselves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was empty (or only whitespace).
    #[error("signedDoc is empty")]
    Empty,
    /// The text is not base64 (standard alphabet; whitespace is ignored).
    #[error("signedDoc is not base64")]
    NotBase64,
    /// The DER ends before the lengths it declares.
    #[error("signedDoc is truncated")]
    Truncated,
    /// The bytes are not DER of a CMS `ContentInfo` / `SignedData`.
    #[error("signedDoc is not valid DER CMS")]
    NotDer(#[source] DerError),
    /// A DER `ContentInfo` whose content type is not `id-signedData`.
    #[error("signedDoc is not CMS SignedData (content type {content_type})")]
    NotSignedData {
        /// The content type found, as a name or dotted OID.
        content_type: String,
    },
    /// Well-formed DER with a SignedData that breaks RFC 5652 (or this crate's profile).
    #[error(transparent)]
    Malformed(#[from] Malformed),
    /// An algorithm or key this crate does not verify, named.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// None of the certificates in the SignedData is the one its SignerInfo names.
    #[error("the signer certificate named by the SignerInfo is not in the SignedData")]
    SignerCertificateNotFound,
    /// A digest or content differs from what was signed or expected.
    #[error(transparent)]
    Mismatch(#[from] Mismatch),
    /// The RSA signature over the signed attributes does not verify with the signer
    /// certificate's public key.
    #[error("the signature does not verify with the signer certificate's key")]
    SignatureInvalid,
    /// The signer certificate or its chain is not acceptable.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// A trust anchor was required but none was given, or one given could not be read.
    #[error(transparent)]
    TrustAnchor(#[from] TrustAnchorError),
    /// The signer certificate was revoked before it signed, or its revocation could not be
    /// checked with the CRLs given.
    #[error(transparent)]
    Revocation(#[from] RevocationError),
    /// A trusted timestamp could not be read or does not hold.
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
}

/// A DER decoding failure, with the byte offset where it happened when known.
///
/// Wraps the `der` crate's error so that its type is not part of this crate's API.
#[derive(Clone, PartialEq, Eq)]
pub struct DerError {
    kind: String,
    position: Option<usize>,
}

impl DerError {
    pub(crate) fn new(error: der::Error) -> Self {
        // `der::ErrorKind`'s Display names the kind (and tags or lengths), never the input.
        Self {
            kind: error.kind().to_string(),
            position: error.position().map(|p| u32::from(p) as usize),
        }
    }

    /// The byte offset of the failure in the DER, when the decoder knows it.
    #[must_use]
    pub fn position(&self) -> Option<usize> {
        self.position
    }
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(position) = self.position {
            write!(f, " at byte {position}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DerError({self})")
    }
}

impl std::error::Error for DerError {}

/// A SignedData that parses as DER but is not a signature this crate can check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The SignedData has no SignerInfo.
    #[error("signedDoc has no signer")]
    NoSigner,
    /// The SignedData has more than one SignerInfo; a Toss Cert signedDoc has exactly one.
    #[error("signedDoc has {count} signers; exactly one is supported")]
    MultipleSigners {
        /// How many SignerInfos there are.
        count: usize,
    },
    /// The SignerInfo has no signed attributes, so nothing binds the content to the signature.
    #[error("the SignerInfo has no signed attributes")]
    NoSignedAttributes,
    /// The signed attributes have no `messageDigest`.
    #[error("the signed attributes have no messageDigest")]
    NoMessageDigest,
    /// The signed attributes have no `contentType` (RFC 5652 §11.1 requires it).
    #[error("the signed attributes have no contentType")]
    NoContentType,
    /// A signed attribute occurs more than once, or has other than exactly one value.
    #[error("the signed attribute {attribute} must occur once with one value")]
    AttributeCardinality {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// A signed attribute's value is not of its type.
    #[error("the signed attribute {attribute} is malformed")]
    InvalidAttribute {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// The `contentType` attribute differs from the encapsulated content's type.
    #[error("the contentType attribute differs from the encapsulated content type")]
    ContentTypeMismatch,
    /// The `messageDigest` attribute is not as long as the digest algorithm's output.
    #[error("the messageDigest attribute has {len} bytes, not {expected} for {algorithm}")]
    MessageDigestLength {
        /// The attribute's length.
        len: usize,
        /// The digest algorithm's output length.
        expected: usize,
        /// The digest algorithm.
        algorithm: DigestAlgorithm,
    },
    /// A `sha*WithRSAEncryption` signature algorithm whose hash is not the SignerInfo's
    /// digest algorithm.
    #[error("the signature algorithm hashes with {signature} but the digest algorithm is {digest}")]
    AlgorithmMismatch {
        /// The hash of the signature algorithm.
        signature: DigestAlgorithm,
        /// The SignerInfo's digest algorithm.
        digest: DigestAlgorithm,
    },
    /// The encapsulated content is not an OCTET STRING.
    #[error("the encapsulated content is not an OCTET STRING")]
    ContentNotOctetString,
    /// A certificate in the SignedData is not an X.509 certificate this crate can read.
    #[error("certificate {index} of the SignedData is malformed")]
    Certificate {
        /// Its index in the certificates set, from 0.
        index: usize,
    },
    /// The signer certificate's public key is not a valid RSA public key.
    #[error("the signer certificate's RSA public key is malformed")]
    PublicKey,
}

/// An algorithm or key refused by name: only RSA PKCS#1 v1.5 with SHA-256/384/512 is
/// verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// A digest algorithm other than SHA-256, SHA-384 and SHA-512.
    #[error("unsupported digest algorithm {name}")]
    DigestAlgorithm {
        /// The algorithm's name, or its dotted OID when unknown.
        name: String,
    },
    /// A signature algorithm other than RSA PKCS#1 v1.5 (e.g. RSASSA-PSS or ECDSA).
    #[error("unsupported signature algorithm {name}")]
    SignatureAlgorithm {
        /// The algorithm's name, or its dotted OID when unknown.
        name: String,
    },
    /// A signer certificate key other than RSA.
    #[error("unsupported public key algorithm {name}")]
    PublicKey {
        /// The algorithm's name, or its dotted OID when unknown.
        name: String,
    },
    /// An RSA key this crate will not use: smaller than 2048 or larger than 4096 bits.
    #[error("unsupported RSA key size")]
    KeySize,
}

/// A digest or content that differs from what was signed or what the caller expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mismatch {
    /// The embedded content does not hash to the signed `messageDigest`: the content was
    /// altered after signing.
    #[error("the embedded content does not match the signed messageDigest")]
    ContentDigest,
    /// The expected document differs from the embedded content (PKCS7).
    #[error("the expected document differs from the signed content")]
    Document,
    /// The expected content or digest differs from the signed `messageDigest` (detached,
    /// PKCS7_NO_CONTENT_WITH_ATTR).
    #[error("the expected content does not match the signed messageDigest")]
    DetachedContent,
    /// A SHA-256 digest was expected but the signer used another digest algorithm.
    #[error("a SHA-256 digest was given but the document was signed with {signed_with}")]
    DigestAlgorithm {
        /// The digest algorithm the signer used.
        signed_with: DigestAlgorithm,
    },
}

/// Why the signer certificate, or its chain to a trust anchor, is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The signing time is outside the signer certificate's validity period.
    #[error("the signer certificate was not valid at the signing time")]
    NotValidAtSigningTime,
    /// No chain leads from the signer certificate to one of the trust anchors.
    #[error("the signer certificate does not chain to a trust anchor")]
    Untrusted,
    /// A chain was found, but one of its CA certificates was not valid at the validation
    /// time.
    #[error("a CA certificate of the chain was not valid at the signing time")]
    ChainNotValidAtSigningTime,
}

/// A trust anchor that is missing where one is required, or that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustAnchorError {
    /// A verification that must check the chain (`verify_trusted`) was given no trust
    /// anchor, so the signer certificate, and the name in it, cannot be proven to be the
    /// provider's.
    #[error("no trust anchor was given to check the signer certificate against")]
    Missing,
    /// The text holds no `-----BEGIN CERTIFICATE-----` block.
    #[error("trust anchor text holds no PEM certificate")]
    NoCertificate,
    /// A PEM block or DER certificate could not be decoded.
    #[error("trust anchor is not a valid certificate")]
    Malformed(#[source] DerError),
}

/// Why the signer certificate's revocation state refuses the signature, or could not be
/// established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The signer certificate was revoked at or before the moment it signed.
    #[error(
        "the signer certificate was revoked at {revoked_at} ({reason}), before it signed at {signed_at}"
    )]
    Revoked {
        /// When the CRL says it was revoked.
        revoked_at: OffsetDateTime,
        /// The CRL's reason, in RFC 5280's lowerCamelCase (`keyCompromise`).
        reason: &'static str,
        /// The moment of signing it was judged at.
        signed_at: OffsetDateTime,
    },
    /// A revocation check was required but no CRL was given.
    #[error("no CRL was given to check the signer certificate's revocation")]
    NoCrl,
    /// None of the CRLs given was issued by the signer certificate's issuer.
    #[error("no CRL given was issued by the signer certificate's issuer")]
    NoCrlForIssuer,
    /// The certificate of the signer's issuer, needed to check the CRL's signature, is
    /// neither a trust anchor nor in the signedDoc.
    #[error("the signer certificate's issuer is not known, so its CRL cannot be checked")]
    IssuerUnknown,
    /// The CRL's signature does not verify with the key of the signer's issuer: another
    /// key signed it, or it was altered.
    #[error("the CRL's signature does not verify with the issuer's key")]
    CrlSignatureInvalid,
    /// The CRL's nextUpdate had passed at the validation time: a newer one lists
    /// revocations this one does not.
    #[error(
        "the CRL is stale: its nextUpdate {next_update} is before the validation time {validated_at}"
    )]
    CrlStale {
        /// The CRL's nextUpdate.
        next_update: OffsetDateTime,
        /// When it was checked.
        validated_at: OffsetDateTime,
    },
    /// The CRL was issued after the validation time.
    #[error("the CRL was issued at {this_update}, after the validation time {validated_at}")]
    CrlNotYetValid {
        /// The CRL's thisUpdate.
        this_update: OffsetDateTime,
        /// When it was checked.
        validated_at: OffsetDateTime,
    },
    /// The bytes are not a DER X.509 CRL.
    #[error("the CRL is not a DER X.509 CertificateList")]
    MalformedCrl(#[source] DerError),
    /// A CRL this crate does not judge, named.
    #[error("unsupported CRL: {0}")]
    UnsupportedCrl(&'static str),
}

/// Why a timestamp (RFC 3161) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The time-stamping authority's answer is not a DER TimeStampResp.
    #[error("the time-stamping authority's answer is not an RFC 3161 TimeStampResp")]
    MalformedResponse(#[source] DerError),
    /// The time-stamping authority refused the request.
    #[error("the time-stamping authority refused the request (PKIStatus {status})")]
    Rejected {
        /// The PKIStatus: 2 rejection, 3 waiting, 4 revocation warning, 5 revocation
        /// notification.
        status: u8,
    },
    /// The token is not a CMS SignedData of a TSTInfo, or its SignedData is not one this
    /// crate verifies.
    #[error("the timestamp token is malformed: {0}")]
    MalformedToken(Box<Error>),
    /// The nonce of the answer is not the request's.
    #[error("the timestamp's nonce is not the request's")]
    NonceMismatch,
    /// The message imprint is not the digest of this signature: the timestamp is over
    /// something else.
    #[error("the timestamp is over another signature (its message imprint differs)")]
    ImprintMismatch,
    /// The token's signature does not verify with the TSA certificate's key, or its TSTInfo
    /// does not match the signed digest.
    #[error("the timestamp token's signature does not verify")]
    SignatureInvalid,
    /// The certificate that signed the token is not for time stamping (no
    /// extendedKeyUsage id-kp-timeStamping).
    #[error("the timestamp was signed by a certificate that is not for time stamping")]
    NotTimeStampingCertificate,
    /// The TSA certificate was not valid at the time it stamped.
    #[error("the TSA certificate was not valid at the timestamp's time")]
    CertificateNotValid,
    /// No chain leads from the TSA certificate to a trust anchor.
    #[error("the TSA certificate does not chain to a trust anchor")]
    Untrusted,
    /// The timestamp's time is before the signing time the signer claims: one of them is
    /// wrong.
    #[error("the timestamp ({stamped_at}) is before the claimed signing time ({signing_time})")]
    BeforeSigningTime {
        /// The TSTInfo's genTime.
        stamped_at: OffsetDateTime,
        /// The signedDoc's signingTime.
        signing_time: OffsetDateTime,
    },
    /// The signedDoc does not keep its signed parts byte for byte when re-encoded with an
    /// unsigned attribute (not canonical DER), so a timestamp cannot be added to it.
    #[error("the signedDoc cannot take a timestamp without altering what its signature covers")]
    WouldAlterSignature,
    /// The SignerInfo has more than one signatureTimeStampToken attribute or value.
    #[error("the signedDoc has more than one signature timestamp")]
    MultipleTimestamps,
}
