//! Revocation and timestamp inputs: the provider's real certificates name their CRL and
//! OCSP, timestamp requests are over the signature, and garbage CRLs, tokens and answers
//! are refused with typed errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use der::Decode as _;
use support::{JAVA, SEED, SEED_DOC, der, signed, text};
use toss_signed_doc::{
    Crl, DigestAlgorithm, Error, Expected, RevocationError, TimestampError, TimestampRequest,
    TimestampToken, Verifier,
};

#[test]
fn the_providers_certificates_name_their_crl_and_ocsp() {
    for (name, crl) in [
        (
            SEED,
            "http://ca.cert.toss.im/crl/toss_crl_dp2p2586.crl?certificateRevocationList",
        ),
        (
            JAVA,
            "http://ca.cert.toss.im/crl/toss_crl_dp2p7007.crl?certificateRevocationList",
        ),
    ] {
        let signed = signed(name);
        assert_eq!(signed.crl_distribution_points(), [crl], "{name}");
        assert_eq!(signed.ocsp_urls(), ["http://ocsp.cert.toss.im/"], "{name}");
        assert_eq!(
            signed.signature_timestamp_der(),
            None,
            "no unsigned attributes"
        );
    }
}

#[test]
fn a_timestamp_request_is_over_the_signature_value() {
    let signed = signed(SEED);
    let request = TimestampRequest::for_signature(&signed, 0x0123_4567_89ab_cdef).unwrap();
    let decoded = x509_tsp::TimeStampReq::from_der(request.der()).unwrap();
    assert!(decoded.cert_req);
    assert_eq!(
        decoded.message_imprint.hashed_message.as_bytes(),
        DigestAlgorithm::Sha256.digest(signed.signature_value())
    );
    assert_eq!(
        decoded.nonce.unwrap().as_bytes(),
        [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
    );
    // A nonce with its top bit set stays positive.
    let high = TimestampRequest::for_signature(&signed, u64::MAX).unwrap();
    let decoded = x509_tsp::TimeStampReq::from_der(high.der()).unwrap();
    assert_eq!(
        decoded.nonce.unwrap().as_bytes(),
        [0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
}

#[test]
fn garbage_answers_tokens_and_crls_are_refused_by_type() {
    let signed = signed(SEED);
    let request = TimestampRequest::for_signature(&signed, 7).unwrap();
    for garbage in [&b""[..], b"\x30\x03\x02\x01", b"not der at all"] {
        assert!(matches!(
            request.read_response(garbage),
            Err(Error::Timestamp(TimestampError::MalformedResponse(_)))
        ));
        assert!(matches!(
            TimestampToken::from_der(garbage),
            Err(Error::Timestamp(TimestampError::MalformedToken(_)))
        ));
        assert!(matches!(
            Crl::from_der(garbage),
            Err(Error::Revocation(RevocationError::MalformedCrl(_)))
        ));
    }
    // TimeStampResp { status { rejection } }, no token.
    assert_eq!(
        request
            .read_response(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02])
            .unwrap_err(),
        TimestampError::Rejected { status: 2 }.into()
    );
    // A signedDoc is a SignedData, but not of a TSTInfo.
    let not_a_token = TimestampToken::from_der(&der(SEED)).unwrap_err();
    assert!(matches!(
        not_a_token,
        Error::Timestamp(TimestampError::MalformedToken(_))
    ));
    assert!(!not_a_token.to_string().contains(&text(SEED_DOC)));
    // A certificate is not a CRL.
    let certificate = signed.signer_certificate_der().to_vec();
    assert!(matches!(
        Crl::from_der(&certificate),
        Err(Error::Revocation(RevocationError::MalformedCrl(_)))
    ));
}

#[test]
fn a_required_revocation_check_without_a_crl_fails_closed() {
    let signed = signed(SEED);
    let error = Verifier::new()
        .require_revocation_check()
        .verify(&signed, Expected::Nothing)
        .unwrap_err();
    assert_eq!(error, RevocationError::NoCrl.into());
    // Without the requirement, nothing is said about revocation.
    let report = Verifier::new().verify(&signed, Expected::Nothing).unwrap();
    assert_eq!(report.revocation, None);
    assert_eq!(report.timestamp, None);
}
