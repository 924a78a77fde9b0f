//! Trusted timestamps (RFC 3161) over a signedDoc's signature, kept as the unsigned
//! attribute signatureTimeStampToken (RFC 3161 Appendix A, CAdES-T): the request, the
//! token, its verification, and adding it to a signedDoc without touching what the user
//! signed.

use std::fmt;

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{Int, OctetString, SetOfVec, Uint};
use der::{Any, Decode as _, Encode as _};
use time::OffsetDateTime;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::algorithm::{DigestAlgorithm, oid_name};
use crate::certificate::ParsedCertificate;
use crate::chain::{self, TrustAnchors};
use crate::error::{CertificateError, DerError, Error, TimestampError};
use crate::parse::SignedDoc;
use crate::report::Timestamp;
use crate::verify::check_signature;

/// `id-aa-signatureTimeStampToken` (RFC 3161 Appendix A).
pub(crate) const SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// `id-ct-TSTInfo`: the content type of a timestamp token.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-kp-timeStamping`: the extended key usage a TSA certificate must have (RFC 3161 §2.3).
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// A request for a timestamp over a signedDoc's signature value (SHA-256), with a nonce
/// and asking for the TSA's certificate: send [`der`](Self::der) as
/// `application/timestamp-query` and read the answer with
/// [`read_response`](Self::read_response).
#[derive(Clone)]
pub struct TimestampRequest {
    der: Vec<u8>,
    imprint: Vec<u8>,
    nonce: Int,
}

impl TimestampRequest {
    /// The request for `signed`'s signature, with `nonce` (a random number the answer
    /// must echo).
    ///
    /// # Errors
    ///
    /// Only if the request cannot be encoded, which does not happen for a parsed signedDoc.
    pub fn for_signature(signed: &SignedDoc, nonce: u64) -> Result<Self, Error> {
        let imprint = DigestAlgorithm::Sha256.digest(signed.signature_value());
        let encoding = |error: der::Error| TimestampError::MalformedResponse(DerError::new(error));
        let nonce = Int::from(Uint::new(&nonce.to_be_bytes()).map_err(encoding)?);
        let request = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifier {
                    oid: ID_SHA_256,
                    parameters: Some(Any::null()),
                },
                hashed_message: OctetString::new(imprint.clone()).map_err(encoding)?,
            },
            req_policy: None,
            nonce: Some(nonce.clone()),
            cert_req: true,
            extensions: None,
        };
        Ok(Self {
            der: request.to_der().map_err(encoding)?,
            imprint,
            nonce,
        })
    }

    /// The DER TimeStampReq.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The token of a TSA's answer (a DER TimeStampResp) to this request.
    ///
    /// # Errors
    ///
    /// [`TimestampError::MalformedResponse`], [`TimestampError::Rejected`] unless the status
    /// is granted (with or without modifications), [`TimestampError::MalformedToken`],
    /// [`TimestampError::NonceMismatch`] and [`TimestampError::ImprintMismatch`]. The
    /// token's signature is checked when a signedDoc carrying it is verified.
    pub fn read_response(&self, der: &[u8]) -> Result<TimestampToken, Error> {
        let response = TimeStampResp::from_der(der)
            .map_err(|e| TimestampError::MalformedResponse(DerError::new(e)))?;
        let status = response.status.status as u8;
        let Some(token) = response.time_stamp_token.filter(|_| status <= 1) else {
            return Err(TimestampError::Rejected { status }.into());
        };
        let token_der = token
            .to_der()
            .map_err(|e| TimestampError::MalformedResponse(DerError::new(e)))?;
        let token = TimestampToken::from_der(&token_der)?;
        if token.info.nonce.as_ref() != Some(&self.nonce) {
            return Err(TimestampError::NonceMismatch.into());
        }
        if token.imprint_algorithm != DigestAlgorithm::Sha256
            || token.info.message_imprint.hashed_message.as_bytes() != self.imprint
        {
            return Err(TimestampError::ImprintMismatch.into());
        }
        Ok(token)
    }
}

impl fmt::Debug for TimestampRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimestampRequest")
            .field("len", &self.der.len())
            .finish_non_exhaustive()
    }
}

/// An RFC 3161 TimeStampToken: a CMS SignedData by a time-stamping authority over a
/// TSTInfo. Parsing checks the structure; [`verify`](Self::verify) the rest.
#[derive(Clone)]
pub struct TimestampToken {
    der: Box<[u8]>,
    signed: SignedDoc,
    info: TstInfo,
    time: OffsetDateTime,
    imprint_algorithm: DigestAlgorithm,
}

