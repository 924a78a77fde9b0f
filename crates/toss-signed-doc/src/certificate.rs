//! X.509 certificates as this crate uses them: decoded by `x509-cert`, with the exact DER they
//! were decoded from, and the checks (who issued it, when it is valid, whether it is the
//! signer the SignerInfo names).

mod name;

use std::fmt;
use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cms::signed_data::SignerIdentifier;
use der::{Decode as _, Header, Reader as _, SliceReader, Tag};
use time::OffsetDateTime;
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::{Certificate, time::Time};

use crate::algorithm::{DigestAlgorithm, RsaKey, SignatureAlgorithm};
use crate::tlv;

/// The tag of an explicit `version` field, `[0] EXPLICIT`.
const VERSION_TAG: u8 = 0xa0;

/// A certificate could not be read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DecodeError {
    /// It is not a DER X.509 certificate.
    Der(der::Error),
    /// Its validity dates do not fit an [`OffsetDateTime`].
    Validity,
}

impl From<der::Error> for DecodeError {
    fn from(error: der::Error) -> Self {
        Self::Der(error)
    }
}

/// A certificate as `x509-cert` decodes it, with the DER it was decoded from.
#[derive(Clone)]
pub(crate) struct ParsedCertificate {
    /// The certificate's DER, exactly as found in the input.
    der: Box<[u8]>,
    /// The `tbsCertificate` in `der`: what the issuer signed.
    tbs: Range<usize>,
    certificate: Certificate,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl ParsedCertificate {
    /// Decodes one DER certificate, which must be the whole of `der`.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, DecodeError> {
        let certificate = Certificate::from_der(der)?;
        Self::new(der, 0, certificate)
    }

    /// `certificate`, as `x509-cert` decoded it from exactly `der`, which starts at `offset` in
    /// the whole input.
    pub(crate) fn new(
        der: &[u8],
        offset: usize,
        certificate: Certificate,
    ) -> Result<Self, DecodeError> {
        let tbs = tbs_certificate(der, offset, &certificate.tbs_certificate)?;
        let validity = certificate.tbs_certificate.validity;
        let not_before = to_offset_date_time(validity.not_before).ok_or(DecodeError::Validity)?;
        let not_after = to_offset_date_time(validity.not_after).ok_or(DecodeError::Validity)?;
        Ok(Self {
            der: der.into(),
            tbs,
            certificate,
            not_before,
            not_after,
        })
    }

    fn tbs(&self) -> &TbsCertificate {
        &self.certificate.tbs_certificate
    }

    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    pub(crate) fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    pub(crate) fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Whether `time` is within the validity period, both ends included (RFC 5280 §4.1.2.5).
    pub(crate) fn valid_at(&self, time: OffsetDateTime) -> bool {
        self.not_before <= time && time <= self.not_after
    }

    /// Whether this is the certificate a SignerInfo's `sid` names: the same issuer (names
    /// compared as `x509-cert` decodes them, each RDN's attributes in DER order) and serial
    /// number, or a subjectKeyIdentifier extension with the same bytes.
    pub(crate) fn is_named_by(&self, sid: &SignerIdentifier) -> bool {
        match sid {
            SignerIdentifier::IssuerAndSerialNumber(named) => {
                named.serial_number == self.tbs().serial_number && named.issuer == self.tbs().issuer
            }
            SignerIdentifier::SubjectKeyIdentifier(named) => matches!(
                self.tbs().get::<SubjectKeyIdentifier>(),
                Ok(Some((_, own))) if own.0.as_bytes() == named.0.as_bytes()
            ),
        }
    }

    /// The RSA public key of the subject, for signatures made with `hash`.
    pub(crate) fn rsa_key(&self, hash: DigestAlgorithm) -> Result<RsaKey, crate::Error> {
        let key = &self.tbs().subject_public_key_info;
        RsaKey::from_public_key(&key.algorithm.oid, key.subject_public_key.as_bytes(), hash)
    }

