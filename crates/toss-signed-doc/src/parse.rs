//! Parsing a signedDoc into a [`SignedDoc`]: everything that can be checked without the
//! expected document or trust anchors is checked here.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::db::rfc5911::ID_SIGNED_DATA;
use der::{Decode as _, Encode as _, Reader as _, SliceReader, Tag, Tagged as _};
use time::OffsetDateTime;

use crate::algorithm::{DigestAlgorithm, RsaKey, SignatureAlgorithm, oid_name};
use crate::attributes::SignedAttributes;
use crate::certificate::ParsedCertificate;
use crate::error::{DerError, Error, Malformed};
use crate::raw;

/// The universal, constructed SEQUENCE tag a ContentInfo starts with.
const SEQUENCE_TAG: u8 = 0x30;

/// Standard base64, with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A parsed signedDoc: CMS `SignedData` (RFC 5652) with exactly one signer, RSA PKCS#1 v1.5
/// with SHA-256/384/512, signed attributes, and the signer certificate found.
///
/// Parsing checks the structure only. Nothing here is verified until
/// [`verify`](Self::verify) (or a [`Verifier`](crate::Verifier)) says so.
///
/// `Debug` shows no content and no names.
#[derive(Clone)]
pub struct SignedDoc {
    content: Option<Vec<u8>>,
    certificates: Vec<ParsedCertificate>,
    signer: usize,
    signer_key: RsaKey,
    digest_algorithm: DigestAlgorithm,
    signature_hash: DigestAlgorithm,
    attributes: SignedAttributes,
    signature: Vec<u8>,
}

impl SignedDoc {
    /// Parses the base64 `signedDoc` the provider returns. ASCII whitespace (line breaks
    /// included) is ignored, and padding is optional.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`], [`Error::NotBase64`], and all of [`SignedDoc::from_der`]'s.
    pub fn from_base64(signed_doc: &str) -> Result<Self, Error> {
        let compact: Vec<u8> = signed_doc
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if compact.is_empty() {
            return Err(Error::Empty);
        }
        let der = BASE64.decode(&compact).map_err(|_| Error::NotBase64)?;
        Self::from_der(&der)
    }

    /// Parses DER of a CMS `ContentInfo` holding a `SignedData`.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`], [`Error::Truncated`], [`Error::NotDer`], [`Error::NotSignedData`],
    /// [`Error::Malformed`], [`Error::Unsupported`] (by name) and
    /// [`Error::SignerCertificateNotFound`].
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        if der.is_empty() {
            return Err(Error::Empty);
        }
        // Only what starts as a SEQUENCE is a truncated ContentInfo; the rest is garbage.
        let der_error = |error: der::Error| match error.kind() {
            der::ErrorKind::Incomplete { .. } if der.first() == Some(&SEQUENCE_TAG) => {
                Error::Truncated
            }
            _ => Error::NotDer(DerError::new(error)),
        };
        if der.first() == Some(&SEQUENCE_TAG) {
            check_not_truncated(der).map_err(der_error)?;
        }
        let content_info = ContentInfo::from_der(der).map_err(der_error)?;
        if content_info.content_type != ID_SIGNED_DATA {
            return Err(Error::NotSignedData {
                content_type: oid_name(&content_info.content_type),
            });
        }
        let signed_data = content_info
            .content
            .decode_as::<SignedData>()
            .map_err(der_error)?;
        let signer_info = match signed_data.signer_infos.0.as_slice() {
            [] => return Err(Malformed::NoSigner.into()),
            [one] => one,
            more => {
                return Err(Malformed::MultipleSigners { count: more.len() }.into());
            }
        };
        let raw = raw::signed_data(der).map_err(der_error)?;

        let digest_algorithm = DigestAlgorithm::from_identifier(&signer_info.digest_alg)?;
        let signature_algorithm =
            SignatureAlgorithm::from_identifier(&signer_info.signature_algorithm)?;
        let signature_hash = signature_algorithm.hash_for(digest_algorithm)?;

        let implicit = match raw.signed_attributes.as_slice() {
            [Some(attributes)] if signer_info.signed_attrs.is_some() => *attributes,
            _ => return Err(Malformed::NoSignedAttributes.into()),
        };
        let attributes = SignedAttributes::parse(implicit)?;
        let encapsulated = &signed_data.encap_content_info;
        if attributes.content_type != encapsulated.econtent_type {
            return Err(Malformed::ContentTypeMismatch.into());
        }
        if attributes.message_digest.len() != digest_algorithm.output_len() {
            return Err(Malformed::MessageDigestLength {
                len: attributes.message_digest.len(),
                expected: digest_algorithm.output_len(),
                algorithm: digest_algorithm,
            }
            .into());
        }
        let content = match &encapsulated.econtent {
            None => None,
            Some(any) if any.tag() == Tag::OctetString => Some(any.value().to_vec()),
            Some(_) => return Err(Malformed::ContentNotOctetString.into()),
        };

