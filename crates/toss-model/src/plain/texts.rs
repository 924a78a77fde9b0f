//! What the user sees around the document: the service's name, the document's title, and
//! how long they have to sign.

use std::time::Duration;

use crate::error::ValidationError;
use crate::sign_request::{EXPIRE_SECONDS_MAX, SERVICE_NAME_MAX_CHARS};

/// The service name shown in the Toss app: not blank, at most 50 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName(String);

impl ServiceName {
    /// Parses a service name.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyServiceName`] when it is empty or only white space,
    /// [`ValidationError::ServiceNameTooLong`] past 50 characters.
    pub fn parse(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(ValidationError::EmptyServiceName);
        }
        let chars = name.chars().count();
        if chars > SERVICE_NAME_MAX_CHARS {
            return Err(ValidationError::ServiceNameTooLong { chars });
        }
        Ok(Self(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The document's title shown in the Toss app: not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTitle(String);

impl DocTitle {
    /// Parses a title.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyDocTitle`] when it is empty or only white space.
    pub fn parse(title: impl Into<String>) -> Result<Self, ValidationError> {
        let title = title.into();
        if title.trim().is_empty() {
            return Err(ValidationError::EmptyDocTitle);
        }
        Ok(Self(title))
    }

    /// The title.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long the user has to sign: 1 second to 30 minutes (`expireSeconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry(u32);

impl Expiry {
    /// Parses a number of seconds.
    ///
    /// # Errors
    ///
    /// [`ValidationError::ExpireSecondsOutOfRange`] outside `1..=1800`.
    pub fn from_secs(seconds: i64) -> Result<Self, ValidationError> {
        u32::try_from(seconds)
            .ok()
            .filter(|seconds| (1..=EXPIRE_SECONDS_MAX).contains(seconds))
            .map(Self)
            .ok_or(ValidationError::ExpireSecondsOutOfRange { value: seconds })
    }

    /// A duration, in whole seconds.
    ///
    /// # Errors
    ///
    /// As [`from_secs`](Self::from_secs).
    pub fn from_duration(duration: Duration) -> Result<Self, ValidationError> {
        Self::from_secs(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    }

    /// The seconds.
    #[must_use]
    pub fn as_secs(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_are_not_blank_and_at_most_fifty_characters() {
        assert!(ServiceName::parse("가".repeat(50)).is_ok());
        assert_eq!(
            ServiceName::parse("가".repeat(51)),
            Err(ValidationError::ServiceNameTooLong { chars: 51 })
        );
        assert_eq!(
            ServiceName::parse("  "),
            Err(ValidationError::EmptyServiceName)
        );
        assert_eq!(DocTitle::parse(""), Err(ValidationError::EmptyDocTitle));
    }

    #[test]
    fn expiries_run_from_one_second_to_thirty_minutes() {
        assert_eq!(Expiry::from_secs(1).unwrap().as_secs(), 1);
        assert_eq!(
            Expiry::from_duration(Duration::from_secs(1800))
                .unwrap()
                .as_secs(),
            1800
        );
        for bad in [0, -1, 1801, i64::MAX] {
            assert_eq!(
                Expiry::from_secs(bad),
                Err(ValidationError::ExpireSecondsOutOfRange { value: bad })
            );
        }
        assert!(Expiry::from_duration(Duration::from_millis(500)).is_err());
    }
}
