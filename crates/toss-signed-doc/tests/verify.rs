//! Signatures that verify: the provider's real ones and OpenSSL's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sha2::{Digest as _, Sha256};
use support::*;
use time::macros::datetime;
use toss_signed_doc::{
    CertificateError, DigestAlgorithm, DocumentCheck, Error, Expected, SignedDoc, TrustAnchors,
    Verifier,
};

#[test]
fn seed_signature_verifies_against_its_document_text() {
    let signed = signed(SEED);
    let doc = text(SEED_DOC);
    // The text file is the content byte for byte: no trailing newline to trim.
    assert_eq!(signed.content(), Some(doc.as_bytes()));
    let report = signed.verify(Expected::Text(&doc)).unwrap();
    assert_eq!(report.document, DocumentCheck::Text);
    assert_eq!(report.signer.common_name.as_deref(), Some("김수빈"));
    assert_eq!(
        report.signer.subject,
        "CN=김수빈,UID=700272320211130802009991,OU=Toss Cert,O=Viva Republica Inc,C=KR"
    );
    assert_eq!(report.signer.serial_number, "7757311");
    assert_eq!(report.signer.serial_number_hex, "765dff");
    assert_eq!(
        report.signer.issuer,
        "CN=Toss CA1,OU=Toss Cert,O=Viva Republica Inc,C=KR"
    );
    assert_eq!(report.signer.not_before, datetime!(2022-04-14 02:34:11 UTC));
    assert_eq!(report.signer.not_after, datetime!(2025-04-13 14:59:59 UTC));
    assert_eq!(
        report.signing_time,
        Some(datetime!(2022-04-22 08:14:49 UTC))
    );
    assert_eq!(report.certificate_valid_at_signing_time, Some(true));
    assert_eq!(report.digest_algorithm, DigestAlgorithm::Sha256);
    assert_eq!(report.signature_algorithm, "RSA PKCS#1 v1.5 with SHA-256");
    assert_eq!(report.content.unwrap().as_text(), Some(doc.as_str()));
    assert!(report.chain.is_none());
}

#[test]
fn seed_signature_verifies_by_content_bytes_and_sha256() {
    let signed = signed(SEED);
    let doc = text(SEED_DOC);
    signed.verify(Expected::Content(doc.as_bytes())).unwrap();
    let digest: [u8; 32] = Sha256::digest(doc.as_bytes()).into();
    let report = signed.verify(Expected::Sha256(digest)).unwrap();
    assert_eq!(report.document, DocumentCheck::Sha256);
}

#[test]
fn seed_document_with_a_trailing_newline_is_another_document() {
    let doc = format!("{}\n", text(SEED_DOC));
    assert!(matches!(
        signed(SEED).verify(Expected::Text(&doc)),
        Err(Error::Mismatch(toss_signed_doc::Mismatch::Document))
    ));
}

#[test]
fn java_sdk_sample_verifies_and_its_pem_is_the_sdks() {
    let signed = signed(JAVA);
    let report = signed.verify(Expected::Text("document sample")).unwrap();
    assert_eq!(report.signer.common_name.as_deref(), Some("정인권"));
    assert_eq!(report.signer.serial_number, "21020322");
    assert_eq!(
        report.signing_time,
        Some(datetime!(2024-02-26 12:21:43 UTC))
    );

    let pem = signed.signer_certificate_pem();
    assert_eq!(normalise(&pem), normalise(&text(JAVA_PEM)));
    let lines: Vec<&str> = pem.lines().collect();
    assert_eq!(lines.first(), Some(&"-----BEGIN CERTIFICATE-----"));
    assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
    let body = &lines[1..lines.len() - 1];
    assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
    assert!(body.last().unwrap().len() <= 64);
    assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
}

#[test]
fn report_only_shows_what_was_signed() {
    let report = signed(JAVA).verify(Expected::Nothing).unwrap();
    assert_eq!(report.document, DocumentCheck::NotChecked);
    assert_eq!(
        report.content.unwrap().as_bytes(),
        b"document sample".as_slice()
    );
}

