//! Distinguished names as text (RFC 4514), with Korean names decoded from UTF8String,
//! BMPString PrintableString and the other directory string types.

use std::borrow::Cow;
use std::cmp::Ordering;

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Tag, Tagged as _};

use crate::raw::{self, Tlv};

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Short names of the attribute types RFC 4514 lists, and a few more seen in Korean
/// certificates.
const SHORT_NAMES: [(ObjectIdentifier, &str); 13] = [
    (COMMON_NAME, "CN"),
    (ObjectIdentifier::new_unwrap("2.5.4.6"), "C"),
    (ObjectIdentifier::new_unwrap("2.5.4.7"), "L"),
    (ObjectIdentifier::new_unwrap("2.5.4.8"), "ST"),
    (ObjectIdentifier::new_unwrap("2.5.4.9"), "STREET"),
    (ObjectIdentifier::new_unwrap("2.5.4.10"), "O"),
    (ObjectIdentifier::new_unwrap("2.5.4.11"), "OU"),
    (ObjectIdentifier::new_unwrap("2.5.4.5"), "serialNumber"),
    (ObjectIdentifier::new_unwrap("2.5.4.4"), "SN"),
    (ObjectIdentifier::new_unwrap("2.5.4.42"), "GN"),
    (
        ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1"),
        "UID",
    ),
    (
        ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.25"),
        "DC",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1"),
        "emailAddress",
    ),
];

/// The short name of an attribute type (its OID's bytes), if it has one.
fn short_name(oid: &[u8]) -> Option<&'static str> {
    match oid {
        // id-at (2.5.4.x), most of a name.
        [0x55, 0x04, number] => match number {
            3 => Some("CN"),
            4 => Some("SN"),
            5 => Some("serialNumber"),
            6 => Some("C"),
            7 => Some("L"),
            8 => Some("ST"),
            9 => Some("STREET"),
            10 => Some("O"),
            11 => Some("OU"),
            42 => Some("GN"),
            _ => None,
        },
        _ => SHORT_NAMES
            .iter()
            .find(|(known, _)| known.as_bytes() == oid)
            .map(|(_, short)| *short),
    }
}

/// One attribute of a name as encoded: its type's TLV and its value's.
#[derive(Debug, Clone, Copy)]
struct NameAttribute<'a> {
    oid: Tlv<'a>,
    value: Tlv<'a>,
}

impl NameAttribute<'_> {
    /// The order the `der` crate sorts a SET OF attributes in: by the type's DER, then by
    /// the value's.
    fn cmp_der(&self, other: &Self) -> Ordering {
        (self.oid.encoded, self.value.encoded).cmp(&(other.oid.encoded, other.value.encoded))
    }

    fn is(&self, oid: &ObjectIdentifier) -> bool {
        self.oid.value == oid.as_bytes()
    }
}

/// Checks that `name` is a DER `Name` (RDNSequence): a SEQUENCE OF SET OF
/// `AttributeTypeAndValue` (an OBJECT IDENTIFIER and any one value), no SET with a repeated
/// attribute, as `x509-cert` decodes one.
pub(crate) fn validate(name: &Tlv<'_>) -> der::Result<()> {
    name.tag.assert_eq(Tag::Sequence)?;
    let mut rdns = name.fields()?;
    while !rdns.is_finished() {
        let rdn = rdns.expect(Tag::Set)?;
        raw::set_of(&rdn, &[Tag::Sequence], |atv| {
            let mut fields = atv.fields()?;
            fields.oid_bytes()?;
            fields.next_tlv()?;
            fields.finish()
        })?;
    }
    Ok(())
}

