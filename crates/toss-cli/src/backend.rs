//! Which crypto backend the command line uses, and clients built with it.

use toss_crypto::CryptoProvider;
use toss_sign::{Client, ClientBuilder};

/// The crate features' backend; aws-lc when both are compiled in, as it is faster.
pub(crate) fn crypto_provider() -> &'static CryptoProvider {
    #[cfg(feature = "aws-lc")]
    let preferred = &toss_crypto::backend::aws_lc::PROVIDER;
    #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
    let preferred = &toss_crypto::backend::rust_crypto::PROVIDER;
    CryptoProvider::from_crate_features().unwrap_or(preferred)
}

/// A client from the `TOSS_CERT_*` variables.
pub(crate) fn client_from_env() -> Result<Client, toss_sign::Error> {
    ClientBuilder::from_env()?
        .crypto_provider(crypto_provider())
        .build()
}
