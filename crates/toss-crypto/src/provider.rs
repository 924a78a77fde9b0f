//! The boundary between the Toss Cert formats and the cryptographic primitives.
//!
//! The session key and envelope formats (versions, encodings, AAD, HMAC framing) are written
//! once in this crate, on top of the small traits here. A backend implements primitives only.

use std::fmt::Debug;

use zeroize::Zeroizing;

use crate::Error;

/// The primitives a backend supplies, as `'static` trait objects.
///
/// Two providers ship with the crate: [`aws_lc::PROVIDER`](crate::backend::aws_lc::PROVIDER)
/// (feature `aws-lc`, the default) and
/// [`rust_crypto::PROVIDER`](crate::backend::rust_crypto::PROVIDER) (feature `rustcrypto`).
///
/// # Making a custom provider
///
/// Override one field with struct-update syntax and keep a built-in provider for the rest,
/// for example a random number generator from a hardware module:
///
/// ```
/// # #[cfg(feature = "aws-lc")] {
/// use toss_crypto::{CryptoProvider, SecureRandom};
///
/// #[derive(Debug)]
/// struct MyRandom;
///
/// impl SecureRandom for MyRandom {
///     fn fill(&self, dest: &mut [u8]) -> Result<(), toss_crypto::Error> {
///         // Call your own generator here.
///         toss_crypto::backend::aws_lc::PROVIDER.secure_random.fill(dest)
///     }
/// }
///
/// static MY_PROVIDER: CryptoProvider = CryptoProvider {
///     secure_random: &MyRandom,
///     ..toss_crypto::backend::aws_lc::PROVIDER
/// };
/// # let _ = &MY_PROVIDER;
/// # }
/// ```
#[allow(clippy::exhaustive_structs)] // public fields are the extension mechanism, as in rustls
#[derive(Debug, Clone, Copy)]
pub struct CryptoProvider {
    /// Random bytes for session ids, keys and IVs.
    pub secure_random: &'static dyn SecureRandom,
    /// RSA-OAEP with SHA-1 and MGF1-SHA-1, empty label.
    pub rsa_oaep: &'static dyn RsaOaep,
    /// AES-256-GCM with a 12-byte nonce and a 16-byte tag appended.
    pub aes_gcm: &'static dyn AesGcm,
    /// AES-128/256-CBC with PKCS#7 padding.
    pub aes_cbc: &'static dyn AesCbc,
    /// HMAC-SHA256.
    pub hmac_sha256: &'static dyn HmacSha256,
}

/// The provider the crate features name, or [`Error::NoDefaultProvider`]: what every
/// constructor without an explicit provider uses.
pub(crate) fn default_provider() -> Result<&'static CryptoProvider, Error> {
    CryptoProvider::from_crate_features().ok_or(Error::NoDefaultProvider)
}

impl CryptoProvider {
    /// The provider named by the crate features, if exactly one backend feature is enabled.
    ///
    /// Returns `None` when both `aws-lc` and `rustcrypto` are enabled (Cargo unifies features
    /// across a dependency graph, so enabling a second backend must not silently change which
    /// one runs) or when neither is.
    #[must_use]
    pub fn from_crate_features() -> Option<&'static Self> {
        #[cfg(all(feature = "aws-lc", not(feature = "rustcrypto")))]
        {
            Some(&crate::backend::aws_lc::PROVIDER)
        }
        #[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
        {
            Some(&crate::backend::rust_crypto::PROVIDER)
        }
        #[cfg(not(any(
            all(feature = "aws-lc", not(feature = "rustcrypto")),
            all(feature = "rustcrypto", not(feature = "aws-lc"))
        )))]
        {
            None
        }
    }
}

/// A cryptographically secure random number generator.
pub trait SecureRandom: Send + Sync + Debug {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error>;
}

/// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) key loading.
pub trait RsaOaep: Send + Sync + Debug {
    /// Loads a public key from DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the DER is not an RSA public key, and [`Error::Random`] when a
    /// backend that readies its random number generator for the key's padding cannot.
    fn public_key(&self, spki_der: &[u8]) -> Result<Box<dyn OaepEncryptingKey>, Error>;

    /// Loads a private key from DER PKCS#8.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the DER is not an RSA private key.
    fn private_key(&self, pkcs8_der: &[u8]) -> Result<Box<dyn OaepDecryptingKey>, Error>;

    /// Generates a new private key of `bits` bits, as DER PKCS#8.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the size is unsupported or generation fails.
    fn generate_private_key(&self, bits: usize) -> Result<Zeroizing<Vec<u8>>, Error>;
}

/// A loaded RSA public key that encrypts with OAEP.
pub trait OaepEncryptingKey: Send + Sync + Debug {
    /// Encrypts one block.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the plaintext does not fit, or the backend fails.
    fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error>;

    /// The modulus size in bits.
    fn modulus_bits(&self) -> usize;
}

