//! X.509 certificates as this crate uses them: the exact DER, the fields it reads, and the
//! checks (who issued it, when it is valid, whether it is the signer the SignerInfo names).
//!
//! A certificate is checked to be a well-formed DER X.509 certificate as `x509-cert` decodes
//! one (every TLV, name, extension and algorithm identifier), but read in place: the fields
//! are kept as ranges of its DER, and names and extensions are decoded only when asked for.

mod name;

use std::fmt;
use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use const_oid::{AssociatedOid as _, ObjectIdentifier};
use der::asn1::{BitStringRef, IntRef, OctetStringRef};
use der::{Decode as _, Tag, TagNumber};
use time::OffsetDateTime;
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};
use x509_cert::time::Validity;

use crate::algorithm::{DigestAlgorithm, RsaKey, SignatureAlgorithm};
use crate::raw::{self, Tlv};

/// The longest serial number accepted, in bytes, as `x509-cert` decodes them: RFC 5280's 20
/// and a sign byte.
const MAX_SERIAL_LEN: usize = 21;

const CONTEXT_0: Tag = context(0, true);
const CONTEXT_1_PRIMITIVE: Tag = context(1, false);
const CONTEXT_2_PRIMITIVE: Tag = context(2, false);
const CONTEXT_3: Tag = context(3, true);

/// A context-specific tag.
pub(crate) const fn context(number: u8, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: match number {
            0 => TagNumber::N0,
            1 => TagNumber::N1,
            2 => TagNumber::N2,
            _ => TagNumber::N3,
        },
    }
}

/// How a SignerInfo names its certificate (RFC 5652 §5.3), as borrowed DER.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SignerId<'a> {
    /// The issuer's `Name` (its whole DER) and the serial number (the INTEGER's value).
    IssuerAndSerialNumber { issuer: &'a [u8], serial: &'a [u8] },
    /// The subject key identifier's bytes.
    SubjectKeyIdentifier(&'a [u8]),
}

impl<'a> SignerId<'a> {
    /// Reads a `SignerIdentifier` CHOICE. An issuer name with the bytes of the issuer of
    /// one of `certificates` was checked with it and is not walked again.
    pub(crate) fn parse(sid: Tlv<'a>, certificates: &[ParsedCertificate]) -> der::Result<Self> {
        if sid.tag == context(0, false) {
            // [0] IMPLICIT SubjectKeyIdentifier (an OCTET STRING).
            return Ok(Self::SubjectKeyIdentifier(sid.value));
        }
        let mut fields = sid.expect(Tag::Sequence)?.fields()?;
        let issuer = fields.expect(Tag::Sequence)?;
        if !certificates
            .iter()
            .any(|c| c.part(&c.issuer) == issuer.encoded)
        {
            name::validate(&issuer)?;
        }
        let serial = serial_number(&mut fields)?;
        fields.finish()?;
        Ok(Self::IssuerAndSerialNumber {
            issuer: issuer.encoded,
            serial,
        })
    }
}

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

/// A certificate's DER with the places of the fields this crate reads.
#[derive(Clone)]
pub(crate) struct ParsedCertificate {
    der: Box<[u8]>,
    tbs: Range<usize>,
    /// The serial number INTEGER's value.
    serial: Range<usize>,
    /// The issuer `Name`, whole.
    issuer: Range<usize>,
    /// The subject `Name`, whole.
    subject: Range<usize>,
    /// The subject public key's algorithm.
    public_key_algorithm: ObjectIdentifier,
    /// The subject public key's bytes, `None` when its BIT STRING is not whole bytes.
    public_key: Option<Range<usize>>,
    /// The value of the `Extensions` SEQUENCE, when there are extensions.
    extensions: Option<Range<usize>>,
    /// The outer `signatureAlgorithm`.
    signature_algorithm: ObjectIdentifier,
    /// The `signatureValue` bytes, `None` when its BIT STRING is not whole bytes.
    signature: Option<Range<usize>>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// A certificate read, its validity not yet converted.
struct Undated {
    certificate: ParsedCertificate,
    validity: Validity,
}

impl Undated {
    fn dated(self) -> Result<ParsedCertificate, DecodeError> {
        let Self {
            mut certificate,
            validity,
        } = self;
        certificate.not_before =
            to_offset_date_time(validity.not_before).ok_or(DecodeError::Validity)?;
        certificate.not_after =
            to_offset_date_time(validity.not_after).ok_or(DecodeError::Validity)?;
        Ok(certificate)
    }
}

impl ParsedCertificate {
    /// Reads one DER certificate, which must be the whole of `der`.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, DecodeError> {
        raw::single(der, Tag::Sequence, |certificate| Self::read(&certificate))?.dated()
    }

