//! `Debug` helpers that show the shape of sensitive values, never their content.

use std::fmt;

/// Shows a sensitive string as `<redacted, N bytes>`.
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

/// Shows an optional sensitive string as `None` or `Some(<redacted, N bytes>)`.
pub(crate) fn redacted_opt(value: Option<&str>) -> Option<Redacted<'_>> {
    value.map(Redacted)
}
