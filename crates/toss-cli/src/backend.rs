//! Which crypto backend the command line uses, and clients built with it.

use toss_crypto::CryptoProvider;
use toss_sign::{Client, ClientBuilder, HttpBackend, TlsProvider};

/// The crate features' backend; aws-lc when both are compiled in, as it is faster.
pub(crate) fn crypto_provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws-lc")]
    let preferred = &toss_crypto::backend::aws_lc::PROVIDER;
    #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
    let preferred = &toss_crypto::backend::rust_crypto::PROVIDER;
    CryptoProvider::from_crate_features().unwrap_or(preferred)
}

/// TLS on the crate features' library: aws-lc when compiled in (as for the session
/// crypto), else ring.
pub(crate) fn tls_provider() -> TlsProvider {
    #[cfg(feature = "aws-lc")]
    let preferred = TlsProvider::AwsLc;
    #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
    let preferred = TlsProvider::Ring;
    preferred
}

/// `builder` with the command line's choices: the crypto backend and TLS provider of the
/// crate features, and `backend` for HTTP (both stacks are compiled in, so the command
/// line always says which).
pub(crate) fn choices(builder: ClientBuilder, backend: HttpBackend) -> ClientBuilder {
    builder
        .crypto_provider(crypto_provider())
        .tls_provider(tls_provider())
        .http_backend(backend)
}

/// Settings for a transport the command line builds itself: reqwest, with the TLS provider
/// of [`tls_provider`].
pub(crate) fn transport_settings() -> toss_transport::TransportSettingsBuilder {
    toss_transport::TransportSettings::builder()
        .backend(HttpBackend::Reqwest)
        .tls_provider(tls_provider())
}

/// A client from the `TOSS_CERT_*` variables.
pub(crate) fn client_from_env() -> Result<Client, toss_sign::Error> {
    client_with_store(None)
}

/// A client from the `TOSS_CERT_*` variables, with the transaction store at `store` when
/// given (it then takes the place of TOSS_CERT_STORE; opened on first use). With a store,
/// building fails unless TOSS_CERT_DATA_KEY is set, and the SDK's message names it.
pub(crate) fn client_with_store(store: Option<&str>) -> Result<Client, toss_sign::Error> {
    let mut builder = choices(ClientBuilder::from_env()?, HttpBackend::Reqwest);
    if let Some(location) = store {
        builder = builder.store_location(location);
    }
    builder.build()
}
