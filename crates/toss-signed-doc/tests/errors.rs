//! Each way a signedDoc is wrong gives its own typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sha2::{Digest as _, Sha256};
use support::*;
use toss_signed_doc::{
    CertificateError, DigestAlgorithm, Error, Expected, Malformed, Mismatch, SignedDoc,
    TrustAnchorError, TrustAnchors, Unsupported,
};

fn parse_error(name: &str) -> Error {
    SignedDoc::from_base64(&text(name)).unwrap_err()
}

#[test]
fn empty_input() {
    assert_eq!(SignedDoc::from_base64("").unwrap_err(), Error::Empty);
    assert_eq!(SignedDoc::from_base64(" \n\t").unwrap_err(), Error::Empty);
    assert_eq!(SignedDoc::from_der(&[]).unwrap_err(), Error::Empty);
}

#[test]
fn not_base64() {
    assert_eq!(
        SignedDoc::from_base64("MIIL*not-base64*").unwrap_err(),
        Error::NotBase64
    );
    assert_eq!(
        SignedDoc::from_base64(&text(SEED_DOC)).unwrap_err(),
        Error::NotBase64
    );
}

#[test]
fn truncated_input() {
    let der = der(SEED);
    for len in [1, 2, 4, 100, der.len() / 2, der.len() - 1] {
        assert_eq!(
            SignedDoc::from_der(&der[..len]).unwrap_err(),
            Error::Truncated,
            "{len}"
        );
    }
    // Truncated base64 too (whole bytes only).
    let b64 = text(SEED);
    assert_eq!(
        SignedDoc::from_base64(&b64[..b64.len() / 2 / 4 * 4]).unwrap_err(),
        Error::Truncated
    );
}

#[test]
fn garbage_der() {
    for garbage in [
        b"hello, world".as_slice(),
        &[0x30, 0x03, 0x02, 0x01, 0x01],
        &[0xff; 64],
        &[0x30, 0x80, 0x00, 0x00],
    ] {
        assert!(
            matches!(SignedDoc::from_der(garbage), Err(Error::NotDer(_))),
            "{garbage:?}"
        );
    }
    // A certificate is DER, but not a ContentInfo.
    let certificate = SignedDoc::from_base64(&text(SEED))
        .unwrap()
        .signer_certificate_der()
        .to_vec();
    assert!(matches!(
        SignedDoc::from_der(&certificate),
        Err(Error::NotDer(_))
    ));
    // Trailing bytes after the ContentInfo.
    let mut trailing = der(SEED);
    trailing.push(0);
    assert!(matches!(
        SignedDoc::from_der(&trailing),
        Err(Error::NotDer(_))
    ));
}

#[test]
fn not_signed_data() {
    // ContentInfo { id-data, [0] OCTET STRING "" }.
    let data = [
        0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x02,
        0x04, 0x00,
    ];
    assert_eq!(
        SignedDoc::from_der(&data).unwrap_err(),
        Error::NotSignedData {
            content_type: "id-data".to_owned()
        }
    );
}

#[test]
fn tampered_content() {
    let mut der = der(ATTACHED);
    let doc = text(DOC);
    let at = find(&der, doc.as_bytes()) + 3;
    der[at] ^= 0x01;
    let signed = SignedDoc::from_der(&der).unwrap();
    assert_eq!(
        signed.verify(Expected::Nothing).unwrap_err(),
        Error::Mismatch(Mismatch::ContentDigest)
    );
    assert_eq!(
        signed.verify(Expected::Text(&doc)).unwrap_err(),
        Error::Mismatch(Mismatch::ContentDigest)
    );
}

#[test]
fn tampered_signature() {
    let mut der = der(SEED);
    // The SignerInfo comes last and has no unsigned attributes: the last byte is the
    // signature's.
    *der.last_mut().unwrap() ^= 0x01;
    let signed = SignedDoc::from_der(&der).unwrap();
    assert_eq!(
        signed.verify(Expected::Text(&text(SEED_DOC))).unwrap_err(),
        Error::SignatureInvalid
    );
}

#[test]
fn tampered_signed_attributes() {
    // Move the signing time by one second: the digest still matches, the signature not.
    let mut der = der(SEED);
    let at = find(&der, b"220422081449Z") + 11;
    der[at] = b'8';
    let signed = SignedDoc::from_der(&der).unwrap();
    assert_eq!(
        signed.verify(Expected::Text(&text(SEED_DOC))).unwrap_err(),
        Error::SignatureInvalid
    );
}

