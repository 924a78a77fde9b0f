//! The exact bytes that signatures cover, taken from the input rather than re-encoded.
//!
//! The `der` crate sorts a SET OF when it decodes one, so re-encoding a decoded SignerInfo's
//! signed attributes (or a certificate's name) could silently change the bytes a signature
//! was made over. This walker finds them in the input as they are.

use der::{Reader as _, SliceReader, Tag, TagNumber};

/// One TLV of the input: its tag, its whole encoding and its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: Tag,
    pub(crate) encoded: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// The TLVs inside a constructed value, in order.
pub(crate) fn elements(value: &[u8]) -> der::Result<Vec<Tlv<'_>>> {
    let mut reader = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(tlv(&mut reader)?);
    }
    Ok(out)
}

/// The single TLV that is the whole of `input`.
pub(crate) fn single(input: &[u8]) -> der::Result<Tlv<'_>> {
    let mut reader = SliceReader::new(input)?;
    let tlv = tlv(&mut reader)?;
    reader.finish(tlv)
}

fn tlv<'a>(reader: &mut SliceReader<'a>) -> der::Result<Tlv<'a>> {
    let header = reader.peek_header()?;
    let encoded = reader.tlv_bytes()?;
    let value_len = usize::try_from(header.length)?;
    let value_start = encoded
        .len()
        .checked_sub(value_len)
        .ok_or_else(|| header.tag.length_error())?;
    Ok(Tlv {
        tag: header.tag,
        encoded,
        value: encoded.get(value_start..).unwrap_or_default(),
    })
}

/// What a signature check needs verbatim from a `ContentInfo` holding a `SignedData`.
#[derive(Debug, Default)]
pub(crate) struct RawSignedData<'a> {
    /// Each certificate (`CertificateChoices` of the `certificate` form), in input order.
    pub(crate) certificates: Vec<&'a [u8]>,
    /// Each SignerInfo's `[0] IMPLICIT` signed attributes, whole, in input order.
    pub(crate) signed_attributes: Vec<Option<&'a [u8]>>,
}

const CONTEXT_0: Tag = Tag::ContextSpecific {
    constructed: true,
    number: TagNumber::N0,
};

/// Walks `ContentInfo` → `SignedData` for the raw certificates and signed attributes.
/// Call it only on input that the typed decoder accepted.
pub(crate) fn signed_data(input: &[u8]) -> der::Result<RawSignedData<'_>> {
    let content_info = single(input)?;
    let content = nth(&elements(content_info.value)?, 1)?;
    let signed_data = single(content.value)?;
    let fields = elements(signed_data.value)?;
    let mut raw = RawSignedData::default();
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos.
    for field in fields.iter().skip(3) {
        if field.tag == CONTEXT_0 {
            raw.certificates = elements(field.value)?
                .into_iter()
                .filter(|c| c.tag == Tag::Sequence)
                .map(|c| c.encoded)
                .collect();
        } else if field.tag == Tag::Set {
            for signer_info in elements(field.value)? {
                let parts = elements(signer_info.value)?;
                // version, sid, digestAlgorithm, [0] signedAttrs?
                let attrs = parts
                    .get(3)
                    .filter(|p| p.tag == CONTEXT_0)
                    .map(|p| p.encoded);
                raw.signed_attributes.push(attrs);
            }
        }
    }
    Ok(raw)
}

/// The `tbsCertificate` of a certificate, verbatim.
pub(crate) fn tbs_certificate(certificate: &[u8]) -> der::Result<&[u8]> {
    let certificate = single(certificate)?;
    Ok(nth(&elements(certificate.value)?, 0)?.encoded)
}

fn nth<'a>(tlvs: &[Tlv<'a>], index: usize) -> der::Result<Tlv<'a>> {
    tlvs.get(index)
        .copied()
        .ok_or_else(|| Tag::Sequence.value_error())
}
