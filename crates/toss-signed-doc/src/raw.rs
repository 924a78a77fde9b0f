//! A borrowing DER walker: the parser reads the input in place, as TLVs, and decodes only the
//! primitives it needs.
//!
//! The `der`, `cms` and `x509-cert` owned types decode every field into its own allocation
//! (each name attribute, extension and algorithm parameter) and sort each SET OF as they go;
//! a certificate cost about 4.6 µs that way, twice per signedDoc, against the 13 µs of the RSA
//! verification itself. Walking the input in place keeps the same strict DER (the `der`
//! crate's header and primitive decoders do the checking) at a fraction of that, and keeps
//! the exact bytes that signatures cover, which a decode and re-encode could change.
//!
//! Errors carry the absolute offset in the input of the TLV where they occurred.

use const_oid::ObjectIdentifier;
use der::{Decode, Length, Reader as _, SliceReader, Tag};

/// One TLV of the input: its tag, its whole encoding and its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: Tag,
    pub(crate) encoded: &'a [u8],
    pub(crate) value: &'a [u8],
    /// The offset of `encoded` in the whole input, for error positions.
    pub(crate) offset: usize,
}

impl<'a> Tlv<'a> {
    /// Decodes this TLV as a `T`, which must take all of it.
    pub(crate) fn decode<T: Decode<'a>>(&self) -> der::Result<T> {
        T::from_der(self.encoded).map_err(|e| self.relocate(e))
    }

    /// Decodes the value of this EXPLICIT tag as a `T`, which must take all of it.
    pub(crate) fn explicit_decode<T: Decode<'a>>(&self) -> der::Result<T> {
        let mut fields = self.fields()?;
        let value = fields.decode::<T>()?;
        fields.finish()?;
        Ok(value)
    }

    /// The TLVs of this constructed value, in order.
    pub(crate) fn fields(&self) -> der::Result<Fields<'a>> {
        let header_len = self.encoded.len() - self.value.len();
        Fields::new(self.value, self.offset + header_len)
    }

    /// Checks the tag.
    pub(crate) fn expect(self, tag: Tag) -> der::Result<Self> {
        self.tag.assert_eq(tag).map_err(|e| self.relocate(e))?;
        Ok(self)
    }

    /// An error about this TLV's value, at its offset.
    pub(crate) fn value_error(&self) -> der::Error {
        self.relocate(self.tag.value_error())
    }

    /// `error`, with its position (relative to this TLV) made absolute.
    fn relocate(&self, error: der::Error) -> der::Error {
        let relative = error.position().map_or(0, |p| u32::from(p) as usize);
        at(error.kind(), self.offset + relative)
    }
}

/// A cursor over the TLVs of a constructed value.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    input: &'a [u8],
    position: usize,
    /// The offset of `input` in the whole input.
    offset: usize,
}

impl<'a> Fields<'a> {
    /// The TLVs of `value`, which starts at `offset` in the whole input.
    pub(crate) fn new(value: &'a [u8], offset: usize) -> der::Result<Self> {
        Length::try_from(value.len()).map_err(|e| at(e.kind(), offset))?;
        Ok(Self {
            input: value,
            position: 0,
            offset,
        })
    }

    /// Whether every TLV has been read.
    pub(crate) fn is_finished(&self) -> bool {
        self.position >= self.input.len()
    }

