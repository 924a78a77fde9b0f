//! The HTTP layer of the Toss Cert (토스인증) SDK.
//!
//! Everything above this crate speaks to the provider through one object-safe trait,
//! [`HttpTransport`]: an [`HttpRequest`] in, a complete [`HttpResponse`] or a
//! [`TransportError`] out. The error says, above all, whether the request may have
//! reached the server, which is what decides if sending it again is safe. Backends own
//! DNS, TLS, pooling, proxies and timeouts; no reqwest or hyper type crosses this crate's
//! API.
//!
//! # Quick start
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), toss_transport::TransportError> {
//! use toss_transport::{HttpRequest, HttpTransport, ReqwestTransport, TransportSettings};
//!
//! let transport = ReqwestTransport::new(&TransportSettings::default())?;
//! let request = HttpRequest::post("https://cert.toss.im/api/v2/sign/user/auth/id/status")
//!     .bearer_auth("<access token>")
//!     .json(r#"{"txId":"…"}"#)
//!     .idempotent(true)
//!     .build()?;
//! let response = transport.send(request).await?;
//! println!("{}", response.status());
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "reqwest"))]
//! # fn main() {}
//! ```
//!
//! # Concepts
//!
//! - **Phases, not backends.** [`TransportError::never_connected`] is true when nothing
//!   was sent (DNS, connect, an invalid request); otherwise the server may have acted on
//!   the request. Predicates ([`is_timeout`](TransportError::is_timeout),
//!   [`is_connect`](TransportError::is_connect), …) refine it.
//! - **One attempt per send.** A transport never sends a request twice: whether to send
//!   again is the caller's decision (the client's retry policy, in `toss-runtime`), made
//!   from the error's phase, and the request carries its
//!   [attempt number](HttpRequestBuilder::attempt) and
//!   [idempotency](HttpRequestBuilder::idempotent) for the transport's span.
//! - **No cleartext to remote hosts, no unbounded bodies.** Both backends refuse plain
//!   `http` to any host but loopback (`127.0.0.0/8`, `::1`, `localhost`) before resolving
//!   or connecting anything
//!   ([`is_cleartext_refused`](TransportError::is_cleartext_refused); opt out with
//!   [`danger_allow_insecure_http`](TransportSettingsBuilder::danger_allow_insecure_http)),
//!   and stop reading a response body once it passes
//!   [`max_response_body`](TransportSettingsBuilder::max_response_body), 1 MiB by default
//!   ([`is_body_too_large`](TransportError::is_body_too_large)).
//!   [`TransportSettings::check_destination`] applies the first rule for custom
//!   transports. A request marked
//!   [`public_over_http`](HttpRequestBuilder::public_over_http) (no credential, a signed
//!   answer: a CRL, a timestamp) may use plain http to any host
//!   ([`TransportSettings::check_request`]).
//! - **Nothing secret in logs.** Each attempt is a `tracing` span `http.request` with the
//!   method, host, path, attempt, status and duration. The `Authorization` header, the
//!   query and bodies are never recorded, and `Debug` of requests and responses shows
//!   header names and body lengths only.
//!
//! # Crate features
//!
//! - `reqwest` (default): `ReqwestTransport`, on reqwest with rustls.
//! - `hyper`: `HyperTransport`, on hyper 1 and the hyper-util client with rustls.
//! - `mock`: `mock::MockHttpTransport`, a mockall mock of the trait.
//! - `test-util`: `test_util`'s replay, closure, silent and fault-injecting
//!   (`FaultyTransport`) transports. Not for production.
//!
//! - `aws-lc` (default): TLS cryptography from aws-lc-rs (AWS-LC: C and assembly, needs a
//!   C compiler) — the library `toss-crypto` already links by default, so one rather than
//!   two.
//! - `ring`: TLS cryptography from ring (needs a C compiler too, for its C and assembly),
//!   for builds without aws-lc-rs.
//!
//! Both backends use rustls with the [`TlsProvider`] the settings name (or the only one
//! compiled in), given to each client's own TLS configuration: this crate installs nothing
//! process-wide. Roots are Mozilla's from `webpki-roots`, so behaviour does not depend on
//! the host's certificate store. Both send `User-Agent: toss-cert-rs/<version>`, honour
//! `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, and do not follow redirects.
//!
//! A feature never changes behaviour by itself: with both backends (or both TLS
//! providers) compiled in, [`default_transport`] asks which one
//! ([`TransportSettingsBuilder::backend`], [`TransportSettingsBuilder::tls_provider`])
//! instead of picking.
//!
//! # Dependencies
//!
//! `http` and `bytes` for the request and response types (the vocabulary every Rust
//! HTTP stack shares), `async-trait` for an object-safe async trait, `tokio` for timers,
//! `tracing` for spans and `fastrand` for the fault-injecting test transport's seeded
//! draws. The backends read bodies through `http-body-util`'s `Limited` (with
//! `http-body` for its trait), both already in the tree through reqwest and hyper.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod choice;
mod error;
#[cfg(feature = "mock")]
pub mod mock;
mod request;
mod response;
mod settings;
#[cfg(feature = "test-util")]
pub mod test_util;
#[cfg(any(feature = "reqwest", feature = "hyper"))]
mod trace;
mod transport;

#[cfg(feature = "hyper")]
pub use backend::hyper::HyperTransport;
#[cfg(feature = "reqwest")]
pub use backend::reqwest::ReqwestTransport;
pub use choice::{ChoiceError, HttpBackend, TlsProvider};
pub use error::{InvalidRequest, TransportError};
pub use http;
pub use request::{HttpRequest, HttpRequestBuilder};
pub use response::HttpResponse;
pub use settings::{
    DEFAULT_MAX_RESPONSE_BODY, Proxy, TransportSettings, TransportSettingsBuilder, USER_AGENT,
};
pub use transport::{HttpTransport, SharedHttpTransport};

/// The transport for `settings`: on the backend they name, or the only one compiled in.
///
/// # Errors
///
/// An [`is_user`](TransportError::is_user) error whose source is a [`ChoiceError`] when
/// both backends (or both TLS providers) are compiled in and the settings name none, or
/// none is; otherwise as the backend's constructor.
pub fn default_transport(
    settings: &TransportSettings,
) -> Result<SharedHttpTransport, TransportError> {
    match choice::backend(settings.backend()).map_err(TransportError::user)? {
        #[cfg(feature = "reqwest")]
        HttpBackend::Reqwest => Ok(SharedHttpTransport::new(ReqwestTransport::new(settings)?)),
        #[cfg(feature = "hyper")]
        HttpBackend::Hyper => Ok(SharedHttpTransport::new(HyperTransport::new(settings)?)),
    }
}
