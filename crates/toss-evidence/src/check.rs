//! Every check the evidence allows, offline, each with its own verdict: the signature, the
//! document, the chain, the revocation state at the signing time, the timestamp, and the
//! provider's certificate-check answer.

use serde::{Deserialize, Serialize};
use toss_signed_doc::{
    Crl, Expected, Report, Revocation, RevocationStatus, SignedDoc, Timestamp, TimestampToken,
    TrustAnchors, Verifier,
};

use crate::record::{Evidence, Item};
use crate::time_text::rfc3339;

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum CheckId {
    /// The signature over the signed attributes, with the signer certificate's key, and the
    /// certificate valid at the signing time.
    Signature,
    /// The document is what was signed.
    Document,
    /// The signer certificate chains to a trust anchor.
    Chain,
    /// The signer certificate was not revoked when it signed (CRL).
    Revocation,
    /// A trusted timestamp over the signature.
    Timestamp,
    /// The provider's certificate-check answer when the evidence was collected.
    CertificateCheck,
}

impl CheckId {
    /// The name used in manifests and messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Document => "document",
            Self::Chain => "chain",
            Self::Revocation => "revocation",
            Self::Timestamp => "timestamp",
            Self::CertificateCheck => "certificateCheck",
        }
    }
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Outcome {
    /// It holds.
    Pass,
    /// It does not hold.
    Fail,
    /// It could not be made (missing evidence or trust anchors): the proof does not hold
    /// without it.
    NotChecked,
    /// Nothing to check: no timestamp was asked for.
    Absent,
    /// For information only: the provider's answer about the certificate at collection
    /// time, which does not decide the signature's validity (a revocation after the
    /// signing makes it `false`).
    Note,
}

impl Outcome {
    /// Whether a proof with this verdict holds.
    #[must_use]
    pub fn holds(self) -> bool {
        matches!(self, Self::Pass | Self::Absent | Self::Note)
    }
}

/// One check's verdict, with what it found (a message without personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Check {
    /// Which.
    pub check: CheckId,
    /// Its verdict.
    pub outcome: Outcome,
    /// What it found.
    pub detail: String,
}

impl Check {
    fn new(check: CheckId, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            check,
            outcome,
            detail: detail.into(),
        }
    }
}

/// Every verdict, in order, and what the verification showed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verification {
    /// The checks, in the order they were made.
    pub checks: Vec<Check>,
    /// The signedDoc's verification report, when its signature verified.
    pub report: Option<Report>,
    /// The revocation state, when a CRL decided it.
    pub revocation: Option<Revocation>,
    /// The timestamp, when one verified.
    pub timestamp: Option<Timestamp>,
}

impl Verification {
    /// Whether every check holds.
    #[must_use]
    pub fn holds(&self) -> bool {
        self.checks.iter().all(|c| c.outcome.holds())
    }

    /// The first check that does not hold.
    #[must_use]
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.outcome.holds())
    }

    /// The check `id`'s verdict.
    #[must_use]
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == id)
    }
}

