//! [`HttpRequest`]: what a transport sends.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};

use crate::error::{InvalidRequest, TransportError};

/// One HTTP request: method, URL, headers, body and the per-request options a transport
/// honours.
///
/// Built through [`HttpRequest::builder`]; invalid URLs and headers are reported by
/// [`HttpRequestBuilder::build`]. Cloning is cheap (the body is reference counted), so
/// a retrying transport can send the same request again.
///
/// `Debug` shows the method, the URL without its query, the header names and the body
/// length: never header values or the body, which carry tokens and personal data.
#[derive(Clone)]
pub struct HttpRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    timeout: Option<Duration>,
    idempotent: bool,
    attempt: u32,
    public_over_http: bool,
}

impl HttpRequest {
    /// Starts a request with `method` to `url` (`http` or `https`).
    pub fn builder(method: Method, url: &str) -> HttpRequestBuilder {
        let request = parse_uri(url).map(|uri| Self {
            idempotent: method.is_idempotent(),
            method,
            uri,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: None,
            attempt: 1,
            public_over_http: false,
        });
        HttpRequestBuilder { request }
    }

    /// Starts a `GET` request.
    pub fn get(url: &str) -> HttpRequestBuilder {
        Self::builder(Method::GET, url)
    }

    /// Starts a `POST` request.
    pub fn post(url: &str) -> HttpRequestBuilder {
        Self::builder(Method::POST, url)
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URL.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The headers; the `Authorization` value is marked sensitive.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body bytes (empty when none).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The time this request may take, overriding the transport's request timeout.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether sending this request twice has the same effect as sending it once, so a
    /// retry after a possibly delivered attempt is safe.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    /// Which attempt of its call this is, starting at 1 (recorded in the span).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether this request was marked [public](HttpRequestBuilder::public_over_http): sent
    /// over plain http to any host.
    pub fn is_public_over_http(&self) -> bool {
        self.public_over_http
    }

    /// Method, URL, headers and body, for a backend that builds its own request from them.
    #[cfg(any(feature = "reqwest", feature = "hyper"))]
    pub(crate) fn into_parts(self) -> (Method, Uri, HeaderMap, Bytes) {
        (self.method, self.uri, self.headers, self.body)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &RedactedUri(&self.uri))
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .field("timeout", &self.timeout)
            .field("idempotent", &self.idempotent)
            .field("attempt", &self.attempt)
            .field("public_over_http", &self.public_over_http)
            .finish()
    }
}

/// Builds an [`HttpRequest`]; the first invalid part is reported by [`build`](Self::build).
#[must_use]
pub struct HttpRequestBuilder {
    request: Result<HttpRequest, InvalidRequest>,
}

impl HttpRequestBuilder {
    /// Adds a header. Defaults to none.
    pub fn header(self, name: &str, value: &str) -> Self {
        self.with(|request| {
            let name = HeaderName::try_from(name).map_err(|_| InvalidRequest::Header)?;
            let value = HeaderValue::try_from(value).map_err(|_| InvalidRequest::Header)?;
            request.headers.append(name, value);
            Ok(())
        })
    }

