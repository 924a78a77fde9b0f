//! The signed attributes: `contentType`, `messageDigest` and `signingTime` (RFC 5652 §11).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_TIME};
use der::Tag;
use der::asn1::OctetStringRef;
use time::OffsetDateTime;
use x509_cert::time::Time;

use crate::certificate::to_offset_date_time;
use crate::error::{Error, Malformed};
use crate::raw::{self, Tlv};

/// The universal, constructed SET tag.
const SET_TAG: u8 = 0x31;

/// One `Attribute` as found in the input: its type and its values.
#[derive(Debug, Clone)]
pub(crate) struct RawAttribute<'a> {
    oid: &'a [u8],
    values: Vec<Tlv<'a>>,
}

/// Reads a SET OF `Attribute` (its tag may be an IMPLICIT one): each a SEQUENCE of an OBJECT
/// IDENTIFIER and a SET OF values, no attribute and no value repeated, as `x509-cert`
/// decodes `Attributes`.
pub(crate) fn read<'a>(attributes: &Tlv<'a>) -> der::Result<Vec<RawAttribute<'a>>> {
    raw::set_of(attributes, &[Tag::Sequence], |attribute| {
        let mut fields = attribute.expect(Tag::Sequence)?.fields()?;
        let oid = fields.oid_bytes()?;
        let values = raw::set_of(&fields.expect(Tag::Set)?, &[], Ok)?;
        fields.finish()?;
        Ok(RawAttribute { oid, values })
    })
}

/// The signed attributes of the SignerInfo, decoded, with the exact bytes the signature is
/// over.
#[derive(Clone)]
pub(crate) struct SignedAttributes {
    /// The DER of the attributes as a `SET OF` (RFC 5652 §5.4): the input's `[0] IMPLICIT`
    /// tag replaced with the universal SET tag, everything else verbatim.
    pub(crate) signed_bytes: Vec<u8>,
    pub(crate) content_type: ObjectIdentifier,
    pub(crate) message_digest: Vec<u8>,
    pub(crate) signing_time: Option<OffsetDateTime>,
}

impl SignedAttributes {
    /// The `[0] IMPLICIT SignedAttributes` field, whole as found in the input, and its
    /// attributes as [`read`] found them.
    pub(crate) fn parse(
        implicit: &Tlv<'_>,
        attributes: &[RawAttribute<'_>],
    ) -> Result<Self, Error> {
        let mut signed_bytes = implicit.encoded.to_vec();
        if let Some(tag) = signed_bytes.first_mut() {
            *tag = SET_TAG;
        }
        let content_type = single_value(attributes, ID_CONTENT_TYPE, "contentType")?
            .ok_or(Malformed::NoContentType)?
            .decode::<ObjectIdentifier>()
            .map_err(|_| Malformed::InvalidAttribute {
                attribute: "contentType",
            })?;
        let message_digest = single_value(attributes, ID_MESSAGE_DIGEST, "messageDigest")?
            .ok_or(Malformed::NoMessageDigest)?
            .decode::<OctetStringRef<'_>>()
            .map_err(|_| Malformed::InvalidAttribute {
                attribute: "messageDigest",
            })?
            .as_bytes()
            .to_vec();
        let signing_time = match single_value(attributes, ID_SIGNING_TIME, "signingTime")? {
            None => None,
            Some(value) => {
                let invalid = Malformed::InvalidAttribute {
                    attribute: "signingTime",
                };
                let time = value.decode::<Time>().map_err(|_| invalid.clone())?;
                Some(to_offset_date_time(time).ok_or(invalid)?)
            }
        };
        Ok(Self {
            signed_bytes,
            content_type,
            message_digest,
            signing_time,
        })
    }
}

/// The one value of the attribute `oid`, `None` if absent; an error if it occurs twice or
/// has other than one value.
fn single_value<'a>(
    attributes: &[RawAttribute<'a>],
    oid: ObjectIdentifier,
    attribute: &'static str,
) -> Result<Option<Tlv<'a>>, Malformed> {
    let mut found = attributes.iter().filter(|a| a.oid == oid.as_bytes());
    let Some(first) = found.next() else {
        return Ok(None);
    };
    match (found.next(), first.values.as_slice()) {
        (None, [value]) => Ok(Some(*value)),
        _ => Err(Malformed::AttributeCardinality { attribute }),
    }
}
