//! The HTTP stacks a transport can be built on, each behind its feature.

#[cfg(feature = "hyper")]
pub(crate) mod hyper;
#[cfg(feature = "reqwest")]
pub(crate) mod reqwest;
#[cfg(feature = "__rustls")]
mod tls;