#[test]
fn wrong_document() {
    let signed = signed(SEED);
    let doc = text(SEED_DOC);
    let wrong = doc.replace("출금이체", "입금이체");
    assert_eq!(
        signed.verify(Expected::Text(&wrong)).unwrap_err(),
        Error::Mismatch(Mismatch::Document)
    );
    assert_eq!(
        signed
            .verify(Expected::Sha256(Sha256::digest(wrong.as_bytes()).into()))
            .unwrap_err(),
        Error::Mismatch(Mismatch::Document)
    );
}

#[test]
fn wrong_pdf() {
    let signed = signed(DETACHED_PDF);
    let mut pdf = bytes(PDF);
    pdf.push(b'\n');
    assert_eq!(
        signed.verify(Expected::Content(&pdf)).unwrap_err(),
        Error::Mismatch(Mismatch::DetachedContent)
    );
    assert_eq!(
        signed
            .verify(Expected::Sha256(Sha256::digest(&pdf).into()))
            .unwrap_err(),
        Error::Mismatch(Mismatch::DetachedContent)
    );
}

#[test]
fn sha256_expected_but_signed_with_sha512() {
    let pdf = bytes(PDF);
    assert_eq!(
        signed(DETACHED_PDF_SHA512)
            .verify(Expected::Sha256(Sha256::digest(&pdf).into()))
            .unwrap_err(),
        Error::Mismatch(Mismatch::DigestAlgorithm {
            signed_with: DigestAlgorithm::Sha512
        })
    );
}

#[test]
fn rsa_pss_is_refused_by_name() {
    let error = parse_error("openssl_rsa_pss.b64");
    assert_eq!(
        error,
        Error::Unsupported(Unsupported::SignatureAlgorithm {
            name: "RSASSA-PSS".to_owned()
        })
    );
    assert_eq!(
        error.to_string(),
        "unsupported signature algorithm RSASSA-PSS"
    );
}

#[test]
fn ecdsa_is_refused_by_name() {
    let error = parse_error("openssl_ecdsa.b64");
    assert_eq!(
        error,
        Error::Unsupported(Unsupported::SignatureAlgorithm {
            name: "ECDSA with SHA-256".to_owned()
        })
    );
}

#[test]
fn sha1_is_refused_by_name() {
    assert_eq!(
        parse_error("openssl_sha1.b64"),
        Error::Unsupported(Unsupported::DigestAlgorithm {
            name: "SHA-1".to_owned()
        })
    );
}

#[test]
fn no_signed_attributes() {
    assert_eq!(
        parse_error("openssl_no_signed_attributes.b64"),
        Error::Malformed(Malformed::NoSignedAttributes)
    );
}

#[test]
fn signer_certificate_not_found() {
    assert_eq!(
        parse_error("openssl_no_certificates.b64"),
        Error::SignerCertificateNotFound
    );
}

#[test]
fn multiple_signers() {
    assert_eq!(
        parse_error("openssl_two_signers.b64"),
        Error::Malformed(Malformed::MultipleSigners { count: 2 })
    );
}

#[test]
fn certificate_expired_at_signing_time() {
    let signed = signed("openssl_expired_signer.b64");
    assert_eq!(
        signed.verify(Expected::Text(&text(DOC))).unwrap_err(),
        Error::Certificate(CertificateError::NotValidAtSigningTime)
    );
}

#[test]
fn trust_anchor_errors() {
    assert_eq!(
        TrustAnchors::from_pem("").unwrap_err(),
        Error::TrustAnchor(TrustAnchorError::NoCertificate)
    );
    assert!(matches!(
        TrustAnchors::from_pem("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"),
        Err(Error::TrustAnchor(TrustAnchorError::Malformed(_)))
    ));
    assert!(matches!(
        TrustAnchors::from_pem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"),
        Err(Error::TrustAnchor(TrustAnchorError::Malformed(_)))
    ));
    assert!(matches!(
        TrustAnchors::new().add_der(b"\x30\x00"),
        Err(Error::TrustAnchor(TrustAnchorError::Malformed(_)))
    ));
}

