//! An RFC 3161 time-stamping authority: `POST /tsa` answers a `TimeStampReq` with a
//! `TimeStampResp`, granting a token signed by the emulator's TSA certificate or refusing
//! with the PKIFailureInfo bit that says why.
//!
//! The request and answer types are x509-tsp's, the token is built with cms's
//! `SignedDataBuilder`; only RFC 5035's signingCertificateV2 attribute, which neither crate
//! defines and OpenSSL's `ts -verify` requires, is declared here.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cmpv2::status::{PkiFailureInfo, PkiFailureInfoValues, PkiStatus, PkiStatusInfo};
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2;
use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::asn1::{GeneralizedTime, Int, OctetString, SetOfVec, Utf8StringRef};
use der::pem::LineEnding;
use der::{Any, Decode, Encode, EncodePem, Sequence, Tag, Tagged};
use rsa::pkcs1v15::Signature;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::ca::{CaError, TestCa};
use crate::rsa_signer::RsaSigner;

/// The emulator TSA's policy (TSTInfo `policy`), the only one it accepts in `reqPolicy`.
///
/// An arc of the private enterprise number IANA reserves for documentation (32473,
/// RFC 5612), so that it names no real policy. Not a `2.25.<UUID>` OID: RustCrypto's
/// `const-oid` 0.9 holds arcs of 32 bits at most, so such a token could not be read back by
/// the same crates (x509-tsp's `TstInfo`).
pub const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.3161.1");

/// id-ct-TSTInfo (RFC 3161 § 2.4.2), the eContentType of a time-stamp token.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// RFC 5035 § 3: `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
/// policies SEQUENCE OF PolicyInformation OPTIONAL }` (no policies here).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// RFC 5035 § 4: `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT
/// {algorithm id-sha256}, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    /// Left out for SHA-256, the default (DER omits a default value).
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// RFC 5035 § 4: `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber
/// CertificateSerialNumber }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

/// Why a request is refused: the PKIFailureInfo bit and a fixed text for statusString.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    failure: PkiFailureInfoValues,
    text: &'static str,
}

impl Refusal {
    const fn new(failure: PkiFailureInfoValues, text: &'static str) -> Self {
        Self { failure, text }
    }
}

/// The time-stamping authority: its key, its certificate (issued by the test CA at start)
/// and the serial number of its last token.
pub(crate) struct Tsa {
    signing_key: RsaSigner,
    certificate: Certificate,
    certificate_pem: String,
    /// signingCertificateV2, the same in every token.
    signing_certificate: Attribute,
    serial: AtomicU64,
}

impl Tsa {
    /// A TSA with a new key and a certificate from `ca`, valid from `now`.
    pub(crate) fn new(ca: &TestCa, now: OffsetDateTime) -> Result<Self, CaError> {
        let error = |_| CaError("cannot set up the TSA");
        let (signing_key, certificate) = ca.issue_tsa(now)?;
        let certificate_pem = certificate.to_pem(LineEnding::LF).map_err(error)?;
        let tbs = &certificate.tbs_certificate;
        let cert_hash = Sha256::digest(certificate.to_der().map_err(error)?);
        let value = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(cert_hash.to_vec()).map_err(error)?,
                issuer_serial: Some(IssuerSerial {
                    issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                    serial_number: tbs.serial_number.clone(),
                }),
            }],
        };
        let value = AttributeValue::from_der(&value.to_der().map_err(error)?).map_err(error)?;
        let signing_certificate = Attribute {
            oid: ID_AA_SIGNING_CERTIFICATE_V_2,
            values: SetOfVec::try_from(vec![value]).map_err(error)?,
        };
        Ok(Self {
            signing_key,
            certificate,
            certificate_pem,
            signing_certificate,
            serial: AtomicU64::new(0),
        })
    }

    /// The TSA certificate as PEM.
    pub(crate) fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The DER `TimeStampResp` answering the DER `TimeStampReq` in `request` at `now`:
    /// granted with a token, or a rejection (RFC 3161 § 2.4.2). Fails only when even a
    /// rejection cannot be encoded. RSA work: call it off the async runtime.
    pub(crate) fn respond(&self, request: &[u8], now: OffsetDateTime) -> Result<Vec<u8>, CaError> {
        let error = |_| CaError("cannot encode the time-stamp response");
        let (status, token) = match check(request) {
            Ok(request) => match self.token(&request, now) {
                Ok(token) => (status(PkiStatus::Accepted, None), Some(token)),
                Err(_) => (
                    status(
                        PkiStatus::Rejection,
                        Some(Refusal::new(
                            PkiFailureInfoValues::SystemFailure,
                            "the emulator could not make the token",
                        )),
                    ),
                    None,
                ),
            },
            Err(refusal) => (status(PkiStatus::Rejection, Some(refusal)), None),
        };
        let status = status.map_err(error)?;
        TimeStampResp {
            status,
            time_stamp_token: token,
        }
        .to_der()
        .map_err(error)
    }

    /// The time-stamp token of `request` at `now`: a `ContentInfo` of a `SignedData` over
    /// the DER `TSTInfo`.
    fn token(&self, request: &TimeStampReq, now: OffsetDateTime) -> Result<ContentInfo, CaError> {
        fn error<E>(_: E) -> CaError {
            CaError("cannot make the time-stamp token")
        }
        let seconds =
            u64::try_from(now.unix_timestamp()).map_err(|_| CaError("the time is before 1970"))?;
        let serial = self
            .serial
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        let info = TstInfo {
            version: TspVersion::V1,
            policy: TSA_POLICY,
            message_imprint: request.message_imprint.clone(),
            serial_number: Int::from_der(&serial.to_der().map_err(error)?).map_err(error)?,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(seconds))
                .map_err(error)?,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: request.nonce.clone(),
            tsa: None,
            extensions: None,
        };
        let encapsulated = EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(
                Any::new(Tag::OctetString, info.to_der().map_err(error)?).map_err(error)?,
            ),
        };
        let digest_algorithm = AlgorithmIdentifierOwned {
            oid: ID_SHA_256,
            parameters: Some(Any::null()),
        };
        let tbs = &self.certificate.tbs_certificate;
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        });
        // The builder adds contentType and messageDigest itself.
        let mut signer_info = SignerInfoBuilder::new(
            &self.signing_key,
            sid,
            digest_algorithm.clone(),
            &encapsulated,
            None,
        )
        .map_err(error)?;
        signer_info
            .add_signed_attribute(self.signing_certificate.clone())
            .map_err(error)?;
        let mut signed_data = SignedDataBuilder::new(&encapsulated);
        signed_data
            .add_digest_algorithm(digest_algorithm)
            .map_err(error)?;
        if request.cert_req {
            signed_data
                .add_certificate(CertificateChoices::Certificate(self.certificate.clone()))
                .map_err(error)?;
        }
        signed_data
            .add_signer_info::<RsaSigner, Signature>(signer_info)
            .map_err(error)?;
        signed_data.build().map_err(error)
    }
}

