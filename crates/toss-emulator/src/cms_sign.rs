//! Signing as the provider does: CMS `SignedData` (RFC 5652) with SHA-256 and
//! sha256WithRSAEncryption, signed attributes contentType, signingTime and messageDigest,
//! and the signer's certificate included.

use std::time::Duration;

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use const_oid::db::rfc5911::{ID_DATA, ID_SIGNING_TIME};
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{GeneralizedTime, SetOfVec, UtcTime};
use der::{Any, Decode, Encode, Tag};
use rsa::pkcs1v15::Signature;
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::attr::{Attribute, AttributeValue};

use crate::ca::{CaError, UserIdentity};
use crate::rsa_signer::RsaSigner;

/// What is signed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content<'a> {
    /// `signatureType=PKCS7`: the document's bytes, embedded as eContent.
    Embedded(&'a [u8]),
    /// `signatureType=PKCS7_NO_CONTENT_WITH_ATTR`: no eContent; the messageDigest attribute
    /// is this SHA-256 hash of the (PDF) document.
    Detached { sha256: &'a [u8] },
}

/// The DER of a `ContentInfo` holding the `SignedData` of `content`, signed by `signer`
/// with `signingTime` set to `signing_time`.
pub(crate) fn sign(
    signer: &UserIdentity,
    content: Content<'_>,
    signing_time: OffsetDateTime,
) -> Result<Vec<u8>, CaError> {
    fn error<E>(_: E) -> CaError {
        CaError("cannot build the CMS signature")
    }
    let (econtent, external_digest) = match content {
        Content::Embedded(bytes) => (
            Some(Any::new(Tag::OctetString, bytes).map_err(error)?),
            None,
        ),
        Content::Detached { sha256 } => (None, Some(sha256)),
    };
    let encapsulated = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent,
    };
    // With NULL parameters, as the provider writes it.
    let digest_algorithm = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: Some(Any::null()),
    };
    let certificate = &signer.certificate;
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate.issuer.clone(),
        serial_number: certificate.tbs_certificate.serial_number.clone(),
    });

    // The builder adds contentType and messageDigest itself; signingTime comes from the
    // emulator's clock rather than the system's.
    let mut signer_info = SignerInfoBuilder::new(
        &signer.signing_key,
        sid,
        digest_algorithm.clone(),
        &encapsulated,
        external_digest,
    )
    .map_err(error)?;
    signer_info
        .add_signed_attribute(signing_time_attribute(signing_time)?)
        .map_err(error)?;

    let mut signed_data = SignedDataBuilder::new(&encapsulated);
    signed_data
        .add_digest_algorithm(digest_algorithm)
        .map_err(error)?
        .add_certificate(CertificateChoices::Certificate(certificate.clone()))
        .map_err(error)?
        .add_signer_info::<RsaSigner, Signature>(signer_info)
        .map_err(error)?;
    signed_data.build().map_err(error)?.to_der().map_err(error)
}

/// The signingTime attribute (RFC 5652 § 11.3): UTCTime until 2049, GeneralizedTime after.
fn signing_time_attribute(at: OffsetDateTime) -> Result<Attribute, CaError> {
    fn error<E>(_: E) -> CaError {
        CaError("cannot encode the signing time")
    }
    let seconds = u64::try_from(at.unix_timestamp())
        .map_err(|_| CaError("the signing time is before 1970"))?;
    let since_epoch = Duration::from_secs(seconds);
    let time_der = if at.year() < 2050 {
        UtcTime::from_unix_duration(since_epoch)
            .map_err(error)?
            .to_der()
            .map_err(error)?
    } else {
        GeneralizedTime::from_unix_duration(since_epoch)
            .map_err(error)?
            .to_der()
            .map_err(error)?
    };
    let value = AttributeValue::from_der(&time_der).map_err(error)?;
    let values = SetOfVec::try_from(vec![value]).map_err(error)?;
    Ok(Attribute {
        oid: ID_SIGNING_TIME,
        values,
    })
}

#[cfg(test)]
mod tests {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::ca::TestCa;

    #[test]
    fn embedded_and_detached_signatures_parse_back() {
        let now = OffsetDateTime::now_utc();
        let ca = TestCa::generate(now).unwrap();
        let signer = ca.identity("ci", "김토스", now, "http://emulator").unwrap();

        let doc = "출금이체에 동의합니다.".as_bytes();
        let der = sign(&signer, Content::Embedded(doc), now).unwrap();
        let info = ContentInfo::from_der(&der).unwrap();
        let signed: SignedData = info.content.decode_as().unwrap();
        let econtent = signed.encap_content_info.econtent.unwrap();
        assert_eq!(econtent.value(), doc);
        assert_eq!(signed.signer_infos.0.len(), 1);
        let attributes = signed
            .signer_infos
            .0
            .get(0)
            .unwrap()
            .signed_attrs
            .clone()
            .unwrap();
        assert_eq!(attributes.len(), 3);

        let hash = Sha256::digest(b"%PDF-1.7 ...");
        let der = sign(&signer, Content::Detached { sha256: &hash }, now).unwrap();
        let signed: SignedData = ContentInfo::from_der(&der)
            .unwrap()
            .content
            .decode_as()
            .unwrap();
        assert!(signed.encap_content_info.econtent.is_none());
        assert!(signed.certificates.is_some());
    }
}