    /// Whether `issuer` issued this certificate: names chain and its key verifies this
    /// certificate's signature (RSA PKCS#1 v1.5 with SHA-256/384/512 only) over the exact
    /// bytes of its `tbsCertificate`.
    pub(crate) fn is_issued_by(&self, issuer: &Self) -> bool {
        self.tbs().issuer == issuer.tbs().subject
            && issuer.verifies(
                &self.certificate.signature_algorithm.oid,
                &self.certificate.signature,
                self.der.get(self.tbs.clone()).unwrap_or_default(),
            )
    }

    /// Whether this certificate's key verifies `signature`, made with `algorithm` (RSA
    /// PKCS#1 v1.5 with SHA-256/384/512 only), over `signed`: a certificate's or a CRL's
    /// signature by its issuer.
    pub(crate) fn verifies(
        &self,
        algorithm: &const_oid::ObjectIdentifier,
        signature: &der::asn1::BitString,
        signed: &[u8],
    ) -> bool {
        let Ok(SignatureAlgorithm::RsaWith(hash)) = SignatureAlgorithm::from_oid(algorithm) else {
            return false;
        };
        let Some(signature) = signature.as_bytes() else {
            return false;
        };
        self.rsa_key(hash)
            .is_ok_and(|key| key.verify(signed, signature))
    }

    /// Whether this certificate may issue others: basicConstraints with `cA` true (once).
    pub(crate) fn is_ca(&self) -> bool {
        matches!(
            self.tbs().get::<BasicConstraints>(),
            Ok(Some((_, constraints))) if constraints.ca
        )
    }

    /// Whether the extendedKeyUsage extension lists `purpose`.
    pub(crate) fn has_extended_key_usage(&self, purpose: const_oid::ObjectIdentifier) -> bool {
        matches!(
            self.tbs().get::<ExtendedKeyUsage>(),
            Ok(Some((_, usages))) if usages.0.contains(&purpose)
        )
    }

    /// The URIs of the CRL distribution points extension (RFC 5280 §4.2.1.13), in order;
    /// empty without one or when it cannot be decoded.
    pub(crate) fn crl_distribution_points(&self) -> Vec<String> {
        let Ok(Some((_, points))) = self.tbs().get::<CrlDistributionPoints>() else {
            return Vec::new();
        };
        points
            .0
            .iter()
            .filter_map(|point| match &point.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(uri)
            .collect()
    }

    /// The OCSP responder URIs of the authority information access extension (RFC 5280
    /// §4.2.2.1).
    pub(crate) fn ocsp_urls(&self) -> Vec<String> {
        let Ok(Some((_, access))) = self.tbs().get::<AuthorityInfoAccessSyntax>() else {
            return Vec::new();
        };
        access
            .0
            .iter()
            .filter(|description| description.access_method == const_oid::db::rfc5912::ID_AD_OCSP)
            .filter_map(|description| uri(&description.access_location))
            .collect()
    }

    pub(crate) fn subject_name(&self) -> &Name {
        &self.tbs().subject
    }

    pub(crate) fn issuer_name(&self) -> &Name {
        &self.tbs().issuer
    }

    pub(crate) fn serial_number(&self) -> &SerialNumber {
        &self.tbs().serial_number
    }

    pub(crate) fn subject(&self) -> String {
        name::to_rfc4514(&self.tbs().subject)
    }

    pub(crate) fn issuer(&self) -> String {
        name::to_rfc4514(&self.tbs().issuer)
    }

    /// The subject as [`subject`](Self::subject) gives it, and its most specific common
    /// name decoded, in one walk.
    pub(crate) fn subject_and_common_name(&self) -> (String, Option<String>) {
        name::describe(&self.tbs().subject)
    }

    /// The serial number INTEGER's value, leading sign bytes stripped as `der` does.
    fn serial(&self) -> &[u8] {
        self.tbs().serial_number.as_bytes()
    }

    /// The serial number in decimal, as the provider and OpenSSL print it.
    pub(crate) fn serial_decimal(&self) -> String {
        decimal(self.serial())
    }

    /// The serial number in lowercase hex, without leading zero bytes.
    pub(crate) fn serial_hex(&self) -> String {
        let bytes = self.serial();
        let significant = &bytes[bytes.iter().take_while(|&&b| b == 0).count()..];
        if significant.is_empty() {
            return "00".to_owned();
        }
        hex::encode(significant)
    }

    /// The certificate as PEM: `-----BEGIN CERTIFICATE-----`, base64 in lines of 64
    /// characters, `-----END CERTIFICATE-----`, each line ending in `\n`.
    pub(crate) fn pem(&self) -> String {
        let body = STANDARD.encode(&self.der);
        let mut pem = String::with_capacity(body.len() + body.len() / 64 + 64);
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            // Base64 output is ASCII, so every chunk is valid UTF-8.
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }
}

impl fmt::Debug for ParsedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The subject is personal data: only the serial number and dates.
        f.debug_struct("Certificate")
            .field("serial_number", &self.serial_hex())
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// The text of a URI general name.
fn uri(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::UniformResourceIdentifier(uri) => Some(uri.as_str().to_owned()),
        _ => None,
    }
}