impl fmt::Debug for Tsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tsa")
            .field("serial", &self.serial.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The request, when the emulator grants it: DER, version 1, a SHA-256, SHA-384 or SHA-512
/// imprint of the digest's length, no other policy than the emulator's, no extensions.
fn check(request: &[u8]) -> Result<TimeStampReq, Refusal> {
    let Ok(request) = TimeStampReq::from_der(request) else {
        // x509-tsp knows version 1 only: tell another version from something that is not a
        // request at all.
        let version = Vec::<Any>::from_der(request)
            .ok()
            .and_then(|fields| fields.into_iter().next())
            .filter(|first| first.tag() == Tag::Integer);
        return Err(match version {
            Some(_) => Refusal::new(PkiFailureInfoValues::BadRequest, "the version must be 1"),
            None => Refusal::new(
                PkiFailureInfoValues::BadDataFormat,
                "the body is not a DER TimeStampReq",
            ),
        });
    };
    let MessageImprint {
        hash_algorithm,
        hashed_message,
    } = &request.message_imprint;
    let length = match hash_algorithm.oid {
        ID_SHA_256 => 32,
        ID_SHA_384 => 48,
        ID_SHA_512 => 64,
        _ => {
            return Err(Refusal::new(
                PkiFailureInfoValues::BadAlg,
                "the hash algorithm must be SHA-256, SHA-384 or SHA-512",
            ));
        }
    };
    if hash_algorithm
        .parameters
        .as_ref()
        .is_some_and(|parameters| parameters.tag() != Tag::Null)
    {
        return Err(Refusal::new(
            PkiFailureInfoValues::BadAlg,
            "the hash algorithm has parameters",
        ));
    }
    if hashed_message.as_bytes().len() != length {
        return Err(Refusal::new(
            PkiFailureInfoValues::BadDataFormat,
            "the hashed message is not as long as the hash algorithm's digest",
        ));
    }
    if request
        .req_policy
        .is_some_and(|policy| policy != TSA_POLICY)
    {
        return Err(Refusal::new(
            PkiFailureInfoValues::UnacceptedPolicy,
            "the emulator's TSA grants its own policy only",
        ));
    }
    if request.extensions.is_some() {
        return Err(Refusal::new(
            PkiFailureInfoValues::UnacceptedExtension,
            "the emulator's TSA accepts no extensions",
        ));
    }
    Ok(request)
}

/// A PKIStatusInfo: the status, and for a refusal its text and failure bit.
fn status(
    status: PkiStatus,
    refusal: Option<Refusal>,
) -> Result<PkiStatusInfo<'static>, der::Error> {
    Ok(match refusal {
        None => PkiStatusInfo {
            status,
            status_string: None,
            fail_info: None,
        },
        Some(refusal) => PkiStatusInfo {
            status,
            status_string: Some(vec![Utf8StringRef::new(refusal.text)?]),
            fail_info: Some(PkiFailureInfo::from(refusal.failure)),
        },
    })
}