impl TimestampToken {
    /// Parses a DER TimeStampToken (a ContentInfo).
    ///
    /// # Errors
    ///
    /// [`TimestampError::MalformedToken`] with what was wrong.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let malformed = |error: Error| TimestampError::MalformedToken(Box::new(error));
        let der_error = |error: der::Error| malformed(Error::NotDer(DerError::new(error)));
        let signed = SignedDoc::from_der(der).map_err(malformed)?;
        if signed.content_type() != ID_CT_TST_INFO {
            return Err(malformed(Error::NotSignedData {
                content_type: oid_name(&signed.content_type()),
            })
            .into());
        }
        let content = signed
            .content()
            .ok_or_else(|| malformed(crate::error::Mismatch::DetachedContent.into()))?;
        let info = TstInfo::from_der(content).map_err(der_error)?;
        let time = OffsetDateTime::from_unix_timestamp(
            i64::try_from(info.gen_time.to_unix_duration().as_secs()).unwrap_or(i64::MAX),
        )
        .map_err(|_| der_error(der::ErrorKind::DateTime.into()))?;
        let imprint_algorithm =
            DigestAlgorithm::from_identifier(&info.message_imprint.hash_algorithm.oid)
                .map_err(malformed)?;
        Ok(Self {
            der: der.into(),
            signed,
            info,
            time,
            imprint_algorithm,
        })
    }

    /// The DER, as given.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The TSA's time (`genTime`).
    #[must_use]
    pub fn time(&self) -> OffsetDateTime {
        self.time
    }

    /// Whether the message imprint is the digest of `signature`.
    fn is_over(&self, signature: &[u8]) -> bool {
        self.imprint_algorithm.digest(signature)
            == self.info.message_imprint.hashed_message.as_bytes()
    }

    /// Verifies that the token is over `signed`'s signature (its message imprint) and not
    /// before the signing time `signed` claims, signed by a certificate for time stamping
    /// that was valid at its time and, with `anchors`, chains to one of them at that time.
    ///
    /// # Errors
    ///
    /// [`TimestampError::ImprintMismatch`], [`TimestampError::SignatureInvalid`],
    /// [`TimestampError::NotTimeStampingCertificate`],
    /// [`TimestampError::CertificateNotValid`], [`TimestampError::Untrusted`] and
    /// [`TimestampError::BeforeSigningTime`].
    pub fn verify(
        &self,
        signed: &SignedDoc,
        anchors: Option<&TrustAnchors>,
    ) -> Result<Timestamp, Error> {
        if !self.is_over(signed.signature_value()) {
            return Err(TimestampError::ImprintMismatch.into());
        }
        // The token's content is the TSTInfo it was parsed from: it is always embedded.
        if self.signed.content().is_none() || check_signature(&self.signed).is_err() {
            return Err(TimestampError::SignatureInvalid.into());
        }
        let authority: &ParsedCertificate = self.signed.signer_certificate();
        if !authority.has_extended_key_usage(ID_KP_TIME_STAMPING) {
            return Err(TimestampError::NotTimeStampingCertificate.into());
        }
        if !authority.valid_at(self.time) {
            return Err(TimestampError::CertificateNotValid.into());
        }
        if let Some(anchors) = anchors {
            chain::verify(authority, self.signed.certificates(), anchors, self.time).map_err(
                |error| match error {
                    CertificateError::Untrusted => TimestampError::Untrusted,
                    _ => TimestampError::CertificateNotValid,
                },
            )?;
        }
        if let Some(signing_time) = signed.signing_time()
            && self.time < signing_time
        {
            return Err(TimestampError::BeforeSigningTime {
                stamped_at: self.time,
                signing_time,
            }
            .into());
        }
        Ok(Timestamp {
            time: self.time,
            serial_number: hex::encode(self.info.serial_number.as_bytes()),
            policy: self.info.policy.to_string(),
            authority: authority.subject(),
            digest_algorithm: self.imprint_algorithm,
            chain_checked: anchors.is_some(),
        })
    }
}

impl fmt::Debug for TimestampToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimestampToken")
            .field("time", &self.time)
            .field("len", &self.der.len())
            .finish_non_exhaustive()
    }
}

impl SignedDoc {
    /// This signedDoc with `token` added as the unsigned attribute
    /// signatureTimeStampToken (CAdES-T), replacing one there before: the DER of a
    /// ContentInfo that verifies as this one does, and also carries the timestamp.
    ///
    /// The signed attributes, the signature, the content and the certificates are kept
    /// byte for byte; the result is parsed back and compared to make sure of it.
    ///
    /// # Errors
    ///
    /// [`TimestampError::ImprintMismatch`] when `token` is not over this signature;
    /// [`TimestampError::WouldAlterSignature`] when this signedDoc is not canonical DER,
    /// so that re-encoding it would change what its signature covers.
    pub fn with_signature_timestamp(&self, token: &TimestampToken) -> Result<Vec<u8>, Error> {
        if !token.is_over(self.signature_value()) {
            return Err(TimestampError::ImprintMismatch.into());
        }
        let alter = |_| TimestampError::WouldAlterSignature;
        let content_info = ContentInfo::from_der(self.der()).map_err(alter)?;
        let mut signed_data: SignedData = content_info.content.decode_as().map_err(alter)?;
        let mut signer_infos = signed_data.signer_infos.0.into_vec();
        let signer_info = signer_infos
            .first_mut()
            .ok_or(TimestampError::WouldAlterSignature)?;
        let mut unsigned: Vec<Attribute> = signer_info
            .unsigned_attrs
            .take()
            .map(SetOfVec::into_vec)
            .unwrap_or_default()
            .into_iter()
            .filter(|attribute| attribute.oid != SIGNATURE_TIME_STAMP_TOKEN)
            .collect();
        unsigned.push(Attribute {
            oid: SIGNATURE_TIME_STAMP_TOKEN,
            values: SetOfVec::try_from(vec![Any::from_der(token.der()).map_err(alter)?])
                .map_err(alter)?,
        });
        signer_info.unsigned_attrs = Some(SetOfVec::try_from(unsigned).map_err(alter)?);
        signed_data.signer_infos.0 = SetOfVec::try_from(signer_infos).map_err(alter)?;
        let timestamped = ContentInfo {
            content_type: content_info.content_type,
            content: Any::encode_from(&signed_data).map_err(alter)?,
        }
        .to_der()
        .map_err(alter)?;

        let reparsed =
            Self::from_der(&timestamped).map_err(|_| TimestampError::WouldAlterSignature)?;
        let same = reparsed.signed_attributes_der() == self.signed_attributes_der()
            && reparsed.signature_value() == self.signature_value()
            && reparsed.content() == self.content()
            && reparsed.certificates_der().eq(self.certificates_der())
            && reparsed.signature_timestamp_der() == Some(token.der());
        if !same {
            return Err(TimestampError::WouldAlterSignature.into());
        }
        Ok(timestamped)
    }
}
