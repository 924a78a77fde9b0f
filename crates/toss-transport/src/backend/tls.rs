//! The rustls configuration both backends share: the aws-lc-rs provider (already in the
//! tree through toss-crypto, so one C crypto library instead of two) and Mozilla's root
//! certificates (no dependence on the host's certificate store, the same in every
//! container).

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

use crate::error::TransportError;

pub(crate) fn client_config() -> Result<ClientConfig, TransportError> {
    // reqwest is built with rustls but without a provider of its own (one C crypto library,
    // not two), so a plain `reqwest::Client::new()` elsewhere in the process would find no
    // process default and panic. Offer ours; an application's own choice, made earlier,
    // stays (install_default refuses to replace it).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TransportError::user)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
