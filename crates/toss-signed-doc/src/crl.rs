//! Certificate revocation lists (RFC 5280 §5): parsed with `x509-cert`, their signature
//! checked over the input's own `tbsCertList`, and the signer's revocation state read as of
//! a moment.

use std::fmt;
use std::ops::Range;

use der::{Decode as _, Tag};
use time::OffsetDateTime;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{CrlNumber, CrlReason};

use crate::certificate::{ParsedCertificate, to_offset_date_time};
use crate::error::{DerError, Error, RevocationError};
use crate::tlv;

/// `id-ce-deltaCRLIndicator`: a delta CRL lists only changes, so it cannot say alone that
/// a certificate is not revoked.
const DELTA_CRL_INDICATOR: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.27");
/// `id-ce-issuingDistributionPoint`: which part of the CA's certificates a CRL covers (the
/// provider splits its CRLs over several files); critical by RFC 5280, and understood here.
const ISSUING_DISTRIBUTION_POINT: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.28");

/// A certificate revocation list, as its issuer published it. Parsing checks the structure
/// only: the signature and freshness are checked when a [`Verifier`](crate::Verifier)
/// uses it.
#[derive(Clone)]
pub struct Crl {
    der: Box<[u8]>,
    /// The `tbsCertList` in `der`: what the issuer signed.
    tbs: Range<usize>,
    list: CertificateList,
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
}

impl Crl {
    /// Parses a DER `CertificateList`, which must be the whole of `der`.
    ///
    /// # Errors
    ///
    /// [`RevocationError::MalformedCrl`] when it is not one, or its dates do not fit;
    /// [`RevocationError::UnsupportedCrl`] for a delta CRL or one with a critical extension
    /// this crate does not know.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let malformed = |error: der::Error| RevocationError::MalformedCrl(DerError::new(error));
        let list = CertificateList::from_der(der).map_err(malformed)?;
        let tbs = match tlv::fields(der, Tag::Sequence, 0)
            .map_err(malformed)?
            .first()
        {
            Some((position, tbs)) => *position..*position + tbs.len(),
            None => return Err(malformed(Tag::Sequence.value_error()).into()),
        };
        let dates = malformed(der::ErrorKind::DateTime.into());
        let this_update =
            to_offset_date_time(list.tbs_cert_list.this_update).ok_or_else(|| dates.clone())?;
        let next_update = match list.tbs_cert_list.next_update {
            None => None,
            Some(time) => Some(to_offset_date_time(time).ok_or_else(|| dates.clone())?),
        };
        for extension in list.tbs_cert_list.crl_extensions.iter().flatten() {
            if extension.extn_id == DELTA_CRL_INDICATOR {
                return Err(RevocationError::UnsupportedCrl("a delta CRL").into());
            }
            if extension.critical && extension.extn_id != ISSUING_DISTRIBUTION_POINT {
                return Err(RevocationError::UnsupportedCrl("a critical CRL extension").into());
            }
        }
        for entry in list.tbs_cert_list.revoked_certificates.iter().flatten() {
            to_offset_date_time(entry.revocation_date).ok_or_else(|| dates.clone())?;
            if entry
                .crl_entry_extensions
                .iter()
                .flatten()
                .any(|extension| extension.critical)
            {
                return Err(
                    RevocationError::UnsupportedCrl("a critical CRL entry extension").into(),
                );
            }
        }
        Ok(Self {
            der: der.into(),
            tbs,
            list,
            this_update,
            next_update,
        })
    }

    /// The DER, as given.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// When it was issued.
    #[must_use]
    pub fn this_update(&self) -> OffsetDateTime {
        self.this_update
    }

    /// When the next one will be issued, at the latest: after this, it is stale.
    #[must_use]
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }

    /// The issuer, as an RFC 4514 string.
    #[must_use]
    pub fn issuer(&self) -> String {
        crate::certificate::name_to_string(&self.list.tbs_cert_list.issuer)
    }

    /// The CRL number extension in decimal, when present.
    #[must_use]
    pub fn number(&self) -> Option<String> {
        let extensions = self.list.tbs_cert_list.crl_extensions.as_ref()?;
        let extension = extensions
            .iter()
            .find(|e| e.extn_id == <CrlNumber as const_oid::AssociatedOid>::OID)?;
        let number = CrlNumber::from_der(extension.extn_value.as_bytes()).ok()?;
        Some(crate::certificate::decimal(number.0.as_bytes()))
    }

    /// How many certificates it lists as revoked.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list
            .tbs_cert_list
            .revoked_certificates
            .as_ref()
            .map_or(0, Vec::len)
    }

    /// Whether it lists no certificate.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `issuer` signed it: the names match and the signature (RSA PKCS#1 v1.5 with
    /// SHA-256/384/512) verifies with its key over the exact bytes of `tbsCertList`.
    pub(crate) fn is_signed_by(&self, issuer: &ParsedCertificate) -> bool {
        self.list.tbs_cert_list.issuer == *issuer.subject_name()
            && issuer.verifies(
                &self.list.signature_algorithm.oid,
                &self.list.signature,
                self.der.get(self.tbs.clone()).unwrap_or_default(),
            )
    }

    /// Whether the issuer named is `certificate`'s issuer.
    pub(crate) fn covers_issuer_of(&self, certificate: &ParsedCertificate) -> bool {
        self.list.tbs_cert_list.issuer == *certificate.issuer_name()
    }

    /// The entry of `certificate`, if it is listed: when it was revoked and why.
    pub(crate) fn entry_of(&self, certificate: &ParsedCertificate) -> Option<Entry> {
        let entry = self
            .list
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .find(|entry| entry.serial_number == *certificate.serial_number())?;
        let reason = entry
            .crl_entry_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == <CrlReason as const_oid::AssociatedOid>::OID)
            .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok());
        Some(Entry {
            revoked_at: to_offset_date_time(entry.revocation_date)?,
            reason: reason.map_or("unspecified", reason_name),
        })
    }
}

impl fmt::Debug for Crl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &self.issuer())
            .field("this_update", &self.this_update)
            .field("next_update", &self.next_update)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

/// A listed certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) revoked_at: OffsetDateTime,
    /// RFC 5280's name of the reason, in lowerCamelCase.
    pub(crate) reason: &'static str,
}

/// RFC 5280's name of `reason`, as ASN.1 writes it.
fn reason_name(reason: CrlReason) -> &'static str {
    match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}
