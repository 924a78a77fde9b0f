//! [`TransportSettings`]: the options every backend honours.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use http::Uri;
use http::uri::Scheme;

use crate::choice::{HttpBackend, TlsProvider};
use crate::error::{InvalidRequest, TransportError};

/// Timeouts, user agent, proxy and the safety rules for a backend.
///
/// Two rules hold whatever the backend:
///
/// - **No cleartext to remote hosts.** Plain `http` is sent only to loopback hosts
///   (`127.0.0.0/8`, `::1`, `localhost`), where the emulator runs; any other `http` URL
///   is refused with a [`is_cleartext_refused`](TransportError::is_cleartext_refused)
///   error before a name is resolved or a connection opened, unless the settings say
///   [`danger_allow_insecure_http`](TransportSettingsBuilder::danger_allow_insecure_http).
///   Certificate revocation lists, which the provider publishes signed over plain http,
///   are fetched with requests marked
///   [`public_over_http`](crate::HttpRequestBuilder::public_over_http), which carry no
///   credential and are allowed over plain http to any host
///   ([`check_request`](TransportSettings::check_request)).
/// - **Bounded responses.** A response body longer than
///   [`max_response_body`](TransportSettingsBuilder::max_response_body) (1 MiB by default)
///   is refused with an [`is_body_too_large`](TransportError::is_body_too_large) error: at
///   once when its `Content-Length` says so, otherwise as soon as the count passes it, so
///   a hostile server cannot make the client buffer more.
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
    danger_allow_insecure_http: bool,
    max_response_body: usize,
    backend: Option<HttpBackend>,
    tls_provider: Option<TlsProvider>,
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

    /// Whether plain `http` may go to hosts other than loopback.
    pub fn danger_allow_insecure_http(&self) -> bool {
        self.danger_allow_insecure_http
    }

    /// The longest response body accepted, in bytes.
    pub fn max_response_body(&self) -> usize {
        self.max_response_body
    }

    /// The HTTP backend named, if any.
    pub fn backend(&self) -> Option<HttpBackend> {
        self.backend
    }

    /// The TLS provider named, if any.
    pub fn tls_provider(&self) -> Option<TlsProvider> {
        self.tls_provider
    }

    /// Whether these settings allow sending a request to `url`: `https` always, plain
    /// `http` to a loopback host, or to any host with
    /// [`danger_allow_insecure_http`](TransportSettingsBuilder::danger_allow_insecure_http).
    ///
    /// Both backends call it before they resolve or connect anything; a custom
    /// transport, or a layer above one, can call it to apply the same rule.
    ///
    /// ```
    /// use toss_transport::TransportSettings;
    /// use toss_transport::http::Uri;
    ///
    /// let settings = TransportSettings::default();
    /// let check = |url: &str| settings.check_destination(&url.parse::<Uri>().unwrap());
    /// assert!(check("https://cert.toss.im/api").is_ok());
    /// assert!(check("http://127.0.0.1:8080/token").is_ok());
    /// assert!(check("http://oauth2.cert.toss.im/token").unwrap_err().is_cleartext_refused());
    /// ```
    ///
    /// # Errors
    ///
    /// An [`is_cleartext_refused`](TransportError::is_cleartext_refused) error for plain
    /// `http` to another host, an [`is_user`](TransportError::is_user) error for a URL
    /// without a host or with another scheme.
    pub fn check_destination(&self, url: &Uri) -> Result<(), TransportError> {
        let host = url
            .host()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| TransportError::user(InvalidRequest::Url))?;
        match url.scheme() {
            Some(scheme) if *scheme == Scheme::HTTPS => Ok(()),
            Some(scheme) if *scheme == Scheme::HTTP => {
                if self.danger_allow_insecure_http || is_loopback(host) {
                    Ok(())
                } else {
                    Err(TransportError::cleartext_refused())
                }
            }
            Some(_) => Err(TransportError::user(InvalidRequest::Scheme)),
            None => Err(TransportError::user(InvalidRequest::Url)),
        }
    }
}

impl TransportSettings {
    /// [`check_destination`](Self::check_destination) of the request's URL, except that a
    /// request marked [`public_over_http`](crate::HttpRequestBuilder::public_over_http)
    /// may use plain http to any host. Both backends call it before they connect.
    ///
    /// # Errors
    ///
    /// As [`check_destination`](Self::check_destination).
    pub fn check_request(&self, request: &crate::HttpRequest) -> Result<(), TransportError> {
        match self.check_destination(request.uri()) {
            Err(error) if error.is_cleartext_refused() && request.is_public_over_http() => Ok(()),
            other => other,
        }
    }
}

/// The default [`max_response_body`](TransportSettings::max_response_body): 1 MiB, far
/// above the provider's largest answer (a result with its signed document is tens of
/// kilobytes).
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 1024 * 1024;

