//! [`TransportSettings`]: the options every backend honours.

use std::fmt;
use std::time::Duration;

/// Timeouts, user agent and proxy for a backend.
///
/// ```
/// use std::time::Duration;
/// use toss_transport::{Proxy, TransportSettings};
///
/// let settings = TransportSettings::builder()
///     .connect_timeout(Duration::from_secs(2))
///     .request_timeout(Duration::from_secs(10))
///     .proxy(Proxy::none())
///     .build();
/// assert_eq!(settings.connect_timeout(), Duration::from_secs(2));
/// ```
#[derive(Clone, Debug)]
pub struct TransportSettings {
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: String,
    proxy: Proxy,
}

impl TransportSettings {
    /// Starts from the defaults.
    pub fn builder() -> TransportSettingsBuilder {
        TransportSettingsBuilder {
            settings: Self::default(),
        }
    }

    /// The time allowed to establish a connection (DNS, TCP, TLS, proxy).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The time allowed for a whole exchange, response body included.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The `User-Agent` header sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Where requests go through.
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            user_agent: USER_AGENT.to_owned(),
            proxy: Proxy::from_env(),
        }
    }
}

/// The default `User-Agent`: `toss-cert-rs/<version>`.
pub const USER_AGENT: &str = concat!("toss-cert-rs/", env!("CARGO_PKG_VERSION"));

/// Builds [`TransportSettings`].
#[derive(Debug)]
#[must_use]
pub struct TransportSettingsBuilder {
    settings: TransportSettings,
}

impl TransportSettingsBuilder {
    /// The time allowed to establish a connection. Defaults to 5 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// The time allowed for a whole exchange, body included; a request's own
    /// [`timeout`](crate::HttpRequestBuilder::timeout) overrides it. Defaults to 30
    /// seconds.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// The `User-Agent` header. Defaults to [`USER_AGENT`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.settings.user_agent = user_agent.into();
        self
    }

    /// Where requests go through. Defaults to [`Proxy::from_env`].
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.settings.proxy = proxy;
        self
    }

    /// Finishes the settings.
    pub fn build(self) -> TransportSettings {
        self.settings
    }
}

/// Which proxy, if any, requests go through.
///
/// `Debug` hides the proxy URL's credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy(ProxyKind);

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum ProxyKind {
    FromEnv,
    None,
    Url(String),
}

impl Proxy {
    /// The standard environment variables: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` (and their lowercase forms), read when the backend is built.
    pub fn from_env() -> Self {
        Self(ProxyKind::FromEnv)
    }

    /// No proxy, whatever the environment says.
    pub fn none() -> Self {
        Self(ProxyKind::None)
    }

    /// Every request through the HTTP proxy at `url` (`http://[user:password@]host:port`).
    pub fn url(url: impl Into<String>) -> Self {
        Self(ProxyKind::Url(url.into()))
    }

    #[cfg_attr(not(any(feature = "reqwest", feature = "hyper")), allow(dead_code))]
    pub(crate) fn kind(&self) -> &ProxyKind {
        &self.0
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ProxyKind::FromEnv => f.write_str("Proxy::FromEnv"),
            ProxyKind::None => f.write_str("Proxy::None"),
            ProxyKind::Url(url) => {
                let shown = match url.split_once('@') {
                    Some((userinfo, host)) => {
                        let scheme = userinfo.split_once("://").map_or("http", |(s, _)| s);
                        format!("{scheme}://<redacted>@{host}")
                    }
                    None => url.clone(),
                };
                f.debug_tuple("Proxy::Url").field(&shown).finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let settings = TransportSettings::default();
        assert_eq!(settings.connect_timeout(), Duration::from_secs(5));
        assert_eq!(settings.request_timeout(), Duration::from_secs(30));
        assert!(settings.user_agent().starts_with("toss-cert-rs/"));
        assert_eq!(settings.proxy(), &Proxy::from_env());
    }

    #[test]
    fn proxy_debug_hides_credentials() {
        let debug = format!("{:?}", Proxy::url("http://user:hunter2@proxy.test:3128"));
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("proxy.test:3128"), "{debug}");
    }
}