/// Where the `tbsCertificate` is in `der`, the certificate (at `offset` in the whole input)
/// that `tbs` was decoded from.
///
/// Also refuses what `der` lets through here: its decoder of an optional context-specific
/// field passes over any context-specific field with a lower tag number, so a
/// TBSCertificate with, say, a stray `[0]` or a second `[1]` before its `[3]` extensions
/// decodes as if the stray field were not there. A TBSCertificate must have exactly the
/// fields decoded.
fn tbs_certificate(der: &[u8], offset: usize, tbs: &TbsCertificate) -> der::Result<Range<usize>> {
    let mut reader = SliceReader::new(der).map_err(|e| tlv::at(e, offset))?;
    Header::decode(&mut reader).map_err(|e| tlv::at(e, offset))?;
    let start = tlv::usize_of(reader.position());
    let tbs_der = reader.tlv_bytes().map_err(|e| tlv::at(e, offset))?;
    let fields = tlv::fields(tbs_der, Tag::Sequence, offset + start)?;
    let version = fields
        .first()
        .is_some_and(|(_, field)| field.first() == Some(&VERSION_TAG));
    // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, and the
    // optional fields that were there.
    let decoded = 6
        + usize::from(version)
        + usize::from(tbs.issuer_unique_id.is_some())
        + usize::from(tbs.subject_unique_id.is_some())
        + usize::from(tbs.extensions.is_some());
    if fields.len() != decoded {
        return Err(tlv::error_at(
            Tag::Sequence.value_error().kind(),
            offset + start,
        ));
    }
    Ok(start..start + tbs_der.len())
}

/// An X.509 time as an [`OffsetDateTime`] in UTC.
pub(crate) fn to_offset_date_time(time: Time) -> Option<OffsetDateTime> {
    let seconds = i64::try_from(time.to_unix_duration().as_secs()).ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// A distinguished name as an RFC 4514 string, strings decoded.
pub(crate) fn name_to_string(name: &Name) -> String {
    name::to_rfc4514(name)
}

/// A big-endian unsigned integer in decimal.
pub(crate) fn decimal(bytes: &[u8]) -> String {
    let mut number: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut remainder: u32 = 0;
        for byte in &mut number {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = u8::try_from(value / 10).unwrap_or(u8::MAX);
            remainder = value % 10;
        }
        digits.push(char::from(b'0' + u8::try_from(remainder).unwrap_or(0)));
        let zeros = number.iter().take_while(|&&b| b == 0).count();
        number.drain(..zeros);
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_serial_numbers() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[0x76, 0x5d, 0xff]), "7757311");
        assert_eq!(decimal(&[0x01, 0x40, 0xbe, 0xa2]), "21020322");
        assert_eq!(
            decimal(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]),
            "81985529216486895"
        );
        assert_eq!(
            decimal(&[0xff; 16]),
            "340282366920938463463374607431768211455"
        );
    }
}
