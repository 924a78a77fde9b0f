//! The emulator's test CA: a self-signed root generated at start (or loaded), one
//! certificate per simulated person, issued on first use and cached, the time-stamping
//! authority's certificate, and the revocations with the CRL that lists them.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519;
use const_oid::db::rfc5280::{ID_AD_OCSP, ID_KP_TIME_STAMPING};
use const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION;
use der::asn1::{BitString, GeneralizedTime, Ia5String, SetOfVec, UtcTime};
use der::pem::LineEnding;
use der::referenced::OwnedToRef;
use der::{Any, Decode, DecodePem, Encode, EncodePem, Tag};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::signature::{Keypair, SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use spki::SubjectPublicKeyInfoOwned;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::clock::saturating_add as add;
use crate::crl::{self, Revocations, Revoked};
use crate::paths;
use crate::revocation::RevocationReason;
use crate::rsa_signer::RsaSigner;

/// The size of the CA's and the users' RSA keys.
const KEY_BITS: usize = 2048;
/// How long the generated CA certificate is valid.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 366 * 24 * 3600);
/// How long a user certificate is valid (the provider's are valid three years).
const USER_VALIDITY: Duration = Duration::from_secs(3 * 365 * 24 * 3600);
/// How far before "now" certificates start, so that small clock differences do not matter.
const BACKDATE: Duration = Duration::from_secs(24 * 3600);

/// The organization named in the emulator's certificates.
const ORGANIZATION: &str = "toss-cert-rs";
/// The unit named in the emulator's certificates.
const UNIT: &str = "Toss Cert Emulator";
/// The CA's common name; it says plainly that it is not the provider's.
const CA_COMMON_NAME: &str = "Toss Cert Emulator Test CA (not for production)";
/// The time-stamping authority's common name.
const TSA_COMMON_NAME: &str = "Toss Cert Emulator TSA";
/// How long the TSA certificate is valid: as long as the CA's, so that a manual clock moved
/// years ahead still stamps.
const TSA_VALIDITY: Duration = CA_VALIDITY;

/// What went wrong while making or loading certificates; a fixed description, never data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CaError(pub(crate) &'static str);

impl fmt::Display for CaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A person's signing key and certificate.
pub(crate) struct UserIdentity {
    pub(crate) signing_key: RsaSigner,
    pub(crate) certificate: Certificate,
}

impl fmt::Debug for UserIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The certificate names the person: show nothing of it.
        f.debug_struct("UserIdentity").finish_non_exhaustive()
    }
}

/// The test CA and the identities it issued.
pub(crate) struct TestCa {
    signing_key: RsaSigner,
    verifying_key: VerifyingKey<Sha256>,
    certificate: Certificate,
    certificate_pem: String,
    identities: Mutex<HashMap<String, Arc<UserIdentity>>>,
    revocations: Mutex<Revocations>,
    crl_validity: Duration,
}

impl TestCa {
    /// A new self-signed CA whose validity starts a day before `now`.
    pub(crate) fn generate(now: OffsetDateTime) -> Result<Self, CaError> {
        let signing_key = generate_rsa_key()?;
        let subject = ca_name()?;
        let spki = spki_of(signing_key.public_key())?;
        let validity = validity(now, CA_VALIDITY)?;
        let builder = CertificateBuilder::new(
            Profile::Root,
            random_serial()?,
            validity,
            subject,
            spki,
            &signing_key,
        )
        .map_err(|_| CaError("cannot prepare the CA certificate"))?;
        let certificate = builder
            .build::<Signature>()
            .map_err(|_| CaError("cannot sign the CA certificate"))?;
        Self::assemble(signing_key, certificate)
    }

