//! The HTTP backend and TLS provider the tests' clients use, named because with both of
//! a kind compiled in (`--all-features`) the client asks instead of picking: reqwest and
//! aws-lc when compiled in, else hyper and ring.

use toss_sign::ClientBuilder;

#[allow(dead_code, unreachable_pub)]
pub fn transport_choice(builder: ClientBuilder) -> ClientBuilder {
    #[cfg(feature = "reqwest")]
    let builder = builder.http_backend(toss_sign::HttpBackend::Reqwest);
    #[cfg(all(feature = "hyper", not(feature = "reqwest")))]
    let builder = builder.http_backend(toss_sign::HttpBackend::Hyper);
    #[cfg(feature = "aws-lc")]
    let builder = builder.tls_provider(toss_sign::TlsProvider::AwsLc);
    #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
    let builder = builder.tls_provider(toss_sign::TlsProvider::Ring);
    builder
}

/// Transport settings with the same choices, for tests that build a transport themselves.
#[allow(dead_code, unreachable_pub)]
pub fn transport_settings() -> toss_transport::TransportSettingsBuilder {
    let settings = toss_transport::TransportSettings::builder();
    #[cfg(feature = "reqwest")]
    let settings = settings.backend(toss_transport::HttpBackend::Reqwest);
    #[cfg(all(feature = "hyper", not(feature = "reqwest")))]
    let settings = settings.backend(toss_transport::HttpBackend::Hyper);
    #[cfg(feature = "aws-lc")]
    let settings = settings.tls_provider(toss_transport::TlsProvider::AwsLc);
    #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
    let settings = settings.tls_provider(toss_transport::TlsProvider::Ring);
    settings
}
