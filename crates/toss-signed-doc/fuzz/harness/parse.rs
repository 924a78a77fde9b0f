//! What the `parse` fuzz target does with one input, shared by the target and by the test that
//! replays the kept corpus (`tests/fuzz_corpus.rs`), so a crash found once stays fixed.
//!
//! The parser on arbitrary bytes: DER and base64 signedDocs, PEM trust anchors. Whatever parses
//! is also verified (report only, and against the input as content), so the verification code
//! sees parsed-but-hostile structures too. Nothing may panic.

use toss_signed_doc::{Expected, SignedDoc, TrustAnchors, Verifier};

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
            .trust_anchors(anchors)
            .verify(&signed, Expected::Nothing);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = SignedDoc::from_base64(text);
        let _ = TrustAnchors::from_pem(text);
    }
}
