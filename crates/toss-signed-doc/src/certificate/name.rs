//! Distinguished names as text (RFC 4514), with Korean names decoded from UTF8String,
//! BMPString PrintableString and the other directory string types.

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Tag, Tagged as _};
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

/// The name as an RFC 4514 string: the last RDN first, `,` between RDNs, `+` inside one.
/// Values of string types are decoded and escaped; others are `#` and their DER in hex.
pub(crate) fn to_rfc4514(name: &Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            match SHORT_NAMES.iter().find(|(oid, _)| *oid == atv.oid) {
                Some((_, short)) => out.push_str(short),
                None => out.push_str(&atv.oid.to_string()),
            }
            out.push('=');
            match decode_string((&atv.value).into()) {
                Some(text) => escape_into(&text, &mut out),
                None => hex_der_into((&atv.value).into(), &mut out),
            }
        }
    }
    out
}

/// The most specific (last) common name, decoded.
pub(crate) fn common_name(name: &Name) -> Option<String> {
    name.0
        .iter()
        .rev()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == COMMON_NAME)
        .and_then(|atv| decode_string((&atv.value).into()))
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

fn hex_der_into(value: AnyRef<'_>, out: &mut String) {
    out.push('#');
    match der::Encode::to_der(&value) {
        Ok(der) => {
            for byte in der {
                out.push_str(&format!("{byte:02x}"));
            }
        }
        Err(_) => out.push_str("??"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode as _;

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
