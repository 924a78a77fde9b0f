//! The `error` object of a `FAIL` response.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error_code::ErrorCode;

/// Why the provider refused a call: the `error` object of a `FAIL` envelope.
///
/// ```
/// use toss_model::{ApiError, ErrorCode};
///
/// let error: ApiError = serde_json::from_str(
///     r#"{"errorType":0,"errorCode":"CE3100","reason":"존재하지 않는 요청입니다","data":{},"title":null}"#,
/// )?;
/// assert_eq!(error.error_code(), &ErrorCode::Ce3100);
/// assert!(!error.error_code().is_retryable());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    #[serde(default)]
    error_type: Option<i64>,
    error_code: ErrorCode,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    title: Option<String>,
}

impl ApiError {
    /// An error as the provider writes one: `errorType` 0, empty `data`, no `title`.
    pub fn new(error_code: ErrorCode, reason: impl Into<String>) -> Self {
        Self {
            error_type: Some(0),
            error_code,
            reason: Some(reason.into()),
            data: Value::Object(serde_json::Map::new()),
            title: None,
        }
    }

    /// Sets `errorType`. Defaults to 0.
    #[must_use]
    pub fn with_error_type(mut self, error_type: i64) -> Self {
        self.error_type = Some(error_type);
        self
    }

    /// Sets `data`. Defaults to `{}`.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }

    /// Sets `title`. Defaults to none (`null`).
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// `errorType`: a number whose meaning the provider has not published (0 in its examples).
    #[must_use]
    pub fn error_type(&self) -> Option<i64> {
        self.error_type
    }

    /// `errorCode`, such as [`ErrorCode::Ce3100`].
    #[must_use]
    pub fn error_code(&self) -> &ErrorCode {
        &self.error_code
    }

    /// `reason`: the provider's message (usually Korean).
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// `data`: extra details, usually `{}`.
    #[must_use]
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// `title`, usually `null`.
    #[must_use]
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(reason) => write!(f, "{}: {reason}", self.error_code),
            None => write!(f, "{}: {}", self.error_code, self.error_code.description()),
        }
    }
}

impl std::error::Error for ApiError {}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("error_type", &self.error_type)
            .field("error_code", &self.error_code)
            .field("reason", &self.reason)
            .field("data", &DataShape(&self.data))
            .field("title", &self.title)
            .finish()
    }
}

/// `data` is free-form and undocumented, so `Debug` shows only its shape.
struct DataShape<'a>(&'a Value);

impl fmt::Debug for DataShape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Object(map) if map.is_empty() => f.write_str("{}"),
            Value::Object(map) => write!(f, "<redacted, {} fields>", map.len()),
            _ => f.write_str("<redacted>"),
        }
    }
}
