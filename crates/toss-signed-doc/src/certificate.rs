//! X.509 certificates as this crate uses them: the exact DER, the decoded fields, and the
//! checks (who issued it, when it is valid, whether it is the signer the SignerInfo names).

mod name;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cms::signed_data::SignerIdentifier;
use der::Decode as _;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, SubjectKeyIdentifier};

use crate::algorithm::{RsaKey, SignatureAlgorithm};
use crate::raw;

/// A decoded certificate with the bytes it was decoded from.
#[derive(Clone)]
pub(crate) struct ParsedCertificate {
    der: Vec<u8>,
    tbs: Vec<u8>,
    certificate: Certificate,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl ParsedCertificate {
    /// Decodes one DER certificate; `None` if it is not one (or its dates are out of range).
    pub(crate) fn from_der(der: &[u8]) -> Option<Self> {
        let certificate = Certificate::from_der(der).ok()?;
        let tbs = raw::tbs_certificate(der).ok()?.to_vec();
        let validity = &certificate.tbs_certificate.validity;
        let not_before = to_offset_date_time(validity.not_before)?;
        let not_after = to_offset_date_time(validity.not_after)?;
        Some(Self {
            der: der.to_vec(),
            tbs,
            certificate,
            not_before,
            not_after,
        })
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

    /// Whether this is the certificate a SignerInfo's `sid` names.
    pub(crate) fn is_named_by(&self, sid: &SignerIdentifier) -> bool {
        let tbs = &self.certificate.tbs_certificate;
        match sid {
            SignerIdentifier::IssuerAndSerialNumber(id) => {
                id.issuer == tbs.issuer && id.serial_number == tbs.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                matches!(
                    tbs.get::<SubjectKeyIdentifier>(),
                    Ok(Some((_, own))) if own.0 == ski.0
                )
            }
        }
    }

    /// The RSA public key of the subject.
    pub(crate) fn rsa_key(&self) -> Result<RsaKey, crate::Error> {
        RsaKey::from_spki(&self.certificate.tbs_certificate.subject_public_key_info)
    }

    /// Whether `issuer` issued this certificate: names chain and its key verifies this
    /// certificate's signature (RSA PKCS#1 v1.5 with SHA-256/384/512 only).
    pub(crate) fn is_issued_by(&self, issuer: &Self) -> bool {
        if self.certificate.tbs_certificate.issuer != issuer.certificate.tbs_certificate.subject {
            return false;
        }
        let Ok(SignatureAlgorithm::RsaWith(hash)) =
            SignatureAlgorithm::from_identifier(&self.certificate.signature_algorithm)
        else {
            return false;
        };
        let Some(signature) = self.certificate.signature.as_bytes() else {
            return false;
        };
        issuer
            .rsa_key()
            .is_ok_and(|key| key.verify(hash, &self.tbs, signature))
    }

    /// Whether this certificate may issue others: basicConstraints with `cA` true.
    pub(crate) fn is_ca(&self) -> bool {
        matches!(
            self.certificate.tbs_certificate.get::<BasicConstraints>(),
            Ok(Some((_, constraints))) if constraints.ca
        )
    }

    pub(crate) fn subject(&self) -> String {
        name::to_rfc4514(&self.certificate.tbs_certificate.subject)
    }

    pub(crate) fn issuer(&self) -> String {
        name::to_rfc4514(&self.certificate.tbs_certificate.issuer)
    }

    pub(crate) fn common_name(&self) -> Option<String> {
        name::common_name(&self.certificate.tbs_certificate.subject)
    }

    /// The serial number in decimal, as the provider and OpenSSL print it.
    pub(crate) fn serial_decimal(&self) -> String {
        decimal(self.certificate.tbs_certificate.serial_number.as_bytes())
    }

    /// The serial number in lowercase hex, without leading zero bytes.
    pub(crate) fn serial_hex(&self) -> String {
        let bytes = self.certificate.tbs_certificate.serial_number.as_bytes();
        let significant: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        if significant.is_empty() {
            return "00".to_owned();
        }
        significant.iter().map(|b| format!("{b:02x}")).collect()
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
