//! Parsing a signedDoc into a [`SignedDoc`]: everything that can be checked without the
//! expected document or trust anchors is checked here.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignerInfo};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::ID_SIGNED_DATA;
use der::{Any, Decode as _, Encode as _, Reader as _, SliceReader, Tag, TagNumber, Tagged as _};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;

use crate::algorithm::{DigestAlgorithm, RsaKey, SignatureAlgorithm, oid_name};
use crate::attributes::SignedAttributes;
use crate::certificate::{DecodeError, ParsedCertificate};
use crate::error::{DerError, Error, Malformed};
use crate::tlv;

/// The universal, constructed SEQUENCE tag a ContentInfo starts with.
const SEQUENCE_TAG: u8 = 0x30;
/// `certificates [0] IMPLICIT CertificateSet` of a SignedData.
const CERTIFICATES_TAG: u8 = 0xa0;
/// `crls [1] IMPLICIT RevocationInfoChoices` of a SignedData.
const CRLS_TAG: u8 = 0xa1;
/// `signedAttrs [0] IMPLICIT SignedAttributes` of a SignerInfo.
const SIGNED_ATTRIBUTES_TAG: u8 = 0xa0;

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
    /// The DER, as given.
    der: Box<[u8]>,
    content_type: ObjectIdentifier,
    content: Option<Vec<u8>>,
    certificates: Vec<ParsedCertificate>,
    signer: usize,
    signer_key: RsaKey,
    digest_algorithm: DigestAlgorithm,
    signature_hash: DigestAlgorithm,
    attributes: SignedAttributes,
    signature: Vec<u8>,
    /// The value of the signatureTimeStampToken unsigned attribute, whole.
    timestamp: Option<Vec<u8>>,
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
        let content_info = ContentInfo::from_der(der)
            .map_err(|error| der_error(content_tag_error(der).unwrap_or(error)))?;
        if content_info.content_type != ID_SIGNED_DATA {
            return Err(Error::NotSignedData {
                content_type: oid_name(&content_info.content_type),
            });
        }
        let signed_data =
            RawSignedData::read(&content_info.content, der.len()).map_err(der_error)?;
        let (signer_info, implicit) = match signed_data.signer_infos.as_slice() {
            [] => return Err(Malformed::NoSigner.into()),
            [one] => one,
            more => {
                return Err(Malformed::MultipleSigners { count: more.len() }.into());
            }
        };

        let digest_algorithm = DigestAlgorithm::from_identifier(&signer_info.digest_alg.oid)?;
        let signature_algorithm =
            SignatureAlgorithm::from_oid(&signer_info.signature_algorithm.oid)?;
        let signature_hash = signature_algorithm.hash_for(digest_algorithm)?;

        let (Some(attributes), Some(implicit)) = (&signer_info.signed_attrs, implicit) else {
            return Err(Malformed::NoSignedAttributes.into());
        };
        let attributes = SignedAttributes::parse(implicit, attributes)?;
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
        let timestamp = signature_timestamp(signer_info)?;

        Ok(Self {
            der: der.into(),
            content_type: encapsulated.econtent_type,
            content,
            certificates,
            signer,
            signer_key,
            digest_algorithm,
            signature_hash,
            attributes,
            signature: signer_info.signature.as_bytes().to_vec(),
            timestamp,
        })
    }

    /// The DER, exactly as given.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signatureTimeStampToken unsigned attribute's value (a DER RFC 3161
    /// TimeStampToken), when the signedDoc carries one. Not verified: use what
    /// [`verify`](Self::verify) reports.
    #[must_use]
    pub fn signature_timestamp_der(&self) -> Option<&[u8]> {
        self.timestamp.as_deref()
    }

    /// The URIs where the signer certificate's issuer publishes its CRL (the certificate's
    /// CRL distribution points), in order.
    #[must_use]
    pub fn crl_distribution_points(&self) -> Vec<String> {
        self.signer_certificate().crl_distribution_points()
    }

    /// The OCSP responders the signer certificate names (authority information access).
    #[must_use]
    pub fn ocsp_urls(&self) -> Vec<String> {
        self.signer_certificate().ocsp_urls()
    }

    /// The SignerInfo's signature value: what a signature timestamp is over.
    #[must_use]
    pub fn signature_value(&self) -> &[u8] {
        &self.signature
    }

    /// The signer certificate's serial number in lowercase hex.
    #[must_use]
    pub fn signer_serial_hex(&self) -> String {
        self.signer_certificate().serial_hex()
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

    /// The encapsulated content type (equal to the contentType signed attribute).
    pub(crate) fn content_type(&self) -> ObjectIdentifier {
        self.content_type
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

/// The one value of the SignerInfo's signatureTimeStampToken unsigned attribute, whole.
fn signature_timestamp(signer_info: &SignerInfo) -> Result<Option<Vec<u8>>, Error> {
    let mut found = signer_info
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .filter(|attribute| attribute.oid == crate::timestamp::SIGNATURE_TIME_STAMP_TOKEN);
    let Some(attribute) = found.next() else {
        return Ok(None);
    };
    match (found.next(), attribute.values.as_slice()) {
        (None, [value]) => Ok(Some(
            value
                .to_der()
                .map_err(|error| Error::NotDer(DerError::new(error)))?,
        )),
        _ => Err(crate::error::TimestampError::MultipleTimestamps.into()),
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

/// When a ContentInfo did not decode: an unexpected tag where its `[0] EXPLICIT` content
/// should be, if that is what is there. `der` decodes a required EXPLICIT field as any
/// context-specific value first, and so reports an empty `[3]`, say, as input that ends
/// too soon, which is not what is wrong.
fn content_tag_error(der: &[u8]) -> Option<der::Error> {
    let content_info = SliceReader::new(der).ok()?.tlv_bytes().ok()?;
    let fields = tlv::fields(content_info, Tag::Sequence, 0).ok()?;
    let (position, content) = fields.get(1)?;
    let tag = Tag::try_from(*content.first()?).ok()?;
    let expected = context(TagNumber::N0);
    (tag != expected).then(|| tlv::error_at(tag.unexpected_error(Some(expected)).kind(), *position))
}

/// A `SignedData` (RFC 5652 §5.1) decoded with `cms`'s types, field by field in the order
/// `cms` decodes one, so that each certificate and each SignerInfo is decoded once from its
/// own bytes in the input, which are kept: the certificates' for the PEM and the chain, the
/// signed attributes' for the signature.
struct RawSignedData<'a> {
    encap_content_info: EncapsulatedContentInfo,
    /// The certificates of the `certificate` choice, in input order.
    certificates: Vec<ParsedCertificate>,
    /// The index among them of the first whose validity dates are out of range.
    undated_certificate: Option<usize>,
    /// Each SignerInfo, with its `[0] IMPLICIT` signed attributes as found in the input.
    signer_infos: Vec<(SignerInfo, Option<&'a [u8]>)>,
}

impl<'a> RawSignedData<'a> {
    /// Reads the ContentInfo's `content`, which ends the input of `input_len` bytes.
    fn read(content: &'a Any, input_len: usize) -> der::Result<Self> {
        // The ContentInfo's content is its last TLV, and the ContentInfo the whole input.
        let offset = input_len.saturating_sub(content.value().len());
        let at = |error| tlv::at(error, offset);
        content
            .tag()
            .assert_eq(Tag::Sequence)
            .map_err(|e| tlv::at(e, offset.saturating_sub(1)))?;
        let mut reader = SliceReader::new(content.value()).map_err(at)?;
        CmsVersion::decode(&mut reader).map_err(at)?;
        // `der` 0.7 orders two absent OPTIONAL fields as unequal, so its SET OF lets the same
        // parameterless AlgorithmIdentifier through twice: the input is then checked for
        // repeats, as every other SET OF is.
        let position = offset + tlv::usize_of(reader.position());
        let digest_algorithms = reader.tlv_bytes().map_err(at)?;
        DigestAlgorithmIdentifiers::from_der(digest_algorithms)
            .map_err(|e| tlv::at(e, position))?;
        tlv::for_each_element(
            digest_algorithms,
            Tag::Set,
            &[Tag::Sequence],
            position,
            |_, _| Ok(()),
        )?;
        let encap_content_info = EncapsulatedContentInfo::decode(&mut reader).map_err(at)?;

        // The optional fields only with their own tag: `der` would pass over any other
        // context-specific field with a lower number to find them.
        let mut certificates = Vec::new();
        let mut undated_certificate = None;
        if reader.peek_byte() == Some(CERTIFICATES_TAG) {
            let position = offset + tlv::usize_of(reader.position());
            let set = reader.tlv_bytes().map_err(at)?;
            let mut index = 0;
            // A Certificate, or `other [3] IMPLICIT OtherCertificateFormat`.
            let choices = [Tag::Sequence, context(TagNumber::N3)];
            tlv::for_each_element(
                set,
                context(TagNumber::N0),
                &choices,
                position,
                |position, choice| {
                    if choice.first() != Some(&SEQUENCE_TAG) {
                        return other_format(choice, TagNumber::N3, position);
                    }
                    let certificate =
                        Certificate::from_der(choice).map_err(|e| tlv::at(e, position))?;
                    match ParsedCertificate::new(choice, position, certificate) {
                        Ok(certificate) => certificates.push(certificate),
                        Err(DecodeError::Der(error)) => return Err(error),
                        Err(DecodeError::Validity) => {
                            undated_certificate.get_or_insert(index);
                        }
                    }
                    index += 1;
                    Ok(())
                },
            )?;
        }
        if reader.peek_byte() == Some(CRLS_TAG) {
            // Revocation information is not used, but checked: a CertificateList as `x509-cert`
            // decodes one, or `other [1] IMPLICIT OtherRevocationInfoFormat`.
            let position = offset + tlv::usize_of(reader.position());
            let set = reader.tlv_bytes().map_err(at)?;
            let choices = [Tag::Sequence, context(TagNumber::N1)];
            tlv::for_each_element(
                set,
                context(TagNumber::N1),
                &choices,
                position,
                |position, choice| {
                    if choice.first() != Some(&SEQUENCE_TAG) {
                        return other_format(choice, TagNumber::N1, position);
                    }
                    CertificateList::from_der(choice).map_err(|e| tlv::at(e, position))?;
                    Ok(())
                },
            )?;
        }
        let position = offset + tlv::usize_of(reader.position());
        let set = reader.tlv_bytes().map_err(at)?;
        let mut signer_infos = Vec::new();
        tlv::for_each_element(
            set,
            Tag::Set,
            &[Tag::Sequence],
            position,
            |position, element| {
                signer_infos.push(signer_info(element, position)?);
                Ok(())
            },
        )?;
        reader.finish(()).map_err(at)?;
        Ok(Self {
            encap_content_info,
            certificates,
            undated_certificate,
            signer_infos,
        })
    }
}

/// A `SignerInfo` (RFC 5652 §5.3) as `cms` decodes it from `der` (at `offset` in the
/// input), and its signed attributes' `[0] IMPLICIT` TLV as found there.
fn signer_info(der: &[u8], offset: usize) -> der::Result<(SignerInfo, Option<&[u8]>)> {
    let info = SignerInfo::from_der(der).map_err(|e| tlv::at(e, offset))?;
    let fields = tlv::fields(der, Tag::Sequence, offset)?;
    // version, sid, digestAlgorithm, then signedAttrs when present.
    let signed_attributes = fields
        .get(3)
        .map(|(_, field)| *field)
        .filter(|field| field.first() == Some(&SIGNED_ATTRIBUTES_TAG));
    // As for a certificate (see `certificate::tbs_certificate`): `der` passes over a stray
    // `[0]` before `unsignedAttrs [1]`; the SignerInfo must have exactly the fields decoded.
    let decoded =
        5 + usize::from(info.signed_attrs.is_some()) + usize::from(info.unsigned_attrs.is_some());
    if fields.len() != decoded || info.signed_attrs.is_some() != signed_attributes.is_some() {
        return Err(tlv::error_at(Tag::Sequence.value_error().kind(), offset));
    }
    Ok((info, signed_attributes))
}

/// The `other` choice of a certificate or of revocation information (RFC 5652 §10.2.1,
/// §10.2.2): `[number] IMPLICIT` SEQUENCE of an OBJECT IDENTIFIER naming the format and a
/// value of any type, whole at `offset`.
///
/// Not `cms` 0.2's types: it decodes the certificate's as `[3] EXPLICIT`, and the format of the
/// revocation information's as an AlgorithmIdentifier, where RFC 5652 has `[3] IMPLICIT` and an
/// OBJECT IDENTIFIER.
fn other_format(other: &[u8], number: TagNumber, offset: usize) -> der::Result<()> {
    match tlv::fields(other, context(number), offset)?.as_slice() {
        [(position, format), _] => {
            ObjectIdentifier::from_der(format).map_err(|e| tlv::at(e, *position))?;
            Ok(())
        }
        _ => Err(tlv::error_at(context(number).value_error().kind(), offset)),
    }
}

/// A constructed context-specific tag.
fn context(number: TagNumber) -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number,
    }
}