    /// A CA from its certificate (PEM) and its PKCS#8 RSA private key (PEM).
    pub(crate) fn from_pem(certificate_pem: &str, private_key_pem: &str) -> Result<Self, CaError> {
        let certificate = Certificate::from_pem(certificate_pem.trim().as_bytes())
            .map_err(|_| CaError("the CA certificate is not an X.509 certificate in PEM"))?;
        let private_key = RsaPrivateKey::from_pkcs8_pem(private_key_pem.trim())
            .map_err(|_| CaError("the CA private key is not a PKCS#8 RSA key in PEM"))?;
        let expected = spki_of(&RsaPublicKey::from(&private_key))?;
        if certificate.tbs_certificate.subject_public_key_info != expected {
            return Err(CaError(
                "the CA private key does not match the CA certificate",
            ));
        }
        let der = private_key
            .to_pkcs8_der()
            .map_err(|_| CaError("the CA private key is not a PKCS#8 RSA key in PEM"))?;
        Self::assemble(RsaSigner::from_pkcs8_der(der.as_bytes())?, certificate)
    }

    fn assemble(signing_key: RsaSigner, certificate: Certificate) -> Result<Self, CaError> {
        let certificate_pem = certificate
            .to_pem(LineEnding::LF)
            .map_err(|_| CaError("cannot encode the CA certificate"))?;
        let verifying_key = signing_key.verifying_key();
        Ok(Self {
            signing_key,
            verifying_key,
            certificate,
            certificate_pem,
            identities: Mutex::new(HashMap::new()),
            revocations: Mutex::new(Revocations::default()),
            crl_validity: crate::config::DEFAULT_CRL_VALIDITY,
        })
    }

    /// The same CA, issuing CRLs valid for `validity` (from thisUpdate to nextUpdate).
    pub(crate) fn with_crl_validity(mut self, validity: Duration) -> Self {
        self.crl_validity = validity;
        self
    }

