//! The crate's one error type.
//!
//! Every message names what was wrong with the input and never quotes it: envelopes,
//! serialized sessions and keys are secrets or carry personal data.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// Everything that can go wrong in this crate.
///
/// The sub-enums are details of the same failure, not lower layers: `Display` includes them
/// and `source()` does not repeat them.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// An envelope or session key string is not well formed.
    #[error("malformed envelope: {0}")]
    Envelope(EnvelopeError),

    /// A serialized session is not well formed.
    #[error("malformed serialized session: {0}")]
    Session(SessionFormatError),

    /// A secret key or IV has the wrong length for its algorithm.
    #[error("invalid key material: {0}")]
    KeyMaterial(KeyMaterialError),

    /// Authenticated decryption failed: the ciphertext, key or MAC does not match.
    #[error("decryption failed: {0}")]
    Decrypt(DecryptError),

    /// An RSA key could not be loaded or used.
    #[error("invalid RSA key: {0}")]
    RsaKey(RsaKeyError),

    /// The algorithm name is not one this crate knows (`AES_GCM`, `AES_CBC`).
    #[error("unknown algorithm (expected AES_GCM or AES_CBC)")]
    UnknownAlgorithm,

    /// The operating system's random number generator failed.
    #[error("the random number generator failed")]
    Random,

    /// No crypto provider was chosen and the crate features do not name exactly one.
    #[error(
        "no default crypto provider: enable exactly one of the features `aws-lc` and `rustcrypto`, \
         or pass one explicitly with `.crypto_provider(...)`"
    )]
    NoDefaultProvider,

    /// A data key or data key ring could not be made.
    #[error("invalid data key: {0}")]
    DataKey(DataKeyError),

    /// Sealed data (`dk1$<key id>$<base64>`) is not well formed.
    #[error("malformed sealed data: {0}")]
    Sealed(SealedFormatError),

    /// Sealed data names a key id that the data key or ring opening it does not hold: a key
    /// retired too early, or data sealed by another application.
    #[error("sealed under a data key id that is not in the ring")]
    UnknownDataKey,

    /// A failure specific to a crypto provider.
    #[error("crypto provider failure: {0}")]
    Other(OtherError),
}

macro_rules! from_detail {
    ($($detail:ident => $variant:ident),* $(,)?) => {$(
        impl From<$detail> for Error {
            fn from(detail: $detail) -> Self {
                Self::$variant(detail)
            }
        }
    )*};
}

from_detail! {
    EnvelopeError => Envelope,
    SessionFormatError => Session,
    KeyMaterialError => KeyMaterial,
    DecryptError => Decrypt,
    RsaKeyError => RsaKey,
    DataKeyError => DataKey,
    SealedFormatError => Sealed,
}

/// What is wrong with a `v1$…` envelope or session key.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The string does not split on `$` into the number of parts the algorithm uses.
    #[error("expected {expected} `$`-separated parts, found {found}")]
    PartCount {
        /// How many parts the format has.
        expected: usize,
        /// How many parts the input has.
        found: usize,
    },
    /// The version token is neither `v1` nor `v1_…`.
    #[error("unsupported version token (expected `v1` or `v1_…`)")]
    Version,
    /// The version token is valid but is not the one of the session decrypting it.
    #[error("version token differs from the session's")]
    VersionMismatch,
    /// The session id is not the one of the session decrypting it.
    #[error("session id differs from the session's")]
    SessionIdMismatch,
    /// The session id is not a hyphenated UUID.
    #[error("session id is not a UUID")]
    SessionId,
    /// A part that must be standard base64 is not.
    #[error("{part} is not valid base64")]
    Base64 {
        /// Which part: `ciphertext`, `encrypted session key`, ….
        part: &'static str,
    },
    /// The HMAC part is not 64 hexadecimal digits.
    #[error("HMAC is not 64 hexadecimal digits")]
    HmacEncoding,
}

/// What is wrong with a serialized session (`<version>$<id>$<ALG>$<key>$<iv>`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionFormatError {
    /// The string does not have exactly five `$`-separated parts.
    #[error("expected 5 `$`-separated parts, found {found}")]
    PartCount {
        /// How many parts the input has.
        found: usize,
    },
    /// The version token is neither `v1` nor `v1_…`.
    #[error("unsupported version token (expected `v1` or `v1_…`)")]
    Version,
    /// The session id is not a hyphenated UUID.
    #[error("session id is not a UUID")]
    SessionId,
    /// The key or IV is not standard base64.
    #[error("{part} is not valid base64")]
    Base64 {
        /// `secret key` or `iv`.
        part: &'static str,
    },
}

/// A key or IV of the wrong length.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMaterialError {
    /// The secret key length does not fit the algorithm.
    #[error("{algorithm} needs a key of {expected} bytes, found {found}")]
    KeyLength {
        /// The wire name of the algorithm.
        algorithm: &'static str,
        /// The accepted length(s), for the message.
        expected: &'static str,
        /// The length found.
        found: usize,
    },
    /// The IV length does not fit the algorithm.
    #[error("{algorithm} needs an IV of {expected} bytes, found {found}")]
    IvLength {
        /// The wire name of the algorithm.
        algorithm: &'static str,
        /// The accepted length, in bytes.
        expected: usize,
        /// The length found.
        found: usize,
    },
}

