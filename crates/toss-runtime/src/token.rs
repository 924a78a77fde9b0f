//! Access tokens: the token and where a fleet keeps it.

mod store;

pub use store::{InMemoryTokenStore, RefreshLock, TokenStore};

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Refresh this long before expiry at most…
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// …or this share of the lifetime, whichever is smaller.
const REFRESH_MARGIN_SHARE: f64 = 0.10;

/// An access token with the times that decide when to refresh it.
///
/// `Debug` shows the times only; the token is wiped from memory on drop.
#[derive(Clone)]
pub struct AccessToken {
    value: Zeroizing<String>,
    issued_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl AccessToken {
    /// A token issued at `issued_at` that lives `lifetime`.
    pub fn new(value: impl Into<String>, issued_at: OffsetDateTime, lifetime: Duration) -> Self {
        Self {
            value: Zeroizing::new(value.into()),
            issued_at,
            expires_at: issued_at + lifetime,
        }
    }

    /// A token with explicit issue and expiry times, as a shared store keeps them.
    pub fn from_parts(
        value: impl Into<String>,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Self {
        Self {
            value: Zeroizing::new(value.into()),
            issued_at,
            expires_at,
        }
    }

    /// The bearer token itself.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.value
    }

    /// When it was issued.
    #[must_use]
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// When the provider stops accepting it.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// When the client fetches a new one: 5 minutes or 10 % of the lifetime before expiry,
    /// whichever is sooner to expiry.
    #[must_use]
    pub fn refresh_at(&self) -> OffsetDateTime {
        let lifetime = (self.expires_at - self.issued_at).max(time::Duration::ZERO);
        let share = lifetime * REFRESH_MARGIN_SHARE;
        let margin = share.min(time::Duration::try_from(MAX_REFRESH_MARGIN).unwrap_or(share));
        self.expires_at - margin
    }

    /// Whether the token is still good to use at `now` without refreshing.
    #[must_use]
    pub fn is_fresh(&self, now: OffsetDateTime) -> bool {
        now < self.refresh_at()
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        *self.value == *other.value && self.expires_at == other.expires_at
    }
}

impl Eq for AccessToken {}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn refresh_margin_is_the_smaller_of_five_minutes_and_a_tenth() {
        let t0 = datetime!(2026-11-24 00:00 UTC);
        // One year (the test environment): 5 minutes before expiry.
        let year = AccessToken::new("a", t0, Duration::from_secs(31_536_000));
        assert_eq!(
            year.expires_at() - year.refresh_at(),
            time::Duration::minutes(5)
        );
        // Ten minutes: one minute (10 %) before expiry.
        let short = AccessToken::new("b", t0, Duration::from_secs(600));
        assert_eq!(
            short.expires_at() - short.refresh_at(),
            time::Duration::minutes(1)
        );
        assert!(short.is_fresh(t0 + time::Duration::minutes(8)));
        assert!(!short.is_fresh(t0 + time::Duration::minutes(9)));
    }

    #[test]
    fn debug_hides_the_token() {
        let token = AccessToken::new(
            "eyJ-secret",
            datetime!(2026-11-24 00:00 UTC),
            Duration::from_secs(60),
        );
        assert!(!format!("{token:?}").contains("eyJ"));
    }
}
