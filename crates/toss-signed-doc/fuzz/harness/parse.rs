//! What the `parse` fuzz target does with one input, shared by the target and by the test that
//! replays the kept corpus (`tests/fuzz_corpus.rs`), so a crash found once stays fixed.
//!
//! The parser on arbitrary bytes: DER and base64 signedDocs, PEM trust anchors, CRLs,
//! timestamp tokens and time-stamping answers. Whatever parses is also verified (report only,
//! against the input as content, with its own certificates as anchors and as a CRL and a
//! timestamp would be), so the verification code sees parsed-but-hostile structures too.
//! Nothing may panic.

use toss_signed_doc::{
    Crl, Expected, SignedDoc, TimestampRequest, TimestampToken, TrustAnchors, Verifier,
};

/// The provider's real signedDoc (shared/vectors), for the CRL checks.
const PROVIDER_SIGNED_DOC: &str = include_str!("../../tests/data/seed_sign_result.signed_doc.b64");

/// Runs every parser and verifier on `data`, ignoring their results: only a panic matters.
pub(crate) fn run(data: &[u8]) {
    if let Ok(signed) = SignedDoc::from_der(data) {
        let _ = signed.signer_certificate_pem();
        let _ = format!("{signed:?}");
        let _ = signed.verify(Expected::Nothing);
        let _ = signed.verify(Expected::Content(data));
        // The signedDoc's own certificates as anchors: exercises the chain search.
        let mut anchors = TrustAnchors::new();
        for der in signed.certificates_der() {
            let _ = anchors.add_der(der);
        }
        let _ = Verifier::new()
            .trust_anchors(anchors.clone())
            .verify(&signed, Expected::Nothing);
        let _ = signed.crl_distribution_points();
        let _ = signed.ocsp_urls();
        if let Ok(request) = TimestampRequest::for_signature(&signed, 7) {
            let _ = request.read_response(data);
        }
        if let Ok(token) = TimestampToken::from_der(data) {
            let _ = token.verify(&signed, Some(&anchors));
            let _ = signed.with_signature_timestamp(&token);
            let _ = Verifier::new()
                .signature_timestamp(token)
                .verify(&signed, Expected::Nothing);
        }
    }
    if let Ok(crl) = Crl::from_der(data) {
        let _ = format!("{crl:?}");
        let _ = (crl.issuer(), crl.number(), crl.len(), crl.next_update());
        // A real signature of the provider's, judged with the hostile CRL.
        if let Ok(signed) = SignedDoc::from_base64(PROVIDER_SIGNED_DOC) {
            let _ = Verifier::new()
                .crl(crl)
                .require_revocation_check()
                .verify(&signed, Expected::Nothing);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = SignedDoc::from_base64(text);
        let _ = TrustAnchors::from_pem(text);
    }
}
