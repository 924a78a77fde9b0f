//! Client credentials, with the secret kept out of `Debug` and wiped on drop.

use std::fmt;
use toss_model::{Host, Operation};

use zeroize::Zeroizing;

/// The client secret issued by the provider.
///
/// `Debug` and `Display` never show it; it is wiped from memory on drop.
#[derive(Clone)]
pub struct ClientSecret(Zeroizing<String>);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// The secret itself, for the token request only.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for ClientSecret {
    fn from(secret: String) -> Self {
        Self::new(secret)
    }
}

impl From<&str> for ClientSecret {
    fn from(secret: &str) -> Self {
        Self::new(secret)
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// Where the client sends its calls.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// The provider's hosts, `https://oauth2.cert.toss.im` and `https://cert.toss.im`. Test
    /// credentials (`test_…`) use the same hosts.
    Production,
    /// Other base URLs, for example the emulator's.
    Custom {
        /// The base URL of the token endpoint (`…/token` is appended).
        oauth_base: String,
        /// The base URL of the service endpoints (`…/api/v2/…` is appended).
        api_base: String,
    },
}

impl Environment {
    /// The provider's token host.
    pub const PRODUCTION_OAUTH_BASE: &'static str = Host::OAuth.production_base();
    /// The provider's API host.
    pub const PRODUCTION_API_BASE: &'static str = Host::Api.production_base();

    /// One base URL for both hosts, as the emulator serves them.
    pub fn single_host(base: impl Into<String>) -> Self {
        let base = base.into();
        Self::Custom {
            oauth_base: base.clone(),
            api_base: base,
        }
    }

    /// The base URL of `host` in this environment.
    pub(crate) fn base(&self, host: Host) -> &str {
        match (self, host) {
            (Self::Production, host) => host.production_base(),
            (Self::Custom { oauth_base, .. }, Host::OAuth) => oauth_base,
            (Self::Custom { api_base, .. }, _) => api_base,
        }
    }

    /// The URL of `operation` in this environment.
    pub(crate) fn url(&self, operation: Operation) -> String {
        format!(
            "{}{}",
            self.base(operation.host()).trim_end_matches('/'),
            operation.path()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_shows() {
        let secret = ClientSecret::new("test_418087247d66da09fda1964dc4734e453c7cf66a7a9e3");
        assert_eq!(format!("{secret:?}"), "ClientSecret(<redacted>)");
    }
}
