//! The server side: opening session keys with the RSA private key.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::key_text::decode_key_text;
use crate::provider::{CryptoProvider, OaepDecryptingKey, default_provider};
use crate::session::decode;
use crate::{Algorithm, DecryptError, EnvelopeError, Error, Session, version};

/// Opens the session keys clients send, with the RSA private key whose public half they used.
///
/// This is the provider's side of the protocol: the emulator uses it, and so can a test that
/// checks what a client sent. The opened [`Session`] decrypts the request's fields and
/// encrypts a response with the client's key.
///
/// ```
/// # fn main() -> Result<(), toss_crypto::Error> {
/// # if toss_crypto::CryptoProvider::from_crate_features().is_none() { return Ok(()); } // both backends on: see "Crate features"
/// use toss_crypto::{SessionGenerator, SessionOpener};
///
/// let opener = SessionOpener::generate(2048)?;
/// let generator = SessionGenerator::builder()
///     .public_key_der(opener.public_key_der()?)
///     .build()?;
///
/// let client = generator.generate()?;
/// let field = client.encrypt("01012345678")?;
///
/// let server = opener.open(client.session_key())?;
/// assert_eq!(server.id(), client.id());
/// assert_eq!(*server.decrypt(&field)?, "01012345678");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SessionOpener {
    key: Arc<dyn OaepDecryptingKey>,
    provider: &'static CryptoProvider,
}

impl SessionOpener {
    /// An opener for an RSA private key given as PEM (`PRIVATE KEY`) or base64 DER PKCS#8,
    /// with the crate-feature provider.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the text is not an RSA PKCS#8 key, and
    /// [`Error::NoDefaultProvider`].
    pub fn from_private_key(pem_or_base64: &str) -> Result<Self, Error> {
        let der = decode_key_text(pem_or_base64, "PRIVATE KEY")?;
        Self::from_private_key_der(&der, default_provider()?)
    }

    /// An opener for a DER PKCS#8 RSA private key, with an explicit provider.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the DER is not an RSA PKCS#8 key.
    pub fn from_private_key_der(
        pkcs8_der: &[u8],
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        Ok(Self {
            key: Arc::from(provider.rsa_oaep.private_key(pkcs8_der)?),
            provider,
        })
    }

    /// An opener for a newly generated key of `bits` bits (2048, 3072 or 4096), with the
    /// crate-feature provider.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] for an unsupported size, and [`Error::NoDefaultProvider`].
    pub fn generate(bits: usize) -> Result<Self, Error> {
        Self::generate_with_provider(bits, default_provider()?)
    }

    /// [`generate`](Self::generate) with an explicit provider.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] for an unsupported size.
    pub fn generate_with_provider(
        bits: usize,
        provider: &'static CryptoProvider,
    ) -> Result<Self, Error> {
        let der = provider.rsa_oaep.generate_private_key(bits)?;
        Self::from_private_key_der(&der, provider)
    }

    /// The public half as DER `SubjectPublicKeyInfo`, for
    /// [`SessionGeneratorBuilder::public_key_der`](crate::SessionGeneratorBuilder::public_key_der).
    ///
    /// # Errors
    ///
    /// Only a backend failure.
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        self.key.public_key_der()
    }

    /// The public half as base64 DER `SubjectPublicKeyInfo` text, the form the provider
    /// publishes its key in.
    ///
    /// # Errors
    ///
    /// Only a backend failure.
    pub fn public_key_base64(&self) -> Result<String, Error> {
        Ok(STANDARD.encode(self.public_key_der()?))
    }

    /// Opens a session key `v1$<id>$<base64 RSA-OAEP ciphertext>` into the client's session.
    ///
    /// # Errors
    ///
    /// [`Error::Envelope`] for a malformed session key, [`Error::Decrypt`] when it does not
    /// decrypt under this key or its payload is not `<ALG>$<key>$<iv>`,
    /// [`Error::UnknownAlgorithm`] and [`Error::KeyMaterial`] for a bad payload.
    pub fn open(&self, session_key: &str) -> Result<Session, Error> {
        let parts: Vec<&str> = session_key.split('$').collect();
        let [version_token, id, sealed] = parts[..] else {
            return Err(EnvelopeError::PartCount {
                expected: 3,
                found: parts.len(),
            }
            .into());
        };
        if !version::is_supported(version_token) {
            return Err(EnvelopeError::Version.into());
        }
        if !version::is_session_id(id) {
            return Err(EnvelopeError::SessionId.into());
        }
        let sealed = decode(sealed).ok_or(EnvelopeError::Base64 {
            part: "encrypted session key",
        })?;
        let payload = self.key.decrypt(&sealed)?;
        let payload = std::str::from_utf8(&payload).map_err(|_| DecryptError::SessionKeyPayload)?;
        let fields: Vec<&str> = payload.split('$').collect();
        let [algorithm, key, iv] = fields[..] else {
            return Err(DecryptError::SessionKeyPayload.into());
        };
        let key = decode(key).ok_or(DecryptError::SessionKeyPayload)?;
        let iv = decode(iv).ok_or(DecryptError::SessionKeyPayload)?;
        let algorithm = Algorithm::from_wire(algorithm, key.len(), iv.len())?;
        Ok(Session::from_parts(
            version_token.to_owned(),
            id.to_owned(),
            algorithm,
            key,
            iv,
            self.provider,
        ))
    }
}

impl fmt::Debug for SessionOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionOpener").finish_non_exhaustive()
    }
}