    /// Reads the certificate that is `certificate`.
    pub(crate) fn from_tlv(certificate: &Tlv<'_>) -> Result<Self, DecodeError> {
        Self::read(certificate)?.dated()
    }

    /// Walks a certificate in the order `x509-cert` decodes one, field by field.
    fn read(certificate: &Tlv<'_>) -> der::Result<Undated> {
        let base = certificate.encoded;
        let span = |part: &[u8]| {
            let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
            start..start + part.len()
        };
        let mut outer = certificate.expect(Tag::Sequence)?.fields()?;
        let tbs = outer.expect(Tag::Sequence)?;
        let mut fields = tbs.fields()?;
        if let Some(version) = fields.optional(CONTEXT_0)? {
            // [0] EXPLICIT Version: v1(0), v2(1), v3(2).
            let number = version.explicit_decode::<u8>()?;
            if number > 2 {
                return Err(version.value_error());
            }
        }
        let serial = serial_number(&mut fields)?;
        fields.algorithm_bytes()?;
        let issuer = fields.expect(Tag::Sequence)?;
        name::validate(&issuer)?;
        let validity = fields.decode::<Validity>()?;
        let subject = fields.expect(Tag::Sequence)?;
        name::validate(&subject)?;
        // SubjectPublicKeyInfo: an AlgorithmIdentifier and a BIT STRING.
        let mut spki = fields.expect(Tag::Sequence)?.fields()?;
        let public_key_algorithm = spki.algorithm()?;
        let public_key = spki.expect(Tag::BitString)?.decode::<BitStringRef<'_>>()?;
        spki.finish()?;
        for unique_id in [CONTEXT_1_PRIMITIVE, CONTEXT_2_PRIMITIVE] {
            if let Some(id) = fields.optional(unique_id)? {
                implicit_bit_string(&id)?;
            }
        }
        let extensions = match fields.optional(CONTEXT_3)? {
            None => None,
            Some(tagged) => Some(raw::explicit_with(&tagged, &[Tag::Sequence], |list| {
                let mut extensions = list.fields()?;
                while !extensions.is_finished() {
                    extension(extensions.expect(Tag::Sequence)?)?;
                }
                Ok(span(list.value))
            })?),
        };
        fields.finish()?;
        let signature_algorithm = outer.algorithm()?;
        let signature = outer.expect(Tag::BitString)?.decode::<BitStringRef<'_>>()?;
        outer.finish()?;

        Ok(Undated {
            certificate: Self {
                der: base.into(),
                tbs: span(tbs.encoded),
                serial: span(serial),
                issuer: span(issuer.encoded),
                subject: span(subject.encoded),
                public_key_algorithm,
                public_key: public_key.as_bytes().map(span),
                extensions,
                signature_algorithm,
                signature: signature.as_bytes().map(span),
                not_before: OffsetDateTime::UNIX_EPOCH,
                not_after: OffsetDateTime::UNIX_EPOCH,
            },
            validity,
        })
    }

    pub(crate) fn der(&self) -> &[u8] {
        &self.der
    }

