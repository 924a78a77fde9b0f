//! The signed attributes: `contentType`, `messageDigest` and `signingTime` (RFC 5652 §11).

use cms::signed_data::SignedAttributes as Attributes;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_TIME};
use der::asn1::{GeneralizedTime, OctetStringRef, UtcTime};
use der::{Any, Tag, Tagged as _};
use time::OffsetDateTime;
use x509_cert::time::Time;

use crate::certificate::to_offset_date_time;
use crate::error::{Error, Malformed};

/// The universal, constructed SET tag.
const SET_TAG: u8 = 0x31;

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
    /// attributes as `cms` decoded them from it.
    pub(crate) fn parse(implicit: &[u8], attributes: &Attributes) -> Result<Self, Error> {
        // The input's bytes, not a re-encoding of `attributes`: `der` sorts a SET OF as it
        // decodes it, and the signature is over the order the signer encoded.
        let mut signed_bytes = implicit.to_vec();
        if let Some(tag) = signed_bytes.first_mut() {
            *tag = SET_TAG;
        }
        let content_type = single_value(attributes, ID_CONTENT_TYPE, "contentType")?
            .ok_or(Malformed::NoContentType)?
            .decode_as::<ObjectIdentifier>()
            .map_err(|_| Malformed::InvalidAttribute {
                attribute: "contentType",
            })?;
        let message_digest = single_value(attributes, ID_MESSAGE_DIGEST, "messageDigest")?
            .ok_or(Malformed::NoMessageDigest)?
            .decode_as::<OctetStringRef<'_>>()
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
                let time = time(value).map_err(|_| invalid.clone())?;
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
    attributes: &'a Attributes,
    oid: ObjectIdentifier,
    attribute: &'static str,
) -> Result<Option<&'a Any>, Malformed> {
    let mut found = attributes.iter().filter(|a| a.oid == oid);
    let Some(first) = found.next() else {
        return Ok(None);
    };
    match (found.next(), first.values.as_slice()) {
        (None, [value]) => Ok(Some(value)),
        _ => Err(Malformed::AttributeCardinality { attribute }),
    }
}

/// A `Time` (UTCTime or GeneralizedTime, RFC 5652 §11.3) decoded from an attribute value.
fn time(value: &Any) -> der::Result<Time> {
    match value.tag() {
        Tag::UtcTime => value.decode_as::<UtcTime>().map(Time::UtcTime),
        Tag::GeneralizedTime => value.decode_as::<GeneralizedTime>().map(Time::GeneralTime),
        tag => Err(tag.unexpected_error(None)),
    }
}