#[test]
fn messages_are_lowercase_without_period_or_personal_data() {
    let mut tampered = der(SEED);
    *tampered.last_mut().unwrap() ^= 1;
    let doc = text(SEED_DOC);
    let errors = [
        SignedDoc::from_base64("").unwrap_err(),
        SignedDoc::from_base64("*").unwrap_err(),
        SignedDoc::from_der(&der(SEED)[..10]).unwrap_err(),
        SignedDoc::from_der(b"garbage").unwrap_err(),
        parse_error("openssl_rsa_pss.b64"),
        parse_error("openssl_two_signers.b64"),
        parse_error("openssl_no_certificates.b64"),
        signed(SEED)
            .verify(Expected::Text("다른 문서"))
            .unwrap_err(),
        SignedDoc::from_der(&tampered)
            .unwrap()
            .verify(Expected::Text(&doc))
            .unwrap_err(),
        signed("openssl_expired_signer.b64")
            .verify(Expected::Nothing)
            .unwrap_err(),
        signed(SEED)
            .verify_trusted(Expected::Text(&doc), &TrustAnchors::new())
            .unwrap_err(),
    ];
    for error in errors {
        let message = error.to_string();
        let debug = format!("{error:?}");
        let first = message.chars().next().unwrap();
        assert!(!first.is_uppercase(), "{message}");
        assert!(!message.ends_with('.'), "{message}");
        for text in [&message, &debug] {
            for personal in ["김수빈", "유관순", "홍길동", "김토스", "다른", "토스"]
            {
                assert!(!text.contains(personal), "{text}");
            }
        }
    }
}

/// The ATTACHED fixture as a tree, after checking that the tree encodes it back exactly.
fn attached_tree() -> Tlv {
    let der = der(ATTACHED);
    let tree = Tlv::parse(&der);
    assert_eq!(tree.encode(), der);
    tree
}

fn refused_as_not_der(tree: &Tlv) {
    let result = SignedDoc::from_der(&tree.encode());
    assert!(matches!(result, Err(Error::NotDer(_))), "{result:?}");
}

#[test]
fn stray_context_specific_fields_are_refused() {
    // `der` passes over a context-specific field with a lower number than the optional one it
    // looks for; DER has no such field. After the signature of the SignerInfo, before where
    // `unsignedAttrs [1]` would be:
    let mut tree = attached_tree();
    let signer_info = tree.at(&SIGNED_DATA).at(&[4, 0]).children();
    assert_eq!(signer_info.len(), 6);
    signer_info.push(Tlv::Constructed(0xa0, vec![]));
    refused_as_not_der(&tree);

    // In a certificate's TBSCertificate, before its `[3]` extensions.
    let mut tree = attached_tree();
    for certificate in tree.at(&SIGNED_DATA).at(&[3]).children() {
        let tbs = certificate.at(&[0]).children();
        assert_eq!(*tbs[7].tag_mut(), 0xa3);
        tbs.insert(7, Tlv::Primitive(0x80, vec![]));
    }
    refused_as_not_der(&tree);

    // In the SignedData, between its certificates and its SignerInfos.
    let mut tree = attached_tree();
    tree.at(&SIGNED_DATA)
        .children()
        .insert(4, Tlv::Primitive(0x80, vec![]));
    refused_as_not_der(&tree);
}

#[test]
fn a_repeated_digest_algorithm_is_refused() {
    let mut tree = attached_tree();
    let algorithms = tree.at(&SIGNED_DATA).at(&[1]).children();
    let sha256 = algorithms[0].clone();
    algorithms.push(sha256);
    refused_as_not_der(&tree);
}

#[test]
fn certificates_are_not_revocation_information() {
    // The certificates set tagged `crls [1]`: a certificate has the outline of a
    // CertificateList, but is not one.
    let mut tree = attached_tree();
    *tree.at(&SIGNED_DATA).at(&[3]).tag_mut() = 0xa1;
    refused_as_not_der(&tree);
}

#[test]
fn other_certificate_and_revocation_formats_are_read_as_rfc_5652_has_them() {
    // `other [3] IMPLICIT OtherCertificateFormat` and `other [1] IMPLICIT
    // OtherRevocationInfoFormat` (§10.2.1, §10.2.2): an OBJECT IDENTIFIER and any value.
    let format = Tlv::Primitive(0x06, vec![0x2a, 0x03, 0x04]);
    let value = Tlv::Primitive(0x05, vec![]);
    let mut tree = attached_tree();
    let signed_data = tree.at(&SIGNED_DATA);
    signed_data
        .at(&[3])
        .children()
        .push(Tlv::Constructed(0xa3, vec![format.clone(), value.clone()]));
    signed_data.children().insert(
        4,
        Tlv::Constructed(
            0xa1,
            vec![Tlv::Constructed(0xa1, vec![format.clone(), value.clone()])],
        ),
    );
    let signed = SignedDoc::from_der(&tree.encode()).unwrap();
    assert_eq!(signed.certificates_der().count(), 2);
    signed.verify(Expected::Text(&text(DOC))).unwrap();

    // Their fields wrapped in a SEQUENCE (`[3]` as if EXPLICIT) are not that.
    let mut tree = attached_tree();
    tree.at(&SIGNED_DATA)
        .at(&[3])
        .children()
        .push(Tlv::Constructed(
            0xa3,
            vec![Tlv::Constructed(0x30, vec![format, value])],
        ));
    refused_as_not_der(&tree);
}
