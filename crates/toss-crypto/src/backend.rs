//! The built-in backends, each a self-contained module exporting one `PROVIDER`.
//!
//! A backend implements primitives only; every format decision lives above it.

#[cfg(feature = "aws-lc")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-lc")))]
pub mod aws_lc;

#[cfg(feature = "rustcrypto")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustcrypto")))]
pub mod rust_crypto;

use crate::{Error, KeyMaterialError};

// Length checks shared by the backends, so that each returns the same typed error for the
// same bad input instead of whatever its library says.

#[cfg_attr(not(any(feature = "aws-lc", feature = "rustcrypto")), allow(dead_code))]
pub(crate) fn check_gcm_lengths(key: &[u8], nonce: &[u8]) -> Result<(), Error> {
    if key.len() != 32 {
        return Err(gcm_key_error(key));
    }
    if nonce.len() != 12 {
        return Err(gcm_iv_error(nonce));
    }
    Ok(())
}

#[cfg_attr(not(any(feature = "aws-lc", feature = "rustcrypto")), allow(dead_code))]
pub(crate) fn check_cbc_lengths(key: &[u8], iv: &[u8]) -> Result<(), Error> {
    if key.len() != 16 && key.len() != 32 {
        return Err(cbc_key_error(key));
    }
    if iv.len() != 16 {
        return Err(cbc_iv_error(iv));
    }
    Ok(())
}

pub(crate) fn gcm_key_error(key: &[u8]) -> Error {
    KeyMaterialError::KeyLength {
        algorithm: "AES_GCM",
        expected: "32",
        found: key.len(),
    }
    .into()
}

pub(crate) fn gcm_iv_error(iv: &[u8]) -> Error {
    KeyMaterialError::IvLength {
        algorithm: "AES_GCM",
        expected: 12,
        found: iv.len(),
    }
    .into()
}

pub(crate) fn cbc_key_error(key: &[u8]) -> Error {
    KeyMaterialError::KeyLength {
        algorithm: "AES_CBC",
        expected: "16 or 32",
        found: key.len(),
    }
    .into()
}

pub(crate) fn cbc_iv_error(iv: &[u8]) -> Error {
    KeyMaterialError::IvLength {
        algorithm: "AES_CBC",
        expected: 16,
        found: iv.len(),
    }
    .into()
}

/// A failure inside a backend library that the input cannot cause.
#[cfg_attr(not(any(feature = "aws-lc", feature = "rustcrypto")), allow(dead_code))]
pub(crate) fn backend_failure(what: &'static str) -> Error {
    #[derive(Debug, thiserror::Error)]
    #[error("{0} failed inside the backend")]
    struct BackendFailure(&'static str);
    Error::Other(crate::OtherError::new(BackendFailure(what)))
}