    /// The next TLV; an `Incomplete` error when there is none, as `der` reports a missing
    /// field.
    pub(crate) fn next_tlv(&mut self) -> der::Result<Tlv<'a>> {
        self.one_of(&[])
    }

    /// The next TLV, which must have `tag`. As `der` does, the tag is checked before the
    /// value is read.
    pub(crate) fn expect(&mut self, tag: Tag) -> der::Result<Tlv<'a>> {
        self.one_of(&[tag])
    }

    /// The next TLV, which must have one of `tags` (any tag when empty): a CHOICE.
    pub(crate) fn one_of(&mut self, tags: &[Tag]) -> der::Result<Tlv<'a>> {
        let position = self.cursor();
        let relocate = |kind| at(kind, position);
        let (tag, header_len, value_len) = header(self.input, self.position).map_err(relocate)?;
        match tags {
            [] => {}
            [expected] => {
                tag.assert_eq(*expected).map_err(|e| relocate(e.kind()))?;
            }
            _ if tags.contains(&tag) => {}
            _ => return Err(relocate(tag.unexpected_error(None).kind())),
        }
        let end = self.position + header_len + value_len;
        let encoded = self
            .input
            .get(self.position..end)
            .ok_or_else(|| relocate(incomplete(end, self.input.len())))?;
        self.position = end;
        Ok(Tlv {
            tag,
            encoded,
            value: encoded.get(header_len..).unwrap_or_default(),
            offset: position,
        })
    }

    /// Decodes the next field as a `T`, straight from the input: `der`'s own checks, in its
    /// order (a length refused before the value is read, for instance).
    pub(crate) fn decode<T: Decode<'a>>(&mut self) -> der::Result<T> {
        let position = self.cursor();
        let rest = self.input.get(self.position..).unwrap_or_default();
        let mut reader = SliceReader::new(rest).map_err(|e| at(e.kind(), position))?;
        let value = T::decode(&mut reader).map_err(|e| {
            let at_position = e
                .position()
                .map_or(position, |p| position + u32::from(p) as usize);
            at(e.kind(), at_position)
        })?;
        self.position += u32::from(reader.position()) as usize;
        Ok(value)
    }

    /// An OBJECT IDENTIFIER, checked as `der` decodes one.
    pub(crate) fn oid(&mut self) -> der::Result<ObjectIdentifier> {
        let position = self.cursor();
        let bytes = self.oid_bytes()?;
        ObjectIdentifier::from_bytes(bytes).map_err(|e| at(der::Error::from(e).kind(), position))
    }

    /// An OBJECT IDENTIFIER's bytes, checked as `der` and `const-oid` decode one (at most
    /// 39 bytes, well-formed arcs) but not copied: names, extensions and algorithms hold
    /// dozens that are only compared.
    pub(crate) fn oid_bytes(&mut self) -> der::Result<&'a [u8]> {
        let position = self.cursor();
        let relocate = |kind| at(kind, position);
        let (tag, header_len, value_len) = header(self.input, self.position).map_err(relocate)?;
        tag.assert_eq(Tag::ObjectIdentifier)
            .map_err(|e| relocate(e.kind()))?;
        if value_len > ObjectIdentifier::MAX_SIZE {
            return Err(relocate(Tag::ObjectIdentifier.length_error().kind()));
        }
        let end = self.position + header_len + value_len;
        let value = self
            .input
            .get(self.position + header_len..end)
            .ok_or_else(|| relocate(incomplete(end, self.input.len())))?;
        self.position = end;
        if !oid_is_valid(value) {
            return Err(relocate(der::ErrorKind::OidMalformed));
        }
        Ok(value)
    }

    /// An `AlgorithmIdentifier` (a SEQUENCE of an OBJECT IDENTIFIER and optional
    /// parameters of any type), as `spki` decodes one; its OID.
    pub(crate) fn algorithm(&mut self) -> der::Result<ObjectIdentifier> {
        let mut fields = self.expect(Tag::Sequence)?.fields()?;
        let oid = fields.oid()?;
        if !fields.is_finished() {
            fields.next_tlv()?;
        }
        fields.finish()?;
        Ok(oid)
    }

    /// An `AlgorithmIdentifier` checked, its OID's bytes.
    pub(crate) fn algorithm_bytes(&mut self) -> der::Result<&'a [u8]> {
        let mut fields = self.expect(Tag::Sequence)?.fields()?;
        let oid = fields.oid_bytes()?;
        if !fields.is_finished() {
            fields.next_tlv()?;
        }
        fields.finish()?;
        Ok(oid)
    }

    /// The offset in the whole input of the next field.
    pub(crate) fn cursor(&self) -> usize {
        self.offset + self.position
    }

    /// The next TLV if it has `tag`; nothing is read otherwise.
    pub(crate) fn optional(&mut self, tag: Tag) -> der::Result<Option<Tlv<'a>>> {
        match self.input.get(self.position) {
            None => Ok(None),
            Some(&byte) => {
                let next = Tag::try_from(byte).map_err(|e| at(e.kind(), self.cursor()))?;
                if next == tag {
                    self.next_tlv().map(Some)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Succeeds only if every TLV has been read.
    pub(crate) fn finish(self) -> der::Result<()> {
        if self.is_finished() {
            return Ok(());
        }
        let kind = match (
            Length::try_from(self.position),
            Length::try_from(self.input.len() - self.position),
        ) {
            (Ok(decoded), Ok(remaining)) => der::ErrorKind::TrailingData { decoded, remaining },
            _ => der::ErrorKind::Overflow,
        };
        Err(at(kind, self.cursor()))
    }
}

/// The tag, header length and value length of the TLV at `input[position..]`, checked as
/// `der` decodes a header: a known tag, a definite length in at most four bytes, minimally
/// encoded. Whether the value is all there is left to the caller.
fn header(input: &[u8], position: usize) -> Result<(Tag, usize, usize), der::ErrorKind> {
    let byte = |i: usize| {
        input
            .get(position + i)
            .copied()
            .ok_or_else(|| incomplete(position + i + 1, input.len()))
    };
    let tag = match byte(0)? {
        // The tags a signedDoc is made of, without `der`'s general conversion.
        0x30 => Tag::Sequence,
        0x31 => Tag::Set,
        0x06 => Tag::ObjectIdentifier,
        0x02 => Tag::Integer,
        0x04 => Tag::OctetString,
        0x03 => Tag::BitString,
        0x05 => Tag::Null,
        0x0c => Tag::Utf8String,
        0x13 => Tag::PrintableString,
        other => Tag::try_from(other).map_err(der::Error::kind)?,
    };
    match byte(1)? {
        short @ 0..=0x7f => Ok((tag, 2, usize::from(short))),
        0x80 => Err(der::ErrorKind::IndefiniteLength),
        first @ 0x81..=0x84 => {
            let count = usize::from(first - 0x80);
            let mut value: u32 = 0;
            for i in 0..count {
                value = (value << 8) | u32::from(byte(2 + i)?);
            }
            Length::try_from(value).map_err(der::Error::kind)?;
            let minimal = match value {
                0..=0x7f => 0x80,
                0x80..=0xff => 0x81,
                0x100..=0xffff => 0x82,
                0x1_0000..=0xff_ffff => 0x83,
                _ => 0x84,
            };
            if first != minimal {
                return Err(der::ErrorKind::Length { tag });
            }
            Ok((tag, 2 + count, value as usize))
        }
        _ => Err(der::ErrorKind::Length { tag }),
    }
}

/// Whether `bytes` are an OBJECT IDENTIFIER `const-oid` 0.9 accepts: 3 to 39 bytes, a first
/// byte below 120 (first arc 0 to 2), and base-128 arcs each complete, any byte after an
/// arc's fourth below 0x10.
pub(crate) fn oid_is_valid(bytes: &[u8]) -> bool {
    let Some((&first, arcs)) = bytes.split_first() else {
        return false;
    };
    if !(3..=ObjectIdentifier::MAX_SIZE).contains(&bytes.len()) || first >= 120 {
        return false;
    }
    let mut arc_bytes = 0usize;
    for &byte in arcs {
        arc_bytes += 1;
        if arc_bytes > 4 && byte & 0xf0 != 0 {
            return false;
        }
        if byte & 0x80 == 0 {
            arc_bytes = 0;
        }
    }
    arc_bytes == 0
}

/// `der`'s error for input that ends before `expected` bytes.
fn incomplete(expected: usize, actual: usize) -> der::ErrorKind {
    match (Length::try_from(expected), Length::try_from(actual)) {
        (Ok(expected_len), Ok(actual_len)) => der::ErrorKind::Incomplete {
            expected_len,
            actual_len,
        },
        _ => der::ErrorKind::Overflow,
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = der::Result<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.is_finished() {
            None
        } else {
            Some(self.next_tlv())
        }
    }
}

/// Reads the single TLV that is the whole of `input` with `read`, then checks that nothing
/// follows it.
pub(crate) fn single<'a, T>(
    input: &'a [u8],
    tag: Tag,
    read: impl FnOnce(Tlv<'a>) -> der::Result<T>,
) -> der::Result<T> {
    let mut fields = Fields::new(input, 0)?;
    let out = read(fields.expect(tag)?)?;
    fields.finish()?;
    Ok(out)
}

/// The one TLV inside an EXPLICIT tag, whatever its tag (an `ANY`).
pub(crate) fn explicit<'a>(tagged: &Tlv<'a>) -> der::Result<Tlv<'a>> {
    explicit_with(tagged, &[], Ok)
}

