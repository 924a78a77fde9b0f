//! The rustls configuration both backends share: the TLS provider the settings name (or
//! the only one compiled in), given to this configuration alone — nothing is installed
//! process-wide — and Mozilla's root certificates (no dependence on the host's
//! certificate store, the same in every container).

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

use crate::choice::{self, TlsProvider};
use crate::error::TransportError;
use crate::settings::TransportSettings;

pub(crate) fn client_config(settings: &TransportSettings) -> Result<ClientConfig, TransportError> {
    let chosen = choice::tls_provider(settings.tls_provider()).map_err(TransportError::user)?;
    let provider = rustls_provider(chosen);
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(TransportError::user)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn rustls_provider(chosen: TlsProvider) -> rustls::crypto::CryptoProvider {
    match chosen {
        #[cfg(feature = "aws-lc")]
        TlsProvider::AwsLc => rustls::crypto::aws_lc_rs::default_provider(),
        #[cfg(feature = "ring")]
        TlsProvider::Ring => rustls::crypto::ring::default_provider(),
    }
}
