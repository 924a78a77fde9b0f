//! The provider's error codes (`errorCode`) and what is known about each.

use crate::wire_enum::wire_enum;

wire_enum! {
    /// An error code from a `FAIL` response (`errorCode`).
    ///
    /// The provider publishes the meaning of only some codes; [`description`](Self::description)
    /// says what is known and [`is_retryable`](Self::is_retryable) whether the same call may
    /// simply be sent again. Unknown codes are kept verbatim in `Other`, never dropped.
    pub enum ErrorCode {
        /// `CE0001`: failure on the provider's side (retryable).
        Ce0001 => "CE0001",
        /// `CE0002`: the provider is temporarily unavailable (retryable).
        Ce0002 => "CE0002",
        /// `CE0003`: meaning unpublished.
        Ce0003 => "CE0003",
        /// `CE1000`: the access token is invalid or expired; get a new token and retry once.
        Ce1000 => "CE1000",
        /// `CE1001`: meaning unpublished.
        Ce1001 => "CE1001",
        /// `CE3000`: meaning unpublished.
        Ce3000 => "CE3000",
        /// `CE3001`: meaning unpublished.
        Ce3001 => "CE3001",
        /// `CE3002`: meaning unpublished.
        Ce3002 => "CE3002",
        /// `CE3003`: meaning unpublished.
        Ce3003 => "CE3003",
        /// `CE3006`: meaning unpublished.
        Ce3006 => "CE3006",
        /// `CE3100`: no such request (unknown txId).
        Ce3100 => "CE3100",
        /// `CE3101`: the final result can be fetched only twice.
        Ce3101 => "CE3101",
        /// `CE3102`: the request is not completed yet.
        Ce3102 => "CE3102",
        /// `CE3103`: the request has expired.
        Ce3103 => "CE3103",
        /// `CE3200`: meaning unpublished.
        Ce3200 => "CE3200",
        /// `CE5000`: meaning unpublished.
        Ce5000 => "CE5000",
    }
}

impl ErrorCode {
    /// Whether the very same call may be sent again: true only for the provider's transient
    /// failures (`CE0001`, `CE0002`).
    ///
    /// `CE1000` is not retryable as such: the call succeeds only with a new token, see
    /// [`needs_new_token`](Self::needs_new_token). Codes whose meaning is unpublished and
    /// unknown codes are treated as not retryable.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Ce0001 | Self::Ce0002)
    }

    /// Whether the access token was refused (`CE1000`): fetch a new token, then retry once.
    #[must_use]
    pub fn needs_new_token(&self) -> bool {
        matches!(self, Self::Ce1000)
    }

    /// What the code means, as far as the provider has published it.
    #[must_use]
    pub fn description(&self) -> &'static str {
        match self {
            Self::Ce0001 => "failure on the provider's side",
            Self::Ce0002 => "the provider is temporarily unavailable",
            Self::Ce1000 => "the access token is invalid or expired",
            Self::Ce3100 => "no such request (unknown txId)",
            Self::Ce3101 => "the final result can be fetched only twice",
            Self::Ce3102 => "the request is not completed yet",
            Self::Ce3103 => "the request has expired",
            Self::Ce0003
            | Self::Ce1001
            | Self::Ce3000
            | Self::Ce3001
            | Self::Ce3002
            | Self::Ce3003
            | Self::Ce3006
            | Self::Ce3200
            | Self::Ce5000 => "a known code whose meaning the provider has not published",
            Self::Other(_) => "a code this version of the crate does not know",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn only_transient_failures_are_retryable() {
        let retryable: Vec<&str> = [
            "CE0001", "CE0002", "CE0003", "CE1000", "CE1001", "CE3000", "CE3001", "CE3002",
            "CE3003", "CE3006", "CE3100", "CE3101", "CE3102", "CE3103", "CE3200", "CE5000",
            "CE9999",
        ]
        .into_iter()
        .filter(|code| ErrorCode::from(*code).is_retryable())
        .collect();
        assert_eq!(retryable, ["CE0001", "CE0002"]);
    }

    #[test]
    fn every_known_code_is_named_and_round_trips() {
        for code in [
            "CE0001", "CE0002", "CE0003", "CE1000", "CE1001", "CE3000", "CE3001", "CE3002",
            "CE3003", "CE3006", "CE3100", "CE3101", "CE3102", "CE3103", "CE3200", "CE5000",
        ] {
            let parsed = ErrorCode::from(code);
            assert!(!parsed.is_other(), "{code} should be a named variant");
            assert_eq!(parsed.as_str(), code);
        }
    }

    #[test]
    fn descriptions_tell_published_from_unpublished() {
        assert_eq!(
            ErrorCode::Ce3101.description(),
            "the final result can be fetched only twice"
        );
        assert!(ErrorCode::Ce5000.description().contains("not published"));
        assert!(
            ErrorCode::from("CE4242")
                .description()
                .contains("does not know")
        );
        assert!(ErrorCode::Ce1000.needs_new_token());
        assert!(!ErrorCode::Ce1000.is_retryable());
    }
}