    fn part(&self, range: &Range<usize>) -> &[u8] {
        self.der.get(range.clone()).unwrap_or_default()
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

    /// Whether this is the certificate a SignerInfo's `sid` names.
    pub(crate) fn is_named_by(&self, sid: &SignerId<'_>) -> bool {
        match *sid {
            SignerId::IssuerAndSerialNumber { issuer, serial } => {
                serial == self.part(&self.serial) && name::equal(issuer, self.part(&self.issuer))
            }
            SignerId::SubjectKeyIdentifier(ski) => matches!(
                self.extension_value(SubjectKeyIdentifier::OID)
                    .map(|value| value.map(OctetStringRef::from_der)),
                Ok(Some(Ok(own))) if own.as_bytes() == ski
            ),
        }
    }

    /// The RSA public key of the subject, for signatures made with `hash`.
    pub(crate) fn rsa_key(&self, hash: DigestAlgorithm) -> Result<RsaKey, crate::Error> {
        let key = self.public_key.as_ref().map(|range| self.part(range));
        RsaKey::from_public_key(&self.public_key_algorithm, key, hash)
    }

    /// Whether `issuer` issued this certificate: names chain and its key verifies this
    /// certificate's signature (RSA PKCS#1 v1.5 with SHA-256/384/512 only).
    pub(crate) fn is_issued_by(&self, issuer: &Self) -> bool {
        if !name::equal(self.part(&self.issuer), issuer.part(&issuer.subject)) {
            return false;
        }
        let Ok(SignatureAlgorithm::RsaWith(hash)) =
            SignatureAlgorithm::from_oid(&self.signature_algorithm)
        else {
            return false;
        };
        let Some(signature) = self.signature.as_ref().map(|range| self.part(range)) else {
            return false;
        };
        issuer
            .rsa_key(hash)
            .is_ok_and(|key| key.verify(self.part(&self.tbs), signature))
    }

    /// The DER value of the extension `oid` (what its OCTET STRING holds), `Ok(None)` when
    /// absent; an error when it occurs more than once, as `x509-cert`'s `get` does.
    fn extension_value(&self, oid: ObjectIdentifier) -> Result<Option<&[u8]>, der::Error> {
        let Some(range) = &self.extensions else {
            return Ok(None);
        };
        let mut found = None;
        for extension in raw::Fields::new(self.part(range), 0)? {
            let (id, value) = self::extension(extension?)?;
            if id == oid.as_bytes() {
                if found.is_some() {
                    return Err(der::ErrorKind::Failed.into());
                }
                found = Some(value);
            }
        }
        Ok(found)
    }

    /// Whether this certificate may issue others: basicConstraints with `cA` true.
    pub(crate) fn is_ca(&self) -> bool {
        matches!(
            self.extension_value(BasicConstraints::OID)
                .map(|value| value.map(BasicConstraints::from_der)),
            Ok(Some(Ok(constraints))) if constraints.ca
        )
    }

    pub(crate) fn subject(&self) -> String {
        name::to_rfc4514(self.part(&self.subject))
    }

    pub(crate) fn issuer(&self) -> String {
        name::to_rfc4514(self.part(&self.issuer))
    }

    /// The subject as [`subject`](Self::subject) gives it, and its most specific common
    /// name decoded, in one walk.
    pub(crate) fn subject_and_common_name(&self) -> (String, Option<String>) {
        name::describe(self.part(&self.subject))
    }

    /// The serial number in decimal, as the provider and OpenSSL print it.
    pub(crate) fn serial_decimal(&self) -> String {
        decimal(self.part(&self.serial))
    }

    /// The serial number in lowercase hex, without leading zero bytes.
    pub(crate) fn serial_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = self.part(&self.serial);
        let significant = &bytes[bytes.iter().take_while(|&&b| b == 0).count()..];
        if significant.is_empty() {
            return "00".to_owned();
        }
        let mut hex = String::with_capacity(significant.len() * 2);
        for byte in significant {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
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

/// A serial number INTEGER's value (leading sign bytes stripped, as `x509-cert` compares
/// them): minimal DER, at most [`MAX_SERIAL_LEN`] bytes.
fn serial_number<'a>(fields: &mut raw::Fields<'a>) -> der::Result<&'a [u8]> {
    let position = fields.cursor();
    let serial = fields.decode::<IntRef<'a>>()?.as_bytes();
    if serial.len() > MAX_SERIAL_LEN {
        return Err(raw::at(Tag::Integer.value_error().kind(), position));
    }
    Ok(serial)
}

/// Checks an IMPLICIT BIT STRING's value as `der` decodes one.
fn implicit_bit_string(tagged: &Tlv<'_>) -> der::Result<()> {
    let (&unused_bits, bits) = tagged
        .value
        .split_first()
        .ok_or_else(|| tagged.value_error())?;
    BitStringRef::new(unused_bits, bits).map_err(|_| tagged.value_error())?;
    Ok(())
}

/// An `Extension`: its id and the DER its OCTET STRING holds.
fn extension(extension: Tlv<'_>) -> der::Result<(&[u8], &[u8])> {
    let mut fields = extension.expect(Tag::Sequence)?.fields()?;
    let id = fields.oid_bytes()?;
    fields.decode::<Option<bool>>()?;
    let value = fields.decode::<OctetStringRef<'_>>()?;
    fields.finish()?;
    Ok((id, value.as_bytes()))
}

/// An X.509 time as an [`OffsetDateTime`] in UTC.
pub(crate) fn to_offset_date_time(time: x509_cert::time::Time) -> Option<OffsetDateTime> {
    let seconds = i64::try_from(time.to_unix_duration().as_secs()).ok()?;
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// A big-endian unsigned integer in decimal.
fn decimal(bytes: &[u8]) -> String {
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
