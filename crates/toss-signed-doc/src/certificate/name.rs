//! Distinguished names as text (RFC 4514), with Korean names decoded from UTF8String,
//! BMPString, PrintableString and the other directory string types.

use std::borrow::Cow;

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Any, Encode as _, Tag, Tagged as _};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::Name;

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

/// The name as an RFC 4514 string: the last RDN first, `,` between RDNs, `+` inside one
/// (in the order `x509-cert` keeps them: DER order). Values of string types are decoded and
/// escaped; others are `#` and their DER in hex.
pub(crate) fn to_rfc4514(name: &Name) -> String {
    let mut out = String::with_capacity(64);
    for rdn in name.0.iter().rev() {
        write_rdn(rdn.0.as_slice(), &mut out);
    }
    out
}

/// Appends one RDN, after a `,` unless it is the first.
fn write_rdn(rdn: &[AttributeTypeAndValue], out: &mut String) {
    if !out.is_empty() {
        out.push(',');
    }
    for (j, atv) in rdn.iter().enumerate() {
        if j > 0 {
            out.push('+');
        }
        match short_name(atv.oid.as_bytes()) {
            Some(short) => out.push_str(short),
            None => out.push_str(&atv.oid.to_string()),
        }
        out.push('=');
        match text(&atv.value) {
            Some(text) => escape_into(&text, out),
            None => hex_der_into(&atv.value, out),
        }
    }
}

/// [`to_rfc4514`] of a name, and its most specific (last) common name decoded, in one
/// walk.
pub(crate) fn describe(name: &Name) -> (String, Option<String>) {
    let mut out = String::with_capacity(64);
    let mut common_name = None;
    for rdn in name.0.iter().rev() {
        let rdn = rdn.0.as_slice();
        write_rdn(rdn, &mut out);
        if common_name.is_none() {
            common_name = rdn
                .iter()
                .find(|atv| atv.oid == COMMON_NAME)
                .map(|atv| text(&atv.value).map(Cow::into_owned));
        }
    }
    (out, common_name.flatten())
}

/// The text of a directory string value, or `None` for other types and invalid encodings;
/// borrowed when the bytes are already UTF-8.
fn text(value: &Any) -> Option<Cow<'_, str>> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String => std::str::from_utf8(bytes).ok().map(Cow::Borrowed),
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => bytes
            .is_ascii()
            .then(|| std::str::from_utf8(bytes).ok().map(Cow::Borrowed))
            .flatten(),
        _ => decode_string(AnyRef::from(value)).map(Cow::Owned),
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

/// `#` and the value's DER in hex.
fn hex_der_into(value: &Any, out: &mut String) {
    out.push('#');
    match value.to_der() {
        Ok(der) => out.push_str(&hex::encode(der)),
        Err(_) => out.push('?'),
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
