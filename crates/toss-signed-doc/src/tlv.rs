//! The input bytes behind what `cms` and `x509-cert` decode.
//!
//! Their owned structures keep the values, not the encoding: a SET OF is re-sorted as it is
//! decoded, so re-encoding one need not give the bytes a signature covers. The signatures
//! are checked over the input itself, split here into TLVs with `der`'s header decoder; each
//! part is decoded (and so checked) by `cms` or `x509-cert` from exactly its own bytes.
//!
//! Errors carry the offset in the whole input where they occurred, as far as `der` knows it.

use der::{Decode as _, Header, Length, Reader as _, SliceReader, Tag};

/// The TLVs inside the constructed TLV `tlv` (which must be one whole TLV with `tag`), each
/// whole, in input order, with their offsets in the whole input. `offset` is `tlv`'s.
pub(crate) fn fields(tlv: &[u8], tag: Tag, offset: usize) -> der::Result<Vec<(usize, &[u8])>> {
    let mut reader = SliceReader::new(tlv).map_err(|e| at(e, offset))?;
    let header = Header::decode(&mut reader).map_err(|e| at(e, offset))?;
    header.tag.assert_eq(tag).map_err(|e| at(e, offset))?;
    let value_offset = offset + usize_of(reader.position());
    let value = reader
        .read_slice(header.length)
        .map_err(|e| at(e, offset))?;
    reader.finish(()).map_err(|e| at(e, offset))?;
    let mut reader = SliceReader::new(value).map_err(|e| at(e, value_offset))?;
    let mut fields = Vec::new();
    while !reader.is_finished() {
        let position = value_offset + usize_of(reader.position());
        fields.push((
            position,
            reader.tlv_bytes().map_err(|e| at(e, value_offset))?,
        ));
    }
    Ok(fields)
}

/// Calls `read` with each element of the SET OF `set` (one whole TLV with `tag`, at
/// `offset`), whole and with its offset, in input order, each read before the next is
/// looked at; then refuses a SET OF with an element that occurs twice, as `der` does.
///
/// As `der` does, an element's tag is checked (one of `element_tags`) before its length.
pub(crate) fn for_each_element<'a>(
    set: &'a [u8],
    tag: Tag,
    element_tags: &[Tag],
    offset: usize,
    mut read: impl FnMut(usize, &'a [u8]) -> der::Result<()>,
) -> der::Result<()> {
    let mut reader = SliceReader::new(set).map_err(|e| at(e, offset))?;
    let header = Header::decode(&mut reader).map_err(|e| at(e, offset))?;
    header.tag.assert_eq(tag).map_err(|e| at(e, offset))?;
    let mut elements: Vec<(usize, &[u8])> = Vec::new();
    while !reader.is_finished() {
        let position = offset + usize_of(reader.position());
        let element_tag = reader.peek_tag().map_err(|e| at(e, offset))?;
        if !element_tags.contains(&element_tag) {
            return Err(error_at(
                element_tag.unexpected_error(None).kind(),
                position,
            ));
        }
        let element = reader.tlv_bytes().map_err(|e| at(e, offset))?;
        read(position, element)?;
        elements.push((position, element));
    }
    for (i, (position, element)) in elements.iter().enumerate() {
        if elements[..i].iter().any(|(_, earlier)| earlier == element) {
            return Err(error_at(der::ErrorKind::SetDuplicate, *position));
        }
    }
    Ok(())
}

/// `error`, which occurred in a value that starts at `offset` in the whole input, with its
/// position made absolute.
pub(crate) fn at(error: der::Error, offset: usize) -> der::Error {
    let relative = error.position().map_or(0, usize_of);
    der::Error::new(error.kind(), length(offset + relative))
}

/// An error of `kind` at `position` in the whole input.
pub(crate) fn error_at(kind: der::ErrorKind, position: usize) -> der::Error {
    der::Error::new(kind, length(position))
}

fn length(position: usize) -> Length {
    Length::try_from(position).unwrap_or(Length::MAX)
}

/// A `der` length or position as a `usize`.
pub(crate) fn usize_of(length: Length) -> usize {
    u32::from(length) as usize
}