    /// Sets `Authorization: Bearer <token>`, marked sensitive so that no backend or log
    /// records it.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.with(|request| {
            let mut value = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| InvalidRequest::Header)?;
            value.set_sensitive(true);
            request.headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json(self, body: impl Into<Bytes>) -> Self {
        self.body_with_type(body.into(), "application/json")
    }

    /// Sets a form body and `Content-Type: application/x-www-form-urlencoded`.
    pub fn form(self, body: impl Into<Bytes>) -> Self {
        self.body_with_type(body.into(), "application/x-www-form-urlencoded")
    }

    /// Sets the body without touching the headers. Defaults to empty.
    pub fn body(self, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        self.with(|request| {
            request.body = body;
            Ok(())
        })
    }

    /// Limits the whole exchange, body included, overriding the transport's request
    /// timeout. Defaults to the transport's.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|request| {
            request.timeout = Some(timeout);
            Ok(())
        })
    }

    /// Declares whether the request may safely be delivered twice. Defaults to the
    /// method's own semantics: `GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS` and `TRACE` are
    /// idempotent, `POST` and `PATCH` are not.
    pub fn idempotent(self, idempotent: bool) -> Self {
        self.with(|request| {
            request.idempotent = idempotent;
            Ok(())
        })
    }

    /// Which attempt of its call this request is, from 1, for the transport's span. The
    /// caller that sends again sets it. Defaults to 1.
    pub fn attempt(self, attempt: u32) -> Self {
        self.with(|request| {
            request.attempt = attempt.max(1);
            Ok(())
        })
    }

    /// Marks the request as public: it carries no credential and nothing personal, and its
    /// answer is signed by its issuer (a certificate revocation list, which CAs publish over
    /// plain http, RFC 5280 §4.2.1.13), so it may go over plain `http` to any host,
    /// whatever [`danger_allow_insecure_http`](crate::TransportSettingsBuilder::danger_allow_insecure_http)
    /// says. A request with an `Authorization` header is never public: [`build`](Self::build)
    /// refuses it. Defaults to false.
    pub fn public_over_http(self, public: bool) -> Self {
        self.with(|request| {
            request.public_over_http = public;
            Ok(())
        })
    }

    /// Finishes the request.
    ///
    /// # Errors
    ///
    /// An [`is_user`](TransportError::is_user) error naming the first invalid part: the
    /// URL, its scheme or a header, or credentials on a
    /// [public](Self::public_over_http) request.
    pub fn build(self) -> Result<HttpRequest, TransportError> {
        let request = self.request.map_err(TransportError::user)?;
        if request.public_over_http && request.headers.contains_key(AUTHORIZATION) {
            return Err(TransportError::user(InvalidRequest::CredentialsInPublic));
        }
        Ok(request)
    }

    fn body_with_type(self, body: Bytes, content_type: &'static str) -> Self {
        self.with(|request| {
            request
                .headers
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            request.body = body;
            Ok(())
        })
    }

    fn with(mut self, change: impl FnOnce(&mut HttpRequest) -> Result<(), InvalidRequest>) -> Self {
        if let Ok(request) = &mut self.request
            && let Err(e) = change(request)
        {
            self.request = Err(e);
        }
        self
    }
}

impl fmt::Debug for HttpRequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            Ok(request) => f.debug_tuple("HttpRequestBuilder").field(request).finish(),
            Err(e) => f.debug_tuple("HttpRequestBuilder").field(e).finish(),
        }
    }
}

fn parse_uri(url: &str) -> Result<Uri, InvalidRequest> {
    let uri = Uri::try_from(url).map_err(|_| InvalidRequest::Url)?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(_) => return Err(InvalidRequest::Scheme),
        None => return Err(InvalidRequest::Url),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(InvalidRequest::Url);
    }
    Ok(uri)
}

/// Scheme, authority and path: the query may carry credentials.
pub(crate) struct RedactedUri<'a>(pub(crate) &'a Uri);

impl fmt::Debug for RedactedUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RedactedUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uri = self.0;
        let scheme = uri.scheme_str().unwrap_or("http");
        let host = uri.host().unwrap_or("");
        match uri.port_u16() {
            Some(port) => write!(f, "{scheme}://{host}:{port}{}", uri.path()),
            None => write!(f, "{scheme}://{host}{}", uri.path()),
        }
    }
}

pub(crate) struct HeaderNames<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_json_post() {
        let request = HttpRequest::post("https://example.test/api?secret=1")
            .bearer_auth("token-value")
            .json(r#"{"a":1}"#)
            .build()
            .unwrap();
        assert_eq!(request.method(), Method::POST);
        assert!(!request.is_idempotent());
        assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        let debug = format!("{request:?}");
        assert!(debug.contains("https://example.test/api"));
        assert!(!debug.contains("secret"));
        assert!(!debug.contains("token-value"));
        assert!(!debug.contains("\"a\""));
    }

    #[test]
    fn get_is_idempotent_by_default() {
        let request = HttpRequest::get("http://127.0.0.1:1/x").build().unwrap();
        assert!(request.is_idempotent());
        assert_eq!(request.attempt(), 1);
    }

    #[test]
    fn refuses_bad_urls_and_headers() {
        for (url, expected) in [
            ("not a url", "invalid URL"),
            ("ftp://example.test/", "unsupported URL scheme"),
            ("/relative", "invalid URL"),
        ] {
            let error = HttpRequest::get(url).build().unwrap_err();
            assert!(error.is_user() && error.never_connected());
            let source = std::error::Error::source(&error).map(ToString::to_string);
            assert_eq!(source.as_deref(), Some(expected), "{url}");
        }
        let error = HttpRequest::get("http://h/")
            .header("bad name", "v")
            .build()
            .unwrap_err();
        assert!(error.is_user());
        let error = HttpRequest::get("http://h/")
            .header("x-ok", "bad\nvalue")
            .build()
            .unwrap_err();
        assert!(error.is_user());
    }
}
