//! Making new sessions and sealing their keys for the provider.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::key_text::{TOSS_CERT_PUBLIC_KEY, decode_key_text};
use crate::provider::{CryptoProvider, OaepEncryptingKey, default_provider};
use crate::session::NewSession;
use crate::{Algorithm, Error, RsaKeyError, Session, version};

/// The smallest RSA key this crate seals a session key with.
const MIN_RSA_BITS: usize = 2048;

/// Makes [`Session`]s and seals each one's key with the provider's RSA public key (a
/// [`NewSession`] carries both).
///
/// Build it once and share it: the public key is parsed at build time, and the generator is
/// cheap to clone (`Arc` inside), `Send` and `Sync`.
///
/// ```
/// # fn main() -> Result<(), toss_crypto::Error> {
/// # if toss_crypto::CryptoProvider::from_crate_features().is_none() { return Ok(()); } // both backends on: see "Crate features"
/// use toss_crypto::{Algorithm, SessionGenerator};
///
/// let generator = SessionGenerator::new()?; // the provider's embedded public key
/// let session = generator.generate()?; // AES_GCM, the default
/// let session_key = session.session_key(); // a new session always has one
/// assert!(session_key.starts_with(&format!("v1${}$", session.id())));
///
/// let name = session.encrypt("김토스")?;
/// assert_eq!(*session.decrypt(&name)?, "김토스");
///
/// let cbc = generator.generate_with(Algorithm::AesCbc)?;
/// assert_eq!(cbc.algorithm().wire_name(), "AES_CBC");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionGenerator {
    public_key: Arc<dyn OaepEncryptingKey>,
    provider: &'static CryptoProvider,
}

impl SessionGenerator {
    /// A generator for the provider's embedded public key
    /// ([`TOSS_CERT_PUBLIC_KEY`](crate::TOSS_CERT_PUBLIC_KEY)) and the crate-feature provider.
    ///
    /// # Errors
    ///
    /// [`Error::NoDefaultProvider`] when the crate features do not name exactly one provider.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A builder to choose the public key and the crypto provider.
    pub fn builder() -> SessionGeneratorBuilder {
        SessionGeneratorBuilder::default()
    }

    /// A new `AES_GCM` session, sealed for the provider.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the random number generator fails, or a backend failure.
    pub fn generate(&self) -> Result<NewSession, Error> {
        self.generate_with(Algorithm::AesGcm)
    }

    /// A new session of the given algorithm, sealed for the provider.
    ///
    /// # Errors
    ///
    /// As [`generate`](Self::generate).
    pub fn generate_with(&self, algorithm: Algorithm) -> Result<NewSession, Error> {
        // One draw for id, key and IV, in that order, so a scripted generator in tests can
        // reproduce the provider's vectors.
        let mut random = Zeroizing::new([0u8; 16 + 32 + 16]);
        let needed = 16 + algorithm.key_len() + algorithm.iv_len();
        self.provider.secure_random.fill(&mut random[..needed])?;
        let (id_bytes, rest) = random.split_at(16);
        let (key, rest) = rest.split_at(algorithm.key_len());
        let iv = &rest[..algorithm.iv_len()];

        let mut uuid_bytes = [0u8; 16];
        uuid_bytes.copy_from_slice(id_bytes);
        let id = uuid::Builder::from_random_bytes(uuid_bytes)
            .into_uuid()
            .hyphenated()
            .to_string();

        let session = Session::from_parts(
            version::CURRENT.to_owned(),
            id,
            algorithm,
            Zeroizing::new(key.to_vec()),
            Zeroizing::new(iv.to_vec()),
            self.provider,
        );
        let sealed = self.public_key.encrypt(session.key_payload().as_bytes())?;
        let mut session_key = String::with_capacity(
            version::CURRENT.len() + session.id().len() + 2 + sealed.len() * 4 / 3 + 4,
        );
        session_key.push_str(version::CURRENT);
        session_key.push('$');
        session_key.push_str(session.id());
        session_key.push('$');
        STANDARD.encode_string(&sealed, &mut session_key);
        Ok(NewSession::new(session, session_key))
    }

    /// The crypto provider in use.
    #[must_use]
    pub fn crypto_provider(&self) -> &'static CryptoProvider {
        self.provider
    }
}

/// Builds a [`SessionGenerator`]; errors are deferred to [`build`](Self::build).
#[must_use]
#[derive(Debug, Default)]
pub struct SessionGeneratorBuilder {
    public_key: Option<PublicKeyInput>,
    provider: Option<&'static CryptoProvider>,
}

#[derive(Debug)]
enum PublicKeyInput {
    Text(String),
    Der(Vec<u8>),
}

impl SessionGeneratorBuilder {
    /// The provider's RSA public key as PEM (`PUBLIC KEY`) or base64 DER
    /// `SubjectPublicKeyInfo` text.
    ///
    /// Defaults to [`TOSS_CERT_PUBLIC_KEY`](crate::TOSS_CERT_PUBLIC_KEY).
    pub fn public_key(mut self, pem_or_base64: impl Into<String>) -> Self {
        self.public_key = Some(PublicKeyInput::Text(pem_or_base64.into()));
        self
    }

    /// The provider's RSA public key as DER `SubjectPublicKeyInfo` bytes.
    ///
    /// Defaults to [`TOSS_CERT_PUBLIC_KEY`](crate::TOSS_CERT_PUBLIC_KEY).
    pub fn public_key_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.public_key = Some(PublicKeyInput::Der(der.into()));
        self
    }

    /// The crypto provider.
    ///
    /// Defaults to the one the crate features name (see
    /// [`CryptoProvider::from_crate_features`]).
    pub fn crypto_provider(mut self, provider: &'static CryptoProvider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Parses the key and builds the generator.
    ///
    /// # Errors
    ///
    /// [`Error::RsaKey`] when the key is not an RSA public key of at least 2048 bits, and
    /// [`Error::NoDefaultProvider`] when no provider was given and the crate features do not
    /// name exactly one.
    pub fn build(self) -> Result<SessionGenerator, Error> {
        let provider = match self.provider {
            Some(provider) => provider,
            None => default_provider()?,
        };
        let der = match self.public_key {
            None => decode_key_text(TOSS_CERT_PUBLIC_KEY, "PUBLIC KEY")?,
            Some(PublicKeyInput::Text(text)) => decode_key_text(&text, "PUBLIC KEY")?,
            Some(PublicKeyInput::Der(der)) => Zeroizing::new(der),
        };
        let public_key = provider.rsa_oaep.public_key(&der)?;
        let bits = public_key.modulus_bits();
        if bits < MIN_RSA_BITS {
            return Err(RsaKeyError::TooSmall.into());
        }
        Ok(SessionGenerator {
            public_key: Arc::from(public_key),
            provider,
        })
    }
}
