//! The HTTP backend and TLS provider the tests' clients and transports use, named because
//! with both of a kind compiled in (`--all-features`) the client asks instead of picking:
//! reqwest and aws-lc when compiled in, else hyper and ring.

#![allow(dead_code, unreachable_pub, unreachable_code)]

use toss_sign::ClientBuilder;
use toss_transport::{HttpBackend, TlsProvider, TransportSettings, TransportSettingsBuilder};

pub fn backend() -> HttpBackend {
    #[cfg(feature = "reqwest")]
    return HttpBackend::Reqwest;
    #[cfg(all(feature = "hyper", not(feature = "reqwest")))]
    return HttpBackend::Hyper;
    panic!("the tests need the reqwest or the hyper feature")
}

pub fn tls() -> TlsProvider {
    #[cfg(feature = "aws-lc")]
    return TlsProvider::AwsLc;
    #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
    return TlsProvider::Ring;
    panic!("the tests need the aws-lc or the rustcrypto feature")
}

/// `builder` with [`backend`] and [`tls`].
pub fn transport_choice(builder: ClientBuilder) -> ClientBuilder {
    builder.http_backend(backend()).tls_provider(tls())
}

/// Transport settings with the same choices, for tests that build a transport themselves.
pub fn transport_settings() -> TransportSettingsBuilder {
    TransportSettings::builder()
        .backend(backend())
        .tls_provider(tls())
}
