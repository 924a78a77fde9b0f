//! What the user signs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::enums::{DocType, SignatureType};
use crate::error::ValidationError;

/// The length of the SHA-256 digest a PDF is signed by.
const SHA256_LEN: usize = 32;

/// What the user signs: a text or HTML document embedded in the signature (`PKCS7`), or a
/// PDF signed by its SHA-256 only (`PKCS7_NO_CONTENT_WITH_ATTR`; the PDF itself never
/// travels).
///
/// `Debug` shows the kind and length, never the content.
///
/// ```
/// use toss_model::DocType;
/// use toss_model::plain::Document;
///
/// let text = Document::text("출금이체에 동의합니다.")?;
/// assert_eq!(text.doc_type(), DocType::Text);
/// assert!(Document::text("  ").is_err());
/// let pdf = Document::pdf(b"%PDF-1.7 ...");
/// assert_eq!(pdf.wire_text().len(), 44); // base64 of 32 bytes
/// # Ok::<(), toss_model::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Document(Kind);

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Text(String),
    Html(String),
    PdfSha256([u8; SHA256_LEN]),
}

impl Document {
    /// Plain text.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyDoc`] when it is empty or only white space.
    pub fn text(text: impl Into<String>) -> Result<Self, ValidationError> {
        not_blank(text.into()).map(|text| Self(Kind::Text(text)))
    }

    /// HTML.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyDoc`] when it is empty or only white space.
    pub fn html(html: impl Into<String>) -> Result<Self, ValidationError> {
        not_blank(html.into()).map(|html| Self(Kind::Html(html)))
    }

    /// A PDF, by the SHA-256 of its bytes.
    #[must_use]
    pub fn pdf(bytes: &[u8]) -> Self {
        Self(Kind::PdfSha256(Sha256::digest(bytes).into()))
    }

    /// A PDF given by its SHA-256 digest.
    #[must_use]
    pub fn pdf_sha256(digest: [u8; SHA256_LEN]) -> Self {
        Self(Kind::PdfSha256(digest))
    }

    /// A document as a sign request carries it in plain text: `doc` of type `doc_type`
    /// (for a PDF, the standard base64 of its SHA-256).
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyDoc`] for a blank text or HTML document,
    /// [`ValidationError::PdfDocNotBase64`] for a PDF digest that is not base64,
    /// [`ValidationError::PdfDigestNotSha256`] for one that is not 32 bytes, and
    /// [`ValidationError::UnknownDocType`] for a type this crate does not know.
    pub fn from_wire(doc_type: &DocType, doc: &str) -> Result<Self, ValidationError> {
        match doc_type {
            DocType::Text => Self::text(doc),
            DocType::Html => Self::html(doc),
            DocType::Pdf => {
                let digest = STANDARD
                    .decode(doc.trim())
                    .map_err(|_| ValidationError::PdfDocNotBase64)?;
                <[u8; SHA256_LEN]>::try_from(digest.as_slice())
                    .map(Self::pdf_sha256)
                    .map_err(|_| ValidationError::PdfDigestNotSha256)
            }
            _ => Err(ValidationError::UnknownDocType),
        }
    }

    /// `docType`.
    #[must_use]
    pub fn doc_type(&self) -> DocType {
        match self.0 {
            Kind::Text(_) => DocType::Text,
            Kind::Html(_) => DocType::Html,
            Kind::PdfSha256(_) => DocType::Pdf,
        }
    }

    /// `signatureType`: `PKCS7` for text and HTML (embedded), `PKCS7_NO_CONTENT_WITH_ATTR`
    /// for a PDF (its digest only).
    #[must_use]
    pub fn signature_type(&self) -> SignatureType {
        match self.0 {
            Kind::Text(_) | Kind::Html(_) => SignatureType::Pkcs7,
            Kind::PdfSha256(_) => SignatureType::Pkcs7NoContentWithAttr,
        }
    }

    /// The `doc` field before any encryption: the text, or the base64 of the PDF's digest.
    #[must_use]
    pub fn wire_text(&self) -> String {
        match &self.0 {
            Kind::Text(text) | Kind::Html(text) => text.clone(),
            Kind::PdfSha256(digest) => STANDARD.encode(digest),
        }
    }

    /// The text of a text or HTML document, as signed; `None` for a PDF.
    #[must_use]
    pub fn content(&self) -> Option<&str> {
        match &self.0 {
            Kind::Text(text) | Kind::Html(text) => Some(text),
            Kind::PdfSha256(_) => None,
        }
    }

    /// The SHA-256 of a PDF; `None` for text and HTML.
    #[must_use]
    pub fn pdf_digest(&self) -> Option<&[u8; SHA256_LEN]> {
        match &self.0 {
            Kind::PdfSha256(digest) => Some(digest),
            _ => None,
        }
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Text(text) => write!(f, "Document::Text({} chars)", text.chars().count()),
            Kind::Html(html) => write!(f, "Document::Html({} chars)", html.chars().count()),
            Kind::PdfSha256(_) => f.write_str("Document::Pdf(sha256)"),
        }
    }
}

fn not_blank(text: String) -> Result<String, ValidationError> {
    if text.trim().is_empty() {
        Err(ValidationError::EmptyDoc)
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_travels_as_the_base64_of_its_sha256() {
        let pdf = Document::pdf(b"%PDF");
        assert_eq!(pdf.doc_type(), DocType::Pdf);
        assert_eq!(pdf.signature_type(), SignatureType::Pkcs7NoContentWithAttr);
        let again = Document::from_wire(&DocType::Pdf, &pdf.wire_text()).unwrap();
        assert_eq!(again, pdf);
        assert_eq!(
            Document::from_wire(&DocType::Pdf, "not base64!"),
            Err(ValidationError::PdfDocNotBase64)
        );
        assert_eq!(
            Document::from_wire(&DocType::Pdf, &STANDARD.encode([0u8; 20])),
            Err(ValidationError::PdfDigestNotSha256)
        );
    }

    #[test]
    fn texts_are_kept_as_given_and_not_blank() {
        let html = Document::from_wire(&DocType::Html, "<p>동의</p>").unwrap();
        assert_eq!(html.content(), Some("<p>동의</p>"));
        assert_eq!(html.signature_type(), SignatureType::Pkcs7);
        assert_eq!(
            Document::from_wire(&DocType::Text, " \n"),
            Err(ValidationError::EmptyDoc)
        );
        assert!(!format!("{html:?}").contains("동의"));
    }
}