/// Reads the one TLV inside an EXPLICIT tag, which has one of `tags` (any when empty), with
/// `read`, then checks that nothing follows it.
pub(crate) fn explicit_with<'a, T>(
    tagged: &Tlv<'a>,
    tags: &[Tag],
    read: impl FnOnce(Tlv<'a>) -> der::Result<T>,
) -> der::Result<T> {
    let mut fields = tagged.fields()?;
    let out = read(fields.one_of(tags)?)?;
    fields.finish()?;
    Ok(out)
}

/// Reads the elements of a SET OF in order, each with one of `tags` (any when empty) and
/// with `read`, then checks that no element occurs twice, as the `der` crate decodes a SET
/// OF.
pub(crate) fn set_of<'a, T>(
    set: &Tlv<'a>,
    tags: &[Tag],
    mut read: impl FnMut(Tlv<'a>) -> der::Result<T>,
) -> der::Result<Vec<T>> {
    let mut out = Vec::new();
    let mut elements = set.fields()?;
    while !elements.is_finished() {
        out.push(read(elements.one_of(tags)?)?);
    }
    if out.len() > 1 {
        let elements = set.fields()?.collect::<der::Result<Vec<_>>>()?;
        for (i, element) in elements.iter().enumerate() {
            if elements[..i].iter().any(|e| e.encoded == element.encoded) {
                return Err(at(der::ErrorKind::SetDuplicate, element.offset));
            }
        }
    }
    Ok(out)
}