#[test]
fn openssl_attached_sha256_verifies_with_korean_signer() {
    let signed = signed(ATTACHED);
    let report = signed.verify(Expected::Text(&text(DOC))).unwrap();
    assert_eq!(report.signer.common_name.as_deref(), Some("홍길동"));
    assert_eq!(
        report.signer.subject,
        "CN=홍길동,OU=Toss Cert,O=toss-signed-doc tests,C=KR"
    );
    assert_eq!(report.signer.serial_number_hex, "0123456789abcdef");
    assert_eq!(report.signer.serial_number, "81985529216486895");
    assert_eq!(
        report.signer.issuer,
        "CN=Test Intermediate CA,O=toss-signed-doc tests,C=KR"
    );
    assert!(report.signing_time.is_some());
    assert_eq!(
        normalise(&signed.signer_certificate_pem()),
        normalise(&text(SIGNER_PEM))
    );
}

#[test]
fn openssl_attached_binary_multiline_verifies() {
    let doc = text(DOC_MULTILINE);
    assert!(doc.ends_with('\n'));
    let report = signed(ATTACHED_BINARY)
        .verify(Expected::Text(&doc))
        .unwrap();
    assert_eq!(report.content.unwrap().as_text(), Some(doc.as_str()));
}

#[test]
fn openssl_attached_sha384_verifies() {
    let report = signed(ATTACHED_SHA384)
        .verify(Expected::Text(&text(DOC)))
        .unwrap();
    assert_eq!(report.digest_algorithm, DigestAlgorithm::Sha384);
    assert_eq!(report.signature_algorithm, "RSA PKCS#1 v1.5 with SHA-384");
    assert_eq!(report.message_digest.len(), 48);
}

#[test]
fn openssl_signer_named_by_subject_key_identifier_verifies() {
    let report = signed(ATTACHED_KEYID)
        .verify(Expected::Text(&text(DOC)))
        .unwrap();
    assert_eq!(report.signer.common_name.as_deref(), Some("홍길동"));
}

#[test]
fn openssl_detached_pdf_verifies_by_bytes_and_by_sha256() {
    let signed = signed(DETACHED_PDF);
    assert!(signed.is_detached());
    let pdf = bytes(PDF);
    let report = signed.verify(Expected::Content(&pdf)).unwrap();
    assert_eq!(report.document, DocumentCheck::Content);
    assert!(report.content.is_none());
    let digest: [u8; 32] = Sha256::digest(&pdf).into();
    assert_eq!(signed.message_digest(), digest.as_slice());
    signed.verify(Expected::Sha256(digest)).unwrap();
    let report = signed.verify(Expected::Nothing).unwrap();
    assert_eq!(report.document, DocumentCheck::NotChecked);
}

#[test]
fn openssl_detached_pdf_sha512_verifies() {
    let report = signed(DETACHED_PDF_SHA512)
        .verify(Expected::Content(&bytes(PDF)))
        .unwrap();
    assert_eq!(report.digest_algorithm, DigestAlgorithm::Sha512);
}

#[test]
fn from_der_and_from_base64_agree() {
    let from_der = SignedDoc::from_der(&der(ATTACHED)).unwrap();
    let wrapped: String = text(ATTACHED)
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect();
    let from_wrapped = SignedDoc::from_base64(&wrapped).unwrap();
    assert_eq!(
        from_der.signer_certificate_der(),
        from_wrapped.signer_certificate_der()
    );
    assert_eq!(from_der.certificates_der().count(), 2);
}

fn anchors(name: &str) -> TrustAnchors {
    TrustAnchors::from_pem(&text(name)).unwrap()
}

#[test]
fn chain_to_the_root_through_the_included_intermediate() {
    let report = Verifier::new()
        .trust_anchors(anchors(ROOT_CA))
        .verify(&signed(ATTACHED), Expected::Text(&text(DOC)))
        .unwrap();
    let chain = report.chain.unwrap();
    assert_eq!(chain.length, 3);
    assert_eq!(chain.anchor, "CN=Test Root CA,O=toss-signed-doc tests,C=KR");
    assert_eq!(Some(chain.validated_at), report.signing_time);
}