/// Checks `signed_doc` (DER, as received) against `expected` and everything in `evidence`,
/// chains with `anchors`, revocation as of the signing time with the CRL as fresh at its
/// fetch time, and the timestamp over the signature.
#[must_use]
pub fn verify(
    signed_doc: &[u8],
    expected: Expected<'_>,
    evidence: &Evidence,
    anchors: Option<&TrustAnchors>,
) -> Verification {
    let mut verification = Verification {
        checks: Vec::new(),
        report: None,
        revocation: None,
        timestamp: None,
    };
    let checks = &mut verification.checks;
    let verified = SignedDoc::from_der(signed_doc)
        .and_then(|signed| signed.verify(expected).map(|report| (signed, report)));
    let signed = match verified {
        Ok((signed, report)) => {
            checks.push(Check::new(
                CheckId::Signature,
                Outcome::Pass,
                format!(
                    "{} signature by certificate serial {} verifies; the certificate was valid at the signing time {}",
                    report.signature_algorithm,
                    report.signer.serial_number_hex,
                    report.signing_time.map_or_else(|| "(none claimed)".to_owned(), rfc3339),
                ),
            ));
            checks.push(Check::new(
                CheckId::Document,
                Outcome::Pass,
                format!(
                    "the document is what was signed ({} {})",
                    report.digest_algorithm,
                    hex::encode(&report.message_digest)
                ),
            ));
            verification.report = Some(report);
            signed
        }
        // The signature was checked before the expected document; the content's own digest
        // (ContentDigest) before the signature.
        Err(toss_signed_doc::Error::Mismatch(mismatch))
            if mismatch != toss_signed_doc::Mismatch::ContentDigest =>
        {
            checks.push(Check::new(
                CheckId::Signature,
                Outcome::Pass,
                "the signature verifies",
            ));
            checks.push(Check::new(
                CheckId::Document,
                Outcome::Fail,
                mismatch.to_string(),
            ));
            return verification;
        }
        Err(error) => {
            checks.push(Check::new(
                CheckId::Signature,
                Outcome::Fail,
                error.to_string(),
            ));
            return verification;
        }
    };

    checks.push(match anchors {
        None => Check::new(
            CheckId::Chain,
            Outcome::NotChecked,
            "no trust anchor was given",
        ),
        Some(anchors) => match Verifier::new()
            .trust_anchors(anchors.clone())
            .verify_trusted(&signed, Expected::Nothing)
        {
            Ok(report) => Check::new(
                CheckId::Chain,
                Outcome::Pass,
                format!(
                    "the signer certificate chains to {}",
                    report.chain.map_or_else(String::new, |c| c.anchor)
                ),
            ),
            Err(error) => Check::new(CheckId::Chain, Outcome::Fail, error.to_string()),
        },
    });

    checks.push(revocation(
        &signed,
        evidence,
        anchors,
        &mut verification.revocation,
    ));
    checks.push(timestamp(
        &signed,
        evidence,
        anchors,
        &mut verification.timestamp,
    ));
    checks.push(certificate_check(evidence));
    verification
}

fn gap_reason(evidence: &Evidence, item: Item) -> Option<&str> {
    evidence
        .gaps
        .iter()
        .find(|gap| gap.item == item)
        .map(|gap| gap.reason.as_str())
}

fn revocation(
    signed: &SignedDoc,
    evidence: &Evidence,
    anchors: Option<&TrustAnchors>,
    found: &mut Option<Revocation>,
) -> Check {
    let id = CheckId::Revocation;
    let Some(collected) = &evidence.crl else {
        let reason = gap_reason(evidence, Item::Crl).unwrap_or("no CRL was collected");
        return Check::new(id, Outcome::NotChecked, format!("not checked: {reason}"));
    };
    let Some(anchors) = anchors else {
        return Check::new(
            id,
            Outcome::NotChecked,
            "not checked: no trust anchor was given to tell the CRL's issuer",
        );
    };
    let crl = match Crl::from_der(&collected.der) {
        Ok(crl) => crl,
        Err(error) => return Check::new(id, Outcome::Fail, error.to_string()),
    };
    let verifier = Verifier::new()
        .trust_anchors(anchors.clone())
        .crl(crl)
        .validation_time(collected.fetched_at)
        .require_revocation_check();
    match verifier.verify(signed, Expected::Nothing) {
        Ok(report) => match report.revocation {
            Some(revocation) => {
                let detail = revocation_detail(&revocation);
                *found = Some(revocation);
                Check::new(id, Outcome::Pass, detail)
            }
            None => Check::new(id, Outcome::NotChecked, "not checked"),
        },
        Err(error) => Check::new(id, Outcome::Fail, error.to_string()),
    }
}

fn revocation_detail(revocation: &Revocation) -> String {
    let crl = format!(
        "CRL{} of {} (thisUpdate {}, nextUpdate {}), fresh when fetched at {}",
        revocation
            .crl_number
            .as_ref()
            .map_or_else(String::new, |n| format!(" #{n}")),
        revocation.crl_issuer,
        rfc3339(revocation.crl_this_update),
        revocation
            .crl_next_update
            .map_or_else(|| "none".to_owned(), rfc3339),
        rfc3339(revocation.validated_at),
    );
    match (revocation.status, revocation.revoked_at) {
        (RevocationStatus::RevokedAfterSigning, Some(at)) => format!(
            "valid when signed at {}: revoked later, at {} ({}); {crl}",
            rfc3339(revocation.as_of),
            rfc3339(at),
            revocation.reason.as_deref().unwrap_or("unspecified"),
        ),
        _ => format!(
            "not revoked as of the signing time {}; {crl}",
            rfc3339(revocation.as_of)
        ),
    }
}

