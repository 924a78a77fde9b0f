//! The envelope around every service response: `resultType` with `success` or `error`.

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::enums::ResultType;
use crate::error::EnvelopeError;

/// A service response: `{"resultType":"SUCCESS","success":{…}}` or
/// `{"resultType":"FAIL","error":{…},"success":null}`.
///
/// `T` is the `success` object of the call, such as [`SignResponse`](crate::SignResponse).
/// Written back in the provider's shapes: `error` only when present, `success` always
/// (`null` on failure).
///
/// ```
/// use toss_model::{Envelope, ErrorCode, StatusResponse};
///
/// let body = r#"{"resultType":"FAIL","error":{"errorType":0,"errorCode":"CE3100",
///     "reason":"존재하지 않는 요청입니다","data":{},"title":null},"success":null}"#;
/// let envelope: Envelope<StatusResponse> = serde_json::from_str(body)?;
/// let error = envelope.into_result().unwrap_err();
/// assert_eq!(error.api_error().map(|e| e.error_code()), Some(&ErrorCode::Ce3100));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    result_type: ResultType,
    // An absent `Option` field reads as `None` without `#[serde(default)]`, which would
    // demand `T: Default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ApiError>,
    success: Option<T>,
}

impl<T> Envelope<T> {
    /// A `SUCCESS` envelope around `success`.
    pub fn ok(success: T) -> Self {
        Self {
            result_type: ResultType::Success,
            error: None,
            success: Some(success),
        }
    }

    /// A `FAIL` envelope around `error`, with `success: null`.
    pub fn fail(error: ApiError) -> Self {
        Self {
            result_type: ResultType::Fail,
            error: Some(error),
            success: None,
        }
    }

    /// `resultType`.
    #[must_use]
    pub fn result_type(&self) -> &ResultType {
        &self.result_type
    }

    /// Whether `resultType` is `SUCCESS`.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.result_type == ResultType::Success
    }

    /// The `success` object, if any.
    #[must_use]
    pub fn success(&self) -> Option<&T> {
        self.success.as_ref()
    }

    /// The `error` object, if any.
    #[must_use]
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// The answer of a `SUCCESS` envelope.
    ///
    /// # Errors
    ///
    /// [`EnvelopeError::Api`] with the provider's error for `FAIL`;
    /// [`EnvelopeError::MissingSuccess`] / [`EnvelopeError::MissingError`] when the object
    /// the `resultType` promises is absent; [`EnvelopeError::UnknownResultType`] otherwise.
    pub fn into_result(self) -> Result<T, EnvelopeError> {
        match self.result_type {
            ResultType::Success => self.success.ok_or(EnvelopeError::MissingSuccess),
            ResultType::Fail => match self.error {
                Some(error) => Err(EnvelopeError::Api(error)),
                None => Err(EnvelopeError::MissingError),
            },
            ResultType::Other(result_type) => Err(EnvelopeError::UnknownResultType { result_type }),
        }
    }
}