/// Calls `f` with the attributes of each RDN of a name checked by [`validate`], the last
/// RDN first (as RFC 4514 writes them), each RDN's attributes in the `der` crate's order.
fn for_each_rdn_reversed<'a>(name: &'a [u8], mut f: impl FnMut(&[NameAttribute<'a>])) {
    let Ok(fields) = raw::single(name, Tag::Sequence, |name| name.fields()) else {
        return;
    };
    let rdns: Vec<Tlv<'a>> = fields.filter_map(Result::ok).collect();
    let mut attributes: Vec<NameAttribute<'a>> = Vec::with_capacity(1);
    for rdn in rdns.iter().rev() {
        attributes.clear();
        for atv in rdn.fields().into_iter().flatten().filter_map(Result::ok) {
            let Ok(mut fields) = atv.fields() else {
                continue;
            };
            if let (Ok(oid), Ok(value)) = (fields.next_tlv(), fields.next_tlv()) {
                attributes.push(NameAttribute { oid, value });
            }
        }
        if attributes.len() > 1 {
            attributes.sort_by(NameAttribute::cmp_der);
        }
        f(&attributes);
    }
}

/// Whether two DER names are the same name: the same bytes, or the same attributes once
/// multi-valued RDNs are put in order (as decoding them with `x509-cert` would).
pub(crate) fn equal(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let collect = |name| {
        let mut rdns: Vec<Vec<(&[u8], &[u8])>> = Vec::new();
        for_each_rdn_reversed(name, |rdn| {
            rdns.push(
                rdn.iter()
                    .map(|atv| (atv.oid.encoded, atv.value.encoded))
                    .collect(),
            );
        });
        rdns
    };
    collect(a) == collect(b)
}

/// The name (DER, checked by [`validate`]) as an RFC 4514 string: the last RDN first, `,`
/// between RDNs, `+` inside one. Values of string types are decoded and escaped; others
/// are `#` and their DER in hex.
pub(crate) fn to_rfc4514(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for_each_rdn_reversed(name, |rdn| write_rdn(rdn, &mut out));
    out
}

/// Appends one RDN, after a `,` unless it is the first.
fn write_rdn(rdn: &[NameAttribute<'_>], out: &mut String) {
    if !out.is_empty() {
        out.push(',');
    }
    for (j, atv) in rdn.iter().enumerate() {
        if j > 0 {
            out.push('+');
        }
        match short_name(atv.oid.value) {
            Some(short) => out.push_str(short),
            None => match ObjectIdentifier::from_bytes(atv.oid.value) {
                Ok(oid) => out.push_str(&oid.to_string()),
                Err(_) => out.push('?'),
            },
        }
        out.push('=');
        match text(&atv.value) {
            Some(text) => escape_into(&text, out),
            None => hex_der_into(atv.value.encoded, out),
        }
    }
}

/// [`to_rfc4514`] of a name, and its most specific (last) common name decoded, in one
/// walk.
pub(crate) fn describe(name: &[u8]) -> (String, Option<String>) {
    let mut out = String::with_capacity(name.len());
    let mut common_name = None;
    for_each_rdn_reversed(name, |rdn| {
        write_rdn(rdn, &mut out);
        if common_name.is_none() {
            common_name = rdn
                .iter()
                .find(|atv| atv.is(&COMMON_NAME))
                .map(|atv| text(&atv.value).map(Cow::into_owned));
        }
    });
    (out, common_name.flatten())
}

/// The text of a directory string value, or `None` for other types and invalid encodings;
/// borrowed when the bytes are already UTF-8.
fn text<'a>(value: &Tlv<'a>) -> Option<Cow<'a, str>> {
    let bytes = value.value;
    match value.tag {
        Tag::Utf8String => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => bytes
            .is_ascii()
            .then(|| std::str::from_utf8(bytes).ok().map(Cow::Borrowed))
            .flatten(),
        _ => decode_string(AnyRef::new(value.tag, bytes).ok()?).map(Cow::Owned),
    }
}

/// The text of a directory string value, or `None` for other types and invalid encodings.
fn decode_string(value: AnyRef<'_>) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String => std::str::from_utf8(bytes).ok().map(str::to_owned),
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => bytes
            .is_ascii()
            .then(|| bytes.iter().map(|&b| char::from(b)).collect()),
        // T.61 in theory, Latin-1 in practice.
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

/// RFC 4514 §2.4 escaping.
fn escape_into(text: &str, out: &mut String) {
    let plain = !text.starts_with(['#', ' '])
        && !text.ends_with(' ')
        && !text
            .bytes()
            .any(|b| matches!(b, b'"' | b'+' | b',' | b';' | b'<' | b'>' | b'\\' | 0));
    if plain {
        out.push_str(text);
        return;
    }
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
}

fn hex_der_into(der: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('#');
    for byte in der {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode as _;

    #[test]
    fn short_names_match_the_table() {
        for (oid, short) in SHORT_NAMES {
            assert_eq!(short_name(oid.as_bytes()), Some(short), "{oid}");
        }
        let other = ObjectIdentifier::new_unwrap("2.5.4.12");
        assert_eq!(short_name(other.as_bytes()), None);
    }

    #[test]
    fn escapes_rfc4514_specials() {
        let mut out = String::new();
        escape_into(" #a,b+c\\ ", &mut out);
        assert_eq!(out, "\\ #a\\,b\\+c\\\\\\ ");
        let mut out = String::new();
        escape_into("#x", &mut out);
        assert_eq!(out, "\\#x");
    }

    #[test]
    fn decodes_bmp_strings() {
        // BMPString "홍길동".
        let bmp = [0x1e, 0x06, 0xd6, 0x4d, 0xae, 0x38, 0xb3, 0xd9];
        let any = AnyRef::from_der(&bmp).unwrap();
        assert_eq!(decode_string(any).as_deref(), Some("홍길동"));
        // An odd-length BMPString is not text.
        let odd = [0x1e, 0x01, 0x41];
        let any = AnyRef::from_der(&odd).unwrap();
        assert_eq!(decode_string(any), None);
    }
}