/// Why a ciphertext did not decrypt.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The AES-GCM authentication tag does not verify.
    #[error("AES-GCM authentication tag does not verify")]
    Tag,
    /// The AES-CBC plaintext's HMAC-SHA256 does not match the envelope's.
    #[error("HMAC-SHA256 does not match")]
    Hmac,
    /// The AES-CBC plaintext does not end in valid PKCS#7 padding.
    #[error("invalid PKCS#7 padding")]
    Padding,
    /// The ciphertext is shorter than a tag or not a whole number of blocks.
    #[error("ciphertext length {0} is impossible for this algorithm")]
    CiphertextLength(usize),
    /// The plaintext is not UTF-8.
    #[error("plaintext is not valid UTF-8")]
    Utf8,
    /// RSA-OAEP decryption of a session key failed.
    #[error("RSA-OAEP decryption failed")]
    Oaep,
    /// The decrypted session key is not `<ALG>$<base64 key>$<base64 iv>`.
    #[error("decrypted session key is not `<ALG>$<key>$<iv>`")]
    SessionKeyPayload,
}

/// Why an RSA key could not be loaded or used.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RsaKeyError {
    /// The text is neither PEM nor base64.
    #[error("key is neither PEM nor base64")]
    Encoding,
    /// The PEM block is not of the expected kind.
    #[error("expected a PEM block labelled `{expected}`")]
    PemLabel {
        /// The label this function accepts.
        expected: &'static str,
    },
    /// The DER does not hold an RSA key of the expected kind.
    #[error("not a DER {expected} RSA key")]
    Der {
        /// `SubjectPublicKeyInfo` or `PKCS#8`.
        expected: &'static str,
    },
    /// The key is too small to carry a session key with OAEP-SHA1.
    #[error("RSA modulus is too small (need at least 2048 bits)")]
    TooSmall,
    /// The plaintext does not fit one RSA-OAEP block.
    #[error("plaintext too long for one RSA-OAEP block")]
    MessageTooLong,
    /// Key generation failed or the size is unsupported.
    #[error("cannot generate an RSA key of {0} bits (supported: 2048, 3072, 4096)")]
    Generate(usize),
}

/// What is wrong with a [`DataKey`](crate::DataKey) or [`DataKeyRing`](crate::DataKeyRing).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataKeyError {
    /// The key text is not standard base64.
    #[error("the key is not valid base64")]
    Base64,
    /// The key is not 32 bytes long.
    #[error("a data key is 32 bytes, found {0}")]
    Length(usize),
    /// An explicit key id breaks the rules of [`DataKey::with_id`](crate::DataKey::with_id).
    #[error("a key id is 1 to 32 characters from `A-Z`, `a-z`, `0-9`, `-`, `_` and `.`")]
    KeyId,
    /// Two keys of one ring have the same id, so sealed data could not say which opens it.
    #[error("two keys of the ring have the same key id")]
    DuplicateKeyId,
}

/// What is wrong with sealed data, `dk1$<key id>$<base64(nonce‖ciphertext‖tag)>`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealedFormatError {
    /// The text does not split on `$` into exactly three parts.
    #[error("expected 3 `$`-separated parts, found {found}")]
    PartCount {
        /// How many parts the input has.
        found: usize,
    },
    /// The version is not `dk1`.
    #[error("unsupported version (expected `dk1`)")]
    Version,
    /// The key id part is not a valid key id.
    #[error("the key id is not 1 to 32 characters from `A-Z`, `a-z`, `0-9`, `-`, `_` and `.`")]
    KeyId,
    /// The payload is not standard base64.
    #[error("the payload is not valid base64")]
    Base64,
    /// The payload is shorter than a 12-byte nonce and a 16-byte tag.
    #[error("a payload of {0} bytes is shorter than a nonce and a tag (28 bytes)")]
    Length(usize),
}

/// A provider-specific failure, kept as a shared error so [`Error`] stays `Clone`.
#[derive(Debug, Clone)]
pub struct OtherError(Arc<dyn StdError + Send + Sync>);

impl OtherError {
    /// Wraps a backend's own error; its message must not quote secrets.
    pub fn new(error: impl StdError + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Display for OtherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for OtherError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.0.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_static() {
        fn assert_traits<T: Send + Sync + 'static>() {}
        assert_traits::<Error>();
    }

    #[test]
    fn details_are_in_the_message_and_not_repeated_as_a_source() {
        use std::error::Error as _;
        let error: Error = DecryptError::Hmac.into();
        assert_eq!(
            error.to_string(),
            "decryption failed: HMAC-SHA256 does not match"
        );
        assert!(error.source().is_none());
    }

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let errors: Vec<Error> = vec![
            EnvelopeError::PartCount {
                expected: 3,
                found: 1,
            }
            .into(),
            SessionFormatError::Version.into(),
            DecryptError::Hmac.into(),
            RsaKeyError::TooSmall.into(),
            Error::UnknownAlgorithm,
            DataKeyError::Length(16).into(),
            DataKeyError::KeyId.into(),
            SealedFormatError::PartCount { found: 2 }.into(),
            SealedFormatError::Length(3).into(),
            Error::UnknownDataKey,
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.ends_with('.'), "{text}");
            assert!(
                text.chars().next().is_some_and(char::is_lowercase),
                "{text}"
            );
        }
    }
}