#[test]
fn chain_to_the_intermediate_or_the_signer_itself() {
    let doc = text(DOC);
    let chain = Verifier::new()
        .trust_anchors(anchors(INTERMEDIATE_CA))
        .verify(&signed(ATTACHED_NO_INTERMEDIATE), Expected::Text(&doc))
        .unwrap()
        .chain
        .unwrap();
    assert_eq!(chain.length, 2);
    let chain = Verifier::new()
        .trust_anchors(anchors(SIGNER_PEM))
        .verify(&signed(ATTACHED), Expected::Text(&doc))
        .unwrap()
        .chain
        .unwrap();
    assert_eq!(chain.length, 1);
}

#[test]
fn several_anchors_in_one_pem() {
    let both = format!("{}{}", text(OTHER_ROOT_CA), text(ROOT_CA));
    let anchors = TrustAnchors::from_pem(&both).unwrap();
    assert_eq!(anchors.len(), 2);
    Verifier::new()
        .trust_anchors(anchors)
        .verify(&signed(DETACHED_PDF), Expected::Content(&bytes(PDF)))
        .unwrap();
}

#[test]
fn unrelated_anchor_is_untrusted() {
    let result = Verifier::new()
        .trust_anchors(anchors(OTHER_ROOT_CA))
        .verify(&signed(ATTACHED), Expected::Text(&text(DOC)));
    assert_eq!(
        result.unwrap_err(),
        Error::Certificate(CertificateError::Untrusted)
    );
}

#[test]
fn missing_intermediate_is_untrusted() {
    let result = Verifier::new().trust_anchors(anchors(ROOT_CA)).verify(
        &signed(ATTACHED_NO_INTERMEDIATE),
        Expected::Text(&text(DOC)),
    );
    assert_eq!(
        result.unwrap_err(),
        Error::Certificate(CertificateError::Untrusted)
    );
}

#[test]
fn provider_signature_does_not_chain_to_a_test_root() {
    let result = Verifier::new()
        .trust_anchors(anchors(ROOT_CA))
        .verify(&signed(SEED), Expected::Text(&text(SEED_DOC)));
    assert_eq!(
        result.unwrap_err(),
        Error::Certificate(CertificateError::Untrusted)
    );
}

#[test]
fn single_line_pem_is_an_anchor_too() {
    // The Java SDK's one-line PEM; the signer certificate as its own anchor.
    let report = Verifier::new()
        .trust_anchors(anchors(JAVA_PEM))
        .verify(&signed(JAVA), Expected::Text("document sample"))
        .unwrap();
    assert_eq!(report.chain.unwrap().length, 1);
}

#[test]
fn report_serializes_to_camel_case_json() {
    let report = signed(SEED)
        .verify(Expected::Text(&text(SEED_DOC)))
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["signer"]["serialNumber"], "7757311");
    assert_eq!(json["signer"]["commonName"], "김수빈");
    assert_eq!(json["signer"]["notBefore"], "2022-04-14T02:34:11Z");
    assert_eq!(json["signer"]["notAfter"], "2025-04-13T14:59:59Z");
    assert_eq!(json["signingTime"], "2022-04-22T08:14:49Z");
    assert_eq!(json["digestAlgorithm"], "SHA-256");
    assert_eq!(json["document"], "text");
    assert_eq!(json["certificateValidAtSigningTime"], true);
    assert_eq!(json["content"]["text"], text(SEED_DOC));
    assert_eq!(
        json["messageDigest"],
        "941c8d26e908faa9e391d88015ff2307b8caaecc5ef252a3dbf2f404aa00723c"
    );
    assert!(json["chain"].is_null());
    assert_eq!(json["chainChecked"], false);

    let detached = signed(DETACHED_PDF)
        .verify(Expected::Content(&bytes(PDF)))
        .unwrap();
    let json = serde_json::to_value(&detached).unwrap();
    assert!(json["content"].is_null());
    assert_eq!(json["document"], "content");
}

#[test]
fn debug_leaves_out_names_and_content() {
    let signed = signed(SEED);
    let doc = text(SEED_DOC);
    let report = signed.verify(Expected::Text(&doc)).unwrap();
    for debug in [
        format!("{signed:?}"),
        format!("{report:?}"),
        format!("{:?}", Expected::Text(&doc)),
    ] {
        assert!(!debug.contains("김수빈"), "{debug}");
        assert!(!debug.contains("토스"), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }
}
