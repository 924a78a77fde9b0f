//! Errors: what was wrong, never the values themselves (they may be personal data).

use crate::api_error::ApiError;
use crate::enums::SignatureType;

/// A sign request the provider would refuse; one variant per rule.
///
/// Returned by [`SignRequestBuilder::build`](crate::SignRequestBuilder::build), and the reason
/// a [`SignRequest`](crate::SignRequest) fails to deserialize. Messages name the wire field and
/// the rule, never the field's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A field the provider requires is absent (`field` is the wire name).
    #[error("{field} is required")]
    MissingField {
        /// The wire name of the field, such as `docType`.
        field: &'static str,
    },

    /// `serviceName` is longer than 50 characters.
    #[error("serviceName has {chars} characters; at most 50 are allowed")]
    ServiceNameTooLong {
        /// Its length in characters (Unicode scalar values).
        chars: usize,
    },

    /// `expireSeconds` is outside `1..=1800`.
    #[error("expireSeconds is {value}; it must be within 1..=1800")]
    ExpireSecondsOutOfRange {
        /// The value given.
        value: i64,
    },

    /// `requestType=USER_PERSONAL` without all of `userName`, `userPhone`, `userBirthday`.
    #[error("requestType USER_PERSONAL needs {}", missing.join(", "))]
    MissingPersonalFields {
        /// The wire names of the absent fields.
        missing: Vec<&'static str>,
    },

    /// `requestType=USER_CI` without `userCi`.
    #[error("requestType USER_CI needs userCi")]
    MissingUserCi,

    /// `userCi` together with any of `userName`, `userPhone`, `userBirthday`.
    #[error("userCi cannot be sent together with userName, userPhone or userBirthday")]
    MixedSignerFields,

    /// No `sessionKey` although personal data or an encrypted document is sent.
    #[error(
        "sessionKey is required with requestType USER_PERSONAL or USER_CI and with docEncrypted"
    )]
    MissingSessionKey,

    /// A field that must travel encrypted is not a `v1$` envelope.
    #[error("{field} must be a v1$ envelope (encrypt it with the request's session)")]
    NotEncrypted {
        /// The wire name of the field, such as `userName`.
        field: &'static str,
    },

    /// `successCallbackUrl` or `failCallbackUrl` without `triggerType=APP_SCHEME`.
    #[error("{field} is allowed only with triggerType APP_SCHEME")]
    CallbackWithoutAppScheme {
        /// `successCallbackUrl` or `failCallbackUrl`.
        field: &'static str,
    },

    /// `docType=PDF` with a `signatureType` other than `PKCS7_NO_CONTENT_WITH_ATTR`.
    #[error("docType PDF needs signatureType PKCS7_NO_CONTENT_WITH_ATTR, not {signature_type}")]
    PdfWithoutNoContentSignature {
        /// The signature type given (`PKCS7` when none was).
        signature_type: SignatureType,
    },

    /// `docType=PDF` with a plain `doc` that is not standard base64 (of the PDF's hash).
    #[error("docType PDF needs doc to be the standard base64 of the PDF's hash")]
    PdfDocNotBase64,

    /// `doc` is empty or only white space.
    #[error("doc is empty")]
    EmptyDoc,

    /// `docTitle` is empty or only white space.
    #[error("docTitle is empty")]
    EmptyDocTitle,

    /// `serviceName` is empty or only white space.
    #[error("serviceName is empty")]
    EmptyServiceName,

    /// The signer's phone number is not all digits once hyphens and spaces are removed (the
    /// API document: digits only, "문자 포함없이 순수한 숫자형태로"), or is empty.
    ///
    /// `userPhone` travels encrypted: [`Phone::parse`](crate::plain::Phone::parse) checks
    /// the plain number before it is encrypted.
    #[error("userPhone must be digits only (hyphens and spaces aside)")]
    InvalidUserPhone,

    /// The signer's name is empty or only white space.
    #[error("userName is empty")]
    EmptyUserName,

    /// The signer's birthday is not eight digits `YYYYMMDD` of a real date.
    #[error("userBirthday must be a date as YYYYMMDD")]
    InvalidUserBirthday,

    /// The signer's CI is empty or only white space.
    #[error("userCi is empty")]
    EmptyUserCi,

    /// `docType=PDF` with a `doc` that decodes to something other than a SHA-256 digest
    /// (32 bytes).
    #[error("docType PDF needs doc to be the base64 of a SHA-256 digest (32 bytes)")]
    PdfDigestNotSha256,

    /// A `docType` this crate does not know, for a document it must read.
    #[error("docType is not TEXT, HTML or PDF")]
    UnknownDocType,
}

/// A response envelope that holds no usable answer.
///
/// Returned by [`Envelope::into_result`](crate::Envelope::into_result).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// `resultType=FAIL`: the provider refused the call.
    #[error("the provider refused the call")]
    Api(#[source] ApiError),

    /// `resultType=SUCCESS` without a `success` object.
    #[error("resultType is SUCCESS but success is missing")]
    MissingSuccess,

    /// `resultType=FAIL` without an `error` object.
    #[error("resultType is FAIL but error is missing")]
    MissingError,

    /// A `resultType` other than `SUCCESS` or `FAIL`.
    #[error("unknown resultType {result_type:?}")]
    UnknownResultType {
        /// The value received.
        result_type: String,
    },
}

impl EnvelopeError {
    /// The provider's error, when the call was refused.
    #[must_use]
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }
}

/// Text that is not a date-time with offset (`YYYY-MM-DDThh:mm:ss±hh:mm`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date-time ({len} bytes); expected YYYY-MM-DDThh:mm:ss±hh:mm")]
pub struct TimestampError {
    len: usize,
}

impl TimestampError {
    pub(crate) fn new(len: usize) -> Self {
        Self { len }
    }
}

/// A token request form that cannot be encoded or decoded.
///
/// Returned by [`TokenRequest::to_form`](crate::TokenRequest::to_form) and
/// [`TokenRequest::from_form`](crate::TokenRequest::from_form). The message never quotes the
/// form, which holds the client secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A field the token endpoint requires is absent (`field` is its form name).
    #[error("the token request form has no {field}")]
    MissingField {
        /// The form name of the field, such as `client_secret`.
        field: &'static str,
    },

    /// The form repeats a field or cannot be encoded.
    #[error("malformed token request form")]
    Malformed,
}
