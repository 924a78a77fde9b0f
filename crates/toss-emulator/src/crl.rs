//! The test CA's certificate revocation list (RFC 5280 § 5): the revocations it keeps and
//! the signed CRL it serves, issued again on every revocation and when the current one
//! reaches its nextUpdate.
//!
//! x509-cert 0.2 has the CRL types but no builder: the TBS is filled here, DER-encoded and
//! signed with the CA's key.

use std::time::Duration;

use axum::body::Bytes;
use const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION;
use der::asn1::Uint;
use der::{Any, Encode};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::{CrlNumber, CrlReason};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::ca::{CaError, sign_der, x509_time};
use crate::clock::saturating_add as add;
use crate::revocation::RevocationReason;
use crate::rsa_signer::RsaSigner;

/// One revoked certificate.
#[derive(Debug, Clone)]
pub(crate) struct Revoked {
    pub(crate) serial: SerialNumber,
    pub(crate) revoked_at: OffsetDateTime,
    pub(crate) reason: RevocationReason,
}

/// A signed CRL as served.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    der: Bytes,
    next_update: OffsetDateTime,
}

/// The revocations, and the CRL last issued.
#[derive(Debug, Default)]
pub(crate) struct Revocations {
    revoked: Vec<Revoked>,
    /// The number of the CRL last issued (RFC 5280 § 5.2.3: it only grows).
    number: u64,
    current: Option<Issued>,
}

impl Revocations {
    /// Records a revocation, replacing an earlier one of the same certificate.
    pub(crate) fn record(&mut self, revoked: Revoked) {
        match self
            .revoked
            .iter_mut()
            .find(|known| known.serial == revoked.serial)
        {
            Some(known) => *known = revoked,
            None => self.revoked.push(revoked),
        }
    }

    pub(crate) fn find(&self, serial: &SerialNumber) -> Option<&Revoked> {
        self.revoked.iter().find(|known| known.serial == *serial)
    }

    /// The current CRL, unless none was issued or it has reached its nextUpdate at `now`.
    pub(crate) fn current(&self, now: OffsetDateTime) -> Option<Bytes> {
        self.current
            .as_ref()
            .filter(|issued| now < issued.next_update)
            .map(|issued| issued.der.clone())
    }

    /// Keeps `issued` as the current CRL; its DER.
    pub(crate) fn issued(&mut self, issued: Issued) -> Bytes {
        let der = issued.der.clone();
        self.number += 1;
        self.current = Some(issued);
        der
    }
}

/// Who signs a CRL.
pub(crate) struct Issuer<'a> {
    pub(crate) name: &'a Name,
    /// The authorityKeyIdentifier extension naming the CA's key (RFC 5280 § 5.2.1: MUST).
    pub(crate) key_id: Extension,
    pub(crate) signing_key: &'a RsaSigner,
}

/// The next CRL: thisUpdate `now`, nextUpdate `now + validity`, the next number, every
/// revocation, signed sha256WithRSAEncryption.
pub(crate) fn issue(
    revocations: &Revocations,
    issuer: Issuer<'_>,
    now: OffsetDateTime,
    validity: Duration,
) -> Result<Issued, CaError> {
    let error = |_| CaError("cannot issue the CRL");
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let next_update = add(now, validity);
    let number = revocations.number.saturating_add(1);
    let crl_number = CrlNumber(Uint::new(&number.to_be_bytes()).map_err(error)?)
        .to_extension(issuer.name, &[])
        .map_err(error)?;
    let mut revoked = Vec::with_capacity(revocations.revoked.len());
    for entry in &revocations.revoked {
        revoked.push(RevokedCert {
            serial_number: entry.serial.clone(),
            revocation_date: x509_time(entry.revoked_at)?,
            // RFC 5280 § 5.3.1: absent rather than unspecified.
            crl_entry_extensions: match crl_reason(entry.reason) {
                CrlReason::Unspecified => None,
                reason => Some(vec![reason.to_extension(issuer.name, &[]).map_err(error)?]),
            },
        });
    }
    // With NULL parameters, as in the certificates the CA signs.
    let algorithm = AlgorithmIdentifierOwned {
        oid: SHA_256_WITH_RSA_ENCRYPTION,
        parameters: Some(Any::null()),
    };
    let tbs = TbsCertList {
        version: Version::V2,
        signature: algorithm.clone(),
        issuer: issuer.name.clone(),
        this_update: x509_time(now)?,
        next_update: Some(x509_time(next_update)?),
        // RFC 5280 § 5.1.2.6: absent when nothing is revoked, not an empty list.
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(vec![issuer.key_id, crl_number]),
    };
    let signature = sign_der(issuer.signing_key, &tbs.to_der().map_err(error)?)?;
    let der = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: algorithm,
        signature,
    }
    .to_der()
    .map_err(error)?;
    Ok(Issued {
        der: Bytes::from(der),
        next_update,
    })
}

fn crl_reason(reason: RevocationReason) -> CrlReason {
    match reason {
        RevocationReason::Unspecified => CrlReason::Unspecified,
        RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
        RevocationReason::CaCompromise => CrlReason::CaCompromise,
        RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
        RevocationReason::Superseded => CrlReason::Superseded,
        RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        RevocationReason::CertificateHold => CrlReason::CertificateHold,
        RevocationReason::RemoveFromCrl => CrlReason::RemoveFromCRL,
        RevocationReason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
        RevocationReason::AaCompromise => CrlReason::AaCompromise,
    }
}
