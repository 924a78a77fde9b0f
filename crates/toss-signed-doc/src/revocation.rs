//! The signer certificate's revocation state at the moment of signing, from its issuer's
//! CRLs.

use std::time::Duration;

use time::OffsetDateTime;

use crate::certificate::ParsedCertificate;
use crate::crl::Crl;
use crate::error::RevocationError;
use crate::report::{Revocation, RevocationStatus};

/// How far a CRL's thisUpdate may be after the validation time: the clocks of the CA and
/// of the machine that collected the CRL differ a little.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Judges `signer` by the newest of `crls` issued by its issuer, each of those checked to be
/// signed by the issuer (found among `candidates`, by the signature on `signer`) and fresh at
/// `validated_at`; the state is as of `as_of`, the moment of signing.
pub(crate) fn check<'a>(
    signer: &ParsedCertificate,
    candidates: impl IntoIterator<Item = &'a ParsedCertificate>,
    crls: &[Crl],
    as_of: OffsetDateTime,
    validated_at: OffsetDateTime,
) -> Result<Revocation, RevocationError> {
    if crls.is_empty() {
        return Err(RevocationError::NoCrl);
    }
    let issued: Vec<&Crl> = crls.iter().filter(|c| c.covers_issuer_of(signer)).collect();
    if issued.is_empty() {
        return Err(RevocationError::NoCrlForIssuer);
    }
    let issuer = candidates
        .into_iter()
        .find(|candidate| signer.is_issued_by(candidate))
        .ok_or(RevocationError::IssuerUnknown)?;
    let mut newest: Option<&Crl> = None;
    for crl in issued {
        if !crl.is_signed_by(issuer) {
            return Err(RevocationError::CrlSignatureInvalid);
        }
        if crl.this_update() > validated_at + CLOCK_SKEW {
            return Err(RevocationError::CrlNotYetValid {
                this_update: crl.this_update(),
                validated_at,
            });
        }
        let next_update = crl
            .next_update()
            .ok_or(RevocationError::UnsupportedCrl("a CRL without nextUpdate"))?;
        if validated_at > next_update {
            return Err(RevocationError::CrlStale {
                next_update,
                validated_at,
            });
        }
        if newest.is_none_or(|n| crl.this_update() > n.this_update()) {
            newest = Some(crl);
        }
    }
    let crl = newest.ok_or(RevocationError::NoCrlForIssuer)?;
    let entry = crl.entry_of(signer);
    if let Some(entry) = entry
        && entry.revoked_at <= as_of
    {
        return Err(RevocationError::Revoked {
            revoked_at: entry.revoked_at,
            reason: entry.reason,
            signed_at: as_of,
        });
    }
    Ok(Revocation {
        status: if entry.is_some() {
            RevocationStatus::RevokedAfterSigning
        } else {
            RevocationStatus::NotRevoked
        },
        as_of,
        revoked_at: entry.map(|e| e.revoked_at),
        reason: entry.map(|e| e.reason.to_owned()),
        crl_issuer: crl.issuer(),
        crl_number: crl.number(),
        crl_this_update: crl.this_update(),
        crl_next_update: crl.next_update(),
        validated_at,
    })
}
