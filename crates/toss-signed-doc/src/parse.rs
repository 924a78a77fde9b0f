//! Parsing a signedDoc into a [`SignedDoc`]: everything that can be checked without the
//! expected document or trust anchors is checked here.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::ID_SIGNED_DATA;
use der::asn1::BitStringRef;
use der::{Encode as _, Reader as _, SliceReader, Tag};
use time::OffsetDateTime;

use crate::algorithm::{DigestAlgorithm, RsaKey, SignatureAlgorithm, oid_name};
use crate::attributes::{self, RawAttribute, SignedAttributes};
use crate::certificate::{DecodeError, ParsedCertificate, SignerId, context};
use crate::error::{DerError, Error, Malformed};
use crate::raw::{self, Tlv};

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
        // The provider sends one line: decode it in place, and take the slower way (copying
        // it without its whitespace) only for text that has line breaks inside.
        let trimmed = signed_doc.trim_ascii();
        if trimmed.is_empty() {
            return Err(Error::Empty);
        }
        if let Ok(der) = BASE64.decode(trimmed) {
            return Self::from_der(&der);
        }
        let compact: Vec<u8> = trimmed
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
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
        let (content_type, content) = content_info(der).map_err(der_error)?;
        if content_type != ID_SIGNED_DATA {
            return Err(Error::NotSignedData {
                content_type: oid_name(&content_type),
            });
        }
        let signed_data = RawSignedData::read(content).map_err(der_error)?;
        let signer_info = match signed_data.signer_infos.as_slice() {
            [] => return Err(Malformed::NoSigner.into()),
            [one] => one,
            more => {
                return Err(Malformed::MultipleSigners { count: more.len() }.into());
            }
        };

        let digest_algorithm = DigestAlgorithm::from_identifier(&signer_info.digest_algorithm)?;
        let signature_algorithm = SignatureAlgorithm::from_oid(&signer_info.signature_algorithm)?;
        let signature_hash = signature_algorithm.hash_for(digest_algorithm)?;

        let Some((implicit, attributes)) = &signer_info.signed_attributes else {
            return Err(Malformed::NoSignedAttributes.into());
        };
        let attributes = SignedAttributes::parse(implicit, attributes)?;
        if attributes.content_type != signed_data.content_type {
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
        let content = match &signed_data.content {
            None => None,
            Some(tlv) if tlv.tag == Tag::OctetString => Some(tlv.value.to_vec()),
            Some(_) => return Err(Malformed::ContentNotOctetString.into()),
        };

        if let Some(index) = signed_data.undated_certificate {
            return Err(Malformed::Certificate { index }.into());
        }
        let certificates = signed_data.certificates;
        let signer = certificates
            .iter()
            .position(|c| c.is_named_by(&signer_info.sid))
            .ok_or(Error::SignerCertificateNotFound)?;
        let signer_key = certificates
            .get(signer)
            .ok_or(Error::SignerCertificateNotFound)?
            .rsa_key(signature_hash)?;

        Ok(Self {
            content,
            certificates,
            signer,
            signer_key,
            digest_algorithm,
            signature_hash,
            attributes,
            signature: signer_info.signature.to_vec(),
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

/// A `ContentInfo`: its content type and its `[0] EXPLICIT` content.
fn content_info(der: &[u8]) -> der::Result<(ObjectIdentifier, Tlv<'_>)> {
    raw::single(der, Tag::Sequence, |content_info| {
        let mut fields = content_info.fields()?;
        let content_type = fields.oid()?;
        let content = raw::explicit(&fields.expect(context(0, true))?)?;
        fields.finish()?;
        Ok((content_type, content))
    })
}

/// A `SignedData` (RFC 5652 §5.1) as found in the input, checked in the order and the way
/// `cms` decodes one, with its certificates read.
struct RawSignedData<'a> {
    /// `encapContentInfo.eContentType`.
    content_type: ObjectIdentifier,
    /// `encapContentInfo.eContent`, whatever its tag.
    content: Option<Tlv<'a>>,
    /// The certificates of the `certificate` choice, in input order.
    certificates: Vec<ParsedCertificate>,
    /// The index among them of the first whose validity dates are out of range.
    undated_certificate: Option<usize>,
    signer_infos: Vec<RawSignerInfo<'a>>,
}

impl<'a> RawSignedData<'a> {
    fn read(signed_data: Tlv<'a>) -> der::Result<Self> {
        let mut fields = signed_data.expect(Tag::Sequence)?.fields()?;
        cms_version(&mut fields)?;
        raw::set_of(&fields.expect(Tag::Set)?, &[Tag::Sequence], |algorithm| {
            raw::Fields::new(algorithm.encoded, algorithm.offset)?.algorithm_bytes()
        })?;
        let mut encapsulated = fields.expect(Tag::Sequence)?.fields()?;
        let content_type = encapsulated.oid()?;
        let content = encapsulated
            .optional(context(0, true))?
            .map(|tagged| raw::explicit(&tagged))
            .transpose()?;
        encapsulated.finish()?;

        let mut certificates = Vec::new();
        let mut undated_certificate = None;
        if let Some(set) = fields.optional(context(0, true))? {
            let mut index = 0;
            raw::set_of(&set, &[Tag::Sequence, context(3, true)], |choice| {
                if choice.tag != Tag::Sequence {
                    // [3] EXPLICIT OtherCertificateFormat: an OID and anything.
                    return raw::explicit_with(&choice, &[Tag::Sequence], |other| {
                        other_format(&other)
                    });
                }
                match ParsedCertificate::from_tlv(&choice) {
                    Ok(certificate) => certificates.push(certificate),
                    Err(DecodeError::Der(error)) => return Err(error),
                    Err(DecodeError::Validity) => {
                        undated_certificate.get_or_insert(index);
                    }
                }
                index += 1;
                Ok(())
            })?;
        }
        if let Some(set) = fields.optional(context(1, true))? {
            // Revocation information is not used: each is checked for its shape only, a
            // CertificateList or an [1] IMPLICIT OtherRevocationInfoFormat.
            raw::set_of(&set, &[Tag::Sequence, context(1, true)], |choice| {
                if choice.tag != Tag::Sequence {
                    return other_format(&choice);
                }
                let mut list = choice.fields()?;
                list.expect(Tag::Sequence)?;
                list.algorithm()?;
                list.decode::<BitStringRef<'_>>()?;
                list.finish()
            })?;
        }
        let signer_infos = raw::set_of(&fields.expect(Tag::Set)?, &[Tag::Sequence], |info| {
            RawSignerInfo::read(info, &certificates)
        })?;
        fields.finish()?;
        Ok(Self {
            content_type,
            content,
            certificates,
            undated_certificate,
            signer_infos,
        })
    }
}

/// A `SignerInfo` (RFC 5652 §5.3) as found in the input.
struct RawSignerInfo<'a> {
    sid: SignerId<'a>,
    digest_algorithm: ObjectIdentifier,
    /// The `[0] IMPLICIT` signed attributes, whole, and read.
    signed_attributes: Option<(Tlv<'a>, Vec<RawAttribute<'a>>)>,
    signature_algorithm: ObjectIdentifier,
    signature: &'a [u8],
}

impl<'a> RawSignerInfo<'a> {
    fn read(signer_info: Tlv<'a>, certificates: &[ParsedCertificate]) -> der::Result<Self> {
        let mut fields = signer_info.expect(Tag::Sequence)?.fields()?;
        cms_version(&mut fields)?;
        let sid = SignerId::parse(
            fields.one_of(&[Tag::Sequence, context(0, false)])?,
            certificates,
        )?;
        let digest_algorithm = fields.algorithm()?;
        let signed_attributes = match fields.optional(context(0, true))? {
            None => None,
            Some(implicit) => Some((implicit, attributes::read(&implicit)?)),
        };
        let signature_algorithm = fields.algorithm()?;
        let signature = fields.expect(Tag::OctetString)?.value;
        if let Some(unsigned) = fields.optional(context(1, true))? {
            attributes::read(&unsigned)?;
        }
        fields.finish()?;
        Ok(Self {
            sid,
            digest_algorithm,
            signed_attributes,
            signature_algorithm,
            signature,
        })
    }
}

/// A `CMSVersion`: an INTEGER from 0 to 5.
fn cms_version(fields: &mut raw::Fields<'_>) -> der::Result<()> {
    let position = fields.cursor();
    if fields.decode::<u8>()? > 5 {
        return Err(raw::at(Tag::Integer.value_error().kind(), position));
    }
    Ok(())
}

/// The fields of an `Other…Format`: an OBJECT IDENTIFIER and any one value.
fn other_format(other: &Tlv<'_>) -> der::Result<()> {
    let mut fields = other.fields()?;
    fields.oid()?;
    fields.next_tlv()?;
    fields.finish()
}