/// An error of `kind` at an absolute `position`.
pub(crate) fn at(kind: der::ErrorKind, position: usize) -> der::Error {
    der::Error::new(kind, Length::try_from(position).unwrap_or(Length::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_checks_agree_with_const_oid() {
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x2a],
            vec![0x2a, 0x86],
            vec![0x2a, 0x86, 0x48],
            vec![0x55, 0x04, 0x03],
            vec![0x78, 0x01, 0x02],
            vec![0x77, 0x01, 0x02],
            vec![0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02],
            vec![0x2a, 0x8f, 0xff, 0xff, 0xff, 0x7f],
            vec![0x2a, 0x8f, 0xff, 0xff, 0xff, 0x0f],
            vec![0x2a, 0x80, 0x80, 0x80, 0x80, 0x01],
            vec![0x2a, 0x80, 0x80, 0x80, 0x01],
            vec![0x2a, 0x03, 0x81],
            vec![0x2a; 39],
            vec![0x2a; 40],
        ];
        // Every three-byte OID, and some longer ones.
        for a in 0..=255u8 {
            for b in [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff] {
                cases.push(vec![0x2a, a, b]);
                cases.push(vec![a, b, 0x01]);
                cases.push(vec![0x2a, 0x81, a, b, 0x8f, 0x05]);
            }
        }
        for case in cases {
            assert_eq!(
                oid_is_valid(&case),
                ObjectIdentifier::from_bytes(&case).is_ok(),
                "{case:02x?}"
            );
        }
    }

    #[test]
    fn headers_are_checked_as_der_checks_them() {
        for (input, expected) in [
            (&[0x04, 0x01, 0xaa][..], Some(3)),
            (&[0x04, 0x81, 0x01, 0xaa], None),
            (&[0x04, 0x80], None),
            (&[0x04, 0x85, 0, 0, 0, 0, 1], None),
            (&[0x04, 0x02, 0xaa], None),
            (&[0x1f, 0x01, 0xaa], None),
        ] {
            let ours = single(input, Tag::OctetString, |t| Ok(t.encoded.len())).ok();
            let theirs = der::asn1::OctetStringRef::from_der(input)
                .ok()
                .map(|_| input.len());
            assert_eq!(ours, expected, "{input:02x?}");
            assert_eq!(theirs, expected, "{input:02x?}");
        }
        let long: Vec<u8> = [0x04, 0x81, 0x80].into_iter().chain([7; 128]).collect();
        assert_eq!(
            single(&long, Tag::OctetString, |t| Ok(t.value.len())),
            Ok(128)
        );
    }
}
