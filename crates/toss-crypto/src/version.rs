//! The version token at the front of session keys, envelopes and serialized sessions.

/// The token a new session writes: the official Java SDK writes `v1_<sdk version>` in the same
/// place and the provider echoes whatever the session used.
pub(crate) const CURRENT: &str = "v1";

/// `v1`, or `v1_` followed by printable ASCII (the Java SDK's `v1_0.0.14`).
pub(crate) fn is_supported(token: &str) -> bool {
    token == CURRENT
        || token
            .strip_prefix("v1_")
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_graphic()))
}

/// A hyphenated UUID, the only session id form the provider produces.
pub(crate) fn is_session_id(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::try_parse(id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tokens() {
        assert!(is_supported("v1"));
        assert!(is_supported("v1_0.0.14"));
        assert!(is_supported("v1_"));
        assert!(!is_supported("v2"));
        assert!(!is_supported("v10"));
        assert!(!is_supported("V1"));
        assert!(!is_supported("v1_a b"));
        assert!(!is_supported(""));
    }

    #[test]
    fn session_ids() {
        assert!(is_session_id("b94ea687-0a72-43f8-be24-7be5029fa998"));
        assert!(!is_session_id("b94ea6870a7243f8be247be5029fa998"));
        assert!(!is_session_id("{b94ea687-0a72-43f8-be24-7be5029fa998}"));
        assert!(!is_session_id("b94ea687-0a72-43f8-be24-7be5029fa99g"));
    }
}
