//! The signed attributes: `contentType`, `messageDigest` and `signingTime` (RFC 5652 §11).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_TIME};
use der::Decode as _;
use der::asn1::OctetString;
use time::OffsetDateTime;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::time::Time;

use crate::certificate::to_offset_date_time;
use crate::error::{Error, Malformed};

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

/// The universal, constructed SET tag.
const SET_TAG: u8 = 0x31;

impl SignedAttributes {
    /// Parses the `[0] IMPLICIT SignedAttributes` field, whole, as found in the input.
    pub(crate) fn parse(implicit: &[u8]) -> Result<Self, Error> {
        let mut signed_bytes = implicit.to_vec();
        if let Some(tag) = signed_bytes.first_mut() {
            *tag = SET_TAG;
        }
        let attributes = Attributes::from_der(&signed_bytes)
            .map_err(|e| Error::NotDer(crate::error::DerError::new(e)))?;
        let content_type = single_value(&attributes, ID_CONTENT_TYPE, "contentType")?
            .ok_or(Malformed::NoContentType)?
            .decode_as::<ObjectIdentifier>()
            .map_err(|_| Malformed::InvalidAttribute {
                attribute: "contentType",
            })?;
        let message_digest = single_value(&attributes, ID_MESSAGE_DIGEST, "messageDigest")?
            .ok_or(Malformed::NoMessageDigest)?
            .decode_as::<OctetString>()
            .map_err(|_| Malformed::InvalidAttribute {
                attribute: "messageDigest",
            })?
            .into_bytes();
        let signing_time = match single_value(&attributes, ID_SIGNING_TIME, "signingTime")? {
            None => None,
            Some(value) => {
                let invalid = Malformed::InvalidAttribute {
                    attribute: "signingTime",
                };
                let time = der::Encode::to_der(value)
                    .and_then(|der| Time::from_der(&der))
                    .map_err(|_| invalid.clone())?;
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
) -> Result<Option<&'a der::Any>, Malformed> {
    let mut found = attributes.iter().filter(|a: &&Attribute| a.oid == oid);
    let Some(first) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() || first.values.len() != 1 {
        return Err(Malformed::AttributeCardinality { attribute });
    }
    Ok(first.values.get(0))
}
