//! What a report proves about the signer: a certificate edited to name another person
//! still carries the signer's key, so only the chain check tells it apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::*;
use toss_signed_doc::{
    CertificateError, Error, Expected, SignedDoc, TrustAnchorError, TrustAnchors, Verifier,
};

const GENUINE_NAME: &str = "홍길동";
const FORGED_NAME: &str = "김토스";

/// The OpenSSL signedDoc whose signer certificate's common name was changed in place to
/// another name of the same UTF-8 length: the DER stays well-formed, the SignerInfo still
/// finds the certificate (by issuer and serial) and its key still checks the signature,
/// but the intermediate's signature over the certificate no longer matches.
fn forged() -> SignedDoc {
    let mut der = der(ATTACHED);
    let (genuine, forged) = (GENUINE_NAME.as_bytes(), FORGED_NAME.as_bytes());
    assert_eq!(genuine.len(), forged.len());
    let at = find(&der, genuine);
    assert_eq!(
        der.windows(genuine.len()).filter(|w| *w == genuine).count(),
        1,
        "the name occurs once, in the signer's subject"
    );
    der[at..at + forged.len()].copy_from_slice(forged);
    SignedDoc::from_der(&der).unwrap()
}

fn root() -> TrustAnchors {
    TrustAnchors::from_pem(&text(ROOT_CA)).unwrap()
}

#[test]
fn forged_name_verifies_without_anchors_but_the_report_says_the_chain_was_not_checked() {
    let report = forged().verify(Expected::Text(&text(DOC))).unwrap();
    assert_eq!(report.signer.common_name.as_deref(), Some(FORGED_NAME));
    assert!(!report.chain_checked);
    assert!(report.chain.is_none());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["chainChecked"], false);
    assert_eq!(json["signer"]["commonName"], FORGED_NAME);
}

#[test]
fn verify_trusted_fails_closed_without_anchors() {
    let doc = text(DOC);
    for signed in [forged(), signed(ATTACHED)] {
        assert_eq!(
            Verifier::new()
                .verify_trusted(&signed, Expected::Text(&doc))
                .unwrap_err(),
            Error::TrustAnchor(TrustAnchorError::Missing)
        );
        assert_eq!(
            signed
                .verify_trusted(Expected::Text(&doc), &TrustAnchors::new())
                .unwrap_err(),
            Error::TrustAnchor(TrustAnchorError::Missing)
        );
        assert_eq!(
            Verifier::new()
                .trust_anchors(TrustAnchors::new())
                .verify_trusted(&signed, Expected::Text(&doc))
                .unwrap_err(),
            Error::TrustAnchor(TrustAnchorError::Missing)
        );
    }
    assert_eq!(
        TrustAnchorError::Missing.to_string(),
        "no trust anchor was given to check the signer certificate against"
    );
}

#[test]
fn forged_name_fails_the_chain_check_with_the_right_anchor() {
    let doc = text(DOC);
    let untrusted = Error::Certificate(CertificateError::Untrusted);
    let forged = forged();
    assert_eq!(
        forged
            .verify_trusted(Expected::Text(&doc), &root())
            .unwrap_err(),
        untrusted
    );
    let verifier = Verifier::new().trust_anchors(root());
    assert!(verifier.has_trust_anchors());
    assert_eq!(
        verifier.verify(&forged, Expected::Text(&doc)).unwrap_err(),
        untrusted
    );
    assert_eq!(
        verifier
            .verify_trusted(&forged, Expected::Text(&doc))
            .unwrap_err(),
        untrusted
    );
    // The intermediate itself as the anchor: the broken signature is the intermediate's.
    let intermediate = TrustAnchors::from_pem(&text(INTERMEDIATE_CA)).unwrap();
    assert_eq!(
        forged
            .verify_trusted(Expected::Text(&doc), &intermediate)
            .unwrap_err(),
        untrusted
    );
}

#[test]
fn genuine_signer_passes_the_chain_check_and_says_so() {
    let doc = text(DOC);
    let report = signed(ATTACHED)
        .verify_trusted(Expected::Text(&doc), &root())
        .unwrap();
    assert!(report.chain_checked);
    assert_eq!(report.chain.unwrap().length, 3);
    assert_eq!(report.signer.common_name.as_deref(), Some(GENUINE_NAME));
    let report = Verifier::new()
        .trust_anchors(root())
        .verify_trusted(&signed(ATTACHED), Expected::Text(&doc))
        .unwrap();
    assert!(report.chain_checked);
    assert_eq!(serde_json::to_value(&report).unwrap()["chainChecked"], true);
    let report = signed(ATTACHED).verify(Expected::Text(&doc)).unwrap();
    assert!(!report.chain_checked);
    assert!(!Verifier::new().has_trust_anchors());
    assert!(
        !Verifier::new()
            .trust_anchors(TrustAnchors::new())
            .has_trust_anchors()
    );
}
