//! Every way a signedDoc can fail to parse or verify, as one typed [`Error`].
//!
//! Messages name what was wrong and never quote the input: no document content, no subject
//! name (a signer's name is personal data), no base64.

use std::fmt;

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
