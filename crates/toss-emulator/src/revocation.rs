//! Revoking the certificate that signed a transaction, for tests of a verifier's revocation
//! checks: `POST /emulator/v1/tx/{txId}/revoke` and
//! [`EmulatorHandle::revoke`](crate::EmulatorHandle::revoke).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::routes::sign::sign_transaction;
use crate::server::AppState;
use crate::state::{RevocationFailure, RevocationTarget};

/// Why a certificate is revoked: RFC 5280's `CRLReason`, named in lowerCamelCase as the
/// RFC writes them (`"keyCompromise"`, `"cACompromise"`, `"removeFromCRL"`, …).
///
/// The CRL entry carries a reasonCode extension for every reason but
/// [`Unspecified`](Self::Unspecified), for which RFC 5280 § 5.3.1 says to leave it out.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RevocationReason {
    /// `unspecified` (0), the default.
    #[default]
    Unspecified,
    /// `keyCompromise` (1).
    KeyCompromise,
    /// `cACompromise` (2).
    #[serde(rename = "cACompromise")]
    CaCompromise,
    /// `affiliationChanged` (3).
    AffiliationChanged,
    /// `superseded` (4).
    Superseded,
    /// `cessationOfOperation` (5).
    CessationOfOperation,
    /// `certificateHold` (6).
    CertificateHold,
    /// `removeFromCRL` (8).
    #[serde(rename = "removeFromCRL")]
    RemoveFromCrl,
    /// `privilegeWithdrawn` (9).
    PrivilegeWithdrawn,
    /// `aACompromise` (10).
    #[serde(rename = "aACompromise")]
    AaCompromise,
}

/// A revocation as the emulator made it: the answer of
/// `POST /emulator/v1/tx/{txId}/revoke` and of
/// [`EmulatorHandle::revoke`](crate::EmulatorHandle::revoke).
///
/// ```json
/// { "serialNumber": "4f1c…", "reason": "keyCompromise", "revokedAt": "2026-12-02T06:00:00Z" }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revocation {
    /// The revoked certificate's serial number, lowercase hex (its DER INTEGER bytes).
    pub serial_number: String,
    /// Why.
    pub reason: RevocationReason,
    /// From when, in whole seconds (a CRL holds no finer time).
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
}

/// Why a revocation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevokeFailure {
    /// No transaction has this id.
    UnknownTx,
    /// It has no signature to revoke.
    NotSigned,
    /// `revokedAt` is outside what a CRL holds (1970 to 9999).
    DateOutOfRange,
    /// The emulator failed to sign the document or the CRL.
    Internal(&'static str),
}

/// Revokes the certificate that signed transaction `tx_id` (of any client) as of
/// `revoked_at` (now when `None`) and issues a new CRL.
///
/// A completed transaction whose `signedDoc` was not made yet gets it now, so that its later
/// result carries the revoked certificate, as the user's signature did. RSA work: call it
/// off the async runtime.
pub(crate) fn revoke(
    state: &AppState,
    tx_id: &str,
    reason: RevocationReason,
    revoked_at: Option<OffsetDateTime>,
) -> Result<Revocation, RevokeFailure> {
    let now = state.now();
    let revoked_at = revoked_at.unwrap_or(now);
    let revoked_at = revoked_at
        .replace_nanosecond(0)
        .unwrap_or(revoked_at)
        .checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(revoked_at);
    if revoked_at.unix_timestamp() < 0 || revoked_at.year() > 9999 {
        return Err(RevokeFailure::DateOutOfRange);
    }
    let serial = match state.transactions.revocation_target(tx_id, now) {
        Ok(RevocationTarget::Signed(serial)) => serial,
        Ok(RevocationTarget::Unsigned {
            transaction,
            completed_at,
        }) => {
            let made = sign_transaction(state, &transaction, completed_at)
                .map_err(|_| RevokeFailure::Internal("cannot sign the document"))?;
            // A result call may have kept its own meanwhile: revoke the one kept.
            state
                .transactions
                .lock()
                .keep_signed_doc(tx_id, made)
                .signer_serial
        }
        Err(RevocationFailure::UnknownTx) => return Err(RevokeFailure::UnknownTx),
        Err(RevocationFailure::NotSigned) => return Err(RevokeFailure::NotSigned),
    };
    state
        .ca
        .revoke(&serial, reason, revoked_at, now)
        .map_err(|error| RevokeFailure::Internal(error.0))?;
    Ok(Revocation {
        serial_number: hex::encode(serial.as_bytes()),
        reason,
        revoked_at,
    })
}