/// A loaded RSA private key that decrypts OAEP.
pub trait OaepDecryptingKey: Send + Sync + Debug {
    /// Decrypts one block.
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] when the ciphertext does not decrypt under this key.
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error>;

    /// The public half, as DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the backend cannot encode it.
    fn public_key_der(&self) -> Result<Vec<u8>, Error>;
}

/// AES-256-GCM.
pub trait AesGcm: Send + Sync + Debug {
    /// Encrypts `plaintext` and returns the ciphertext with the 16-byte tag appended.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMaterial`] for a key that is not 32 bytes or a nonce that is not 12.
    fn seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error>;

    /// Verifies the tag at the end of `ciphertext_and_tag` and returns the plaintext.
    ///
    /// # Errors
    ///
    /// [`DecryptError::Tag`](crate::DecryptError::Tag) when it does not verify.
    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Vec<u8>, Error>;

    /// Prepares `key` once (its key schedule) for the many fields of one session. The
    /// default, `Ok(None)`, prepares nothing, and the session calls [`seal`](Self::seal) and
    /// [`open`](Self::open) with the raw key each time.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMaterial`] for a key that is not 32 bytes.
    fn prepare(&self, key: &[u8]) -> Result<Option<Box<dyn AesGcmKey>>, Error> {
        let _ = key;
        Ok(None)
    }
}

/// An AES-256-GCM key prepared by [`AesGcm::prepare`]: sealing and opening skip the key
/// schedule. It holds key material and must wipe it when dropped.
pub trait AesGcmKey: Send + Sync + Debug {
    /// As [`AesGcm::seal`], with the prepared key.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMaterial`] for a nonce that is not 12 bytes.
    fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>;

    /// As [`AesGcm::open`], with the prepared key.
    ///
    /// # Errors
    ///
    /// [`DecryptError::Tag`](crate::DecryptError::Tag) when it does not verify.
    fn open(&self, nonce: &[u8], aad: &[u8], ciphertext_and_tag: &[u8]) -> Result<Vec<u8>, Error>;
}

/// AES-CBC with PKCS#7 padding; the key length (16 or 32 bytes) selects AES-128 or AES-256.
pub trait AesCbc: Send + Sync + Debug {
    /// Pads and encrypts `plaintext`.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMaterial`] for a key of another length or an IV that is not 16 bytes.
    fn encrypt(&self, key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>;

    /// Decrypts `ciphertext` and removes the padding.
    ///
    /// # Errors
    ///
    /// [`DecryptError::Padding`](crate::DecryptError::Padding) or
    /// [`DecryptError::CiphertextLength`](crate::DecryptError::CiphertextLength).
    fn decrypt(&self, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error>;

    /// Prepares `key` once (its key schedules) for the many fields of one session. The
    /// default, `Ok(None)`, prepares nothing, and the session calls
    /// [`encrypt`](Self::encrypt) and [`decrypt`](Self::decrypt) with the raw key each time.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMaterial`] for a key that is neither 16 nor 32 bytes.
    fn prepare(&self, key: &[u8]) -> Result<Option<Box<dyn AesCbcKey>>, Error> {
        let _ = key;
        Ok(None)
    }
}

/// An AES-CBC key prepared by [`AesCbc::prepare`]. It holds key material and must wipe it
/// when dropped.
pub trait AesCbcKey: Send + Sync + Debug {
    /// As [`AesCbc::encrypt`], with the prepared key.
    ///
    /// # Errors
    ///
    /// [`Error::KeyMaterial`] for an IV that is not 16 bytes.
    fn encrypt(&self, iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error>;

    /// As [`AesCbc::decrypt`], with the prepared key.
    ///
    /// # Errors
    ///
    /// [`DecryptError::Padding`](crate::DecryptError::Padding) or
    /// [`DecryptError::CiphertextLength`](crate::DecryptError::CiphertextLength).
    fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Error>;
}

/// HMAC-SHA256.
pub trait HmacSha256: Send + Sync + Debug {
    /// The 32-byte tag of `message` under `key`.
    ///
    /// # Errors
    ///
    /// Only a backend failure; HMAC accepts keys of any length.
    fn sign(&self, key: &[u8], message: &[u8]) -> Result<[u8; 32], Error>;

    /// Prepares `key` once for the many fields of one session. The default, `Ok(None)`,
    /// prepares nothing, and the session calls [`sign`](Self::sign) with the raw key each
    /// time.
    ///
    /// # Errors
    ///
    /// Only a backend failure.
    fn prepare(&self, key: &[u8]) -> Result<Option<Box<dyn HmacSha256Key>>, Error> {
        let _ = key;
        Ok(None)
    }
}

/// An HMAC-SHA256 key prepared by [`HmacSha256::prepare`]. It holds key material and must
/// wipe it when dropped.
pub trait HmacSha256Key: Send + Sync + Debug {
    /// As [`HmacSha256::sign`], with the prepared key.
    ///
    /// # Errors
    ///
    /// Only a backend failure.
    fn sign(&self, message: &[u8]) -> Result<[u8; 32], Error>;
}
