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

/// A DER TLV tree, to edit a fixture and encode it again with its lengths right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tlv {
    /// A primitive value (or one not opened).
    Primitive(u8, Vec<u8>),
    /// A constructed value and its TLVs.
    Constructed(u8, Vec<Self>),
}

impl Tlv {
    /// Every TLV of `der`, constructed ones opened.
    pub(crate) fn parse_all(mut der: &[u8]) -> Vec<Self> {
        let mut out = Vec::new();
        while !der.is_empty() {
            let tag = der[0];
            let (header, len) = match der[1] {
                short @ 0..=0x7f => (2, usize::from(short)),
                0x81 => (3, usize::from(der[2])),
                0x82 => (4, usize::from(der[2]) << 8 | usize::from(der[3])),
                other => panic!("length form {other:#x}"),
            };
            let value = &der[header..header + len];
            out.push(if tag & 0x20 != 0 {
                Self::Constructed(tag, Self::parse_all(value))
            } else {
                Self::Primitive(tag, value.to_vec())
            });
            der = &der[header + len..];
        }
        out
    }

    /// The one TLV that is `der`.
    pub(crate) fn parse(der: &[u8]) -> Self {
        let mut all = Self::parse_all(der);
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    /// The DER.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let (tag, value) = match self {
            Self::Primitive(tag, value) => (*tag, value.clone()),
            Self::Constructed(tag, children) => {
                (*tag, children.iter().flat_map(Self::encode).collect())
            }
        };
        let mut out = vec![tag];
        match value.len() {
            len @ 0..=0x7f => out.push(len as u8),
            len @ 0x80..=0xff => out.extend([0x81, len as u8]),
            len => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend(value);
        out
    }

    /// The TLVs of a constructed value.
    pub(crate) fn children(&mut self) -> &mut Vec<Self> {
        match self {
            Self::Constructed(_, children) => children,
            Self::Primitive(..) => panic!("not constructed"),
        }
    }

    /// The TLV at `path`: child indices from this one.
    pub(crate) fn at(&mut self, path: &[usize]) -> &mut Self {
        path.iter().fold(self, |tlv, &i| &mut tlv.children()[i])
    }

    /// The tag.
    pub(crate) fn tag_mut(&mut self) -> &mut u8 {
        match self {
            Self::Primitive(tag, _) | Self::Constructed(tag, _) => tag,
        }
    }
}

/// Where things are in a fixture's ContentInfo: `[1, 0]` is the SignedData.
pub(crate) const SIGNED_DATA: [usize; 2] = [1, 0];