        let certificates = raw
            .certificates
            .iter()
            .enumerate()
            .map(|(index, der)| {
                ParsedCertificate::from_der(der).ok_or(Malformed::Certificate { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let signer = certificates
            .iter()
            .position(|c| c.is_named_by(&signer_info.sid))
            .ok_or(Error::SignerCertificateNotFound)?;
        let signer_key = certificates
            .get(signer)
            .ok_or(Error::SignerCertificateNotFound)?
            .rsa_key()?;

        Ok(Self {
            content,
            certificates,
            signer,
            signer_key,
            digest_algorithm,
            signature_hash,
            attributes,
            signature: signer_info.signature.as_bytes().to_vec(),
        })
    }

    /// The embedded content (`eContent`): the document text for PKCS7, `None` when detached
    /// (PKCS7_NO_CONTENT_WITH_ATTR).
    ///
    /// Not verified: use what [`verify`](Self::verify) reports.
    #[must_use]
    pub fn content(&self) -> Option<&[u8]> {
        self.content.as_deref()
    }

    /// Whether the content is detached (not embedded).
    #[must_use]
    pub fn is_detached(&self) -> bool {
        self.content.is_none()
    }

    /// The signer's digest algorithm.
    #[must_use]
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest_algorithm
    }

    /// The `messageDigest` signed attribute: the digest of the content.
    #[must_use]
    pub fn message_digest(&self) -> &[u8] {
        &self.attributes.message_digest
    }

    /// The `signingTime` signed attribute, if any. It is the signer's claim, not a trusted
    /// timestamp.
    #[must_use]
    pub fn signing_time(&self) -> Option<OffsetDateTime> {
        self.attributes.signing_time
    }

    /// The signer certificate's DER, exactly as embedded.
    #[must_use]
    pub fn signer_certificate_der(&self) -> &[u8] {
        self.signer_certificate().der()
    }

    /// The signer certificate as PEM, as the provider's certificate-check endpoint takes it:
    /// `-----BEGIN CERTIFICATE-----`, base64 in lines of 64 characters,
    /// `-----END CERTIFICATE-----`, each line ending in `\n`.
    #[must_use]
    pub fn signer_certificate_pem(&self) -> String {
        self.signer_certificate().pem()
    }

    /// The DER of every certificate in the SignedData, signer included, in input order.
    pub fn certificates_der(&self) -> impl Iterator<Item = &[u8]> {
        self.certificates.iter().map(ParsedCertificate::der)
    }

    pub(crate) fn signer_certificate(&self) -> &ParsedCertificate {
        // `signer` is an index into `certificates` found at parsing.
        &self.certificates[self.signer]
    }

    pub(crate) fn certificates(&self) -> &[ParsedCertificate] {
        &self.certificates
    }

    pub(crate) fn signer_key(&self) -> &RsaKey {
        &self.signer_key
    }

    pub(crate) fn signature_hash(&self) -> DigestAlgorithm {
        self.signature_hash
    }

    pub(crate) fn signed_attributes_der(&self) -> &[u8] {
        &self.attributes.signed_bytes
    }

    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }
}

impl fmt::Debug for SignedDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedDoc")
            .field("content", &self.content.as_ref().map(|c| Redacted(c.len())))
            .field("certificates", &self.certificates.len())
            .field("signer", self.signer_certificate())
            .field("digest_algorithm", &self.digest_algorithm)
            .field("signing_time", &self.attributes.signing_time)
            .finish_non_exhaustive()
    }
}

/// Shows only a length.
pub(crate) struct Redacted(pub(crate) usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes redacted>", self.0)
    }
}

/// [`Error::Truncated`] when the outermost TLV declares more bytes than there are.
fn check_not_truncated(der: &[u8]) -> der::Result<()> {
    let reader = SliceReader::new(der)?;
    let header = reader.peek_header()?;
    let declared = header.encoded_len().and_then(|h| h + header.length)?;
    let actual = der::Length::try_from(der.len())?;
    if declared > actual {
        return Err(der::Error::incomplete(actual));
    }
    Ok(())
}