    /// The CA certificate as PEM.
    pub(crate) fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The identity of the person known by `identity_key` (their CI), issuing a key and a
    /// certificate with common name `name` on first use (and again after a revocation).
    /// The certificate names the emulator at `base_url` for its CRL and OCSP.
    ///
    /// Slow on first use (an RSA key is generated): call it off the async runtime.
    pub(crate) fn identity(
        &self,
        identity_key: &str,
        name: &str,
        now: OffsetDateTime,
        base_url: &str,
    ) -> Result<Arc<UserIdentity>, CaError> {
        if let Some(found) = self.lock().get(identity_key) {
            return Ok(Arc::clone(found));
        }
        // Issue without holding the lock; if another request won the race, keep theirs.
        let issued = Arc::new(self.issue(name, now, base_url)?);
        Ok(Arc::clone(
            self.lock().entry(identity_key.to_owned()).or_insert(issued),
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<UserIdentity>>> {
        self.identities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn issue(
        &self,
        name: &str,
        now: OffsetDateTime,
        base_url: &str,
    ) -> Result<UserIdentity, CaError> {
        let signing_key = generate_rsa_key()?;
        let subject = name_of(&[
            (rfc4519::C, "KR"),
            (rfc4519::O, ORGANIZATION),
            (rfc4519::OU, UNIT),
            (rfc4519::CN, name),
        ])?;
        let profile = Profile::Leaf {
            issuer: self.certificate.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
            include_subject_key_identifier: true,
        };
        fn prepare<E>(_: E) -> CaError {
            CaError("cannot prepare a user certificate")
        }
        let mut builder = CertificateBuilder::new(
            profile,
            random_serial()?,
            validity(now, USER_VALIDITY)?,
            subject,
            spki_of(signing_key.public_key())?,
            &self.signing_key,
        )
        .map_err(prepare)?;
        // Where the provider's certificates say their status is published; here the
        // emulator's own URLs.
        let crl = CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![uri(
                base_url,
                paths::CRL,
            )?])),
            reasons: None,
            crl_issuer: None,
        }]);
        let ocsp = AuthorityInfoAccessSyntax(vec![AccessDescription {
            access_method: ID_AD_OCSP,
            access_location: uri(base_url, paths::OCSP)?,
        }]);
        builder.add_extension(&crl).map_err(prepare)?;
        builder.add_extension(&ocsp).map_err(prepare)?;
        let certificate = builder
            .build::<Signature>()
            .map_err(|_| CaError("cannot sign a user certificate"))?;
        Ok(UserIdentity {
            signing_key,
            certificate,
        })
    }

    /// Whether `pem` is a certificate this CA issued that is valid at `now`.
    ///
    /// Anything else (text that is not a certificate, another issuer, a bad signature, an
    /// expired certificate) is simply not valid.
    pub(crate) fn validates(&self, pem: &str, now: OffsetDateTime) -> bool {
        let Some(der) = pem_body(pem) else {
            return false;
        };
        let Ok(certificate) = Certificate::from_der(&der) else {
            return false;
        };
        let tbs = &certificate.tbs_certificate;
        if tbs.issuer != self.certificate.tbs_certificate.subject
            || certificate.signature_algorithm.oid != SHA_256_WITH_RSA_ENCRYPTION
        {
            return false;
        }
        let Ok(tbs_der) = tbs.to_der() else {
            return false;
        };
        let Some(signature) = certificate
            .signature
            .as_bytes()
            .and_then(|bytes| Signature::try_from(bytes).ok())
        else {
            return false;
        };
        if self.verifying_key.verify(&tbs_der, &signature).is_err() {
            return false;
        }
        if self.revoked_at(&tbs.serial_number, now) {
            return false;
        }
        let Ok(now) = u64::try_from(now.unix_timestamp()) else {
            return false;
        };
        let now = Duration::from_secs(now);
        tbs.validity.not_before.to_unix_duration() <= now
            && now <= tbs.validity.not_after.to_unix_duration()
    }

    /// The time-stamping authority's key and certificate: extendedKeyUsage id-kp-timeStamping
    /// alone and critical, and keyUsage digitalSignature alone, as RFC 3161 § 2.3 and
    /// OpenSSL's `ts -verify` want. Issued at start; an RSA key is generated.
    pub(crate) fn issue_tsa(
        &self,
        now: OffsetDateTime,
    ) -> Result<(RsaSigner, Certificate), CaError> {
        fn prepare<E>(_: E) -> CaError {
            CaError("cannot prepare the TSA certificate")
        }
        let signing_key = generate_rsa_key()?;
        let subject = name_of(&[
            (rfc4519::C, "KR"),
            (rfc4519::O, ORGANIZATION),
            (rfc4519::OU, UNIT),
            (rfc4519::CN, TSA_COMMON_NAME),
        ])?;
        let spki = spki_of(signing_key.public_key())?;
        let key_id = SubjectKeyIdentifier::try_from(spki.owned_to_ref()).map_err(prepare)?;
        let authority_key_id = AuthorityKeyIdentifier::try_from(
            self.certificate
                .tbs_certificate
                .subject_public_key_info
                .owned_to_ref(),
        )
        .map_err(prepare)?;
        // The leaf profile would add nonRepudiation to keyUsage; the manual one takes
        // exactly the extensions given.
        let profile = Profile::Manual {
            issuer: Some(self.certificate.tbs_certificate.subject.clone()),
        };
        let mut builder = CertificateBuilder::new(
            profile,
            random_serial()?,
            validity(now, TSA_VALIDITY)?,
            subject,
            spki,
            &self.signing_key,
        )
        .map_err(prepare)?;
        builder.add_extension(&key_id).map_err(prepare)?;
        builder.add_extension(&authority_key_id).map_err(prepare)?;
        builder
            .add_extension(&BasicConstraints {
                ca: false,
                path_len_constraint: None,
            })
            .map_err(prepare)?;
        builder
            .add_extension(&KeyUsage(KeyUsages::DigitalSignature.into()))
            .map_err(prepare)?;
        // Critical, since it holds no anyExtendedKeyUsage.
        builder
            .add_extension(&ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING]))
            .map_err(prepare)?;
        let certificate = builder
            .build::<Signature>()
            .map_err(|_| CaError("cannot sign the TSA certificate"))?;
        Ok((signing_key, certificate))
    }

    /// Revokes the certificate with `serial` as of `revoked_at` for `reason` (again: the
    /// newer reason and date replace the older), and issues a new CRL at `now`.
    ///
    /// The person's cached identity is dropped when it is this certificate, so that their
    /// next signature gets a new key and certificate, as after a re-issue by the user.
    pub(crate) fn revoke(
        &self,
        serial: &SerialNumber,
        reason: RevocationReason,
        revoked_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), CaError> {
        self.lock()
            .retain(|_, identity| identity.certificate.tbs_certificate.serial_number != *serial);
        let mut revocations = self.revocations();
        revocations.record(Revoked {
            serial: serial.clone(),
            revoked_at,
            reason,
        });
        let issued = self.sign_crl(&revocations, now)?;
        revocations.issued(issued);
        Ok(())
    }

    /// Whether the certificate with `serial` is revoked as of `now`.
    fn revoked_at(&self, serial: &SerialNumber, now: OffsetDateTime) -> bool {
        self.revocations()
            .find(serial)
            .is_some_and(|revoked| revoked.revoked_at <= now)
    }

    /// The current CRL's DER when it is still current at `now` (a quick look, no signing).
    pub(crate) fn current_crl(&self, now: OffsetDateTime) -> Option<Bytes> {
        self.revocations().current(now)
    }

    /// The CRL's DER at `now`: the current one, or a new one when none was issued yet or the
    /// current one has passed its nextUpdate (a CA issues on time).
    pub(crate) fn crl(&self, now: OffsetDateTime) -> Result<Bytes, CaError> {
        let mut revocations = self.revocations();
        if let Some(current) = revocations.current(now) {
            return Ok(current);
        }
        let issued = self.sign_crl(&revocations, now)?;
        Ok(revocations.issued(issued))
    }

    fn sign_crl(
        &self,
        revocations: &Revocations,
        now: OffsetDateTime,
    ) -> Result<crl::Issued, CaError> {
        let error = |_| CaError("cannot issue the CRL");
        let issuer_key_id = AuthorityKeyIdentifier::try_from(
            self.certificate
                .tbs_certificate
                .subject_public_key_info
                .owned_to_ref(),
        )
        .map_err(error)?
        .to_extension(&self.certificate.tbs_certificate.subject, &[])
        .map_err(error)?;
        crl::issue(
            revocations,
            crl::Issuer {
                name: &self.certificate.tbs_certificate.subject,
                key_id: issuer_key_id,
                signing_key: &self.signing_key,
            },
            now,
            self.crl_validity,
        )
    }

    fn revocations(&self) -> std::sync::MutexGuard<'_, Revocations> {
        self.revocations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A URI general name: `base_url` followed by `path`.
