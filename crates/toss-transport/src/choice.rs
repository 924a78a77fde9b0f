//! Which HTTP stack and which TLS cryptography a transport is built on: chosen by the
//! application when several are compiled in, never by a feature alone.

/// The HTTP stacks a transport can be built on, each behind its crate feature.
///
/// With one compiled in, [`default_transport`](crate::default_transport) uses it; with
/// both, the settings must name one
/// ([`TransportSettingsBuilder::backend`](crate::TransportSettingsBuilder::backend)):
/// turning a feature on (possibly in another crate of the application) never changes
/// which one runs.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpBackend {
    /// `ReqwestTransport` (feature `reqwest`).
    #[cfg(feature = "reqwest")]
    Reqwest,
    /// `HyperTransport` (feature `hyper`).
    #[cfg(feature = "hyper")]
    Hyper,
}

impl HttpBackend {
    /// The one compiled in, when exactly one is.
    #[must_use]
    pub fn from_crate_features() -> Option<Self> {
        #[cfg(all(feature = "reqwest", not(feature = "hyper")))]
        return Some(Self::Reqwest);
        #[cfg(all(feature = "hyper", not(feature = "reqwest")))]
        return Some(Self::Hyper);
        #[allow(unreachable_code)]
        None
    }
}

/// Where rustls gets its cryptography, each behind its crate feature.
///
/// - `aws-lc`: aws-lc-rs (AWS-LC, C and assembly; needs a C compiler), the crypto library
///   `toss-crypto` and `toss-signed-doc` use by default, so one C library rather than two.
/// - `ring`: ring (Rust with some C and assembly; needs a C compiler too), for builds that
///   leave aws-lc-rs out (`toss-crypto`'s pure Rust `rustcrypto` backend). A pure-Rust
///   rustls provider (`rustls-rustcrypto`) exists but is not released as ready for
///   production, so it is not offered.
///
/// With one compiled in it is used; with both, the settings must name one
/// ([`TransportSettingsBuilder::tls_provider`](crate::TransportSettingsBuilder::tls_provider)).
/// The provider is given to each client's TLS configuration: nothing is installed
/// process-wide.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProvider {
    /// aws-lc-rs (feature `aws-lc`).
    #[cfg(feature = "aws-lc")]
    AwsLc,
    /// ring (feature `ring`).
    #[cfg(feature = "ring")]
    Ring,
}

impl TlsProvider {
    /// The one compiled in, when exactly one is.
    #[must_use]
    pub fn from_crate_features() -> Option<Self> {
        #[cfg(all(feature = "aws-lc", not(feature = "ring")))]
        return Some(Self::AwsLc);
        #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
        return Some(Self::Ring);
        #[allow(unreachable_code)]
        None
    }
}

/// Why no backend or TLS provider could be settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChoiceError {
    /// Both HTTP backends are compiled in and the settings name none.
    #[error(
        "both the reqwest and the hyper backends are compiled in: choose one with \
         TransportSettingsBuilder::backend"
    )]
    AmbiguousBackend,
    /// No HTTP backend is compiled in.
    #[error("no HTTP backend is compiled in: enable the reqwest or the hyper feature")]
    NoBackend,
    /// Both TLS providers are compiled in and the settings name none.
    #[error(
        "both the aws-lc and the ring TLS providers are compiled in: choose one with \
         TransportSettingsBuilder::tls_provider"
    )]
    AmbiguousTlsProvider,
    /// No TLS provider is compiled in.
    #[error("no TLS provider is compiled in: enable the aws-lc or the ring feature")]
    NoTlsProvider,
}

/// Both of a kind compiled in, or none.
#[allow(dead_code)] // which arms run depends on the features
fn ambiguous_or_none(both: bool, ambiguous: ChoiceError, none: ChoiceError) -> ChoiceError {
    if both { ambiguous } else { none }
}

/// The backend `chosen`, or the only one compiled in.
pub(crate) fn backend(chosen: Option<HttpBackend>) -> Result<HttpBackend, ChoiceError> {
    chosen
        .or_else(HttpBackend::from_crate_features)
        .ok_or_else(|| {
            ambiguous_or_none(
                cfg!(all(feature = "reqwest", feature = "hyper")),
                ChoiceError::AmbiguousBackend,
                ChoiceError::NoBackend,
            )
        })
}

/// The TLS provider `chosen`, or the only one compiled in.
#[cfg(any(feature = "reqwest", feature = "hyper", test))]
pub(crate) fn tls_provider(chosen: Option<TlsProvider>) -> Result<TlsProvider, ChoiceError> {
    chosen
        .or_else(TlsProvider::from_crate_features)
        .ok_or_else(|| {
            ambiguous_or_none(
                cfg!(all(feature = "aws-lc", feature = "ring")),
                ChoiceError::AmbiguousTlsProvider,
                ChoiceError::NoTlsProvider,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_is_needed_exactly_when_both_are_compiled_in() {
        let backends =
            usize::from(cfg!(feature = "reqwest")) + usize::from(cfg!(feature = "hyper"));
        match backends {
            0 => assert_eq!(backend(None), Err(ChoiceError::NoBackend)),
            1 => assert!(backend(None).is_ok()),
            _ => assert_eq!(backend(None), Err(ChoiceError::AmbiguousBackend)),
        }
        let tls = usize::from(cfg!(feature = "aws-lc")) + usize::from(cfg!(feature = "ring"));
        match tls {
            0 => assert_eq!(tls_provider(None), Err(ChoiceError::NoTlsProvider)),
            1 => assert!(tls_provider(None).is_ok()),
            _ => assert_eq!(tls_provider(None), Err(ChoiceError::AmbiguousTlsProvider)),
        }
        #[cfg(feature = "hyper")]
        assert_eq!(backend(Some(HttpBackend::Hyper)), Ok(HttpBackend::Hyper));
        #[cfg(feature = "ring")]
        assert_eq!(tls_provider(Some(TlsProvider::Ring)), Ok(TlsProvider::Ring));
    }
}
