//! The session algorithms.

use std::fmt;

use crate::{Error, KeyMaterialError};

/// How a session encrypts its fields.
///
/// The wire carries only `AES_GCM` or `AES_CBC`; the two CBC variants differ by key length.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// AES-256-CBC with PKCS#7 padding and an HMAC-SHA256 of the plaintext.
    AesCbc,
    /// AES-128-CBC with PKCS#7 padding and an HMAC-SHA256 of the plaintext.
    AesCbc128,
    /// AES-256-GCM with the raw key as AAD: the provider's default.
    #[default]
    AesGcm,
}

impl Algorithm {
    /// The name on the wire: `AES_GCM` or `AES_CBC`.
    #[must_use]
    pub const fn wire_name(self) -> &'static str {
        match self {
            Self::AesCbc | Self::AesCbc128 => "AES_CBC",
            Self::AesGcm => "AES_GCM",
        }
    }

    /// The secret key length in bytes.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::AesCbc128 => 16,
            Self::AesCbc | Self::AesGcm => 32,
        }
    }

    /// The IV length in bytes.
    #[must_use]
    pub const fn iv_len(self) -> usize {
        match self {
            Self::AesCbc | Self::AesCbc128 => 16,
            Self::AesGcm => 12,
        }
    }

    /// The algorithm for a wire name and key length, checking the IV length too.
    pub(crate) fn from_wire(name: &str, key_len: usize, iv_len: usize) -> Result<Self, Error> {
        let algorithm = match (name, key_len) {
            ("AES_GCM", 32) => Self::AesGcm,
            ("AES_CBC", 32) => Self::AesCbc,
            ("AES_CBC", 16) => Self::AesCbc128,
            ("AES_GCM", found) => {
                return Err(KeyMaterialError::KeyLength {
                    algorithm: "AES_GCM",
                    expected: "32",
                    found,
                }
                .into());
            }
            ("AES_CBC", found) => {
                return Err(KeyMaterialError::KeyLength {
                    algorithm: "AES_CBC",
                    expected: "16 or 32",
                    found,
                }
                .into());
            }
            _ => return Err(Error::UnknownAlgorithm),
        };
        if iv_len != algorithm.iv_len() {
            return Err(KeyMaterialError::IvLength {
                algorithm: algorithm.wire_name(),
                expected: algorithm.iv_len(),
                found: iv_len,
            }
            .into());
        }
        Ok(algorithm)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AesCbc => f.write_str("AES_CBC (256)"),
            Self::AesCbc128 => f.write_str("AES_CBC (128)"),
            Self::AesGcm => f.write_str("AES_GCM"),
        }
    }
}