fn uri(base_url: &str, path: &str) -> Result<GeneralName, CaError> {
    Ia5String::new(&format!("{base_url}{path}"))
        .map(GeneralName::UniformResourceIdentifier)
        .map_err(|_| CaError("the base URL is not ASCII"))
}

/// sha256WithRSAEncryption over `tbs_der` with `signing_key`, as a BIT STRING.
pub(crate) fn sign_der(signing_key: &RsaSigner, tbs_der: &[u8]) -> Result<BitString, CaError> {
    let signature: Signature = signing_key
        .try_sign(tbs_der)
        .map_err(|_| CaError("cannot sign"))?;
    BitString::from_bytes(&signature.to_bytes()).map_err(|_| CaError("cannot sign"))
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("identities", &self.lock().len())
            .finish_non_exhaustive()
    }
}

/// A new RSA key, generated by aws-lc (several times quicker than pure Rust).
fn generate_rsa_key() -> Result<RsaSigner, CaError> {
    let pkcs8 = toss_crypto::backend::aws_lc::PROVIDER
        .rsa_oaep
        .generate_private_key(KEY_BITS)
        .map_err(|_| CaError("cannot generate an RSA key"))?;
    RsaSigner::from_pkcs8_der(&pkcs8)
}

fn spki_of(public_key: &RsaPublicKey) -> Result<SubjectPublicKeyInfoOwned, CaError> {
    let der = public_key
        .to_public_key_der()
        .map_err(|_| CaError("cannot encode a public key"))?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes())
        .map_err(|_| CaError("cannot encode a public key"))
}

fn ca_name() -> Result<Name, CaError> {
    name_of(&[
        (rfc4519::C, "KR"),
        (rfc4519::O, ORGANIZATION),
        (rfc4519::OU, UNIT),
        (rfc4519::CN, CA_COMMON_NAME),
    ])
}