fn timestamp(
    signed: &SignedDoc,
    evidence: &Evidence,
    anchors: Option<&TrustAnchors>,
    found: &mut Option<Timestamp>,
) -> Check {
    let id = CheckId::Timestamp;
    let Some(collected) = &evidence.timestamp else {
        return match gap_reason(evidence, Item::Timestamp) {
            Some(reason) => Check::new(id, Outcome::NotChecked, format!("not checked: {reason}")),
            None => Check::new(id, Outcome::Absent, "no timestamp was asked for"),
        };
    };
    let stamped =
        TimestampToken::from_der(&collected.token).and_then(|token| token.verify(signed, anchors));
    match stamped {
        Ok(stamp) => {
            let detail = format!(
                "the signature existed at {}: timestamp serial {} by {}{}",
                rfc3339(stamp.time),
                stamp.serial_number,
                stamp.authority,
                if stamp.chain_checked {
                    ""
                } else {
                    " (TSA certificate not checked against trust anchors)"
                },
            );
            let outcome = if stamp.chain_checked {
                Outcome::Pass
            } else {
                Outcome::NotChecked
            };
            *found = Some(stamp);
            Check::new(id, outcome, detail)
        }
        Err(error) => Check::new(id, Outcome::Fail, error.to_string()),
    }
}

fn certificate_check(evidence: &Evidence) -> Check {
    let id = CheckId::CertificateCheck;
    match &evidence.certificate_check {
        Some(answer) if answer.valid => Check::new(
            id,
            Outcome::Pass,
            format!(
                "the provider answered valid at {}",
                rfc3339(answer.checked_at)
            ),
        ),
        Some(answer) => Check::new(
            id,
            Outcome::Note,
            format!(
                "the provider answered not valid at {} (about that moment, not the signing time)",
                rfc3339(answer.checked_at)
            ),
        ),
        None => Check::new(
            id,
            Outcome::Note,
            format!(
                "not collected: {}",
                gap_reason(evidence, Item::CertificateCheck).unwrap_or("not asked")
            ),
        ),
    }
}

/// Verifies `signed_doc` (DER, as received) in one pass with everything `evidence` holds:
/// the signature and `expected` document, with `anchors` the chain and the revocation
/// state (without them the CRL's issuer is unproven, and the report has neither), the
/// timestamp over this signature (as it would be checked inside the signedDoc as
/// CAdES-T); the revocation state is as of the signing time, from the CRL judged fresh at
/// the time it was fetched. The first failure is the error, typed as `toss-signed-doc`
/// types it (a revocation before the signing is `Error::Revocation(Revoked { .. })`).
///
/// [`verify`] gives every check's verdict instead of the first failure.
///
/// # Errors
///
/// As [`Verifier::verify`], and the errors of reading the CRL and the token.
pub fn verify_signed(
    signed_doc: &[u8],
    expected: Expected<'_>,
    evidence: &Evidence,
    anchors: Option<&TrustAnchors>,
) -> Result<Report, toss_signed_doc::Error> {
    let signed = SignedDoc::from_der(signed_doc)?;
    let mut verifier = Verifier::new();
    if let Some(collected) = &evidence.timestamp {
        verifier = verifier.signature_timestamp(TimestampToken::from_der(&collected.token)?);
    }
    // Without anchors nothing proves who issued the signer certificate, so nothing proves
    // whose CRL would speak for it: the report then has neither a chain nor a revocation.
    if let Some(anchors) = anchors {
        verifier = verifier.trust_anchors(anchors.clone());
        if let Some(crl) = &evidence.crl {
            verifier = verifier
                .crl(Crl::from_der(&crl.der)?)
                .validation_time(crl.fetched_at);
        }
    }
    verifier.verify(&signed, expected)
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    #[test]
    fn only_pass_absent_and_note_hold() {
        for (outcome, holds) in [
            (Outcome::Pass, true),
            (Outcome::Absent, true),
            (Outcome::Note, true),
            (Outcome::Fail, false),
            (Outcome::NotChecked, false),
        ] {
            assert_eq!(outcome.holds(), holds, "{outcome:?}");
        }
    }

    #[test]
    fn garbage_fails_the_signature_check_only() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let evidence = Evidence::new("tx", at, at, crate::DocumentInfo::new("PKCS7"), at);
        let verification = verify(b"garbage", Expected::Nothing, &evidence, None);
        assert!(!verification.holds());
        assert_eq!(verification.checks.len(), 1);
        assert_eq!(
            verification.first_failure().map(|c| c.check),
            Some(CheckId::Signature)
        );
        assert!(verify_signed(b"garbage", Expected::Nothing, &evidence, None).is_err());
    }
}
