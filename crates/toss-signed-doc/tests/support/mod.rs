//! Fixtures of `tests/data` (see its README.md).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use toss_signed_doc::SignedDoc;

pub(crate) fn path(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn text(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

pub(crate) fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap()
}

/// The DER of a base64 fixture.
pub(crate) fn der(name: &str) -> Vec<u8> {
    STANDARD.decode(text(name).trim()).unwrap()
}

pub(crate) fn signed(name: &str) -> SignedDoc {
    SignedDoc::from_base64(&text(name)).unwrap()
}

pub(crate) const SEED: &str = "seed_sign_result.signed_doc.b64";
pub(crate) const SEED_DOC: &str = "seed_sign_result.doc.txt";
pub(crate) const JAVA: &str = "java_sdk_sample.signed_doc.b64";
pub(crate) const JAVA_PEM: &str = "java_sdk_sample.signer_cert.pem";

pub(crate) const ATTACHED: &str = "openssl_attached_sha256.b64";
pub(crate) const ATTACHED_BINARY: &str = "openssl_attached_binary_sha256.b64";
pub(crate) const ATTACHED_SHA384: &str = "openssl_attached_sha384.b64";
pub(crate) const ATTACHED_KEYID: &str = "openssl_attached_keyid.b64";
pub(crate) const ATTACHED_NO_INTERMEDIATE: &str = "openssl_attached_no_intermediate.b64";
pub(crate) const DETACHED_PDF: &str = "openssl_detached_pdf_sha256.b64";
pub(crate) const DETACHED_PDF_SHA512: &str = "openssl_detached_pdf_sha512.b64";
pub(crate) const DOC: &str = "openssl_doc.txt";
pub(crate) const DOC_MULTILINE: &str = "openssl_doc_multiline.txt";
pub(crate) const PDF: &str = "openssl_fake.pdf";
pub(crate) const ROOT_CA: &str = "openssl_root_ca.pem";
pub(crate) const INTERMEDIATE_CA: &str = "openssl_intermediate_ca.pem";
pub(crate) const OTHER_ROOT_CA: &str = "openssl_other_root_ca.pem";
pub(crate) const SIGNER_PEM: &str = "openssl_signer.pem";

/// Line breaks (and any whitespace) removed.
pub(crate) fn normalise(pem: &str) -> String {
    pem.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Where `needle` starts in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}