/// A distinguished name, one attribute per RDN; `C` as PrintableString, the rest UTF8String
/// (so that Korean names are kept as they are).
fn name_of(parts: &[(ObjectIdentifier, &str)]) -> Result<Name, CaError> {
    let error = |_| CaError("cannot encode a distinguished name");
    let mut rdns = Vec::with_capacity(parts.len());
    for (oid, value) in parts {
        let tag = if *oid == rfc4519::C {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        let attribute = AttributeTypeAndValue {
            oid: *oid,
            value: Any::new(tag, value.as_bytes()).map_err(error)?,
        };
        let set = SetOfVec::try_from(vec![attribute]).map_err(error)?;
        rdns.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(rdns))
}

/// From a day before `now` until `now + length`.
fn validity(now: OffsetDateTime, length: Duration) -> Result<Validity, CaError> {
    let start = now
        .checked_sub(time::Duration::try_from(BACKDATE).unwrap_or(time::Duration::ZERO))
        .unwrap_or(now);
    Ok(Validity {
        not_before: x509_time(start)?,
        not_after: x509_time(add(now, length))?,
    })
}

/// UTCTime until 2049, GeneralizedTime after, as RFC 5280 says.
pub(crate) fn x509_time(at: OffsetDateTime) -> Result<Time, CaError> {
    let error = |_| CaError("a date is out of the range certificates can hold");
    let seconds =
        u64::try_from(at.unix_timestamp()).map_err(|_| CaError("a date is before 1970"))?;
    let duration = Duration::from_secs(seconds);
    if at.year() < 2050 {
        Ok(Time::UtcTime(
            UtcTime::from_unix_duration(duration).map_err(error)?,
        ))
    } else {
        Ok(Time::GeneralTime(
            GeneralizedTime::from_unix_duration(duration).map_err(error)?,
        ))
    }
}

/// A random positive serial number of 16 bytes.
fn random_serial() -> Result<SerialNumber, CaError> {
    let mut bytes = [0u8; 16];
    toss_crypto::backend::aws_lc::PROVIDER
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| CaError("the random number generator failed"))?;
    // Positive and without a leading zero byte, so the DER INTEGER is 16 bytes.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(|_| CaError("cannot encode a serial number"))
}

/// The DER inside a PEM certificate, tolerating any line length (the provider's SDK writes
/// the base64 on one line) and bare base64 without the armour.
fn pem_body(text: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = match text.find(BEGIN) {
        Some(start) => {
            let rest = &text[start + BEGIN.len()..];
            &rest[..rest.find(END)?]
        }
        None => text,
    };
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE_URL: &str = "http://emulator";

    #[test]
    fn issues_and_validates() {
        let now = OffsetDateTime::now_utc();
        let ca = TestCa::generate(now).unwrap();
        let identity = ca.identity("ci-1", "김토스", now, BASE_URL).unwrap();
        let again = ca.identity("ci-1", "김토스", now, BASE_URL).unwrap();
        assert!(Arc::ptr_eq(&identity, &again));

        let pem = identity.certificate.to_pem(LineEnding::LF).unwrap();
        assert!(ca.validates(&pem, now));
        // One line of base64, as the provider's SDK writes it.
        let one_line: String = pem
            .lines()
            .map(|line| {
                if line.starts_with("-----") {
                    format!("\n{line}\n")
                } else {
                    line.to_owned()
                }
            })
            .collect();
        assert!(ca.validates(&one_line, now));
        assert!(!ca.validates("not a certificate", now));
        assert!(!ca.validates(&pem, add(now, Duration::from_secs(4 * 365 * 24 * 3600))));

        let other = TestCa::generate(now).unwrap();
        assert!(!other.validates(&pem, now));

        let reloaded = TestCa::from_pem(ca.certificate_pem(), &{
            RsaPrivateKey::from_pkcs8_der(ca.signing_key.pkcs8_der())
                .unwrap()
                .to_pkcs8_pem(LineEnding::LF)
                .unwrap()
                .to_string()
        })
        .unwrap();
        assert!(reloaded.validates(&pem, now));
        assert!(TestCa::from_pem(ca.certificate_pem(), "junk").is_err());
    }
}