/// Whether a URL host (as [`Uri::host`] gives it, IPv6 in brackets) names this machine
/// without asking a resolver: `localhost`, `127.0.0.0/8`, `::1` (also IPv4-mapped).
/// Other names that may resolve to loopback (`foo.localhost`, `127.1`) do not count:
/// what they resolve to is not the URL's to say.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match literal.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || mapped_loopback(ip),
        Err(_) => false,
    }
}

fn mapped_loopback(ip: Ipv6Addr) -> bool {
    ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            user_agent: USER_AGENT.to_owned(),
            proxy: Proxy::from_env(),
            danger_allow_insecure_http: false,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            backend: None,
            tls_provider: None,
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

    /// **Dangerous:** lets plain `http` go to any host, not only loopback ones, so that
    /// tokens, the client secret and encrypted personal data cross the network without
    /// TLS, readable and alterable by anyone on the path. Only for a test provider on a
    /// trusted network. Defaults to `false`.
    pub fn danger_allow_insecure_http(mut self, allow: bool) -> Self {
        self.settings.danger_allow_insecure_http = allow;
        self
    }

    /// The longest response body accepted, in bytes; a longer one fails with an
    /// [`is_body_too_large`](TransportError::is_body_too_large) error and is read no
    /// further. Defaults to [`DEFAULT_MAX_RESPONSE_BODY`] (1 MiB).
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.settings.max_response_body = bytes;
        self
    }

    /// Which HTTP stack [`default_transport`](crate::default_transport) builds. Needed
    /// when both the `reqwest` and `hyper` features are on; defaults to the one compiled
    /// in.
    pub fn backend(mut self, backend: HttpBackend) -> Self {
        self.settings.backend = Some(backend);
        self
    }

    /// Where TLS gets its cryptography. Needed when both the `aws-lc` and `ring`
    /// features are on; defaults to the one compiled in.
    pub fn tls_provider(mut self, provider: TlsProvider) -> Self {
        self.settings.tls_provider = Some(provider);
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
        assert!(!settings.danger_allow_insecure_http());
        assert_eq!(settings.max_response_body(), 1024 * 1024);
    }

    fn check(settings: &TransportSettings, url: &str) -> Result<(), TransportError> {
        settings.check_destination(&url.parse::<Uri>().unwrap())
    }

    #[test]
    fn public_requests_may_use_plain_http_without_credentials() {
        let settings = TransportSettings::default();
        let crl = "http://ca.cert.toss.im/crl/toss_crl_dp0001.crl";
        let public = crate::HttpRequest::get(crl)
            .public_over_http(true)
            .build()
            .unwrap();
        assert!(settings.check_request(&public).is_ok());
        let private = crate::HttpRequest::get(crl).build().unwrap();
        assert!(
            settings
                .check_request(&private)
                .unwrap_err()
                .is_cleartext_refused()
        );
        let with_token = crate::HttpRequest::get(crl)
            .bearer_auth("token")
            .public_over_http(true)
            .build()
            .unwrap_err();
        assert!(with_token.is_user());
        let ftp = crate::HttpRequest::get("ftp://ca.cert.toss.im/x")
            .public_over_http(true)
            .build();
        assert!(ftp.is_err() || settings.check_request(&ftp.unwrap()).is_err());
    }

    #[test]
    fn cleartext_only_to_loopback() {
        let settings = TransportSettings::default();
        for url in [
            "http://127.0.0.1:8080/token",
            "http://127.255.0.9/",
            "http://[::1]:9/x",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:3000/",
            "http://LocalHost/",
            "https://oauth2.cert.toss.im/token",
            "https://10.0.0.1/",
        ] {
            assert!(check(&settings, url).is_ok(), "{url}");
        }
        for url in [
            "http://oauth2.cert.toss.im/token",
            "http://example.invalid/",
            "http://10.255.255.1/",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://[::ffff:10.0.0.1]/",
            "http://0.0.0.0:8080/",
            "http://127.1/",
            "http://localhost.example.com/",
            "http://foo.localhost/",
            "http://localhost./",
        ] {
            let error = check(&settings, url).unwrap_err();
            assert!(
                error.is_cleartext_refused() && error.never_connected(),
                "{url}"
            );
        }
    }

    #[test]
    fn the_opt_in_allows_any_host() {
        let settings = TransportSettings::builder()
            .danger_allow_insecure_http(true)
            .build();
        assert!(settings.danger_allow_insecure_http());
        assert!(check(&settings, "http://oauth2.cert.toss.im/token").is_ok());
        assert!(check(&settings, "http://10.255.255.1/").is_ok());
    }

    #[test]
    fn other_schemes_and_hostless_urls_are_user_errors() {
        let settings = TransportSettings::default();
        for url in ["ftp://example.test/", "/relative"] {
            assert!(check(&settings, url).unwrap_err().is_user(), "{url}");
        }
    }

    #[test]
    fn proxy_debug_hides_credentials() {
        let debug = format!("{:?}", Proxy::url("http://user:hunter2@proxy.test:3128"));
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("proxy.test:3128"), "{debug}");
    }
}
