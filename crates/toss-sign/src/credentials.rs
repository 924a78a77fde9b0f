//! Client credentials, with the secret kept out of `Debug` and wiped on drop.

use std::fmt;

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
    pub const PRODUCTION_OAUTH_BASE: &'static str = "https://oauth2.cert.toss.im";
    /// The provider's API host.
    pub const PRODUCTION_API_BASE: &'static str = "https://cert.toss.im";

    /// One base URL for both hosts, as the emulator serves them.
    pub fn single_host(base: impl Into<String>) -> Self {
        let base = base.into();
        Self::Custom {
            oauth_base: base.clone(),
            api_base: base,
        }
    }

    pub(crate) fn oauth_base(&self) -> &str {
        match self {
            Self::Production => Self::PRODUCTION_OAUTH_BASE,
            Self::Custom { oauth_base, .. } => oauth_base,
        }
    }

    pub(crate) fn api_base(&self) -> &str {
        match self {
            Self::Production => Self::PRODUCTION_API_BASE,
            Self::Custom { api_base, .. } => api_base,
        }
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
